"""The four stage interfaces and the values that flow between them.

Like Pipecat's services: each stage is a small base class, providers are
subclasses with one job, and the conversation stage streams. A provider that
fails raises ``ServiceError`` (or, while streaming, yields a
``ServiceFailure``) so the pipeline can fall back instead of crashing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

# Made by storage; named here too, since every stage's interface passes them on.
from server.storage.records import HistoryLine as HistoryLine
from server.storage.records import MemoryHit as MemoryHit
from server.storage.records import PersonaProfile as PersonaProfile
from server.storage.records import RelativeFact as RelativeFact


@dataclass(frozen=True)
class Audio:
    """Mono PCM audio: float32 samples in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    # Set when a fallback spoke instead of the voice asked for, so such audio is never kept as that voice.
    stand_in: bool = False
    # The engine's own timing, when it gives one (the embedded Piper voice): each IPA phoneme it
    # said and how many samples it lasted, in order. None: only the audio is known.
    phonemes: tuple[tuple[str, int], ...] | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None = None
    # What the recogniser weighed where it wrote the last word, (word, probability), most likely first,
    # when it can say (the embedded one): a text that reads as a whole sentence ("Do you still have
    # them?") may have been a hanging one ("the", weighed at 5 %). Empty: the text is all there is.
    last_word: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class MouthTrack:
    fps: int
    values: list[float]


@dataclass(frozen=True)
class FaceResult:
    """A mouth-openness track for the tablet to animate, or a rendered video."""

    mouth: MouthTrack
    video: bytes | None = None
    video_mime: str | None = None


class ServiceError(Exception):
    """A generation service could not do its job (down, timed out, answered garbage)."""

    def __init__(self, stage: str, provider: str, message: str, *, retryable: bool = False):
        super().__init__(f"{stage}/{provider}: {message}")
        self.stage = stage
        self.provider = provider
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class ServiceFailure:
    """Yielded by a streaming provider instead of raising mid-stream."""

    error: ServiceError


@dataclass(frozen=True)
class Recording:
    """The person's own recorded words, which a conversation may answer with instead of text to speak."""

    media_id: str
    text: str  # the memory's text, as the family may have edited it (the captions)
    said: str | None = None  # what the recording itself says; None: the same as ``text``


class Understood(Protocol):
    """What a conversation service reads of the turn's understanding of the relative's words.

    The whole of it is ``server.conversation.understanding.Understanding``, made a layer above the
    services; a service here needs only the memories it may speak from, so this is all it names.
    """

    @property
    def prompt_memories(self) -> list[MemoryHit]:
        """The memories a generated answer may speak from: a follow-up's story first, then the confident ones."""
        ...


@dataclass
class ConversationContext:
    """Everything the conversation stage may use to answer one turn."""

    persona: PersonaProfile
    user_text: str
    memories: list[MemoryHit] = field(default_factory=list)
    facts: list[RelativeFact] = field(default_factory=list)
    history: list[HistoryLine] = field(default_factory=list)
    language: str = "en"
    # For a follow-up ("What happened next?"): the memory the persona just told, and the
    # memory after it in the same source (server/storage/memory_sequence.py).
    just_told: MemoryHit | None = None
    told_next: MemoryHit | None = None
    # What the turn understood of ``user_text`` (server/conversation/understanding.py). When set,
    # both story and generative mode speak from its memories; a context made without one is
    # understood from ``memories`` as they are.
    understanding: Understood | None = None


class SpeechToText(ABC):
    stage = "asr"
    name = "base"

    @abstractmethod
    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        """The words in ``audio``. Raises ServiceError."""


class Conversation(ABC):
    stage = "llm"
    name = "base"

    @abstractmethod
    def reply(self, ctx: ConversationContext) -> AsyncIterator[str | Recording | ServiceFailure]:
        """Stream the persona's answer as text pieces (any size, split anywhere), or whole recordings."""


class TextToSpeech(ABC):
    stage = "tts"
    name = "base"

    @abstractmethod
    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        """Speak ``text``. Raises ServiceError."""

    def unserved(self, *, language: str, voice: str | None) -> str | None:
        """Why this service has no voice for such a request (none cloned, a language it does not speak), or None.

        Known before any call: the fallback speaks, and the service is not counted as failing."""
        return None


class Face(ABC):
    stage = "face"
    name = "base"
    # True for a service that renders a talking-head video from the portrait: only then is the
    # portrait read and sent.
    renders_video = False

    @abstractmethod
    async def animate(self, speech: Audio, *, portrait: bytes | None = None) -> FaceResult:
        """Mouth movement (or a video) for ``speech``. Raises ServiceError."""
