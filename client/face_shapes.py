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

from client.eyelids import EYE_CORNERS, EYE_LIDS, LOWER_LID, SKIN_ABOVE, SKIN_BELOW, UPPER_LID, Lid, LidMotion, follow_lids, lid_motion

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
    return Weights(jaw, upper_lip, spread, lid_motion(geo.lids, x, y))


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


def face_mesh(geo: FaceGeometry, width: float, height: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The portrait's mesh: its points' x and y (widget pixels, y up) and its triangles (three indices each,
    all turning the same way), fine where the face moves, coarse elsewhere."""
    dense_x, dense_y = dense_lines(geo)
    xs = grid_lines(width, 12, dense_x)
    ys = grid_lines(height, 12, dense_y)
    gx, gy = np.meshgrid(xs, ys)
    gy = follow_lids(geo.lids, gx, gy)
    cols = len(xs)
    rows = np.arange(len(ys) - 1)[:, None] * cols + np.arange(cols - 1)[None, :]
    q = rows.ravel()
    indices = np.column_stack([q, q + 1, q + cols + 1, q, q + cols + 1, q + cols]).ravel()
    return gx.ravel(), gy.ravel(), indices
