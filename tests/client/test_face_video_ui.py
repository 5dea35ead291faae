"""A sentence's talking-head clip on the tablet's face (under X): fetched over HTTP from a service on
loopback, its frames shown in step with the sentence's audio, and the animated portrait when the clip
does not decode. Each run is its own process (tests/client/face_video_run.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.client.harness import ROOT, SHOTS, serve_on_loopback
from tests.client.videos import COLOURS, make_mp4

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def clips():
    """Serves MP4s made with PyAV, as the server serves a sentence's media: the demo portrait with a band
    whose colour changes every 0.2 s; and one that starts like an MP4 and does not decode."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    from server.demo import portrait as demo_portrait

    with Image.open(ROOT / "server" / "demo" / "portrait.png") as picture:
        face = np.asarray(picture.convert("RGB").resize((320, 320)))
    assert demo_portrait  # the picture is the demo's own
    made = {
        "good.mp4": make_mp4(4.0, 25, (320, 320), face=face, band=0.25),
        "broken.mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40,
    }
    app = FastAPI()

    @app.get("/media/{name}")
    def media(name: str) -> Response:
        if name not in made:
            return Response(status_code=404)
        return Response(made[name], media_type="video/mp4")

    url, server, thread = serve_on_loopback(app, "clips")
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def run_face(display, url: str, shot: str, size: str) -> list[dict]:
    for old in SHOTS.glob(shot.replace(".png", "*.png")):
        old.unlink()  # Kivy numbers screenshots rather than overwrite them
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(SHOTS.parent / "kivy-home-face")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.client.face_video_run", url, str(SHOTS / shot), size],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return lines


def _colour(band) -> int:
    return int(np.argmin([np.abs(np.array(band) - np.array(c)).sum() for c in COLOURS]))


@pytest.mark.parametrize("size", ["1280x800", "1920x1200"])
def test_the_clip_is_shown_in_the_portrait_s_place_in_step_with_the_audio(display, clips, size):
    lines = run_face(display, f"{clips}/media/good.mp4", f"face-video-{size}-.png", size)
    assert lines[0] == {"kind": "fetched", "ok": True}
    frames = [line for line in lines if line["kind"] == "frame"]
    assert frames and all(f["video"] for f in frames)
    # the band shown is the one the clip has at that moment of the audio (a frame's slack at each change);
    # how many frames the face gets depends on how busy the machine is, so only that they are in step
    for f in frames:
        expected = int(f["seconds"] / 0.2) % len(COLOURS)
        at_a_change = min(f["seconds"] % 0.2, 0.2 - f["seconds"] % 0.2) < 0.045
        assert _colour(f["band"]) == expected or at_a_change, f
    assert len({_colour(f["band"]) for f in frames}) >= 2  # it moved on as the sentence went on
    assert lines[-1] == {"kind": "done", "video_shown": False}  # the portrait again once the sentence is over


def test_a_clip_that_does_not_decode_leaves_the_animated_portrait(display, clips):
    lines = run_face(display, f"{clips}/media/broken.mp4", "face-video-broken-.png", "1280x800")
    assert lines[0] == {"kind": "fetched", "ok": False}
    frames = [line for line in lines if line["kind"] == "frame"]
    assert frames and not any(f["video"] for f in frames)  # never a frozen or blank face: the portrait talks


def test_a_clip_that_cannot_be_fetched_leaves_the_animated_portrait(display, clips):
    lines = run_face(display, f"{clips}/media/missing.mp4", "face-video-missing-.png", "1280x800")
    assert lines[0] == {"kind": "fetched", "ok": False}
    assert not any(line.get("video") for line in lines)
