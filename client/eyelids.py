"""How the eyelids close over the eyes found on the portrait: each eye's outline (from the landmarks,
grown, and fitted to the picture's own pixels), and where the mesh's points go as the lids close.

Pure arithmetic (numpy, no Kivy), as ``client.face_shapes``, which places the eyes and builds the mesh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EYE_CORNERS = ((33, 133), (362, 263))  # image-left eye, image-right eye: outer/inner corners
EYE_LIDS = ((159, 145), (386, 374))  # upper and lower lid, middle
# each eye's whole outline, corner to corner: the upper lid's edge, then the lower one's
UPPER_LID = ((33, 246, 161, 160, 159, 158, 157, 173, 133), (362, 398, 384, 385, 386, 387, 388, 466, 263))
LOWER_LID = ((33, 7, 163, 144, 145, 153, 154, 155, 133), (362, 382, 381, 380, 374, 373, 390, 249, 263))


# How the eyelids close. The landmarks put the eye's outline a little inside the eye (on a drawn face
# they may be off by a tenth of its width), so the outline is grown before anything is done with it:
# white left outside it would show beside the closed lid.
LID_GROW_X = 1.12  # the outline grown this much across, about the eye's centre ...
LID_GROW_Y = 1.25  # ... and this much up and down
LIDS_MEET = 0.2  # the lids meet a fifth of the way up from the lower lid (the lower lid rises a little)
SKIN_ABOVE = 0.6  # how much skin above the eye stretches down with the lid, in the eye's height there (below the brow)
SKIN_ABOVE_MAX = 0.16
SKIN_BELOW = 0.5  # and below it, stretching up with the lower lid
FIT_REACH = 0.2  # the outline fitted to the picture reaches at most this much of the eye's width past a corner ...
FIT_REACH_Y = 0.38  # ... and this far above or below the line halfway between the lids


@dataclass
class Lid:
    """One open eye's outline, in widget pixels: the lids' edges from corner to corner, left to right."""

    xs: np.ndarray
    upper: np.ndarray  # the upper lid's edge over each x
    lower: np.ndarray  # the lower lid's edge; the two meet at the corners

    @classmethod
    def grown(cls, cx: float, upper: np.ndarray, lower: np.ndarray) -> Lid:
        """From the outline's points ((x, y) rows, corner to corner): grown across about the eye's centre
        ``cx``, and up and down about the line halfway between the lids."""
        xs = np.linspace(min(upper[0, 0], upper[-1, 0]), max(upper[0, 0], upper[-1, 0]), 17)
        up = np.interp(xs, *upper[np.argsort(upper[:, 0])].T)
        low = np.interp(xs, *lower[np.argsort(lower[:, 0])].T)
        up, low = np.maximum(up, low), np.minimum(up, low)
        mid = (up + low) / 2
        half = (up - low) / 2 * LID_GROW_Y
        return cls(cx + (xs - cx) * LID_GROW_X, mid + half, mid - half)

    @classmethod
    def almond(cls, cx: float, cy: float, rx: float, ry: float) -> Lid:
        """An eye placed by hand or guessed: an almond rx wide each side, ry high above and below its centre."""
        s = np.linspace(-1, 1, 17)
        bulge = np.sqrt(1 - s**2)
        return cls(cx + rx * s, cy + ry * bulge, cy - ry * bulge)

    def at(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.interp(x, self.xs, self.upper), np.interp(x, self.xs, self.lower)

    def fitted(self, look) -> Lid:
        """The outline grown over the eye as the picture shows it. On a drawn face the landmarks may sit
        well inside the eye (the lower lid found across the iris, a corner a tenth of the eye short):
        the eye's own pixels (white, iris, lashes: far from the skin's colour around) joined to those
        inside the outline say where it really ends. Never more than ``FIT_REACH`` of the eye's width
        beyond the landmarks, so a shadow or a brow cannot take the lid away.

        ``look(x, y)`` gives the picture's colour (rows of r, g, b) at widget pixels."""
        left, right = float(self.xs[0]), float(self.xs[-1])
        w = right - left
        mid = (self.upper + self.lower) / 2
        gx = np.linspace(left - FIT_REACH * w, right + FIT_REACH * w, 48)
        gy = np.linspace(float(np.min(mid)) - 0.45 * w, float(np.max(mid)) + 0.45 * w, 40)
        px, py = np.meshgrid(gx, gy)
        colour = np.asarray(look(px.ravel(), py.ravel()), dtype=float).reshape(len(gy), len(gx), 3)
        up, low = self.at(px)
        inner = (px > left) & (px < right) & (py < up) & (py > low)
        if not inner.any() or inner.all():
            return self
        skin = np.median(colour[~inner], axis=0)
        far = np.sqrt(((colour - skin) ** 2).sum(axis=2))
        eye = far > max(45.0, 3.0 * float(np.median(far[~inner])))
        mid_at = np.interp(px, self.xs, mid)
        reach = (np.abs(px - (left + right) / 2) < (0.5 + FIT_REACH) * w) & (np.abs(py - mid_at) < FIT_REACH_Y * w)
        found = inner & eye
        while True:  # what is joined to the eye's pixels inside the outline, one sample's step at a time
            grown = found.copy()
            grown[1:] |= found[:-1]
            grown[:-1] |= found[1:]
            grown[:, 1:] |= found[:, :-1]
            grown[:, :-1] |= found[:, 1:]
            grown &= eye & reach
            if (grown == found).all():
                break
            found = grown
        cols = np.flatnonzero(found.any(axis=0) | ((gx > left) & (gx < right)))
        if len(cols) < 2:
            return self
        step_x, step_y = gx[1] - gx[0], gy[1] - gy[0]
        xs = gx[cols]
        top = np.where(found[:, cols].any(axis=0), np.max(np.where(found[:, cols], py[:, cols], -np.inf), axis=0) + step_y, -np.inf)
        bottom = np.where(found[:, cols].any(axis=0), np.min(np.where(found[:, cols], py[:, cols], np.inf), axis=0) - step_y, np.inf)
        up, low = self.at(xs)
        centre = np.interp(xs, self.xs, mid)
        upper, lower = _smooth(np.maximum(up, top), max), _smooth(np.minimum(low, bottom), min)
        upper, lower = np.maximum(upper, centre), np.minimum(lower, centre)
        # the lids meet two steps past the last column of eye on each side (its tip may fall between samples)
        xs = np.concatenate([[min(xs[0] - 2 * step_x, left)], xs, [max(xs[-1] + 2 * step_x, right)]])
        ends = np.interp(xs[[0, -1]], self.xs, mid)
        return Lid(xs, np.concatenate([[ends[0]], upper, [ends[1]]]), np.concatenate([[ends[0]], lower, [ends[1]]]))

    @property
    def height(self) -> float:
        return float(np.max(self.upper - self.lower))

    def lines(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Over each x: the skin's still line below the eye, the lower lid, where the lids meet, the upper
        lid, and the skin's still line above it (up to ``SKIN_ABOVE`` of the eye's height there, and never
        more than ``SKIN_ABOVE_MAX`` of its width, below the brow or the glasses' rim)."""
        up, low = self.at(x)
        opening = up - low
        above = np.minimum(SKIN_ABOVE * opening, SKIN_ABOVE_MAX * float(self.xs[-1] - self.xs[0]))
        return low - SKIN_BELOW * opening, low, low + LIDS_MEET * opening, up, up + above


def _smooth(values: np.ndarray, pick) -> np.ndarray:
    """A curve fitted to pixels, without its steps: the highest (or lowest) of each five, then averaged."""
    padded = np.pad(values, 2, mode="edge")
    picked = np.array([pick(padded[i : i + 5]) for i in range(len(values))])
    padded = np.pad(picked, 2, mode="edge")
    return np.convolve(padded, np.ones(5) / 5, mode="valid")


@dataclass
class LidMotion:
    """Where the mesh's points go as the eyelids close (``t`` from 0, open, to 1, shut).

    Column by column (points move only up or down, so no triangle can turn over): the upper lid's edge
    comes down to where the lids meet, near the lower lid, and the lower lid rises a little to meet it.
    The skin above the eye stretches down with the upper lid, from its edge up to a line ``SKIN_ABOVE``
    times the eye's height there higher, which stays still (so the brows and glasses do not move); the skin below
    stretches up with the lower lid the same way. The open eye between the lids is not squeezed but
    covered: a point of it stays where it is until a lid's edge reaches it, then goes with the edge.
    Shut, the lid is the skin from above the eye, its lashes at the bottom."""

    shift: np.ndarray  # every point: how far it has moved (up +) at a full blink; the skin moves in proportion
    inside: np.ndarray  # which points are inside an open eye, between the lids (indices)
    y: np.ndarray  # those points' y
    lower: np.ndarray  # the lower lid's edge over each of them, open ...
    upper: np.ndarray  # ... the upper lid's ...
    shut: np.ndarray  # ... and where the lids meet

    def offsets(self, t: float) -> np.ndarray:
        """How far each point moves (up +) with the lids ``t`` of the way shut."""
        dy = t * self.shift
        if len(self.inside):
            low = self.lower + t * (self.shut - self.lower)
            high = self.upper + t * (self.shut - self.upper)
            dy[self.inside] = np.clip(self.y, low, high) - self.y
        return dy


def lid_motion(lids: Sequence[Lid], x: np.ndarray, y: np.ndarray) -> LidMotion:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    shift = np.zeros_like(x)
    inside = np.zeros(len(x), dtype=bool)
    lower, upper, shut = (np.zeros_like(x) for _ in range(3))
    for lid in lids:
        bottom, low, meet, up, top = lid.lines(x)
        across = (x > lid.xs[0]) & (x < lid.xs[-1])
        above = across & (y >= up) & (y < top)
        below = across & (y <= low) & (y > bottom)
        between = across & (y > low) & (y < up)
        shift = np.where(above, (meet - up) * (top - y) / np.maximum(top - up, 1e-9), shift)
        shift = np.where(below, (meet - low) * (y - bottom) / np.maximum(low - bottom, 1e-9), shift)
        inside |= between
        lower, upper, shut = (np.where(between, new, old) for new, old in ((low, lower), (up, upper), (meet, shut)))
    idx = np.flatnonzero(inside)
    return LidMotion(shift, idx, y[idx], lower[idx], upper[idx], shut[idx])


def follow_lids(lids: Sequence[Lid], gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The grid's rows (``gy``, rows x columns) bent, in each column over an eye, to follow the lids: one
    row on the lower lid's edge, one on the upper's, one on each line where the stretching skin stops,
    the others spread between. The picture is the same (the texture follows the points), but the closing
    lid's edge is then a smooth line, the same row from column to column, and it folds the eye away
    exactly at its edge: no white or iris is smeared into the lid, none is left under it. Rows stay in
    order, so no triangle turns over."""
    gy = gy.copy()
    ys = gy[:, 0]
    for lid in lids:
        bottom, _low, _meet, _up, top = lid.lines(lid.xs)
        y_min, y_max = float(np.min(bottom)) - 0.25 * lid.height, float(np.max(top)) + 0.25 * lid.height
        rows = np.flatnonzero((ys > y_min) & (ys < y_max))
        spare = len(rows) - 4  # besides the four rows on the lines: below, inside, above the eye
        if spare < 5:
            continue
        counts = [max(1, int(spare * f)) for f in (0.1, 0.15, 0.45, 0.2, 0.1)]
        counts[2] += spare - sum(counts)
        if counts[2] < 1:
            continue
        for c in np.flatnonzero((gx[0] > lid.xs[0]) & (gx[0] < lid.xs[-1])):
            knots = [y_min, *(float(v) for i, v in enumerate(lid.lines(gx[0, c])) if i != 2), y_max]
            placed = []
            for i, n in enumerate(counts):
                piece = np.linspace(knots[i], knots[i + 1], n + 2)[1:]  # n rows inside the piece, then its end
                placed += list(piece if i < len(counts) - 1 else piece[:-1])
            gy[rows, c] = placed
    return gy
