"""The bench tablet plays the persona's answer, and its microphone hears it back.

A tablet's loudspeaker is a few centimetres from its microphone: the persona's voice comes back
later (the output and input buffers, 0-300 ms), quieter (6 to 20 dB below what was played) and
coloured by the room (a small living room rings for about a quarter of a second). The bench mixes
the played sentences into the microphone that way, over the room's noise, cycling through delays
and levels, and reports each sentence as it begins (``playback`` with ``playing``), as a tablet does.
"""

from __future__ import annotations

import numpy as np

RATE = 16_000
# (delay ms, level dB): each answer is played back with the next of these.
ECHO_PATHS = [(50, -6.0), (150, -12.0), (300, -20.0), (100, -9.0), (220, -15.0), (300, -6.0)]
ROOM_RT60_S = 0.25


def room_response(seed: int) -> np.ndarray:
    """A small room's impulse response: the direct sound, then a tail that decays 60 dB in RT60."""
    rng = np.random.default_rng(seed)
    n = int(ROOM_RT60_S * RATE)
    decay = np.exp(-6.9 * np.arange(n) / n)  # 60 dB over n samples
    tail = 0.25 * rng.standard_normal(n) * decay
    tail[: int(0.002 * RATE)] = 0.0  # the first reflection comes a couple of ms after the direct sound
    tail[0] = 1.0
    return tail.astype(np.float32)


def echo(played: np.ndarray, delay_ms: float, level_db: float, seed: int) -> np.ndarray:
    """What the microphone hears of ``played``: delayed, through the room, ``level_db`` below it."""
    wet = np.convolve(played, room_response(seed))[: played.size + int(ROOM_RT60_S * RATE)]
    gain = 10 ** (level_db / 20) * np.sqrt(np.sum(played**2) / max(float(np.sum(wet**2)), 1e-12))
    return np.concatenate([np.zeros(int(delay_ms * RATE / 1000), np.float32), (gain * wet).astype(np.float32)])


def answer_timeline(sentences: list[np.ndarray], path: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """The microphone while the answer plays (echo only) and where each sentence begins, in samples."""
    delay_ms, level_db = ECHO_PATHS[path % len(ECHO_PATHS)]
    starts, at = [], 0
    for s in sentences:
        starts.append(at)
        at += s.size
    mic = np.zeros(at + int((delay_ms / 1000 + ROOM_RT60_S) * RATE) + 1, np.float32)
    for k, (s, start) in enumerate(zip(sentences, starts, strict=True)):
        e = echo(s, delay_ms, level_db, seed * 31 + k)
        mic[start : start + e.size] += e[: mic.size - start]
    return mic, starts
