"""Photographs of the talk screen mid-word on three portraits, in English and Chinese, to look at:
``python -m tests.client.face_talk_shots`` (under X). A demo server in a temporary folder; its persona's
portrait is set to each picture in turn (the server finds the face), a tablet pairs and is greeted,
and the screen is photographed while the greeting is being spoken.
Pictures: test-output/screenshots/talk-{portrait}-{language}-{size}.png, and ...-blink.png with the lids held shut."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.client.face_shots import drawn_face
from tests.client.harness import SHOTS, AppProcess, caregiver_client, new_pairing_code
from tests.live_server import start_server


def main() -> None:
    import skimage

    from server.demo import portrait as demo_portrait

    work = Path(tempfile.mkdtemp(prefix="keepsake-talk-shots-"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    pictures = [
        ("demo", Path(demo_portrait.__file__).with_name("portrait.png")),
        ("astronaut", Path(skimage.__file__).parent / "data" / "astronaut.png"),
        ("drawn", drawn_face(work / "drawn-face.png")),
    ]
    runs = [("en", "1280x800"), ("zh", "1920x1200")]
    server = start_server(work / "server")
    try:
        with caregiver_client(server.url, server.data_dir) as http:
            persona_id = http.get("/v1/personas").json()[0]["id"]
        for name, picture in pictures:
            with caregiver_client(server.url, server.data_dir) as http:
                put = http.put(f"/v1/personas/{persona_id}/portrait", content=picture.read_bytes(), headers={"Content-Type": "image/png"})
                face = put.json().get("face")
                print(name, put.status_code, "face:", bool(face), flush=True)
            for language, size in runs:
                app = AppProcess(
                    work / f"app-{name}-{language}",
                    server.url,
                    new_pairing_code(server.url, server.data_dir),
                    language=language,
                    window=size,
                )
                try:
                    app.wait_for("caption", timeout=120)
                    app.wait_for("mouth", lambda e: e["value"] > 0.45, timeout=30)
                    path = app.screenshot(f"talk-{name}-{language}-{size}.png")
                    print("  ", path, flush=True)
                    app.command(cmd="hold_blink", shut=1.0)  # and with the eyelids shut
                    app.wait_for("blink_held", timeout=15)
                    print("  ", app.screenshot(f"talk-{name}-{language}-{size}-blink.png"), flush=True)
                finally:
                    app.quit()
                time.sleep(0.5)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
