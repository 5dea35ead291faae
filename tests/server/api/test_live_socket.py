"""The live conversation socket: its protocol, its events in order, what it refuses, and the
relative's words kept when the socket drops."""

from __future__ import annotations

import io
import wave

import pytest
from starlette.websockets import WebSocketDisconnect

from shared.live import CLOSE_BAD_INPUT, CLOSE_IDLE
from server.config import Settings
from tests.server.api.conftest import new_household, new_persona
from tests.server.api.test_facts_stay_theirs import pair

FRAME_MS = 20


def pcm_of(wav: bytes) -> tuple[bytes, int]:
    with wave.open(io.BytesIO(wav)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def frames(pcm: bytes, rate: int, ms: int = FRAME_MS) -> list[bytes]:
    size = rate * ms // 1000 * 2
    out = [pcm[i : i + size] for i in range(0, len(pcm), size)]
    if len(out[-1]) < size:
        out[-1] += b"\0" * (size - len(out[-1]))
    return out


def silence(rate: int, seconds: float) -> bytes:
    return b"\0\0" * int(rate * seconds)


@pytest.fixture
def spoken(spoken_wav):
    return pcm_of(spoken_wav("Tell me about the seaside when you were a girl."))


@pytest.fixture
def tablet(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    device = pair(client, hh, "Kitchen tablet")
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=device["headers"]).json()
    return {"hh": hh, "persona": persona, "device": device, "session": session}


def url(tablet) -> str:
    return f"/v1/sessions/{tablet['session']['id']}/live"


def turns(client) -> list:
    return client.app.state.keepsake.db.all("SELECT * FROM turns ORDER BY created_at")


def until(ws, kind: str) -> list[dict]:
    """Every message up to and including the first of this type."""
    seen = []
    while True:
        message = ws.receive_json()
        seen.append(message)
        if message["type"] == kind:
            return seen


def say(ws, pcm: bytes, rate: int, pause_s: float = 0.0) -> None:
    for frame in frames(pcm + silence(rate, pause_s), rate):
        ws.send_bytes(frame)


def test_a_spoken_turn_is_heard_ended_and_answered_in_order(client, tablet, spoken):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        assert ws.receive_json() == {"type": "listening"}
        say(ws, silence(rate, 0.5) + pcm, rate, pause_s=3.5)  # longer than any wait: the end must come
        heard = until(ws, "listening")
    kinds = [m["type"] for m in heard]
    assert kinds[:3] == ["speech_started", "end_of_turn", "transcript"], kinds
    assert kinds[-2:] == ["done", "listening"] and "sentence" in kinds
    started, ended = heard[0], heard[1]
    # The speech began after the half second of silence, and the turn ended after the speech.
    speech_ms = len(pcm) / 2 / rate * 1000
    assert 300 <= started["at_ms"] <= 700
    assert started["at_ms"] + speech_ms * 0.8 <= ended["at_ms"] <= 500 + speech_ms + 3200
    assert ended["by"] == "pause"
    assert heard[2]["text"] == "Tell me about the seaside when you were a girl."  # the fake recogniser's words
    [turn] = turns(client)
    assert turn["status"] == "answered" and turn["user_audio_media_id"]
    kept = (media := client.app.state.keepsake.media).read_bytes(media.get(turn["user_audio_media_id"]))
    kept_pcm, kept_rate = pcm_of(kept)
    assert kept_rate == rate and pcm in kept_pcm  # every word kept, at the rate it was spoken


def test_a_tap_ends_the_turn_and_playback_reports_count(client, tablet, spoken):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        say(ws, pcm, rate)
        until(ws, "speech_started")
        ws.send_json({"type": "end_of_turn"})
        heard = until(ws, "listening")
        assert heard[0]["type"] == "end_of_turn" and heard[0]["by"] == "tap"
        done = next(m for m in heard if m["type"] == "done")
        ws.send_json({"type": "playback", "turn_id": done["turn_id"], "sentences_played": 1})
        # A second turn on the same socket: the report was taken before it.
        say(ws, pcm, rate)
        until(ws, "speech_started")
        ws.send_json({"type": "end_of_turn"})
        until(ws, "listening")
    first, second = turns(client)
    assert first["sentences_played"] == 1 and second["status"] == "answered"


@pytest.mark.parametrize(
    "first, then, reason",
    [
        ({"bytes": b"\0\0" * 320}, None, "start"),
        ({"json": {"type": "playback", "turn_id": "x", "sentences_played": 0}}, None, "start"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "opus"}}, None, "pcm_s16le"),
        ({"json": {"type": "start", "sample_rate": 7999, "format": "pcm_s16le"}}, None, "8000"),
        ({"json": {"type": "start", "sample_rate": 48001, "format": "pcm_s16le"}}, None, "8000"),
        ({"text": "hello"}, None, "JSON"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}}, {"text": "{not json"}, "JSON"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}}, {"bytes": b"\0\0" * 16000}, "200 ms"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}}, {"bytes": b"\0\0" * 80}, "200 ms"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}}, {"bytes": b"\0" * 321}, "PCM"),
        ({"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}}, {"json": {"type": "jump"}}, "type"),
        (
            {"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}},
            {"json": {"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}},
            "already",
        ),
    ],
)
def test_bad_input_closes_with_policy_violation_and_changes_nothing(client, tablet, first, then, reason):
    def send(ws, frame):
        if "bytes" in frame:
            ws.send_bytes(frame["bytes"])
        elif "json" in frame:
            ws.send_json(frame["json"])
        else:
            ws.send_text(frame["text"])

    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        send(ws, first)
        if then is not None:
            assert ws.receive_json() == {"type": "listening"}
            send(ws, then)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_BAD_INPUT
    assert reason in closed.value.reason and "Error" not in closed.value.reason and "/" not in closed.value.reason
    assert turns(client) == []


def test_only_its_tablet_opens_the_session(client, tablet):
    other = new_household(client, "bob@example.com")
    new_persona(client, other)
    stranger = pair(client, other, "Their tablet")
    second = pair(client, tablet["hh"], "Bedroom tablet")
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        other["headers"],
        stranger["headers"],
        second["headers"],
        tablet["hh"]["headers"],
    ):
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(tablet), headers=headers):
            pass
        assert refused.value.code == CLOSE_BAD_INPUT and refused.value.reason
    # Another household's refusal says no more than a session that does not exist.
    with (
        pytest.raises(WebSocketDisconnect) as missing,
        client.websocket_connect("/v1/sessions/sess_nope/live", headers=stranger["headers"]),
    ):
        pass
    with pytest.raises(WebSocketDisconnect) as theirs, client.websocket_connect(url(tablet), headers=stranger["headers"]):
        pass
    assert missing.value.reason == theirs.value.reason


def test_consent_is_asked_again_before_every_turn(client, tablet, spoken):
    pcm, rate = spoken
    db = client.app.state.keepsake.db
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        db.execute("DELETE FROM consents WHERE persona_id = ?", (tablet["persona"]["id"],))
        say(ws, pcm, rate)
        until(ws, "speech_started")
        ws.send_json({"type": "end_of_turn"})
        assert ws.receive_json()["type"] == "end_of_turn"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_BAD_INPUT and "onsent" in closed.value.reason
    assert turns(client) == []  # as the POST turn: refused before anything is kept
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]):
        pass
    assert refused.value.code == CLOSE_BAD_INPUT and "onsent" in refused.value.reason


