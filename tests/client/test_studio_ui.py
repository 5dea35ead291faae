"""The persona studio on the tablet: a caregiver builds a persona by touch (real app, real server, under X).

Who they were, consent, a portrait from a photo with the mouth moved by a tap,
voice samples recorded on the tablet (the file microphone speaks a Piper WAV)
and picked from its files; then the server is asked whether all of it is there.
"""

from __future__ import annotations

import shutil
import time
import wave
from pathlib import Path

import pytest
from PIL import Image

from tests.client.harness import (
    ROOT,
    AppProcess,
    caregiver_client,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    region_is_not_flat,
    scroll_into_view,
    serve_on_loopback,
    sign_in_on_tablet,
    wait_laid_out,
    xdotool,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

DEMO_PORTRAIT = ROOT / "server" / "demo" / "portrait.png"
SPEECH = (
    "My name is Joe Whitfield. I was born in a small town by the sea, and every summer we walked along "
    "the harbour to watch the fishing boats come home. I worked as a carpenter for forty years."
)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def silence(path: Path, seconds: float = 1.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return path


def type_in_step(app: AppProcess, widget_id: str, text: str, scroll_id: str) -> None:
    """Tap a field of a studio step (scrolled into view in that step) and type through X."""
    scroll_into_view(app, widget_id, scroll_id=scroll_id)
    app.tap(widget_id)
    app.wait_focused(widget_id)
    xdotool("type", "--delay", "25", "--", text)


def tap_at(x: float, y: float) -> None:
    xdotool("mousemove", str(round(x)), str(round(y)), "mousedown", "1")
    time.sleep(0.08)
    xdotool("mouseup", "1")


def picture_point(app: AppProcess, fx: float, fy: float, image_size: tuple[int, int]) -> tuple[float, float]:
    """Where on the window the point (fractions of the photo from its top-left) is, with the photo shown whole."""
    x, y, w, h = app.layout()["widgets"]["mouth_picker"]
    scale = min(w / image_size[0], h / image_size[1])
    dw, dh = image_size[0] * scale, image_size[1] * scale
    return x + (w - dw) / 2 + fx * dw, y + (h - dh) / 2 + fy * dh


def test_a_caregiver_builds_a_persona_in_four_steps(start_app, live_server, speak, tmp_path):
    speech = speak(SPEECH)
    pick_dir = tmp_path / "tablet-files"
    pick_dir.mkdir()
    shutil.copy(DEMO_PORTRAIT, pick_dir / "joe.png")
    shutil.copy(speech, pick_dir / "joe-speaking.wav")
    (pick_dir / "shopping list.txt").write_text("not a picture")
    # the first recording hears Joe, the next piece only a quiet room
    mic = f"{speech}:{silence(tmp_path / 'quiet.wav')}"
    app = paired_app(start_app, live_server, mic_file=mic, extra_env={"KEEPSAKE_PICK_DIR": str(pick_dir)})
    open_caregiver_area(app)
    sign_in_on_tablet(app, live_server.data_dir)
    scroll_into_view(app, "studio_new_persona")
    app.tap("studio_new_persona")
    app.wait_screen("studio")

    # 1. who they were: saving without a name says so, and creates nothing; Done too, before losing what was typed
    app.tap("next_button")
    assert app.wait_shown("studio_message", lambda text: text == "Please type their name.")
    type_in_step(app, "addressed_field", "Grandpa Joe, Yeye", "who_scroll")
    app.tap("done")
    assert app.wait_shown("studio_message", lambda text: text == "Please type their name. Tap Done again to leave without saving.")
    assert app.layout()["screen"] == "studio"
    type_in_step(app, "name_field", "Joe Whitfield", "who_scroll")
    app.tap("kind_deceased")
    app.tap("speaks_en")
    type_in_step(app, "bio_field", "Born in 1931 by the sea. A carpenter for forty years.", "who_scroll")
    type_in_step(app, "style_field", "Slow and dry; says 'steady on'.", "who_scroll")
    type_in_step(app, "boundaries_field", "the war, money", "who_scroll")
    app.tap("disclosure_on")
    app.wait_still()
    app.screenshot("en-studio-who.png")
    app.tap("next_button")
    saved = app.wait_for("studio_saved", timeout=30)
    assert saved["created"] is True
    persona_id = saved["persona_id"]
    app.wait_for("studio_step", lambda e: e["step"] == "consent", timeout=10)

    # 2. consent: the next of kin's words are suggested; the caregiver fills in who and chooses the scope
    layout = app.wait_layout(lambda lay: "Joe Whitfield" in lay["typed"].get("statement_field", ""), "the consent words")
    assert "Joe Whitfield" in layout["typed"]["statement_field"]
    assert "No consent yet" in layout["shown"]["consent_status_label"]
    app.screenshot("en-studio-consent-missing.png")
    type_in_step(app, "given_by_field", "Mary Whitfield", "consent_scroll")
    type_in_step(app, "relation_field", "daughter", "consent_scroll")
    app.tap("scope_generated")
    app.wait_still()
    app.screenshot("en-studio-consent.png")
    scroll_into_view(app, "record_consent", scroll_id="consent_scroll")
    app.tap("record_consent")
    assert app.wait_for("studio_consent", timeout=30)["scope"] == "generated"
    app.wait_for("studio_step", lambda e: e["step"] == "portrait", timeout=10)

    # 3. the portrait: a photo from the tablet's files; only pictures are offered
    app.tap("choose_photo")
    app.wait_for("studio_picker", lambda e: e["open"], timeout=10)
    widgets = app.wait_layout(lambda lay: "pick_joe.png" in lay["widgets"], "the picker's rows")["widgets"]
    assert "pick_joe.png" in widgets and "pick_shopping list.txt" not in widgets and "pick_joe-speaking.wav" not in widgets
    app.screenshot("en-studio-picker.png")
    app.tap("pick_joe.png")  # the photo is shown big first, to be sure it is the right one
    app.wait_still()
    app.screenshot("en-studio-picker-preview.png")
    app.tap("pick_use")
    portrait = app.wait_for("studio_portrait", timeout=90)
    assert portrait["persona_id"] == persona_id
    app.wait_still()
    shot = app.screenshot("en-studio-portrait.png")
    x, y, w, h = app.layout()["widgets"]["mouth_picker"]
    with Image.open(shot) as image:
        size = image.size
    assert region_is_not_flat(shot, (x / size[0], y / size[1], (x + w) / size[0], (y + h) / size[1]))

    # the caregiver taps the mouth: the point saved is where the finger was, on the photo's own scale
    with Image.open(DEMO_PORTRAIT) as photo:
        photo_size = photo.size
    target = (0.5, 0.59)  # the mouth of the drawn portrait
    tap_at(*picture_point(app, *target, photo_size))
    moved = app.wait_for("studio_mouth", timeout=30)
    assert moved["x"] == pytest.approx(target[0], abs=0.01) and moved["y"] == pytest.approx(target[1], abs=0.01)
    # the width too: a tap in the middle of the slider is the middle of its range (0.04 to 0.4)
    app.tap("mouth_width")
    widened = app.wait_for("studio_mouth", timeout=30)
    assert widened["width"] == pytest.approx(0.22, abs=0.011)
    assert (widened["x"], widened["y"]) == (moved["x"], moved["y"])  # the point stays where it was put
    app.tap("try_mouth")  # the small talking face opens its mouth where the point is
    app.wait_for("studio_preview", timeout=10)
    app.wait_still()
    app.screenshot("en-studio-mouth.png")
    time.sleep(3.0)

    # 4. voice: record on the tablet (Joe speaks into the file microphone), then pick a recording from the files
    app.tap("next_button")
    app.wait_for("studio_step", lambda e: e["step"] == "voice", timeout=10)
    app.tap("record_sample")
    app.wait_for("studio_recording", lambda e: e["started"], timeout=10)
    time.sleep(1.0)
    app.screenshot("en-studio-recording.png")
    time.sleep(wav_seconds(speech) + 1.8)  # the words, then the pause that ends the first piece
    app.tap("record_sample")
    assert app.wait_for("studio_recording", lambda e: not e["started"], timeout=15)["files"] == 1
    recorded = app.wait_for("studio_sample", timeout=60)
    assert recorded["usable"], recorded
    assert recorded["clean_s"] >= wav_seconds(speech) * 0.6
    app.tap("choose_audio")
    app.wait_for("studio_picker", lambda e: e["open"], timeout=10)
    assert "pick_joe.png" not in app.wait_layout(lambda lay: "pick_joe-speaking.wav" in lay["widgets"], "the picker's rows")["widgets"]
    app.tap("pick_joe-speaking.wav")
    picked = app.wait_for("studio_sample", timeout=60)
    assert picked["usable"] and picked["total_clean_s"] > recorded["total_clean_s"]
    layout = app.wait_layout(lambda lay: "sample_1" in lay["widgets"], "the second sample's row")
    # no cloning service on the demo server: the caregiver is told the built-in voice will speak
    assert "built-in voice" in layout["shown"]["cloning_note"]
    app.screenshot("en-studio-voice.png")

    # Done: back in the caregiver area, whose list now has Joe beside the demo's Rose and Arthur
    app.tap("done")
    app.wait_screen("caregiver")
    assert app.wait_for("studio_personas", timeout=30)["count"] == 3
    wait_laid_out(app, "studio_")
    scroll_into_view(app, "account_card")
    app.screenshot("en-studio-done-list.png")

    # the server has everything the caregiver did by touch
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        persona = http.get(f"/v1/personas/{persona_id}").json()
        assert persona["display_name"] == "Joe Whitfield"
        assert persona["addressed_as"] == ["Grandpa Joe", "Yeye"]
        assert persona["kind"] == "deceased" and persona["language"] == "en" and persona["disclosure"] is True
        assert persona["biography"] == "Born in 1931 by the sea. A carpenter for forty years."
        assert persona["speaking_style"] == "Slow and dry; says 'steady on'."
        assert persona["boundaries"] == ["the war", "money"]
        consent = persona["consent"]
        assert (consent["given_by"], consent["relation"], consent["scope"]) == ("Mary Whitfield", "daughter", "generated")
        assert "Joe Whitfield" in consent["statement"]
        assert persona["portrait_url"]
        assert persona["mouth"]["x"] == pytest.approx(target[0], abs=0.01)
        assert persona["mouth"]["y"] == pytest.approx(target[1], abs=0.01)
        assert persona["mouth"]["width"] == pytest.approx(0.22, abs=0.011)
        picture = http.get(f"/v1/personas/{persona_id}/portrait")
        assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/")
        voice = http.get(f"/v1/personas/{persona_id}/voice-samples").json()
        assert len(voice["samples"]) == 2 and all(s["usable"] for s in voice["samples"])
        assert voice["total_clean_s"] == pytest.approx(picked["total_clean_s"], abs=0.5)
        listed = {p["id"] for p in http.get("/v1/personas").json()}
        assert persona_id in listed


def test_editing_in_chinese_loads_every_step_and_a_bad_photo_is_a_plain_sentence(start_app, live_server, speak, tmp_path):
    """A persona made through the API opens in the studio with its words, consent form, portrait and samples."""
    pick_dir = tmp_path / "tablet-files"
    pick_dir.mkdir()
    (pick_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 20)
    speech = speak(SPEECH)
    shutil.copy(speech, pick_dir / "奶奶说话.wav")  # a Chinese family names its files in Chinese: the name stays
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        created = http.post(
            "/v1/personas",
            json={
                "display_name": "王秀英",
                "addressed_as": ["奶奶", "外婆"],
                "kind": "living",
                "language": "zh",
                "biography": "1938年生于台州。当了四十年老师。",
                "speaking_style": "说话温和，常说“慢慢来”。",
                "boundaries": ["政治"],
                "disclosure": True,
            },
        )
        assert created.status_code == 201, created.text
        persona_id = created.json()["id"]
        put = http.put(
            f"/v1/personas/{persona_id}/portrait",
            content=DEMO_PORTRAIT.read_bytes(),
            params={"mouth_x": 0.5, "mouth_y": 0.59},
            headers={"Content-Type": "image/png"},
        )
        assert put.status_code == 200, put.text
        with open(speech, "rb") as fh:
            sample = http.post(f"/v1/personas/{persona_id}/voice-samples", files={"file": ("nainai.wav", fh, "audio/wav")})
        assert sample.status_code == 201, sample.text

    app = paired_app(start_app, live_server, language="zh", extra_env={"KEEPSAKE_PICK_DIR": str(pick_dir)})
    open_caregiver_area(app)
    sign_in_on_tablet(app, live_server.data_dir)
    # a new persona first: the empty form with its examples; Done on an untouched form just leaves
    scroll_into_view(app, "studio_new_persona")
    app.tap("studio_new_persona")
    app.wait_screen("studio")
    app.screenshot("zh-studio-new.png")
    app.tap("done")
    app.wait_screen("caregiver")
    app.wait_for("studio_personas", timeout=30)
    wait_laid_out(app, "studio_")
    scroll_into_view(app, f"studio_edit_persona_{persona_id}")
    app.tap(f"studio_edit_persona_{persona_id}")
    app.wait_screen("studio")
    app.wait_for("studio_loaded", lambda e: e["persona_id"] == persona_id, timeout=30, since_start=True)
    typed = app.wait_layout(lambda lay: lay["typed"].get("name_field"), "the persona's name in its field")["typed"]
    assert typed["name_field"] == "王秀英" and typed["addressed_field"] == "奶奶, 外婆"
    assert typed["boundaries_field"] == "政治"
    app.screenshot("zh-studio-who.png")
    app.tap("kind_child")  # a child is kept at an age: the age field appears
    app.wait_layout(lambda lay: lay["widgets"]["age_field"][2] > 50, "the age field appearing")
    app.screenshot("zh-studio-who-child.png")
    app.tap("kind_living")
    app.wait_layout(lambda lay: lay["widgets"]["age_field"][2] == 0, "the age field going")

    # consent: a living person gives their own; name and relation are filled in for them
    app.tap("step_consent")
    app.wait_for("studio_step", lambda e: e["step"] == "consent", timeout=10)
    layout = app.wait_layout(lambda lay: lay["typed"].get("given_by_field"), "the consent's fields filled in")
    assert layout["typed"]["given_by_field"] == "王秀英" and layout["typed"]["relation_field"] == "本人"
    assert "王秀英" in layout["typed"]["statement_field"]
    assert "还没有同意记录" in layout["shown"]["consent_status_label"]
    app.screenshot("zh-studio-consent.png")
    # the kind changed afterwards: the words suggested follow it (next of kin, nobody's name filled in)
    app.tap("step_who")
    app.wait_for("studio_step", lambda e: e["step"] == "who", timeout=10)
    app.tap("kind_deceased")
    app.tap("step_consent")
    app.wait_for("studio_step", lambda e: e["step"] == "consent", timeout=10)
    typed = app.wait_layout(lambda lay: lay["typed"].get("statement_field", "").startswith("我是王秀英的亲属"), "the next of kin's words")[
        "typed"
    ]
    assert typed["given_by_field"] == "" and typed["relation_field"] == ""
    assert typed["statement_field"].startswith("我是王秀英的亲属")
    app.tap("step_who")
    app.wait_for("studio_step", lambda e: e["step"] == "who", timeout=10)
    app.tap("kind_living")  # as it was: Done will find nothing to save

    # portrait: the one the server has, with its mouth; a damaged photo is refused in plain words
    app.tap("step_portrait")
    app.wait_for("studio_step", lambda e: e["step"] == "portrait", timeout=10)
    app.wait_still()
    app.screenshot("zh-studio-portrait.png")
    app.tap("choose_photo")
    app.wait_for("studio_picker", lambda e: e["open"], timeout=10)
    app.wait_layout(lambda lay: "pick_broken.png" in lay["widgets"], "the picker's rows")
    app.wait_still()
    app.screenshot("zh-studio-picker.png")
    app.tap("pick_broken.png")
    app.tap("pick_use")
    error = app.wait_for("studio_error", timeout=60)
    assert error["message"].startswith("没有成功：") and "Traceback" not in error["message"]
    assert app.wait_shown("studio_message", lambda text: text == error["message"])
    app.screenshot("zh-studio-portrait-error.png")

    # voice: the sample the caregiver sent before, with its verdict in Chinese; one more from a file named in Chinese
    app.tap("step_voice")
    app.wait_for("studio_step", lambda e: e["step"] == "voice", timeout=10)
    layout = app.wait_layout(lambda lay: "sample_0" in lay["widgets"], "the sample sent before")
    assert "sample_1" not in layout["widgets"]
    assert layout["shown"]["cloning_note"].startswith("这台服务器没有设置声音克隆服务")
    app.tap("choose_audio")
    app.wait_for("studio_picker", lambda e: e["open"], timeout=10)
    app.tap("pick_奶奶说话.wav")
    assert app.wait_for("studio_sample", timeout=60)["usable"]
    app.wait_layout(lambda lay: "sample_1" in lay["widgets"], "the new sample's row")
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        names = [s["filename"] for s in http.get(f"/v1/personas/{persona_id}/voice-samples").json()["samples"]]
        assert names == ["nainai.wav", "奶奶说话.wav"]
    app.screenshot("zh-studio-voice.png")
    # a sample is deleted with two taps: the first only asks
    app.tap("sample_1_delete")
    assert app.wait_shown("sample_1_delete", lambda text: text == "确定删除？")
    app.screenshot("zh-studio-voice-delete.png")
    app.tap("sample_1_delete")
    app.wait_layout(lambda lay: "sample_1" not in lay["widgets"], "the sample being deleted", timeout=30)

    # nothing was changed, so Done saves nothing: the persona is as it was
    app.tap("done")
    app.wait_screen("caregiver")
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        persona = http.get(f"/v1/personas/{persona_id}").json()
        assert persona["kind"] == "living" and persona["consent"] is None
        samples = http.get(f"/v1/personas/{persona_id}/voice-samples").json()["samples"]
        assert [s["filename"] for s in samples] == ["nainai.wav"]
        assert persona["mouth"]["x"] == pytest.approx(0.5) and persona["mouth"]["y"] == pytest.approx(0.59)


class FakeVoiceService:
    """An ElevenLabs-style voice service on loopback: it makes a voice from the samples it is sent
    (``POST /v1/voices/add``) and answers nothing else, so speech falls back to the built-in voice."""

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.voices: list[dict] = []

        async def add(request):
            form = await request.form()
            files = [v for _, v in form.multi_items() if hasattr(v, "filename")]
            self.voices.append({"name": form.get("name"), "files": len(files), "key": request.headers.get("xi-api-key")})
            return JSONResponse({"voice_id": f"voice-{len(self.voices)}", "requires_verification": False})

        async def other(_request):
            return JSONResponse({"detail": "not here"}, status_code=404)

        app = Starlette(
            routes=[Route("/v1/voices/add", add, methods=["POST"]), Route("/{path:path}", other, methods=["GET", "POST", "DELETE"])]
        )
        self.url, self.server, self.thread = serve_on_loopback(app, "fake-voice-service")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def cloning_server(tmp_path_factory):
    """``keepsake serve --demo`` whose voice service can clone voices (a fake one on loopback)."""
    from tests.live_server import start_server

    service = FakeVoiceService()
    server = start_server(
        tmp_path_factory.mktemp("cloning-server"),
        env={
            "KEEPSAKE_TTS__PROVIDER": "elevenlabs",
            "KEEPSAKE_TTS__BASE_URL": service.url,
            "KEEPSAKE_TTS__API_KEY": "test-key",
            "KEEPSAKE_TTS__TIMEOUT_S": "3",
            "KEEPSAKE_TTS__RETRIES": "0",
        },
    )
    yield server, service
    server.stop()
    service.stop()


def test_make_the_voice_once_there_is_enough_clean_speech(start_app, cloning_server, speak):
    server, service = cloning_server
    with caregiver_client(server.url, server.data_dir) as http:
        persona_id = http.get("/v1/personas").json()[0]["id"]  # Rose, the demo persona
        speech = speak(SPEECH)
        for i in range(4):  # about 40 s of clean speech: more than the 30 asked for
            with open(speech, "rb") as fh:
                added = http.post(f"/v1/personas/{persona_id}/voice-samples", files={"file": (f"rose-{i}.wav", fh, "audio/wav")})
            assert added.status_code == 201, added.text
        assert added.json()["enough"]

    app = paired_app(start_app, server)
    open_caregiver_area(app)
    sign_in_on_tablet(app, server.data_dir)
    scroll_into_view(app, f"studio_edit_persona_{persona_id}")
    app.tap(f"studio_edit_persona_{persona_id}")
    app.wait_screen("studio")
    app.wait_for("studio_loaded", lambda e: e["persona_id"] == persona_id, timeout=30, since_start=True)
    app.tap("step_voice")
    app.wait_for("studio_step", lambda e: e["step"] == "voice", timeout=10)
    layout = app.wait_layout(
        lambda lay: lay["widgets"]["make_voice"][3] > 40, "Make the voice being shown"
    )  # shown, now that a service is there and there is enough
    assert "Enough clear speech" in layout["shown"]["cloning_note"]
    app.screenshot("en-studio-voice-enough.png")
    app.tap("make_voice")
    app.wait_for("studio_voice_made", timeout=60)
    assert app.wait_shown("cloning_note", lambda text: "speaks in their own voice" in text)
    assert app.layout()["shown"]["make_voice"] == "Make the voice again, from all the samples"
    assert app.layout()["shown"]["voice_progress"].endswith("seconds of clear speech: enough (30 needed)")
    app.screenshot("en-studio-voice-made.png")
    assert service.voices == [{"name": "Keepsake Rose Whitfield", "files": 4, "key": "test-key"}]
    with caregiver_client(server.url, server.data_dir) as http:
        assert http.get(f"/v1/personas/{persona_id}").json()["voice_id"] == "voice-1"


def test_a_recording_that_cannot_be_sent_is_kept_and_sent_again(start_app, speak, tmp_path_factory, tmp_path):
    """The server goes away while the caregiver records: the recording waits on the tablet, one tap sends it later."""
    from tests.live_server import start_server

    data_dir = tmp_path_factory.mktemp("offline-server")
    server = start_server(data_dir)
    try:
        speech = speak(SPEECH)
        app = paired_app(start_app, server, mic_file=f"{speech}:{silence(tmp_path / 'quiet.wav')}")
        open_caregiver_area(app)
        sign_in_on_tablet(app, data_dir)
        scroll_into_view(app, "studio_new_persona")
        app.tap("studio_new_persona")
        app.wait_screen("studio")
        type_in_step(app, "name_field", "Joe Whitfield", "who_scroll")
        app.tap("next_button")
        persona_id = app.wait_for("studio_saved", timeout=30)["persona_id"]
        app.tap("step_voice")
        app.wait_for("studio_step", lambda e: e["step"] == "voice", timeout=10)

        server.stop()  # the server is away (a restart, the Wi-Fi)
        app.tap("record_sample")
        app.wait_for("studio_recording", lambda e: e["started"], timeout=10)
        time.sleep(wav_seconds(speech) + 1.8)
        app.tap("record_sample")
        error = app.wait_for("studio_error", timeout=60)
        assert error["message"] == (
            "That did not work: the server cannot be reached. The recording is kept on the tablet: send it again when the server is back."
        )
        app.wait_layout(lambda lay: lay["widgets"]["send_again"][3] > 40, "Send again being shown")
        app.screenshot("en-studio-voice-unsent.png")

        server = start_server(data_dir, port=server.port)  # back, same address, same household
        app.tap("send_again")
        sent = app.wait_for("studio_sample", timeout=60)
        assert sent["usable"]
        app.wait_layout(lambda lay: lay["widgets"]["send_again"][3] == 0, "Send again going")
        with caregiver_client(server.url, data_dir) as http:
            samples = http.get(f"/v1/personas/{persona_id}/voice-samples").json()["samples"]
            assert len(samples) == 1 and samples[0]["usable"]
    finally:
        server.stop()
