"""The tablet's parts that need no window: VAD, outbox, storage, the HTTP client, playback, the file mic, words."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from shared.api import IDEMPOTENCY_KEY_HEADER
from client.api import ApiError, KeepsakeClient, Offline
from client.audio import MIC_RATE, decode_wav, level_dbfs, to_int16
from client.i18n import LANGUAGES, STRINGS, translate, wrap_cjk
from client.outbox import Outbox
from client.player import PLAYER_RATE, PcmPlayer, Segment
from client.storage import DEFAULT_PIN, Store
from client.vad import Vad

ROOT = Path(__file__).resolve().parents[2]


def frames(level: float, seconds: float, frame_s: float = 0.03) -> list[float]:
    return [level] * round(seconds / frame_s)


# ---------------------------------------------------------------- voice activity detection
def test_vad_ends_the_utterance_after_about_a_second_of_quiet():
    vad = Vad()
    results = [(i, r) for i, r in enumerate(vad.feed(x) for x in frames(-70, 0.5) + frames(-20, 1.5) + frames(-70, 2.0)) if r]
    (start_i, start), (end_i, end) = results
    assert (start, end) == ("start", "end")
    assert 0.5 <= start_i * 0.03 <= 0.7
    speech_end = 2.0
    assert 0.9 <= end_i * 0.03 - speech_end <= 1.15
    begin, finish = vad.speech_bounds_s()
    assert begin < 0.5 < 2.0 < finish < 2.5


def test_vad_keeps_following_the_speech_after_it_reported_the_end():
    """On the live socket the server decides when the relative has finished: one who carries on
    after a long pause is still in the recording's bounds, though the end was reported once."""
    vad = Vad()
    levels = frames(-70, 0.5) + frames(-20, 1.5) + frames(-70, 1.8) + frames(-20, 1.2) + frames(-70, 0.3)
    results = [r for r in (vad.feed(x) for x in levels) if r]
    assert results == ["start", "end"]  # reported once each
    begin, finish = vad.speech_bounds_s()
    assert begin < 0.5 and 5.0 < finish < 5.5  # the second stretch of speech ends at 5.0 s


def test_vad_gives_up_when_nobody_speaks_and_ignores_a_cough():
    vad = Vad()
    levels = frames(-65, 3.0) + frames(-15, 0.06) + frames(-65, 6.0)
    results = [r for r in (vad.feed(x) for x in levels) if r]
    assert results == ["timeout"]


def test_vad_follows_a_noisy_room():
    vad = Vad()
    results = [r for r in (vad.feed(x) for x in frames(-38, 2.0) + frames(-12, 1.0) + frames(-38, 1.5)) if r]
    assert results == ["start", "end"]


# ---------------------------------------------------------------- the outbox
def test_outbox_keeps_recordings_in_order_until_removed(tmp_path):
    box = Outbox(tmp_path / "outbox")
    for name in ("b.wav", "a.wav"):
        (tmp_path / name).write_bytes(b"RIFF....")
        box.add(tmp_path / name, "audio/wav", "ses_1")
        time.sleep(0.01)
    items = box.items()
    assert [i.audio.name for i in items] == ["b.wav", "a.wav"]  # the order it was said, not by name
    assert items[0].session_id == "ses_1" and items[0].mime == "audio/wav"
    box.remove(items[0])
    assert [i.audio.name for i in Outbox(tmp_path / "outbox").items()] == ["a.wav"]  # survives a restart


def test_a_recording_keeps_its_idempotency_key_on_every_send_and_across_restarts(tmp_path):
    """However often it is sent, one recording carries one key, so the server makes one turn of it."""
    box = Outbox(tmp_path / "outbox")
    for name in ("first.wav", "second.wav"):
        (tmp_path / name).write_bytes(b"RIFF....")
        box.add(tmp_path / name, "audio/wav", "ses_1")
    first, second = box.items()
    assert first.key != second.key and len(first.key) == 36  # a UUID each
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get(IDEMPOTENCY_KEY_HEADER))
        request.read()
        return httpx.Response(503, json={"error": {"code": "busy", "message": "m"}})  # not answered: sent again later

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    for outbox in (box, Outbox(tmp_path / "outbox"), Outbox(tmp_path / "outbox")):  # tries, and the app restarted
        item = outbox.items()[0]
        with pytest.raises(Offline), client.turn("ses_1", audio=item.audio, mime=item.mime, idempotency_key=item.key):
            pass
    assert sent == [first.key] * 3
    # A live turn's words were already going up with their key: the outbox keeps that one.
    (tmp_path / "live.wav").write_bytes(b"RIFF....")
    assert box.add(tmp_path / "live.wav", "audio/wav", "ses_1", key="the-live-key").key == "the-live-key"
    assert Outbox(tmp_path / "outbox").items()[-1].key == "the-live-key"


def test_a_recording_being_answered_on_another_request_waits_to_be_sent_again(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"error": {"code": "turn_in_progress", "message": "being answered"}})

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    with pytest.raises(Offline), client.turn("ses_1", text="hello", idempotency_key="k"):  # kept in the outbox, not dropped
        pass


