"""Find the face on a portrait and estimate where the mouth is, with OpenCV's bundled Haar cascades.

The cascade gives a box from the brows to the chin; on a frontal face the
mouth sits about three quarters of the way down, and is a little under half
the box wide. That estimate is good enough to start the tablet's mouth
animation; the caregiver corrects it on the tablet when it is off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

MOUTH_DOWN = 0.77  # of the face box's height, from its top
MOUTH_WIDTH = 0.45  # of the face box's width
# Where the mouth probably is when no face is found: the middle of a head-and-shoulders picture.
GUESS = {"x": 0.5, "y": 0.6, "width": 0.15}

_cascades: dict[str, object] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Face:
    """The face box, as fractions of the picture's width and height."""

    x: float
    y: float
    w: float
    h: float

    def mouth(self) -> dict[str, Any]:
        return {
            "x": round(self.x + self.w / 2, 4),
            "y": round(min(1.0, self.y + self.h * MOUTH_DOWN), 4),
            "width": round(min(1.0, max(0.01, self.w * MOUTH_WIDTH)), 4),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"x": round(self.x, 4), "y": round(self.y, 4), "w": round(self.w, 4), "h": round(self.h, 4)}


def _cascade(name: str) -> Any:  # a cv2.CascadeClassifier
    import cv2
    import cv2.data  # the haar cascades' folder (imported by cv2 itself too)

    with _lock:
        if name not in _cascades:
            classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)
            if classifier.empty():
                raise RuntimeError(f"OpenCV's {name} is missing (opencv-python-headless 4.x ships it)")
            _cascades[name] = classifier
        return _cascades[name]


def find_faces(gray: np.ndarray) -> list[Face]:
    """Faces on an 8-bit grayscale picture, biggest first. Tries a strict then a looser detector."""
    import cv2

    height, width = gray.shape[:2]
    equalized = cv2.equalizeHist(gray)
    smallest = max(24, int(min(width, height) * 0.08))
    for name, neighbours in (("haarcascade_frontalface_default.xml", 5), ("haarcascade_frontalface_alt2.xml", 3)):
        boxes = _cascade(name).detectMultiScale(equalized, scaleFactor=1.1, minNeighbors=neighbours, minSize=(smallest, smallest))
        if len(boxes):
            faces = [Face(x / width, y / height, w / width, h / height) for x, y, w, h in boxes]
            return sorted(faces, key=lambda f: -(f.w * f.h))
    return []
