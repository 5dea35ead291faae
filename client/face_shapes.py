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
from dataclasses import dataclass

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

    def lip_y(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.lip_xs, self.lip_ys)

    def jaw_y(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.jaw_xs, self.jaw_ys)

    @property
    def jaw_half_width(self) -> float:
        return max(self.mouth_width * 0.8, (self.jaw_xs[-1] - self.jaw_xs[0]) / 2)


def face_geometry(face: dict | None, mouth_point: list[float], to_screen) -> FaceGeometry:
    """Where the face's parts are, from the persona's ``face`` when there is one, else from the mouth point.

    ``to_screen(fx, fy)`` maps fractions of the image (from its top-left) to widget pixels; it works on
    arrays too."""
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
        eyes = []
        for (outer, inner), (top, bottom), (ex, ey) in zip(EYE_CORNERS, EYE_LIDS, centres):
            rx = abs(sx[inner] - sx[outer]) / 2
            ry = max(abs(sy[top] - sy[bottom]) / 2 * 1.15, rx * 0.3)  # the lid points sit a little inside the eye
            eyes.append((ex, ey, rx, ry))
    else:
        jaw = np.zeros((0, 2))
        lip_xs = np.array([mx - mw / 2, mx, mx + mw / 2])
        lip_ys = np.array([my, my, my])
        rx = eye_gap * 0.22
        eyes = [(ex, ey, rx, rx * 0.42) for ex, ey in centres]
    if len(jaw) < 3:  # no outline: a jaw shaped like a face's, through the chin when a caregiver placed one
        if face and face.get("chin"):
            chin_y = to_screen(face["chin"]["x"], face["chin"]["y"])[1]
        else:
            chin_y = my - 0.95 * mw
        half = max(eye_gap * 0.95, mw * 0.9)
        angle = np.linspace(-1, 1, 11)
        jaw = np.column_stack([mx + half * angle, chin_y + (my - chin_y) * 0.75 * angle**2])
    return FaceGeometry((float(mx), float(my)), float(mw), lip_xs, lip_ys, jaw[:, 0], jaw[:, 1], eyes)


def smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


@dataclass
class Weights:
    """How much each mesh point follows each motion (one entry per point)."""

    jaw: np.ndarray  # drops with the jaw (the lower lip and chin, fading into the neck)
    upper_lip: np.ndarray  # rises a little as the lips part
    spread: np.ndarray  # moves sideways as the lips round or spread
    lid: np.ndarray  # follows the upper eyelid down
    lid_to: np.ndarray  # the y the lid closes to


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
    lid = np.zeros_like(x)
    lid_to = np.zeros_like(x)
    for ex, ey, rx, ry in geo.eyes:
        across = 1 - smoothstep(0.85, 1.5, np.abs(x - ex) / rx)
        # the whole open eye closes onto a line near the lower lid; the skin above it (the upper lid)
        # stretches down over it, the skin below hardly moves
        above = 1 - smoothstep(1.2, 2.6, (y - ey) / ry)
        below = 1 - smoothstep(1.0, 1.8, (ey - y) / ry)
        w = across * np.where(y >= ey, above, below)
        stronger = w > lid
        lid = np.where(stronger, w, lid)
        lid_to = np.where(stronger, ey - 0.9 * ry, lid_to)
    return Weights(jaw, upper_lip, spread, lid, lid_to)


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
    for ex, ey, rx, ry in geo.eyes:
        xs += [ex + k * rx / 3 for k in range(-5, 6)]
        ys += [ey + k * ry / 2.5 for k in range(-6, 7)]
    return xs, ys
