"""The persona's voice: recorded samples with their verdicts, the progress toward enough, cloning."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# What a persona speaks with: the server's configured voice (the embedded one, or the remote voice the
# server is set up with), the voice cloned from her own recordings, or no made voice at all: her own
# recordings where an answer is one, and the words in large captions otherwise.
VoiceChoice = Literal["built_in", "cloned", "own_recordings_only"]
VoiceSex = Literal["man", "woman", "child", "unknown"]


class VoiceDescription(BaseModel):
    """What a voice is, so the caregiver can tell whether it suits the person.

    ``label`` is the studio's line for it by UI language (``en``, ``zh``): "built-in voice: a man,
    American English". ``languages`` are short codes ("en"); empty when not known (a remote voice
    the server was not told about). ``available``: it can be chosen now (a cloned voice exists).
    """

    kind: VoiceChoice
    sex: VoiceSex = "unknown"
    languages: list[str] = Field(default_factory=list)
    accent: str | None = None
    provider: str | None = None  # the service that speaks it ("local" is the embedded engine)
    name: str | None = None  # the voice's own name at its service ("en_US-joe-medium")
    available: bool = True
    label: dict[str, str] = Field(default_factory=dict)


class VoiceFit(BaseModel):
    """Whether the voice the persona speaks with suits her; ``why`` says what does not, in plain
    English, and ``why_zh`` in Simplified Chinese. ``speaks_with`` is the voice turns use."""

    fits: bool
    speaks_with: VoiceChoice
    why: str | None = None
    why_zh: str | None = None


class VoiceSampleOut(BaseModel):
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


class VoiceProgress(BaseModel):
    total_clean_s: float
    needed_s: float
    enough: bool
    message: str


class SampleAdded(VoiceProgress):
    sample: VoiceSampleOut


class CloningInfo(BaseModel):
    available: bool
    provider: str | None = None
    message: str


class VoiceOverview(VoiceProgress):
    samples: list[VoiceSampleOut]
    voice_id: str | None = None
    cloning: CloningInfo
    # Since voices describe themselves: every voice the persona can be given, the caregiver's choice
    # (None: the first that suits her) and whether the one she speaks with suits her.
    voices: list[VoiceDescription] = Field(default_factory=list)
    choice: VoiceChoice | None = None
    voice_fit: VoiceFit | None = None


class CloneResult(BaseModel):
    voice_id: str
    provider: str
    samples_used: int
    clean_s: float
    message: str
