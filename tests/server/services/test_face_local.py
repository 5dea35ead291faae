"""server/services/face_local.py: a mouth track that follows the voice."""

from __future__ import annotations

import numpy as np

from server.services.base import Audio
from server.services.face_local import LocalFace, mouth_track

RATE = 16000


def burst_pattern(pattern: list[tuple[float, float]], rate: int = RATE) -> Audio:
    """(seconds, amplitude) segments of a 200 Hz tone; amplitude 0 is silence."""
    parts = []
    for seconds, amp in pattern:
        t = np.arange(int(seconds * rate)) / rate
        parts.append(amp * np.sin(2 * np.pi * 200 * t))
    return Audio(np.concatenate(parts).astype(np.float32), rate)


def test_one_value_per_frame_in_range():
    audio = burst_pattern([(1.0, 0.5), (1.0, 0.0)])
    for fps in (25, 30):
        track = mouth_track(audio, fps)
        assert track.fps == fps
        assert len(track.values) == 2 * fps
        assert all(0.0 <= v <= 1.0 for v in track.values)


def test_silence_closes_the_mouth_and_speech_opens_it():
    track = mouth_track(burst_pattern([(0.4, 0.0), (0.4, 0.5), (0.6, 0.0)]), 25)
    values = np.array(track.values)
    assert values[:10].max() == 0.0  # silence before
    assert values[12:20].min() > 0.8  # open while speaking
    assert values[-5:].max() < 0.05  # closed again after


def test_opens_fast_and_closes_slower():
    values = mouth_track(burst_pattern([(0.2, 0.0), (0.4, 0.5), (0.4, 0.0)]), 25).values
    onset, offset = 5, 15
    frames_to_open = next(i for i in range(onset, 25) if values[i] > 0.9) - onset
    frames_to_close = next(i for i in range(offset, 25) if values[i] < 0.1) - offset
    assert frames_to_open < frames_to_close


def test_normalised_per_sentence_so_a_quiet_voice_moves_the_mouth_as_much():
    loud = mouth_track(burst_pattern([(0.2, 0.0), (0.6, 0.5), (0.2, 0.0)]), 25).values
    quiet = mouth_track(burst_pattern([(0.2, 0.0), (0.6, 0.02), (0.2, 0.0)]), 25).values
    assert max(quiet) > 0.9
    assert np.allclose(loud, quiet, atol=0.05)


def test_digital_silence_noise_and_empty_audio():
    assert set(mouth_track(Audio(np.zeros(RATE, np.float32), RATE)).values) == {0.0}
    noise = (np.random.default_rng(0).standard_normal(RATE) * 0.0005).astype(np.float32)  # ~ -66 dBFS
    assert max(mouth_track(Audio(noise, RATE)).values) == 0.0
    assert mouth_track(Audio(np.zeros(0, np.float32), RATE)).values == []


async def test_local_face_returns_the_track_and_no_video():
    result = await LocalFace(fps=30).animate(burst_pattern([(0.5, 0.3)]))
    assert result.video is None
    assert result.mouth.fps == 30 and len(result.mouth.values) == 15


def test_float32_and_float64_samples_give_the_same_track():
    rng = np.random.default_rng(5)
    for rate, fps in ((22050, 25), (16000, 30)):  # 16000 / 30: frames of uneven length
        voice = burst_pattern([(0.3, 0.0), (1.2, 0.4), (0.5, 0.0), (0.8, 0.05), (0.4, 0.0)], rate).samples
        voice = voice * (0.6 + 0.4 * rng.random(voice.size)) + 0.001 * rng.standard_normal(voice.size)
        as32 = mouth_track(Audio(voice.astype(np.float32), rate), fps).values
        as64 = mouth_track(Audio(voice.astype(np.float32).astype(np.float64), rate), fps).values
        assert as32 == as64
        assert all(type(v) is float for v in as32)  # plain floats: the track goes out as JSON
