"""How the portrait's face moves: lip shapes for each sound, and where the face's parts are on screen.

Pure arithmetic (numpy, no Kivy), so it can be checked without a window.

*Visemes.* The server marks each sentence with ``[start_ms, viseme]`` pairs on the 15 visemes of
the Oculus/Meta set. Each viseme has a lip shape: how far the jaw drops, how far the lips part, and
how wide the mouth is (below 1 the lips round and push forward, above 1 they spread). The loudness
track (``mouth``) says how much energy the voice has; the viseme says what shape it takes.

*Geometry.* From the persona's ``face`` (MediaPipe's 468-point mesh, or only the eyes and mouth a
caregiver placed) or, for older servers, from the mouth point alone: the eyes with their size,
the line where the lips meet, the jaw line. All in the portrait widget's pixels, y upwards.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")


@dataclass(frozen=True)
class LipShape:
    jaw: float  # how far the jaw drops, 0..1 of a fully open mouth
    part: float  # how far the lips part, 0..1 (0: pressed together)
    width: float  # mouth width, 1 at rest; < 1 rounded, > 1 spread


# one line per viseme: the shape a speaker's mouth makes for it, at full voice
SHAPES: dict[str, LipShape] = {
    "sil": LipShape(0.0, 0.0, 1.0),  # at rest
    "PP": LipShape(0.04, 0.0, 0.96),  # p, b, m: lips pressed shut
    "FF": LipShape(0.12, 0.18, 1.0),  # f, v: lower lip to the upper teeth
    "TH": LipShape(0.22, 0.32, 1.0),  # th: tongue between the teeth
    "DD": LipShape(0.3, 0.4, 1.03),  # t, d
    "kk": LipShape(0.36, 0.45, 1.0),  # k, g
    "CH": LipShape(0.28, 0.38, 0.84),  # ch, j, sh: lips pushed forward
    "SS": LipShape(0.12, 0.26, 1.1),  # s, z: teeth together, lips a little spread
    "nn": LipShape(0.24, 0.3, 1.0),  # n, l
    "RR": LipShape(0.28, 0.36, 0.84),  # r: lips rounded a little
    "aa": LipShape(1.0, 1.0, 1.05),  # "ah": wide open
    "E": LipShape(0.55, 0.62, 1.16),  # "eh": open, spread
    "I": LipShape(0.3, 0.42, 1.22),  # "ee": spread, nearly closed
    "O": LipShape(0.72, 0.78, 0.74),  # "oh": open and round
    "U": LipShape(0.32, 0.4, 0.64),  # "oo": small and round
}


def viseme_at(visemes: list, ms: float) -> str:
    """The viseme sounding ``ms`` into the sentence: the last one started; ``sil`` before the first.

    Read defensively: a malformed track (not pairs, unknown names) means silence, never an error."""
    if not visemes or ms < 0:
        return "sil"
    try:
        starts = [float(v[0]) for v in visemes]
        i = bisect.bisect_right(starts, ms) - 1
        name = str(visemes[i][1]) if i >= 0 else "sil"
    except (TypeError, ValueError, IndexError):
        return "sil"
    return name if name in SHAPES else "sil"


def lip_target(viseme: str | None, loudness: float) -> tuple[float, float, float]:
    """(jaw, part, width) for this instant: the viseme's shape, scaled by how loud the voice is.

    ``viseme`` None means the server sent no track (an older one): the loudness alone opens the mouth,
    as before. With a track, a quiet syllable still shows its shape a little, and a closed viseme (PP)
    stays closed however loud."""
    loud = max(0.0, min(1.0, float(loudness)))
    if viseme is None:
        return loud, loud, 1.0
    shape = SHAPES.get(viseme, SHAPES["sil"])
    energy = 0.35 + 0.65 * min(1.0, loud * 1.4) if viseme != "sil" else loud * 0.5
    return shape.jaw * energy, shape.part * energy, 1.0 + (shape.width - 1.0) * min(1.0, 0.5 + loud)


# ---------------------------------------------------------------------------------- geometry
# MediaPipe Face Mesh indices (the canonical topology)
UPPER_INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
JAW_LINE = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454)
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
class FaceGeometry:
    """The face's moving parts in widget pixels (x right, y up)."""

    mouth: tuple[float, float]
    mouth_width: float
    lip_xs: np.ndarray  # where the lips meet: x ...
    lip_ys: np.ndarray  # ... and y, left corner to right corner
    jaw_xs: np.ndarray  # the jaw line below the mouth, left to right
    jaw_ys: np.ndarray
    eyes: list[tuple[float, float, float, float]]  # centre x, y, half-width, half-height of the open eye
    lids: list[Lid] = field(default_factory=list)  # the open eyes' outlines, image-left eye first

    def lip_y(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.lip_xs, self.lip_ys)

    def jaw_y(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.jaw_xs, self.jaw_ys)

    @property
    def jaw_half_width(self) -> float:
        return max(self.mouth_width * 0.8, (self.jaw_xs[-1] - self.jaw_xs[0]) / 2)


