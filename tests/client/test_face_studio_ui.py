"""The studio's portrait step with the face the server found (real app, real server, under X): the
points drawn over the photo, a ring on each eye, and an eye dragged into place by the caregiver, saved
as theirs. Screenshots: test-output/screenshots/{en,zh}-studio-face*.png."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from tests.client.harness import (
    caregiver_client,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    scroll_into_view,
    sign_in_on_tablet,
    xdotool,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]


def _astronaut() -> Path:
    skimage = pytest.importorskip("skimage")
    return Path(skimage.__file__).parent / "data" / "astronaut.png"


def on_screen(app, fx: float, fy: float, image_size: tuple[int, int]) -> tuple[float, float]:
    """Where on the window the point (fractions of the photo from its top-left) is, the photo shown whole."""
    x, y, w, h = app.layout()["widgets"]["mouth_picker"]
    scale = min(w / image_size[0], h / image_size[1])
    dw, dh = image_size[0] * scale, image_size[1] * scale
    return x + (w - dw) / 2 + fx * dw, y + (h - dh) / 2 + fy * dh


def answers(app, tries: int = 6) -> None:
    """Wait until the app answers a layout request: on a busy machine its first frames after the greeting
    can be slow, and the harness gives each request ten seconds."""
    for attempt in range(tries):
        try:
            app.layout()
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


def drag(start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    """A finger put down, slid and lifted (through X, like a real one)."""
    xdotool("mousemove", str(round(start[0])), str(round(start[1])), "mousedown", "1")
    for i in range(1, steps + 1):
        time.sleep(0.05)
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        xdotool("mousemove", str(round(x)), str(round(y)))
    time.sleep(0.1)
    xdotool("mouseup", "1")


@pytest.mark.parametrize("language, window", [("en", "1280x800"), ("zh", "1920x1200")])
def test_the_face_found_is_shown_and_an_eye_is_dragged_into_place(start_app, live_server, language, window):
    photo = _astronaut()
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        created = http.post("/v1/personas", json={"display_name": f"Eileen {language}", "language": language})
        assert created.status_code == 201, created.text
        persona_id = created.json()["id"]
        put = http.put(f"/v1/personas/{persona_id}/portrait", content=photo.read_bytes(), headers={"Content-Type": "image/png"})
        assert put.status_code == 200, put.text
        face = put.json()["face"]
    assert face and face["source"] != "caregiver" and len(face["points"]) == 468

    app = paired_app(start_app, live_server, language=language, window=window)
    answers(app)
    open_caregiver_area(app)
    sign_in_on_tablet(app, live_server.data_dir)
    scroll_into_view(app, f"studio_edit_persona_{persona_id}")
    app.tap(f"studio_edit_persona_{persona_id}")
    app.wait_screen("studio")
    app.wait_for("studio_loaded", lambda e: e["persona_id"] == persona_id, timeout=30, since_start=True)
    app.tap("step_portrait")
    app.wait_for("studio_step", lambda e: e["step"] == "portrait", timeout=10)
    note = app.wait_shown("portrait_note")
    app.wait_still()
    assert ("blue rings" in note) if language == "en" else ("蓝色圆圈" in note), note
    shot = app.screenshot(f"{language}-studio-face-{window}.png")

    # the ring on the image's left eye is drawn where the server found that eye
    with Image.open(photo) as picture:
        size = picture.size
    eye = on_screen(app, face["left_eye"]["x"], face["left_eye"]["y"], size)
    with Image.open(shot) as image:
        r, g, b = image.convert("RGB").getpixel((round(eye[0]), round(eye[1])))[:3]
    assert (r, g, b) != (0, 0, 0)  # the photo is there (the ring is around the eye, not on it)

    # the caregiver drags it a little to the left and down: saved as theirs, the mouth kept
    target = (face["left_eye"]["x"] - 0.02, face["left_eye"]["y"] + 0.015)
    drag(eye, on_screen(app, *target, size))
    moved = app.wait_for("studio_face", timeout=30)
    assert moved["source"] == "caregiver"
    assert moved["left_eye"] == pytest.approx(list(target), abs=0.006)
    assert moved["right_eye"] == pytest.approx([face["right_eye"]["x"], face["right_eye"]["y"]], abs=0.001)
    app.wait_still()
    app.screenshot(f"{language}-studio-face-moved-{window}.png")
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        kept = http.get(f"/v1/personas/{persona_id}").json()
    assert kept["face"]["source"] == "caregiver" and kept["face"]["left_eye"]["x"] == pytest.approx(target[0], abs=0.006)
    assert kept["mouth"]["x"] == pytest.approx(face["mouth"]["x"], abs=0.001)  # the mouth stayed where it was found
