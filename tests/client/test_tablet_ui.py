"""The real tablet app under X, against the real server on loopback with the embedded engines.

Each test starts ``python -m client`` in its own process (Kivy allows one App
per process), touches it through the X server with xdotool, and reads what it
did from its test-hook event log. Screenshots land in test-output/screenshots/.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from tests.client.harness import ROOT, SHOTS, has_xdotool, new_pairing_code, paired_app, region_is_not_flat, wait_scrolled, xdotool
from tests.live_server import free_port, start_server

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

QUESTION = "Tell me about the bakery."
# regions of a 1280x800 screenshot, as fractions (x0, y0, x1, y1)
CAPTION_REGION = (0.56, 0.22, 0.98, 0.56)  # below the name and "you said"
TALK_REGION = (0.56, 0.70, 0.98, 0.97)
WHOLE = (0.0, 0.0, 1.0, 1.0)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_a_whole_turn_with_the_file_microphone(start_app, live_server, speak):
    app = paired_app(start_app, live_server, mic_file=speak(QUESTION))
    app.tap("talk")
    app.wait_state("listening", timeout=10)
    app.wait_for("speech_start", timeout=10)
    recorded = app.wait_for("recorded", timeout=20)  # voice activity detection ended the utterance by itself
    assert recorded["seconds"] > 1.0

    transcript = app.wait_for("transcript", timeout=90)
    assert difflib.SequenceMatcher(None, words(QUESTION), words(transcript["text"])).ratio() >= 0.6, transcript
    first = app.wait_for("sentence", timeout=60)
    caption = app.wait_for("caption", timeout=30)
    assert caption["text"].startswith(first["text"])
    played = app.wait_for("played", timeout=120)
    assert played["frames"] > 0 and played["peak"] > 0.01, played  # real audio went through the (null) output
    # the UI thread never waits on the network; software GL on a busy CI box is slow, but never seconds slow
    assert played["max_frame_gap_ms"] < 1500, played

    events = app.events()
    t_caption, t_played = caption["t"], played["t"]
    mouth = [e["value"] for e in events if e["kind"] == "mouth" and t_caption <= e["t"] <= t_played]
    assert len(mouth) > 20, "the mouth should move many times while the answer plays"
    # Opens and closes: a wide range of values (how closed it is seen depends on how often a slow CI box draws).
    assert max(mouth) - min(mouth) > 0.3 and len({round(v, 2) for v in mouth}) > 10
    states = [e["state"] for e in events if e["kind"] == "state"]
    for expected in ("listening", "thinking", "speaking", "idle"):
        assert expected in states
    done = next(e for e in events if e["kind"] == "done")
    assert done["timings"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_screenshots_of_every_screen(start_app, live_server, speak, language):
    app = paired_app(start_app, live_server, mic_file=speak(QUESTION), language=language)
    app.wait_shown("caption")
    shot = app.screenshot(f"{language}-idle.png")
    assert region_is_not_flat(shot, CAPTION_REGION)  # the greeting (or the hint) is on screen

    app.tap("talk")
    app.wait_state("listening", timeout=10)
    app.wait_for("speech_start", timeout=10)  # she is speaking: the microphone's ring moves
    shot = app.screenshot(f"{language}-listening.png")
    assert region_is_not_flat(shot, TALK_REGION)

    app.wait_for("caption", timeout=120)
    app.wait_shown("caption")
    app.wait_for("mouth", lambda e: e["value"] > 0.4, timeout=30)
    shot = app.screenshot(f"{language}-answering.png")
    assert region_is_not_flat(shot, CAPTION_REGION)
    app.wait_for("played", timeout=120)

    app.long_press("corner")
    app.wait_screen("pin")
    assert region_is_not_flat(app.screenshot(f"{language}-pin.png"), WHOLE)
    for key in ("key_1", "key_2", "key_3", "key_4", "key_ok"):
        app.tap(key)
    app.wait_screen("caregiver")
    shot = app.screenshot(f"{language}-caregiver.png")
    assert region_is_not_flat(shot, (0.0, 0.1, 0.5, 0.9)) and region_is_not_flat(shot, (0.5, 0.1, 1.0, 0.9))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_screenshot_when_the_server_cannot_be_reached(start_app, tmp_path, language):
    # a tablet paired earlier (it remembers the face), whose server is not there: nothing listens on this port
    tablet = tmp_path / "tablet"
    tablet.mkdir()
    portrait = tablet / "portrait.png"
    portrait.write_bytes((ROOT / "server" / "demo" / "portrait.png").read_bytes())
    settings = {
        "server_url": f"http://127.0.0.1:{free_port()}",
        "persona_id": "x",
        "persona_name": "Grandma Rose",
        "portrait_path": str(portrait),
        "mouth_point": [0.5, 0.5977, 0.109],
    }
    (tablet / "settings.json").write_text(json.dumps(settings))
    (tablet / "device_token").write_text("a-token-from-before")
    app = start_app(language=language, tablet_dir=tablet)
    app.wait_state("resting", timeout=30)
    app.wait_shown("caption")
    shot = app.screenshot(f"{language}-server-unreachable.png")
    assert region_is_not_flat(shot, CAPTION_REGION)
    assert app.wait_for("health", timeout=30)["ok"] is False  # it keeps trying by itself


@pytest.mark.parametrize("language", ["en", "zh"])
def test_large_tablet_screenshot_from_the_command_line(display, live_server, tmp_path, shots_dir, language):
    """``--screenshot PATH --screenshot-after S`` saves a picture and exits (here at 1920x1200)."""
    import subprocess
    import sys

    path = SHOTS / f"{language}-idle-1920x1200.png"
    path.unlink(missing_ok=True)
    code = new_pairing_code(live_server.url, live_server.data_dir)
    env = {
        **__import__("os").environ,
        "KEEPSAKE_TABLET_DIR": str(tmp_path / "tablet"),
        "KEEPSAKE_AUDIO": "null",
        "KEEPSAKE_WINDOW": "1920x1200",
        "KIVY_HOME": str(tmp_path / "kivy"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "client",
            "--server",
            live_server.url,
            "--pairing-code",
            code,
            "--language",
            language,
            "--screenshot",
            str(path),
            "--screenshot-after",
            "9",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    from PIL import Image

    with Image.open(path) as image:
        assert image.size == (1920, 1200)
    assert region_is_not_flat(path, CAPTION_REGION) and region_is_not_flat(path, (0.0, 0.0, 0.5, 1.0))


def test_touch_the_talk_control_and_the_pin(start_app, live_server, speak):
    app = paired_app(start_app, live_server, mic_file=speak("Hello Nana."))
    app.tap("talk")
    app.wait_state("listening", timeout=10)
    app.tap("talk")  # a second tap ends the utterance at once
    app.wait_for("state", lambda e: e["state"] in ("thinking", "idle"), timeout=10)
    app.settle(timeout=120)

    app.tap("corner")  # a short tap in the corner does nothing
    app.wait_for("touch", lambda e: e["phase"] == "up")  # the finger is off the glass: a long press is no longer possible
    assert not [e for e in app.events() if e["kind"] == "screen" and e["name"] == "pin"]

    app.long_press("corner")
    app.wait_screen("pin")
    for key in ("key_9", "key_9", "key_9", "key_9", "key_ok"):
        app.tap(key)
    assert app.wait_for("pin", timeout=10)["ok"] is False  # the screen would have changed at once, with this event
    assert not [e for e in app.events() if e["kind"] == "screen" and e["name"] == "caregiver"]
    app.tap("cancel")
    app.wait_screen("talk")

    app.long_press("corner")
    app.wait_screen("pin")
    for key in ("key_1", "key_2", "key_3", "key_4", "key_ok"):
        app.tap(key)
    assert app.wait_for("pin", timeout=10)["ok"] is True
    app.wait_screen("caregiver")


def test_offline_recording_is_kept_and_sent_when_the_server_returns(start_app, tmp_path, speak, display):
    data_dir, port = tmp_path / "server-data", free_port()
    server = start_server(data_dir, port)
    try:
        app = start_app(server.url, server.pairing_code, mic_file=speak(QUESTION))
        app.wait_for("connected", timeout=60)
        app.settle(timeout=60)

        server.stop()  # the server goes away in the middle of the session
        app.tap("talk")
        app.wait_state("listening", timeout=10)
        recorded = app.wait_for("recorded", timeout=20)
        app.wait_state("resting", timeout=30)
        app.wait_shown("caption")
        shot = app.screenshot("en-offline-resting.png")
        assert region_is_not_flat(shot, CAPTION_REGION)
        kept = list((app.tablet_dir / "outbox").glob("*.wav"))
        assert [p.name for p in kept] == [Path(recorded["path"]).name]  # the words wait on disk

        server = start_server(data_dir, port)  # the server is back, same address, same data
        transcript = app.wait_for("transcript", timeout=120)  # retried automatically, no touch needed
        assert difflib.SequenceMatcher(None, words(QUESTION), words(transcript["text"])).ratio() >= 0.6
        app.wait_for("played", timeout=120)
        assert not list((app.tablet_dir / "outbox").glob("*.wav"))
    finally:
        server.stop()


def test_the_caregiver_pairs_a_new_tablet_by_typing_and_can_unpair_it(start_app, live_server):
    app = start_app()  # a tablet fresh out of the box: no server, no token
    app.wait_state("setup", timeout=30)
    app.wait_screen("caregiver")  # nothing to protect yet, so no PIN before the first pairing
    code = new_pairing_code(live_server.url, live_server.data_dir)
    for field, text in (("server_field", live_server.url), ("code_field", code.lower())):  # the code's case does not matter
        app.tap(field)
        app.wait_focused(field)  # the field takes focus (and on a tablet, the keyboard comes up)
        xdotool("type", "--delay", "40", "--", text)
        app.wait_typed(field, text)
    typed = app.layout()["typed"]
    assert {k: typed.get(k) for k in ("server_field", "code_field")} == {"server_field": live_server.url, "code_field": code.lower()}
    app.tap("pair_button")
    assert app.wait_for("paired", timeout=30)["server"] == live_server.url
    app.wait_for("connected", timeout=60)
    app.wait_screen("talk", since_start=True)  # paired: the face appears and says hello
    token = (app.tablet_dir / "device_token").read_text()
    assert token and token not in (app.tablet_dir / "settings.json").read_text()

    app.long_press("corner")
    app.wait_screen("pin")
    for key in ("key_1", "key_2", "key_3", "key_4", "key_ok"):
        app.tap(key)
    app.wait_screen("caregiver")
    for _ in range(10):  # scroll down to the last card with the mouse wheel
        layout = app.layout()
        x, y, w, h = layout["widgets"]["unpair"]
        if y + h < layout["size"][1]:
            break
        sx, sy = app._center("scroll")
        xdotool("mousemove", str(sx), str(sy), "click", "--repeat", "4", "5")
        wait_scrolled(app, "unpair", [x, y, w, h])
    app.tap("unpair")
    app.wait_for("unpaired", timeout=10)
    assert not (app.tablet_dir / "device_token").exists()
