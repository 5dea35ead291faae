"""Is this recording good enough to clone a voice from? Length, loudness, clipping, silence and noise.

Every check ends in a plain verdict a caregiver can act on ("Hold the tablet
a little further away"), and the number that matters: seconds of clean
speech. Verdicts: ``good``; ``usable`` (counted, with advice); or
``unusable`` (kept so it can be listened to, not counted or sent).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from server.audio import frame_dbfs
from server.services.base import Audio

NEEDED_CLEAN_S = 30.0  # what cloning services ask for, at least
MIN_SAMPLE_S = 3.0
MAX_SAMPLE_S = 300.0
FRAME_S = 0.02
SPEECH_FLOOR_DBFS = -50.0  # quieter than this is never speech
DIGITAL_SILENCE_DBFS = -90.0  # nothing at all: a muted or covered microphone
LOUD_ROOM_DBFS = -40.0  # a room this loud between words is a television, traffic or a fan
CLIP_LEVEL = 0.99
# Gaps between words shorter than this still count as speaking.
WORD_GAP_S = 0.25


@dataclass(frozen=True)
class SampleCheck:
    duration_s: float
    speech_s: float  # seconds of speech in it (pauses between words included)
    speech_dbfs: float  # how loud the voice is
    noise_dbfs: float  # how loud the room is between words
    clipped_percent: float
    verdict: str  # good, no_sound, too_short, mostly_silence, clipped, too_quiet, noisy (+ slightly_* when usable)
    usable: bool
    message: str

    @property
    def clean_s(self) -> float:
        return self.speech_s if self.usable else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"clean_s": round(self.clean_s, 1)}


def _speech_frames(levels: np.ndarray, threshold: float) -> np.ndarray:
    """Frames louder than ``threshold``, with short gaps between words filled in."""
    loud = levels >= threshold
    gap = int(WORD_GAP_S / FRAME_S)
    indexes = np.nonzero(loud)[0]
    filled = loud.copy()
    for a, b in zip(indexes, indexes[1:]):
        if 1 < b - a <= gap:
            filled[a:b] = True
    return filled


def check(audio: Audio) -> SampleCheck:
    duration = audio.duration_s
    samples = np.asarray(audio.samples, dtype=np.float32)
    frame = max(1, int(audio.sample_rate * FRAME_S))
    levels = frame_dbfs(samples, frame)
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL) * 100) if samples.size else 0.0

    def verdict(
        name: str, usable: bool, message: str, speech_s: float = 0.0, speech_db: float = -120.0, noise_db: float = -120.0
    ) -> SampleCheck:
        return SampleCheck(
            round(duration, 2), round(speech_s, 2), round(speech_db, 1), round(noise_db, 1), round(clipped, 3), name, usable, message
        )

    if levels.size == 0 or float(levels.max()) < DIGITAL_SILENCE_DBFS:
        return verdict("no_sound", False, "Nothing could be heard. Check that the microphone is not covered, then record again.")
    noise = float(np.percentile(levels, 10))
    threshold = max(SPEECH_FLOOR_DBFS, noise + 10.0)
    speaking = _speech_frames(levels, threshold)
    speech_s = float(speaking.sum()) * FRAME_S
    voice = float(np.median(levels[speaking])) if speaking.any() else float(levels.max())
    snr = voice - noise
    little_speech = speech_s < 2.0 or speech_s < 0.3 * duration
    args = dict(speech_s=speech_s, speech_db=voice, noise_db=noise)

    if duration < MIN_SAMPLE_S:
        return verdict(
            "too_short", False, f"This recording is only {duration:.1f} seconds. Talk for at least 10 seconds at a time.", **args
        )
    if clipped > 1.0:
        return verdict(
            "clipped",
            False,
            "The voice is distorted: too loud for the microphone. Hold the tablet a little further away, or speak more softly, and record again.",
            **args,
        )
    if float(levels.max()) < SPEECH_FLOOR_DBFS or voice < -45.0:
        return verdict(
            "too_quiet", False, "The voice is too quiet. Hold the tablet closer (about a hand's width away) and record again.", **args
        )
    if snr < 12.0 or (little_speech and noise > LOUD_ROOM_DBFS):
        # Speech drowned in noise looks like "little speech" too; a loud room says which it is.
        return verdict(
            "noisy",
            False,
            "There is too much background noise (a television, traffic, a fan?). Find a quiet room and record again.",
            **args,
        )
    if little_speech:
        return verdict(
            "mostly_silence",
            False,
            f"This recording is mostly silence ({speech_s:.0f} s of talking in {duration:.0f} s). Record again and keep talking.",
            **args,
        )
    if clipped > 0.1:
        return verdict(
            "slightly_clipped",
            True,
            f"Usable: {speech_s:.0f} s of speech, but a little distorted in places. Next time hold the tablet a bit further away.",
            **args,
        )
    if voice < -35.0:
        return verdict(
            "slightly_quiet", True, f"Usable: {speech_s:.0f} s of speech, but quiet. Next time hold the tablet a little closer.", **args
        )
    if snr < 20.0:
        return verdict(
            "slightly_noisy",
            True,
            f"Usable: {speech_s:.0f} s of speech, with some background noise. A quieter room would be better.",
            **args,
        )
    return verdict("good", True, f"Good recording: {speech_s:.0f} seconds of clear speech.", **args)


def progress_message(total_clean_s: float) -> str:
    if total_clean_s >= NEEDED_CLEAN_S:
        return f"You have {total_clean_s:.0f} seconds of clean speech: enough to make the voice."
    missing = NEEDED_CLEAN_S - total_clean_s
    return (
        f"You have {total_clean_s:.0f} of the {NEEDED_CLEAN_S:.0f} seconds of clean speech needed. Record about {missing:.0f} seconds more."
    )
