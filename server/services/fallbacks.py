"""A fallback behind every remote provider: the wrappers that try it, then the embedded engine.

Remote ASR fails -> the embedded recognizer; remote TTS fails -> the embedded voice; the LLM
fails before saying anything -> story mode, and mid-answer -> the answer stops cleanly; the
talking-head service fails -> the local mouth track. A circuit breaker skips a service that
keeps failing for a while. Each fallback is reported (``fallback_events``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import replace
from typing import Any

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
from server.services.fallback_events import FallbackEvent, OnFallback, record

log = logging.getLogger(__name__)

_MESSAGES = {
    "asr_fallback": "The speech recognition service is unavailable; the built-in one was used.",
    "llm_fallback": "The conversation service is unavailable; answering from the recorded memories.",
    "llm_interrupted": "The conversation service stopped in the middle of the answer.",
    "tts_fallback": "The voice service is unavailable; the built-in voice was used.",
    "face_fallback": "The talking-head service is unavailable; the portrait is animated on the tablet.",
}
# The tts_fallback notice of a persona the built-in voice does not suit: her sentences were made
# captions instead (server.pipeline.speech), so saying the built-in voice was used would be untrue.
TTS_CAPTIONS_MESSAGE = "The voice service is unavailable; the words are shown in large captions."


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
        record(event)
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