def test_a_dropped_socket_loses_none_of_what_was_said(client, tablet, spoken, upstream):
    from server.recovery import recover_cut_turns

    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        say(ws, pcm, rate)
        until(ws, "speech_started")
    # The socket is gone mid-sentence: the words are stored, and recognised as after a crash.
    [turn] = turns(client)
    state = client.app.state.keepsake
    kept_pcm, kept_rate = pcm_of(state.media.read_bytes(state.media.get(turn["user_audio_media_id"])))
    assert kept_rate == rate and len(kept_pcm) >= len(pcm) * 0.9
    assert client.portal.call(recover_cut_turns, state, 0) == 1
    [turn] = turns(client)
    assert turn["user_text"] == upstream.transcript and turn["status"] == "interrupted"


@pytest.fixture
def settings(data_dir) -> Settings:
    from server.config import StageSettings
    from tests.server.api.conftest import FAKE

    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    return Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, max_upload_mb=1, live={"idle_s": 1.0})


def test_an_idle_socket_is_closed_with_a_clear_code(client, tablet):
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})
        assert ws.receive_json() == {"type": "listening"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()  # nothing sent: the server closes after idle_s
    assert closed.value.code == CLOSE_IDLE and "Nothing was heard" in closed.value.reason


def test_a_quiet_room_is_idle_too(client, tablet):
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})
        assert ws.receive_json() == {"type": "listening"}
        say(ws, silence(16000, 1.5), 16000)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_IDLE
    assert turns(client) == []


