"""The face on the real tablet, under X: talking-head video played in the portrait's place and the
portrait taking over when a clip does not decode; the studio's portrait step with the face found,
an eye dragged into place by the caregiver. Screenshots in test-output/screenshots/face-*.png."""

from __future__ import annotations

import io
import threading
import time
import wave

import numpy as np
import pytest
from PIL import Image

from tests.client.harness import has_xdotool, new_pairing_code, paired_app, serve_on_loopback
from tests.client.videos import COLOURS, make_mp4

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]


class FakeTalkingHead:
    """Shaped like the service server/services/face_http.py calls: portrait and audio (multipart) in,
    an MP4 as long as the audio out. ``broken``: an answer that looks like an MP4 and does not decode."""

    def __init__(self) -> None:
        from fastapi import FastAPI, File, UploadFile
        from fastapi.responses import Response

        self.broken = False
        self.calls = 0
        self.lock = threading.Lock()
        app = FastAPI()

        @app.post("/animate")
        async def animate(portrait: UploadFile = File(...), audio: UploadFile = File(...)) -> Response:
            picture = Image.open(io.BytesIO(await portrait.read())).convert("RGB")
            with wave.open(io.BytesIO(await audio.read())) as w:
                seconds = w.getnframes() / w.getframerate()
            with self.lock:
                self.calls += 1
            if self.broken:
                return Response(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, media_type="video/mp4")
            width = 256
            height = round(picture.height * width / picture.width) // 2 * 2
            face = np.asarray(picture.resize((width, height)))
            # the clip is the portrait with a coloured band over the bottom third: what is on screen says
            # whether the video is shown, and which moment of it
            return Response(make_mp4(seconds, 25, (width, height), face=face, band=0.33), media_type="video/mp4")

        self.app = app


@pytest.fixture(scope="module")
def talking_head():
    fake = FakeTalkingHead()
    url, server, thread = serve_on_loopback(fake.app, "fake-talking-head")
    fake.url = url
    yield fake
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def video_server(tmp_path_factory, talking_head):
    from tests.live_server import start_server

    server = start_server(tmp_path_factory.mktemp("server-data"),
                          env={"KEEPSAKE_FACE__PROVIDER": "http", "KEEPSAKE_FACE__BASE_URL": f"{talking_head.url}/animate"})
    yield server
    server.stop()


def _near_a_colour(pixel) -> bool:
    return min(sum(abs(int(a) - b) for a, b in zip(pixel[:3], c)) for c in COLOURS) < 60


@pytest.mark.parametrize("language, window", [("en", "1280x800"), ("zh", "1920x1200")])
def test_the_talking_head_video_is_played_in_the_portrait_s_place(start_app, video_server, talking_head, language, window):
    talking_head.broken = False
    app = start_app(video_server.url, new_pairing_code(video_server.url, video_server.data_dir), language=language, window=window)
    shown = app.wait_for("face_video", lambda e: e["shown"], timeout=120)  # the greeting, with its clip
    assert shown["clip"].startswith("sentence")
    time.sleep(0.4)  # mid-word
    shot = app.screenshot(f"face-video-{language}-{window}.png")
    with Image.open(shot) as image:
        w, h = image.size
        band = image.convert("RGB").getpixel((int(w * 0.28), int(h * 0.93)))
    assert _near_a_colour(band), band  # the clip's band, not the portrait's own picture
    app.wait_for("played", timeout=90, since_start=True)
    assert app.wait_for("face_video", lambda e: not e["shown"], timeout=10, since_start=True)


def test_a_clip_that_does_not_decode_leaves_the_animated_portrait_and_a_line_in_the_log(start_app, video_server, talking_head):
    talking_head.broken = True
    calls = talking_head.calls
    app = paired_app(start_app, video_server)
    if talking_head.calls == calls:
        pytest.skip("the greeting's video came from the server's store: nothing new was rendered")
    played = app.wait_for("played", timeout=90, since_start=True)
    assert played["frames"]  # the greeting was heard all the same
    assert not [e for e in app.events() if e["kind"] == "face_video" and e["shown"]]
    assert [e for e in app.events() if e["kind"] == "mouth" and e["value"] > 0.1]  # the portrait's lips moved instead
    log = app.log_path.read_text(errors="replace")
    assert "video of sentence" in log and "showing the portrait" in log
    talking_head.broken = False
