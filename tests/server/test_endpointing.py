"""End-of-speech detection on recorded speech (the embedded Piper voice) with silence, noise and pauses."""

from __future__ import annotations

import numpy as np
import pytest

from server.audio import decode_audio, trim_silence
from server.endpointing import EndOfSpeech, EndpointConfig, find_speech, frame_levels

RATE = 16000
FRAME_S = 0.02
START_TOLERANCE_S = 0.1
END_TOLERANCE_S = 0.15

_rng = np.random.default_rng(2024)

# Tests that speak with the embedded Piper voice carry the project's marker for embedded engines.
voice = pytest.mark.slow


def noise(seconds: float, dbfs: float = -60.0) -> np.ndarray:
    """Room noise: white noise at ``dbfs`` RMS."""
    return (10 ** (dbfs / 20) * _rng.standard_normal(int(RATE * seconds))).astype(np.float32)


@pytest.fixture(scope="module")
def say(spoken_wav):
    """Words in the embedded voice at 16 kHz, with the voice's own quiet edges cut off."""

    def speak(text: str) -> np.ndarray:
        audio = decode_audio(spoken_wav(text), RATE)
        return trim_silence(audio, -45.0, pad_s=0.0).samples

    return speak


def mix(*parts: np.ndarray, dbfs: float = -60.0) -> np.ndarray:
    """The parts one after another, with room noise under all of it."""
    signal = np.concatenate(parts)
    return (signal + noise(signal.size / RATE, dbfs)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.float32)


def seconds(samples: np.ndarray) -> float:
    return samples.size / RATE


@voice
def test_finds_where_a_sentence_starts_and_ends(say):
    words = say("Tell me about the garden you had when I was little.")
    start, end = find_speech(mix(quiet(1.0), words, quiet(2.0)))
    assert start is not None and end is not None
    assert start.at_s == pytest.approx(1.0, abs=START_TOLERANCE_S)
    assert end.at_s == pytest.approx(1.0 + seconds(words), abs=END_TOLERANCE_S)
    # Decided after exactly the hang time of silence: that is all the delay the detector adds.
    assert end.waited_s == pytest.approx(EndpointConfig().hang_ms / 1000, abs=FRAME_S)


@voice
def test_mid_sentence_pauses_shorter_than_the_hang_time_never_end_it(say):
    a = say("I remember the summer we went to the seaside")
    b = say("with your grandfather")
    c = say("and the little dog.")
    audio = mix(quiet(0.8), a, quiet(0.6), b, quiet(0.7), c, quiet(1.5))
    detector = EndOfSpeech()
    events = []
    for i in range(0, audio.size, 320 * 5):  # 100 ms at a time, as a stream arrives
        events += detector.feed(audio[i : i + 320 * 5])
    assert [e.kind for e in events] == ["start", "end"]
    spoken_end = 0.8 + seconds(a) + 0.6 + seconds(b) + 0.7 + seconds(c)
    assert events[1].at_s == pytest.approx(spoken_end, abs=END_TOLERANCE_S)


@voice
def test_a_pause_longer_than_the_hang_time_ends_the_utterance(say):
    a = say("I remember the summer we went to the seaside.")
    b = say("It was lovely.")
    start, end = find_speech(mix(quiet(0.5), a, quiet(1.5), b, quiet(1.0)))
    assert end.at_s == pytest.approx(0.5 + seconds(a), abs=END_TOLERANCE_S)
    assert end.decided_s < 0.5 + seconds(a) + 1.5  # before the second sentence begins


@voice
@pytest.mark.parametrize("hang_ms, ends_in_pause", [(500, True), (1000, False)])
def test_the_hang_time_is_the_pause_that_ends_an_utterance(say, hang_ms, ends_in_pause):
    a, b = say("Well, I think"), say("it was in June.")
    audio = mix(quiet(0.5), a, quiet(0.7), b, quiet(1.5))
    _, end = find_speech(audio, EndpointConfig(hang_ms=hang_ms))
    expected = 0.5 + seconds(a) if ends_in_pause else seconds(audio) - 1.5
    assert end.at_s == pytest.approx(expected, abs=END_TOLERANCE_S)
    assert end.waited_s == pytest.approx(hang_ms / 1000, abs=FRAME_S)


