"""The persona's voice: recorded samples with their verdicts, the progress toward enough, cloning."""

from __future__ import annotations

from typing import Any

from shared.api.base import ReadByKey


class VoiceSampleOut(ReadByKey):
    id: str
    persona_id: str
    filename: str | None = None
    duration_s: float
    speech_s: float
    clean_s: float
    usable: bool
    verdict: (
        str  # good, slightly_quiet, slightly_noisy, slightly_clipped; or too_short, mostly_silence, clipped, too_quiet, noisy, no_sound
    )
    message: str  # what to do about it, in plain words
    metrics: dict[str, Any] = {}
    created_at: str


class VoiceProgress(ReadByKey):
    total_clean_s: float
    needed_s: float
    enough: bool
    message: str


class SampleAdded(VoiceProgress):
    sample: VoiceSampleOut


class CloningInfo(ReadByKey):
    available: bool
    provider: str | None = None
    message: str


class VoiceOverview(VoiceProgress):
    samples: list[VoiceSampleOut]
    voice_id: str | None = None
    cloning: CloningInfo


class CloneResult(ReadByKey):
    voice_id: str
    provider: str
    samples_used: int
    clean_s: float
    message: str
