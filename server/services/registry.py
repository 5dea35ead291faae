"""Pick each stage's provider from the settings, with a fallback behind every remote one.

Remote ASR fails -> the embedded recognizer; remote TTS fails -> the embedded
voice; the LLM fails before saying anything -> story mode, and mid-answer ->
the answer stops cleanly; the talking-head service fails -> the local mouth
track. A circuit breaker skips a service that keeps failing for a while.

Every fallback is reported as a ``FallbackEvent``: to the wrapper's
``on_fallback`` callback (logging, metrics) and to the list of the turn that
is being served, which the pipeline opens with ``collect_fallbacks()`` and
turns into ``notice`` events::

    with collect_fallbacks() as fallbacks:
        transcript = await services.asr.transcribe(audio)
        for event in drain(fallbacks):
            yield notice(event.code, event.message)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

import httpx

from server.config import Settings, StageSettings
from server.services.asr_local import LocalSpeechToText
from server.services.asr_openai import OpenAISpeechToText
from server.services.base import (
    Audio,
    Conversation,
    ConversationContext,
    Face,
    FaceResult,
    ServiceError,
    ServiceFailure,
    SpeechToText,
    TextToSpeech,
    Transcript,
)
from server.services.breaker import CircuitBreaker
from server.services.cloning import VoiceCloner
from server.services.cloning_cosyvoice import CosyVoiceCloner, CosyVoiceTextToSpeech
from server.services.cloning_elevenlabs import ElevenLabsVoiceCloner
from server.services.cloning_gptsovits import GptSovitsCloner, GptSovitsTextToSpeech
from server.services.cloning_openai import OpenAIVoiceLibrary
from server.services.endpoint import HttpProvider
from server.services.face_http import HttpTalkingHead
from server.services.face_local import LocalFace
from server.services.llm_openai import OpenAIConversation
from server.services.reference_voice import ReferenceVoiceProvider, ReferenceVoices
from server.services.tts_elevenlabs import ElevenLabsTextToSpeech
from server.services.tts_local import LocalTextToSpeech
from server.services.tts_openai import OpenAITextToSpeech

log = logging.getLogger(__name__)

# --- reporting fallbacks -----------------------------------------------------


@dataclass(frozen=True)
class FallbackEvent:
    stage: str  # "asr" | "llm" | "tts" | "face"
    code: str  # the notice code: asr_fallback, llm_fallback, llm_interrupted, tts_fallback, face_fallback
    message: str  # short and plain, fit for a notice
    reason: str  # what went wrong with the primary (for logs and the caregiver)
    primary: str
    fallback: str | None


OnFallback = Callable[[FallbackEvent], None]

_turn_fallbacks: ContextVar[list[FallbackEvent] | None] = ContextVar("keepsake_turn_fallbacks", default=None)


@contextmanager
def collect_fallbacks() -> Iterator[list[FallbackEvent]]:
    """Collect the fallbacks that happen in this context (tasks started inside share the list)."""
    events: list[FallbackEvent] = []
    token = _turn_fallbacks.set(events)
    try:
        yield events
    finally:
        _turn_fallbacks.reset(token)


def start_collecting() -> list[FallbackEvent]:
    """Collect this task's fallbacks from here on, without a context manager.

    For async generators (a streamed turn): their last frame may run in another
    context, where resetting a ContextVar token would fail. Each request runs in
    its own task, so the list never leaks into another turn.
    """
    events: list[FallbackEvent] = []
    _turn_fallbacks.set(events)
    return events


def drain(events: list[FallbackEvent]) -> list[FallbackEvent]:
    """Take the events collected so far, leaving the list empty."""
    taken = list(events)
    del events[: len(taken)]
    return taken


_MESSAGES = {
    "asr_fallback": "The speech recognition service is unavailable; the built-in one was used.",
    "llm_fallback": "The conversation service is unavailable; answering from the recorded memories.",
    "llm_interrupted": "The conversation service stopped in the middle of the answer.",
    "tts_fallback": "The voice service is unavailable; the built-in voice was used.",
    "face_fallback": "The talking-head service is unavailable; the portrait is animated on the tablet.",
}


class _Reporting:
    """What the wrappers share: a breaker and a way to tell about fallbacks."""

    stage = "base"

    def __init__(self, primary: Any, fallback: Any, breaker: CircuitBreaker | None, on_fallback: OnFallback | None):
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker()
        self.on_fallback = on_fallback
        self.name = f"{primary.name}+{fallback.name}"

    def _report(self, code: str, reason: str, *, fallback_used: bool = True) -> None:
        event = FallbackEvent(
            stage=self.stage,
            code=code,
            message=_MESSAGES[code],
            reason=reason,
            primary=self.primary.name,
            fallback=self.fallback.name if fallback_used else None,
        )
        log.warning("%s fallback (%s): %s", self.stage, code, reason)
        collected = _turn_fallbacks.get()
        if collected is not None:
            collected.append(event)
        if self.on_fallback is not None:
            self.on_fallback(event)

    def _skip_reason(self) -> str:
        return f"{self.primary.name} skipped: it failed repeatedly, retrying after a cool-down"

    async def warm(self) -> None:
        """Warm whichever side is an embedded engine."""
        for service in (self.primary, self.fallback):
            warm = getattr(service, "warm", None)
            if warm is not None:
                await warm()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


# --- the wrappers ----------------------------------------------------------------


class FallbackSpeechToText(_Reporting, SpeechToText):
    stage = "asr"

    primary: SpeechToText
    fallback: SpeechToText

    def __init__(
        self, primary: SpeechToText, fallback: SpeechToText, *, breaker: CircuitBreaker | None = None, on_fallback: OnFallback | None = None
    ):
        super().__init__(primary, fallback, breaker, on_fallback)

    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        if not self.breaker.allow():
            self._report("asr_fallback", self._skip_reason())
            return await self.fallback.transcribe(audio, language)
        try:
            transcript = await self.primary.transcribe(audio, language)
        except Exception as exc:  # ServiceError, or a provider bug: either way the relative gets heard
            self.breaker.record_failure()
            self._report("asr_fallback", _reason(exc))
            return await self.fallback.transcribe(audio, language)
        self.breaker.record_success()
        return transcript


class FallbackTextToSpeech(_Reporting, TextToSpeech):
    stage = "tts"

    primary: TextToSpeech
    fallback: TextToSpeech

    def __init__(
        self, primary: TextToSpeech, fallback: TextToSpeech, *, breaker: CircuitBreaker | None = None, on_fallback: OnFallback | None = None
    ):
        super().__init__(primary, fallback, breaker, on_fallback)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        # ``voice`` names a voice of the remote service: the fallback speaks with its own.
        unserved = self.primary.unserved(language=language, voice=voice)
        if unserved is not None:
            # A persona the service has no voice for: said, but the service did nothing wrong (no breaker).
            self._report("tts_fallback", unserved)
            return await self._stand_in(text, language)
        if not self.breaker.allow():
            self._report("tts_fallback", self._skip_reason())
            return await self._stand_in(text, language)
        try:
            audio = await self.primary.synthesize(text, language=language, voice=voice)
        except Exception as exc:
            self.breaker.record_failure()
            self._report("tts_fallback", _reason(exc))
            return await self._stand_in(text, language)
        self.breaker.record_success()
        return audio

    async def _stand_in(self, text: str, language: str) -> Audio:
        audio = await self.fallback.synthesize(text, language=language)
        return replace(audio, stand_in=True)


class FallbackFace(_Reporting, Face):
    stage = "face"

    primary: Face
    fallback: Face

    def __init__(self, primary: Face, fallback: Face, *, breaker: CircuitBreaker | None = None, on_fallback: OnFallback | None = None):
        super().__init__(primary, fallback, breaker, on_fallback)
        self.renders_video = primary.renders_video

    async def animate(self, speech: Audio, *, portrait: bytes | None = None) -> FaceResult:
        if not self.breaker.allow():
            self._report("face_fallback", self._skip_reason())
            return await self.fallback.animate(speech, portrait=portrait)
        try:
            result = await self.primary.animate(speech, portrait=portrait)
        except Exception as exc:
            self.breaker.record_failure()
            self._report("face_fallback", _reason(exc))
            return await self.fallback.animate(speech, portrait=portrait)
        self.breaker.record_success()
        return result


class FallbackConversation(_Reporting, Conversation):
    """The LLM, falling back to another conversation (story mode) if it fails before any text.

    Once text has been spoken, switching voices mid-answer would sound
    strange: a failure then ends the answer where it stopped (reported as
    ``llm_interrupted``). An answer that ends with no text at all also falls
    back: never silence.
    """

    stage = "llm"

    def __init__(
        self, primary: Conversation, fallback: Conversation, *, breaker: CircuitBreaker | None = None, on_fallback: OnFallback | None = None
    ):
        super().__init__(primary, fallback, breaker, on_fallback)

    async def reply(self, ctx: ConversationContext) -> AsyncIterator[str | ServiceFailure]:
        if not self.breaker.allow():
            self._report("llm_fallback", self._skip_reason())
            async for piece in self._from_fallback(ctx):
                yield piece
            return

        said_something = False
        failure: str | None = None
        try:
            async with aclosing(self.primary.reply(ctx)) as pieces:
                async for piece in pieces:
                    if isinstance(piece, ServiceFailure):
                        failure = _reason(piece.error)
                        break
                    said_something = said_something or bool(piece.strip())
                    if said_something:  # leading blank pieces are dropped: they may precede a fallback
                        yield piece
        except Exception as exc:  # a provider that raises instead of yielding a failure
            failure = f"{type(exc).__name__}: {exc}"

        if failure is None and said_something:
            self.breaker.record_success()
            return
        self.breaker.record_failure()
        if said_something:
            self._report("llm_interrupted", failure or "stream ended", fallback_used=False)
            # Tell the consumer the answer is unfinished, so it drops the half sentence.
            yield ServiceFailure(ServiceError(self.stage, self.primary.name, failure or "stream ended"))
            return
        self._report("llm_fallback", failure or "the answer was empty")
        async for piece in self._from_fallback(ctx):
            yield piece

    async def _from_fallback(self, ctx: ConversationContext) -> AsyncIterator[str | ServiceFailure]:
        async with aclosing(self.fallback.reply(ctx)) as pieces:
            async for piece in pieces:
                yield piece


# --- building the services -----------------------------------------------------


@dataclass
class Services:
    asr: SpeechToText
    llm: Conversation  # for generative personas
    tts: TextToSpeech
    face: Face
    story: Conversation  # for story-mode personas (and the LLM's fallback)
    cloner: VoiceCloner | None = None  # registers a persona's voice with a cloning service, if one is set up

    async def warm(self) -> None:
        """Load the embedded engines now, so the first turn does not pay for it."""
        for service in (self.asr, self.tts):
            warm = getattr(service, "warm", None)
            if warm is not None:
                await warm()


# (stage, provider name) -> the class that serves it, for every remote provider. "local" (and the LLM's
# "story") is the stage's embedded engine, which also stands behind every remote one. The names are
# the Literals of server.config, checked when the settings load.
PROVIDERS: dict[tuple[str, str], type[HttpProvider]] = {
    ("asr", "openai"): OpenAISpeechToText,
    ("llm", "openai"): OpenAIConversation,
    ("tts", "openai"): OpenAITextToSpeech,
    ("tts", "elevenlabs"): ElevenLabsTextToSpeech,
    ("tts", "cosyvoice"): CosyVoiceTextToSpeech,
    ("tts", "gpt-sovits"): GptSovitsTextToSpeech,
    ("face", "http"): HttpTalkingHead,
    # The cloner follows the TTS provider: the service that registers the voice then speaks with it.
    ("clone", "elevenlabs"): ElevenLabsVoiceCloner,
    ("clone", "openai"): OpenAIVoiceLibrary,
    # Zero-shot servers register nothing: the clip is kept here and sent (or pointed to) with each sentence.
    ("clone", "cosyvoice"): CosyVoiceCloner,
    ("clone", "gpt-sovits"): GptSovitsCloner,
}

# What a remote provider is wrapped in, with the embedded engine behind it.
FALLBACKS: dict[str, Callable[..., Any]] = {
    "asr": FallbackSpeechToText,
    "llm": FallbackConversation,
    "tts": FallbackTextToSpeech,
    "face": FallbackFace,
}


def build_services(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    on_fallback: OnFallback | None = None,
    story: Conversation | None = None,
) -> Services:
    """The providers the settings ask for. ``story`` replaces story mode (tests, other engines)."""
    if story is None:
        # Imported here: story mode lives with the conversation code, which imports the services.
        from server.conversation.story import StoryConversation

        story = StoryConversation()

    def stage(name: str, cfg: StageSettings, embedded: Any) -> Any:
        if cfg.provider in ("local", "story"):
            return embedded
        remote = _remote(PROVIDERS[(name, cfg.provider)], cfg, settings, http)
        return FALLBACKS[name](remote, embedded, on_fallback=on_fallback)

    asr = stage("asr", settings.asr, LocalSpeechToText(settings.data_dir / "models"))
    return Services(
        asr=asr,
        llm=stage("llm", settings.llm, story),
        tts=stage("tts", settings.tts, LocalTextToSpeech()),
        face=stage("face", settings.face, LocalFace()),
        story=story,
        cloner=build_cloner(settings, http, asr=asr),
    )


def _remote(
    cls: type[HttpProvider], cfg: StageSettings, settings: Settings, http: httpx.AsyncClient, asr: SpeechToText | None = None
) -> HttpProvider:
    if issubclass(cls, ReferenceVoiceProvider):
        # Zero-shot voices: the folder of kept clips, and (to clone) the speech recognition that writes them down.
        return cls.from_references(cfg, http, ReferenceVoices.for_settings(settings), asr=asr)
    return cls.from_settings(cfg, http)


def build_cloner(settings: Settings, http: httpx.AsyncClient, *, asr: SpeechToText | None = None) -> VoiceCloner | None:
    """The cloning service the TTS settings point at, or None: then the embedded voice speaks.

    ``asr`` writes down a zero-shot voice's reference clip (the embedded recognizer when not given)."""
    cloner = PROVIDERS.get(("clone", settings.tts.provider))
    if cloner is None or not cloner.serves(settings.tts):
        return None
    if asr is None and issubclass(cloner, ReferenceVoiceProvider):
        asr = LocalSpeechToText(settings.data_dir / "models")
    built = _remote(cloner, settings.tts, settings, http, asr)
    return built if isinstance(built, VoiceCloner) else None


__all__ = [
    "FallbackConversation",
    "FallbackEvent",
    "FallbackFace",
    "FallbackSpeechToText",
    "FallbackTextToSpeech",
    "Services",
    "build_cloner",
    "build_services",
    "collect_fallbacks",
    "drain",
]