@voice
def test_noisy_room_the_noise_floor_adapts(say):
    words = say("Do you remember the bakery on Harbour Street?")
    room_dbfs = -38.0  # a loud room: television in the next room, a fan
    start, end = find_speech(mix(quiet(1.5), words, quiet(2.0), dbfs=room_dbfs))
    assert start.at_s == pytest.approx(1.5, abs=START_TOLERANCE_S)
    assert end.at_s == pytest.approx(1.5 + seconds(words), abs=0.25)


@voice
def test_the_same_speech_louder_or_softer_is_found_the_same(say):
    words = say("Good morning, my dear.")
    for gain in (0.1, 1.0):  # -20 dB: a soft voice far from the tablet
        start, end = find_speech(mix(quiet(1.0), gain * words, quiet(1.5)))
        assert start.at_s == pytest.approx(1.0, abs=START_TOLERANCE_S)
        assert end.at_s == pytest.approx(1.0 + seconds(words), abs=END_TOLERANCE_S)


@voice
def test_feeding_in_any_chunk_sizes_gives_the_same_answer(say):
    audio = mix(quiet(0.7), say("Is that you, Sophie?"), quiet(1.2))
    whole = find_speech(audio)
    detector = EndOfSpeech()
    rng = np.random.default_rng(7)
    i = 0
    while i < audio.size:
        step = int(rng.integers(1, 2000))
        detector.feed(audio[i : i + step])
        i += step
    assert (detector.start, detector.end) == whole
    assert detector.feed(audio) == []  # nothing after the end


def test_room_noise_alone_is_not_speech():
    for dbfs in (-70.0, -50.0, -35.0):
        start, _ = find_speech(noise(5.0, dbfs))
        assert start is None, dbfs
    assert find_speech(quiet(3.0)) == (None, None)


def test_a_click_is_not_speech():
    click = np.zeros(int(0.04 * RATE), np.float32)
    click[::7] = 0.6  # 40 ms of a sharp tap on the tablet
    start, _ = find_speech(mix(quiet(1.0), click, quiet(1.0)))
    assert start is None


def test_a_voice_that_never_stops_is_cut_at_the_longest_utterance():
    t = np.arange(int(RATE * 4)) / RATE
    hum = (0.3 * np.sin(2 * np.pi * 200 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    start, end = find_speech(mix(quiet(0.5), hum), EndpointConfig(max_utterance_s=2.0))
    assert start is not None and end is not None
    assert end.at_s - start.at_s == pytest.approx(2.0, abs=FRAME_S)


def test_other_sample_rates():
    rate = 8000
    t = np.arange(rate) / rate
    tone = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    audio = np.concatenate([np.zeros(rate // 2, np.float32), tone, np.zeros(rate * 2, np.float32)])
    start, end = find_speech(audio, EndpointConfig(sample_rate=rate))
    assert start.at_s == pytest.approx(0.5, abs=FRAME_S) and end.at_s == pytest.approx(1.5, abs=FRAME_S)


def test_frame_levels_are_each_frames_rms_without_its_dc_offset():
    # The textbook definition, computed the slow way: the thresholds see exactly these numbers.
    rng = np.random.default_rng(3)
    samples = (0.05 + 0.1 * rng.standard_normal(RATE + 100)).astype(np.float32)
    samples[:640] = 0.0  # digital silence sits on the -120 dBFS floor
    frames = samples[:RATE].reshape(-1, 320).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    expected = 20 * np.log10(np.maximum(np.sqrt(np.mean(frames * frames, axis=1)), 1e-6))
    assert np.array_equal(frame_levels(samples, 320), expected)


def test_the_callers_buffer_may_be_overwritten_after_feeding():
    t = np.arange(RATE) / RATE
    tone = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    audio = mix(quiet(0.5), tone, quiet(1.5))
    whole = find_speech(audio)
    detector = EndOfSpeech()
    buffer = np.empty(1000, np.float32)
    i = 0
    while i < audio.size:
        # Reads of 1000 and 280 samples: every other one ends inside a frame, which waits for the next read.
        size = 1000 if i % 1280 == 0 else 280
        piece = audio[i : i + size]
        buffer[: piece.size] = piece
        detector.feed(buffer[: piece.size])
        buffer[:] = noise(buffer.size / RATE, -10.0)  # a recorder reuses its buffer for the next read
        i += size
    assert whole[1] is not None
    assert (detector.start, detector.end) == whole
