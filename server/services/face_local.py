"""Mouth movement computed from the speech itself: how loud each video frame is.

The tablet opens the portrait's mouth by these values. Loudness is measured
per frame, normalised per sentence (a quiet voice still moves the mouth),
gated (silence closes it) and smoothed like a real mouth: it opens fast and
closes more slowly.
"""

from __future__ import annotations

import numpy as np

from server.services.base import Audio, Face, FaceResult, MouthTrack

DEFAULT_FPS = 25
GATE_DBFS = -50.0  # quieter than this is silence, whatever the sentence's level
DYNAMIC_RANGE_DB = 30.0  # from closed to fully open, below the sentence's loud frames
ATTACK = 0.75  # share of the way to a louder target covered per frame
DECAY = 0.35  # ... and to a quieter one


def _frame_levels(samples: np.ndarray, rate: int, fps: int) -> np.ndarray:
    """dBFS of each video frame; frames follow the exact time grid (rate/fps need not divide)."""
    frames = int(np.ceil(samples.size * fps / rate - 1e-9))
    starts = np.minimum(np.round(np.arange(frames) * rate / fps).astype(np.int64), samples.size - 1)
    ends = np.append(starts[1:], samples.size)
    # Squared in float64 straight from the float32 samples: the same sums as converting
    # the clip to float64 first, without a second clip-sized copy.
    energy = np.add.reduceat(np.square(samples, dtype=np.float64), starts)
    rms = np.sqrt(energy / np.maximum(ends - starts, 1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def _openness(audio: Audio, fps: int) -> np.ndarray:
    """How far each frame opens the mouth, before smoothing: 0 below the gate or the sentence's floor."""
    if audio.samples.size == 0 or audio.sample_rate <= 0:
        return np.zeros(0)
    levels = _frame_levels(np.asarray(audio.samples), audio.sample_rate, fps)
    voiced = levels > GATE_DBFS
    if not voiced.any():
        return np.zeros(len(levels))
    # The sentence's own "loud": most voiced frames reach it, a click does not set it.
    loud = float(np.percentile(levels[voiced], 90))
    floor = max(GATE_DBFS, loud - DYNAMIC_RANGE_DB)
    target = np.clip((levels - floor) / max(loud - floor, 1e-6), 0.0, 1.0)
    target[~voiced] = 0.0
    return target


def voiced_frames(audio: Audio, fps: int = DEFAULT_FPS) -> np.ndarray:
    """Which frames of ``1/fps`` s the mouth opens for (speech, by the same measure as the track)."""
    return _openness(audio, fps) > 0.0


def mouth_track(audio: Audio, fps: int = DEFAULT_FPS) -> MouthTrack:
    """One openness value in 0..1 per frame of ``1/fps`` s, covering the whole clip."""
    target = _openness(audio, fps)

    values = []
    current = 0.0
    # Python floats: the same double arithmetic as numpy scalars, without their per-item overhead.
    for goal in target.tolist():
        rate = ATTACK if goal > current else DECAY
        current += rate * (goal - current)
        values.append(round(current, 3))
    return MouthTrack(fps=fps, values=values)


class LocalFace(Face):
    name = "local"

    def __init__(self, fps: int = DEFAULT_FPS):
        self.fps = fps

    async def animate(self, speech: Audio, *, portrait: bytes | None = None) -> FaceResult:
        # A few hundred frames of numpy: cheap enough to run on the loop.
        return FaceResult(mouth=mouth_track(speech, self.fps))
