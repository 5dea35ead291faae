"""Barge-in on the live socket: the relative speaking over the persona interrupts it, and only what
was heard counts as said; the persona's own voice coming back through the microphone never does.

The persona speaks with the embedded voice here (the fake upstream's speech), and the tablet's
microphone hears it back later and quieter, as a tablet in a room does. Every wait is for an event.
"""

from __future__ import annotations

import numpy as np
import pytest

from server.audio import decode_audio, resample
from tests.server.api.conftest import new_household, new_persona
from tests.server.api.test_facts_stay_theirs import pair
from tests.server.api.test_live_socket import frames, say, silence, turns, until, url
from tests.server.test_echo_guard import echo_of

RATE = 16_000
PERSONA = "Oh, the seaside! We went every summer, and your grandfather built the best sandcastles."


@pytest.fixture
def tablet(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    device = pair(client, hh, "Kitchen tablet")
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=device["headers"]).json()
    return {"hh": hh, "persona": persona, "device": device, "session": session}


@pytest.fixture
def spoken(spoken_wav, upstream):
    upstream.tts_wav = spoken_wav(PERSONA)  # every sentence of the answer is said with this voice
    audio = decode_audio(spoken_wav("Tell me about the seaside when you were a girl."))
    return pcm16(resample(audio.samples, audio.sample_rate, RATE)), RATE  # the tablet's microphone rate


@pytest.fixture
def interjection(spoken_wav) -> np.ndarray:
    audio = decode_audio(spoken_wav("Wait, Grandma, tell me about the boat."))
    return resample(audio.samples, audio.sample_rate, RATE)


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


SAID_S = 0.3  # the quiet after the first utterance, before the tap


def sent_ms(pcm: bytes, pause_s: float = 0.0) -> float:
    """How much audio ``say`` sends: whole 20 ms frames."""
    return 20 * len(frames(pcm + silence(RATE, pause_s), RATE))


def answered(ws, pcm: bytes, rate: int) -> tuple[str, list[dict]]:
    """Say one thing, tap, and wait for the whole answer: its turn id and its sentences. (The tap
    comes after every frame, so the server has all of them when it answers, as at real-time pace.)"""
    say(ws, pcm, rate, pause_s=SAID_S)
    until(ws, "speech_started")
    ws.send_json({"type": "end_of_turn"})
    heard = until(ws, "listening")
    done = next(m for m in heard if m["type"] == "done")
    return done["turn_id"], [m for m in heard if m["type"] == "sentence"]


def played_audio(client, sentence: dict) -> np.ndarray:
    return decode_audio(client.get(sentence["audio_url"]).content).samples


def play_back(ws, client, turn_id: str, sentences: list[dict], over: np.ndarray | None = None, at_s: float = 0.0):
    """The tablet plays the answer, reporting each sentence as it begins; its microphone hears the
    persona 120 ms later and 10 dB quieter, and ``over`` (the relative) from ``at_s`` into the answer."""
    start, sent = 0, 0.0
    for k, sentence in enumerate(sentences):
        ws.send_json({"type": "playback", "turn_id": turn_id, "sentences_played": k, "playing": True})
        mic = echo_of(played_audio(client, sentence), 120, -10, seed=k)
        if over is not None:
            onset = int(at_s * RATE) - start
            lo, hi = max(onset, 0), min(mic.size, onset + over.size)
            if hi > lo:
                mic[lo:hi] += over[lo - onset : hi - onset]
        for frame in frames(pcm16(mic), RATE):
            ws.send_bytes(frame)
        start += mic.size
        sent += sent_ms(pcm16(mic))
    return sent


def test_speaking_over_the_persona_interrupts_it_and_only_what_was_heard_counts(client, tablet, spoken, interjection):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        turn_id, sentences = answered(ws, pcm, rate)
        assert sentences
        play_back(ws, client, turn_id, sentences, over=interjection, at_s=1.0)  # a second into the first sentence
        say(ws, b"", rate, pause_s=0.2)
        ws.send_json({"type": "end_of_turn"})  # the relative taps: done
        heard = until(ws, "listening")
    kinds = [m["type"] for m in heard]
    # Interrupted first (the tablet stops at once), then the new utterance as the next turn.
    assert kinds[:4] == ["interrupted", "speech_started", "end_of_turn", "transcript"], kinds
    assert heard[0] == {"type": "interrupted", "turn_id": turn_id, "sentences_played": 0}
    assert kinds[-2:] == ["done", "listening"]
    first, second = turns(client)
    assert first["id"] == turn_id and first["sentences_played"] == 0 and second["status"] == "answered"
    # The stored answer is what was heard: nothing of the persona's first answer is in the history.
    history = client.get(f"/v1/sessions/{tablet['session']['id']}/history", headers=tablet["device"]["headers"]).json()
    persona_lines = [i for i in history["items"] if i["role"] == "persona" and i["turn_id"] == turn_id]
    assert persona_lines == []


def test_the_persona_heard_back_never_interrupts_it(client, tablet, spoken, interjection):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        turn_id, sentences = answered(ws, pcm, rate)
        echo_ms = play_back(ws, client, turn_id, sentences)  # the whole answer comes back through the microphone
        ws.send_json({"type": "playback", "turn_id": turn_id, "sentences_played": len(sentences)})  # it finished
        say(ws, silence(rate, 1.0) + pcm16(interjection), rate)
        # The first thing the server says is the relative's next turn, not an interruption.
        first = ws.receive_json()
    assert first["type"] == "speech_started", first
    assert first["at_ms"] >= sent_ms(pcm, SAID_S) + echo_ms + 1000 - 40  # at the relative's words, after all of the echo
    turn = turns(client)[0]  # (the words said at the end are kept as a turn of their own)
    assert turn["id"] == turn_id and turn["sentences_played"] == len(sentences)


def test_a_tablet_that_does_not_report_playback_is_guarded_from_when_the_answer_was_sent(client, tablet, spoken):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        _, sentences = answered(ws, pcm, rate)
        # It plays the answer a quarter of a second after it came, and says nothing about it.
        echo = np.concatenate([echo_of(played_audio(client, s), 120, -10, seed=k) for k, s in enumerate(sentences)])
        played = pcm16(np.concatenate([np.zeros(RATE // 4, np.float32), echo]))
        say(ws, played, rate, pause_s=1.0)
        say(ws, pcm, rate)  # the relative speaks after the answer
        first = ws.receive_json()
    assert first["type"] == "speech_started", first
    assert first["at_ms"] >= sent_ms(pcm, SAID_S) + sent_ms(played, 1.0) - 40


def test_a_progress_report_for_another_turn_changes_nothing(client, tablet, spoken):
    pcm, rate = spoken
    with client.websocket_connect(url(tablet), headers=tablet["device"]["headers"]) as ws:
        ws.send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
        until(ws, "listening")
        turn_id, _ = answered(ws, pcm, rate)
        ws.send_json({"type": "playback", "turn_id": "turn_nope", "sentences_played": 0, "playing": True})
        say(ws, silence(rate, 0.1), rate)
    [turn] = turns(client)
    assert turn["id"] == turn_id and turn["sentences_played"] is None