def test_an_ended_session_opens_no_socket(client, tablet):
    assert client.delete(f"/v1/sessions/{tablet['session']['id']}", headers=tablet["device"]["headers"]).status_code == 204
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]):
        pass
    assert refused.value.code == CLOSE_BAD_INPUT and refused.value.reason


def test_when_busy_the_words_are_kept_and_the_socket_listens_again(client, tablet, spoken):
    pcm, rate = spoken
    state = client.app.state.keepsake
    state.gate.wait_s = 0
    held = [client.portal.call(state.gate.acquire) for _ in range(state.gate.capacity)]  # every place taken
    try:
        with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
            ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
            until(ws, "listening")
            say(ws, pcm, rate)
            until(ws, "speech_started")
            ws.send_json({"type": "end_of_turn"})
            heard = until(ws, "listening")
    finally:
        for release in held:
            release()
    assert [m["type"] for m in heard] == ["end_of_turn", "notice", "listening"]
    assert heard[1]["code"] == "busy"
    [turn] = turns(client)  # kept, to be recognised later, as after a crash
    assert turn["status"] == "received" and turn["user_audio_media_id"]


def test_the_longest_turn_is_cut_off_at_the_limit(client, tablet, spoken):
    pcm, rate = spoken
    state = client.app.state.keepsake
    state.settings.max_audio_s = 1.0
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        say(ws, pcm + pcm, rate)
        heard = until(ws, "listening")
    end = next(m for m in heard if m["type"] == "end_of_turn")
    assert end["by"] == "limit" and end["at_ms"] <= 1100
    # (What came after the limit may have begun a second turn: the first is the one cut.)
    turn = turns(client)[0]
    kept_pcm, _ = pcm_of(state.media.read_bytes(state.media.get(turn["user_audio_media_id"])))
    assert len(kept_pcm) <= 2 * rate * 1.0 and turn["status"] == "answered"


def test_a_server_without_the_models_says_so_and_the_tablet_keeps_the_post_turn(client, tablet, monkeypatch):
    from shared.live import CLOSE_UNAVAILABLE
    from server.live import models

    monkeypatch.setattr(models, "available", lambda: False)
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]):
        pass
    assert refused.value.code == CLOSE_UNAVAILABLE and "not available" in refused.value.reason


def test_a_playback_report_for_another_sessions_turn_changes_nothing(client, tablet):
    # A turn of the same household, in a session this tablet does not hold.
    other = client.post("/v1/sessions", json={"persona_id": tablet["persona"]["id"]}, headers=tablet["hh"]["headers"]).json()
    r = client.post(f"/v1/sessions/{other['id']}/turns", json={"text": "Tell me about the seaside"}, headers=tablet["hh"]["headers"])
    theirs = r.headers["X-Turn-Id"]
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})
        assert ws.receive_json() == {"type": "listening"}
        ws.send_json({"type": "playback", "turn_id": theirs, "sentences_played": 0})
        ws.send_json({"type": "end_of_turn"})  # nothing said yet: a tap changes nothing either
        ws.send_json({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"})  # the server read all of it in order
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    [turn] = turns(client)
    assert turn["id"] == theirs and turn["sentences_played"] is None


def test_a_tap_before_the_server_heard_speech_still_ends_the_turn(client, tablet, spoken):
    """A word tapped off at once (the tablet stopped recording after 0.4 s): the VAD had not yet
    called it speech, but the relative is done and waits for an answer, as the POST turn gives."""
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        say(ws, pcm[: int(rate * 0.1) * 2], rate)  # too short for the VAD to call it speech
        ws.send_json({"type": "end_of_turn"})
        heard = until(ws, "listening")
    assert heard[0] == {"type": "end_of_turn", "at_ms": heard[0]["at_ms"], "by": "tap"}
    assert heard[-1]["type"] == "listening" and any(m["type"] in ("done", "notice") for m in heard), heard
    [turn] = turns(client)
    assert turn["user_audio_media_id"]  # what they said is kept, whatever came of it