def face_geometry(face: dict | None, mouth_point: list[float], to_screen, look=None) -> FaceGeometry:
    """Where the face's parts are, from the persona's ``face`` when there is one, else from the mouth point.

    ``to_screen(fx, fy)`` maps fractions of the image (from its top-left) to widget pixels; it works on
    arrays too. ``look(x, y)``, when given, is the picture's colour at widget pixels: the eyes' outlines
    are fitted to it (``Lid.fitted``)."""
    if face:
        mouth = face["mouth"]
        mx, my = to_screen(mouth["x"], mouth["y"])
        right_x, _ = to_screen(mouth["x"] + mouth["width"] / 2, mouth["y"])
        mw = max(4.0, 2 * (right_x - mx))
        points = np.asarray(face.get("points") or [], dtype=float)
        eye_pts = [face["left_eye"], face["right_eye"]]
        centres = [to_screen(e["x"], e["y"]) for e in eye_pts]
        eye_gap = abs(centres[1][0] - centres[0][0])
    else:
        mx_f, my_f, mw_f = mouth_point
        mx, my = to_screen(mx_f, my_f)
        right_x, _ = to_screen(mx_f + mw_f / 2, my_f)
        mw = max(4.0, 2 * (right_x - mx))
        points = np.zeros((0, 2))
        # the usual proportions: eyes as far apart as the mouth is wide, a little more, above it
        centres = [(mx - 0.64 * mw, my + 1.15 * mw), (mx + 0.64 * mw, my + 1.15 * mw)]
        eye_gap = 1.28 * mw

    if len(points) >= 468:
        sx, sy = to_screen(points[:, 0], points[:, 1])
        upper = np.array([(sx[i], sy[i]) for i in UPPER_INNER_LIP])
        lower = np.array([(sx[i], sy[i]) for i in LOWER_INNER_LIP])
        lip_xs = upper[:, 0]
        lip_ys = (upper[:, 1] + lower[:, 1]) / 2  # where the lips meet (they are apart a little on some photos)
        order = np.argsort(lip_xs)
        lip_xs, lip_ys = lip_xs[order], lip_ys[order]
        jaw = np.array([(sx[i], sy[i]) for i in JAW_LINE])
        jaw = jaw[jaw[:, 1] < my]  # the part of the face's outline below the mouth
        jaw = jaw[np.argsort(jaw[:, 0])]
        eyes, lids = [], []
        for (outer, inner), (top, bottom), (ex, ey), up, low in zip(EYE_CORNERS, EYE_LIDS, centres, UPPER_LID, LOWER_LID):
            rx = abs(sx[inner] - sx[outer]) / 2
            ry = max(abs(sy[top] - sy[bottom]) / 2 * 1.15, rx * 0.3)  # the lid points sit a little inside the eye
            eyes.append((ex, ey, rx, ry))
            lids.append(Lid.grown(ex, np.column_stack([sx[list(up)], sy[list(up)]]), np.column_stack([sx[list(low)], sy[list(low)]])))
    else:
        jaw = np.zeros((0, 2))
        lip_xs = np.array([mx - mw / 2, mx, mx + mw / 2])
        lip_ys = np.array([my, my, my])
        rx = eye_gap * 0.22
        eyes = [(ex, ey, rx, rx * 0.42) for ex, ey in centres]
        lids = [Lid.almond(ex, ey, rx * 1.1, ry * 1.1) for ex, ey, rx, ry in eyes]
    if len(jaw) < 3:  # no outline: a jaw shaped like a face's, through the chin when a caregiver placed one
        if face and face.get("chin"):
            chin_y = to_screen(face["chin"]["x"], face["chin"]["y"])[1]
        else:
            chin_y = my - 0.95 * mw
        half = max(eye_gap * 0.95, mw * 0.9)
        angle = np.linspace(-1, 1, 11)
        jaw = np.column_stack([mx + half * angle, chin_y + (my - chin_y) * 0.75 * angle**2])
    if look is not None:
        lids = [lid.fitted(look) for lid in lids]
    return FaceGeometry((float(mx), float(my)), float(mw), lip_xs, lip_ys, jaw[:, 0], jaw[:, 1], eyes, lids)


def smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


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


def lid_motion(geo: FaceGeometry, x: np.ndarray, y: np.ndarray) -> LidMotion:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    shift = np.zeros_like(x)
    inside = np.zeros(len(x), dtype=bool)
    lower, upper, shut = (np.zeros_like(x) for _ in range(3))
    for lid in geo.lids:
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


@dataclass
class Weights:
    """How much each mesh point follows each motion (one entry per point)."""

    jaw: np.ndarray  # drops with the jaw (the lower lip and chin, fading into the neck)
    upper_lip: np.ndarray  # rises a little as the lips part
    spread: np.ndarray  # moves sideways as the lips round or spread
    lids: LidMotion  # up and down with the eyelids