def test_a_recording_kept_before_keys_gets_one_and_keeps_it(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / "old.wav").write_bytes(b"RIFF....")
    (folder / "old.json").write_text(json.dumps({"mime": "audio/wav", "session_id": "ses_1", "created": 1.0}))
    [item] = Outbox(folder).items()
    assert item.key and [i.key for i in Outbox(folder).items()] == [item.key]


# ---------------------------------------------------------------- settings, token, PIN
def test_pin_is_hashed_and_the_token_kept_private(tmp_path):
    store = Store(tmp_path)
    assert store.check_pin(DEFAULT_PIN) and not store.check_pin("0000")
    store.set_pin("2468")
    assert store.check_pin("2468") and not store.check_pin(DEFAULT_PIN)
    assert store.settings.pin_hash.startswith("$argon2id$")
    store.set_token("secret-token")
    text = (tmp_path / "settings.json").read_text()
    assert "2468" not in text and "secret-token" not in text
    assert stat.S_IMODE(os.stat(tmp_path / "device_token").st_mode) == 0o600
    assert Store(tmp_path).token() == "secret-token" and Store(tmp_path).check_pin("2468")
    store.forget_pairing()
    assert store.token() is None


# ---------------------------------------------------------------- the HTTP client
def ndjson(*events: dict) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


SENTENCE = {
    "type": "sentence",
    "index": 0,
    "text": "Hello, dear.",
    "audio_url": "/v1/media/m1?sig=x",
    "audio_mime": "audio/wav",
    "duration_ms": 500,
    "mouth": {"fps": 25, "values": [0.1, 0.8, 0.3]},
}


def test_turn_stream_is_read_event_by_event(tmp_path):
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["type"] = request.headers["content-type"]
        seen["auth"] = request.headers["authorization"]
        seen["body"] = request.read()
        body = ndjson(
            {"type": "transcript", "text": "hello"},
            SENTENCE,
            {"type": "notice", "code": "fallback", "message": "m"},
            {"type": "done", "turn_id": "t1", "timings_ms": {"total": 5.0}},
        )
        return httpx.Response(200, content=body, headers={"content-type": "application/x-ndjson"})

    wav = tmp_path / "speech.wav"
    wav.write_bytes(b"RIFF" + b"x" * 200_000)
    client = KeepsakeClient("127.0.0.1:1", token="tok", transport=httpx.MockTransport(handler))
    with client.turn("ses_1", audio=wav) as events:
        kinds = [e.type for e in events]
    assert kinds == ["transcript", "sentence", "notice", "done"]
    assert seen == {"type": "audio/wav", "auth": "Bearer tok", "body": wav.read_bytes()}


def test_errors_become_api_errors_or_offline():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/personas":
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "Unknown token."}})
        if request.url.path == "/v1/sessions":
            return httpx.Response(503, json={"error": {"code": "busy", "message": "later"}})
        raise httpx.ConnectError("refused")

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError) as info:
        client.personas()
    assert (info.value.status, info.value.code) == (401, "unauthorized")
    with pytest.raises(Offline):
        client.start_session("p")
    with pytest.raises(Offline):
        client.history("s")
    assert client.health() is False


def test_a_busy_server_says_when_to_come_back_and_the_tablet_learns_about_itself():
    turns = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/devices/me":
            return httpx.Response(
                200,
                json={
                    "id": "dev_1",
                    "name": "Tablet",
                    "household_id": "hh_1",
                    "settings": {},
                    "crisis_contact_name": "Anna",
                    "crisis_contact_phone": "+1 555 0142",
                    "emergency_number": "911",
                    "declined": True,
                },
            )
        turns.append(request.read())
        if len(turns) == 1:
            return httpx.Response(503, json={"error": {"code": "busy", "message": "later"}}, headers={"Retry-After": "5"})
        if len(turns) == 2:
            return httpx.Response(503, json={"error": {"code": "busy", "message": "later"}}, headers={"Retry-After": "soon"})
        return httpx.Response(503, headers={"Retry-After": "99999"})

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    me = client.me()
    assert (me.declined, me.crisis_contact_phone, me.emergency_number) == (True, "+1 555 0142", "911")
    waits = []
    for _ in range(3):
        with pytest.raises(Offline) as info, client.turn("ses_1", text="hello") as events:
            list(events)
        waits.append(info.value.retry_after)
    assert waits == [5.0, None, 600.0]  # as asked; not understood; never more than ten minutes


def test_an_upload_that_did_not_arrive_is_sent_again_not_given_up():
    # 408: the server stopped waiting for the recording (the Wi-Fi dropped); the words are kept and retried.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(408, json={"error": {"code": "request_timeout", "message": "again"}})

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    with pytest.raises(Offline), client.turn("ses_1", text="hello") as events:
        list(events)


