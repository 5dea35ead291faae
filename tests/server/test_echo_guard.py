"""The persona's own voice coming back through the microphone never interrupts it; the relative
speaking over it does. Judged on the embedded Piper voice, on audio alone (no clock)."""

from __future__ import annotations

import numpy as np
import pytest

from server.audio import decode_audio, resample
from server.live.echo import EchoGuard
from server.live.turn_end import TurnEnd, TurnEndConfig

RATE = 16_000
PERSONA = "Oh, the seaside! We went every summer, and your grandfather built the best sandcastles on the beach."
RELATIVE = "Grandma, wait, tell me about the boat."


@pytest.fixture(scope="module")
def voice(spoken_wav):
    def speak(text: str) -> np.ndarray:
        audio = decode_audio(spoken_wav(text))
        return resample(audio.samples, audio.sample_rate, RATE)

    return speak


def echo_of(played: np.ndarray, delay_ms: float, level_db: float, seed: int = 0) -> np.ndarray:
    """What the microphone hears of the played audio: later, quieter, duller (a small loudspeaker in a
    room: a short decaying tail), over the room's own noise."""
    rng = np.random.default_rng(seed)
    room = np.exp(-np.arange(int(0.03 * RATE)) / (0.006 * RATE)) * rng.standard_normal(int(0.03 * RATE)) * 0.3
    room[0] = 1.0
    wet = np.convolve(played, room)[: played.size]
    wet *= 10 ** (level_db / 20) * np.sqrt(np.sum(played**2) / max(np.sum(wet**2), 1e-9))
    out = np.concatenate([np.zeros(int(delay_ms * RATE / 1000), np.float32), wet.astype(np.float32)])
    return out + 0.0005 * rng.standard_normal(out.size).astype(np.float32)


def listen(mic: np.ndarray, guard: EchoGuard):
    """Feed 20 ms chunks as the socket does; the first speech start, if any."""
    detector = TurnEnd(TurnEndConfig(judge_inline=True), guard=guard)
    for i in range(0, mic.size, RATE // 50):
        for decision in detector.feed(mic[i : i + RATE // 50]):
            if decision.kind == "speech_started":
                return decision
    return None


def playing(played: np.ndarray, reported_at: int | None) -> EchoGuard:
    guard = EchoGuard()
    guard.new_answer()
    guard.sent(played, at=0)
    guard.answered("turn_1")
    if reported_at is not None:
        guard.report(0, at=reported_at, playing=True)
    return guard


@pytest.mark.parametrize("delay_ms", [0, 120, 300])
@pytest.mark.parametrize("level_db", [-6, -12, -20])
def test_the_persona_coming_back_never_interrupts_it(voice, delay_ms, level_db):
    played = voice(PERSONA)
    mic = np.concatenate([echo_of(played, delay_ms, level_db), np.zeros(RATE, np.float32)])
    assert listen(mic, playing(played, reported_at=0)) is None


def test_without_playback_reports_the_time_it_was_sent_bounds_the_echo(voice):
    played = voice(PERSONA)
    lead = np.zeros(int(0.4 * RATE), np.float32)  # the tablet fetched the audio before it played it
    mic = np.concatenate([lead, echo_of(played, 150, -6)])
    assert listen(mic, playing(played, reported_at=None)) is None


def test_the_relative_speaking_over_the_persona_interrupts_it(voice):
    played, said = voice(PERSONA), voice(RELATIVE)
    mic = echo_of(played, 150, -10)
    onset = int(1.5 * RATE)
    mic[onset : onset + said.size] += said[: mic.size - onset]
    started = listen(mic, playing(played, reported_at=0))
    assert started is not None and started.reason == "barge_in"
    assert 1400 <= started.at_ms <= 2200  # at the relative's words, not before them


def test_once_the_answer_has_played_speech_is_a_turn_again(voice):
    played, said = voice(PERSONA), voice(RELATIVE)
    mic = np.concatenate([echo_of(played, 150, -10), np.zeros(RATE, np.float32), said])
    started = listen(mic, playing(played, reported_at=0))
    assert started is not None and started.reason == ""


def test_a_stopped_answer_guards_nothing(voice):
    played, said = voice(PERSONA), voice(RELATIVE)
    guard = playing(played, reported_at=0)
    guard.report(1, at=0, playing=False)  # the tablet stopped: nothing plays
    started = listen(np.concatenate([np.zeros(RATE // 2, np.float32), said]), guard)
    assert started is not None and started.reason == ""


def test_sentences_played_counts_what_had_ended():
    guard = EchoGuard()
    guard.new_answer()
    for k in range(3):
        guard.sent(np.zeros(RATE, np.float32), at=k * 100)  # sent together, a second each
    guard.answered("turn_1")
    assert guard.sentences_played(RATE // 2) == 0
    guard.report(1, at=RATE + 200, playing=True)  # the second began
    assert guard.sentences_played(RATE + 300) == 1
    assert guard.sentences_played(2 * RATE + 300) == 2  # the second had ended by then, whatever was said