def motion_weights(geo: FaceGeometry, x: np.ndarray, y: np.ndarray) -> Weights:
    mx, my = geo.mouth
    mw = geo.mouth_width
    lip = geo.lip_y(x)
    jaw_line = geo.jaw_y(x)
    half = geo.jaw_half_width
    # the jaw hinges near the ears: full drop at the chin, less towards the jaw's corners
    side = 1 - smoothstep(0.45 * half, 1.05 * half, np.abs(x - mx))
    below_lips = smoothstep(0.0, 0.05 * mw, lip - y)  # the lips part where they meet
    into_neck = 1 - smoothstep(0.0, 0.45 * mw, jaw_line - y)  # under the jaw line the skin stretches
    # the lower lip stays with the upper one at the corners: the opening is an oval, not a slot;
    # further down (the chin) the jaw moves as one piece
    corner = np.sqrt(np.clip(1 - (np.abs(x - mx) / (0.52 * mw)) ** 2, 0.0, 1.0))
    rigid = smoothstep(0.12 * mw, 0.45 * mw, lip - y)
    jaw = side * below_lips * into_neck * (corner + (1 - corner) * rigid)
    near_mouth_x = 1 - smoothstep(0.42 * mw, 0.9 * mw, np.abs(x - mx))
    above = y - lip
    upper_lip = near_mouth_x * smoothstep(-0.02 * mw, 0.02 * mw, above) * (1 - smoothstep(0.12 * mw, 0.5 * mw, above))
    spread = (1 - smoothstep(0.45 * mw, 1.0 * mw, np.abs(x - mx))) * (1 - smoothstep(0.15 * mw, 0.55 * mw, np.abs(y - lip)))
    return Weights(jaw, upper_lip, spread, lid_motion(geo, x, y))


def dense_lines(geo: FaceGeometry) -> tuple[list[float], list[float]]:
    """Where the mesh needs fine rows and columns: around the lips, down the jaw, over the eyes."""
    mx, my = geo.mouth
    mw = geo.mouth_width
    xs = [mx + k * mw * 0.07 for k in range(-16, 17)]
    lip_top, lip_bottom = float(np.max(geo.lip_ys)), float(np.min(geo.lip_ys))
    ys = [lip_top + k * mw * 0.035 for k in range(-4, 14)] + [lip_bottom - k * mw * 0.035 for k in range(0, 6)]
    chin = float(np.min(geo.jaw_ys))
    ys += list(np.linspace(chin - 0.5 * mw, lip_bottom, 18))
    half = geo.jaw_half_width
    xs += list(np.linspace(mx - 1.1 * half, mx + 1.1 * half, 16))
    for lid in geo.lids:
        # columns from corner to corner (the corners' own stay still) and one more each side; 20 rows over
        # the eye and the skin that stretches (follow_lids bends them along the lids), and one row past
        # it each way that stays still, so no coarse triangle beyond is pulled
        left, right, h = float(lid.xs[0]), float(lid.xs[-1]), lid.height
        step = (right - left) / 12
        xs += [left + k * step for k in range(-1, 14)]
        low, up = float(np.min(lid.lower)), float(np.max(lid.upper))
        ys += list(np.linspace(low - (SKIN_BELOW + 0.2) * h, up + (SKIN_ABOVE + 0.2) * h, 20))
        ys += [low - (SKIN_BELOW + 0.3) * h, up + (SKIN_ABOVE + 0.3) * h]
    return xs, ys


def grid_lines(length: float, uniform: int, dense: list[float]) -> np.ndarray:
    """Evenly spaced lines over ``length`` and the dense ones within it, none closer than a pixel."""
    lines = np.concatenate([np.linspace(0, length, uniform + 1), [d for d in dense if 0 < d < length]])
    lines = np.unique(np.round(lines, 1))
    keep = [lines[0]]
    for value in lines[1:]:
        if value - keep[-1] >= 1.0:  # points closer than a pixel only cost time
            keep.append(value)
    keep[-1] = length
    return np.array(keep)


def follow_lids(geo: FaceGeometry, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The grid's rows (``gy``, rows x columns) bent, in each column over an eye, to follow the lids: one
    row on the lower lid's edge, one on the upper's, one on each line where the stretching skin stops,
    the others spread between. The picture is the same (the texture follows the points), but the closing
    lid's edge is then a smooth line, the same row from column to column, and it folds the eye away
    exactly at its edge: no white or iris is smeared into the lid, none is left under it. Rows stay in
    order, so no triangle turns over."""
    gy = gy.copy()
    ys = gy[:, 0]
    for lid in geo.lids:
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


def face_mesh(geo: FaceGeometry, width: float, height: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The portrait's mesh: its points' x and y (widget pixels, y up) and its triangles (three indices each,
    all turning the same way), fine where the face moves, coarse elsewhere."""
    dense_x, dense_y = dense_lines(geo)
    xs = grid_lines(width, 12, dense_x)
    ys = grid_lines(height, 12, dense_y)
    gx, gy = np.meshgrid(xs, ys)
    gy = follow_lids(geo, gx, gy)
    cols = len(xs)
    rows = np.arange(len(ys) - 1)[:, None] * cols + np.arange(cols - 1)[None, :]
    q = rows.ravel()
    indices = np.column_stack([q, q + 1, q + cols + 1, q, q + cols + 1, q + cols]).ravel()
    return gx.ravel(), gy.ravel(), indices