def test_the_crisis_card_and_the_own_voice_line_have_calm_words_in_both_languages():
    for language in LANGUAGES:
        for key in ("crisis_heading_self_harm", "crisis_heading_medical", "crisis_no_contact", "crisis_emergency", "crisis_close"):
            assert translate(key, language) != key and len(translate(key, language)) < 80
    assert translate("crisis_no_contact", "en") == "Please call someone you trust, or your local emergency number."
    assert translate("own_voice", "en", name="Grandma Rose") == "Recorded in Grandma Rose's own voice"
    assert translate("own_voice", "zh", name="奶奶") == "这是奶奶本人的录音"


# ---------------------------------------------------------------- playback
class ManualOutput:
    """An output the test drives by hand: it pulls when told to."""

    name = "manual"

    def __init__(self, pull, rate):
        self.pull = pull

    def latency_frames(self):
        return 0

    def close(self):
        pass


def test_sentences_play_back_to_back_and_the_mouth_follows_the_clock():
    player = PcmPlayer(ManualOutput)
    player.volume = 1.0
    one = Segment.make(np.full(PLAYER_RATE, 0.5, np.float32), PLAYER_RATE, [0.0, 1.0], 2, "One.", 0)
    two = Segment.make(np.full(PLAYER_RATE // 2, -0.5, np.float32), PLAYER_RATE // 2, [0.4], 1, "Two.", 1)  # 1 s, resampled
    player.enqueue(one)
    player.enqueue(two)
    out = player.output.pull(2 * PLAYER_RATE)
    assert np.all(out[:PLAYER_RATE] == 0.5) and np.all(out[PLAYER_RATE:] == -0.5)  # no gap, no overlap
    assert player.position().segment is None and not player.busy()

    player.enqueue(one)
    player.output.pull(PLAYER_RATE // 4)
    assert player.position().segment is one and player.position().mouth == 0.0
    player.output.pull(PLAYER_RATE // 2)
    assert player.position().mouth == 1.0 and player.busy()
    player.stop()
    assert not player.busy() and not np.any(player.output.pull(100))


def test_the_null_output_keeps_real_time():
    from client.platform.out_null import NullOutput

    player = PcmPlayer(NullOutput)
    player.enqueue(Segment.make(np.full(PLAYER_RATE // 2, 0.3, np.float32), PLAYER_RATE, [0.5], 25, "Hi.", 0))
    started = time.monotonic()
    while player.busy() and time.monotonic() - started < 3:
        time.sleep(0.01)
    elapsed = time.monotonic() - started
    player.close()
    assert 0.4 <= elapsed <= 0.8
    assert player.output.frames_played > 0 and player.output.peak > 0.1


# ---------------------------------------------------------------- the file microphone
def test_file_microphone_speaks_in_real_time_and_vad_ends_it(tmp_path):
    from client.platform.mic_file import FileMic

    t = np.arange(int(MIC_RATE * 1.2)) / MIC_RATE
    speech = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    src = tmp_path / "speech.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(MIC_RATE)
        w.writeframes(to_int16(speech).tobytes())

    events, ended = [], threading.Event()

    def on_event(kind, value):
        if kind != "level":
            events.append((kind, time.monotonic()))
        if kind in ("end", "timeout"):
            ended.set()

    mic = FileMic(str(src))
    started = time.monotonic()
    mic.start(on_event)
    assert ended.wait(6)
    recording = mic.stop(tmp_path / "out")
    assert [k for k, _ in events] == ["start", "end"]
    assert 2.3 <= events[-1][1] - started <= 3.3  # lead-in 0.4 s + 1.2 s of speech + about 1 s of quiet
    samples, rate = decode_wav(recording.path.read_bytes())
    assert rate == MIC_RATE and 1.2 <= len(samples) / rate <= 2.0  # trimmed to the speech, with a little air
    assert level_dbfs(to_int16(samples)) > -30


# ---------------------------------------------------------------- words, and a quiet import
def test_every_sentence_exists_in_english_and_chinese():
    for key, entry in STRINGS.items():
        assert set(LANGUAGES) <= set(entry), key
        fields = {name for name in ("{name}", "{text}", "{seconds}", "{server}", "{reason}", "{count}") if name in entry["en"]}
        assert all(f in entry["zh"] for f in fields), key
    assert translate("resting", "zh", name="奶奶") == "奶奶在休息。我们等一下再试。"


def test_chinese_lines_break_between_hanzi_but_not_before_a_full_stop():
    text = "Grandma Rose在休息。我们等一下再试。"
    lines = wrap_cjk(text, 10, len).split("\n")  # 10 "pixels" a line: one per character
    assert all(len(line) <= 10 and not line.startswith(("。", "，")) for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert lines[0] == "Grandma"  # "Rose" did not fit after it, and the break was at the space
    assert wrap_cjk("Plain English stays as it is.", 5, len) == "Plain English stays as it is."


def test_importing_the_entry_point_opens_no_window():
    code = "import sys, client.main, client.api, client.platform; print('kivy.core.window' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
