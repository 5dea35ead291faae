"""Pick each stage's provider from the settings, with a fallback behind every remote one.

A table from (stage, provider name) to the class that serves it; each remote provider is
wrapped (``fallbacks``) with the stage's embedded engine behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from server.config import Settings, StageSettings
from server.services.asr_local import LocalSpeechToText
from server.services.asr_openai import OpenAISpeechToText
from server.services.base import Conversation, Face, SpeechToText, TextToSpeech
from server.services.cloning import VoiceCloner
from server.services.cloning_cosyvoice import CosyVoiceCloner, CosyVoiceTextToSpeech
from server.services.cloning_elevenlabs import ElevenLabsVoiceCloner
from server.services.cloning_gptsovits import GptSovitsCloner, GptSovitsTextToSpeech
from server.services.cloning_openai import OpenAIVoiceLibrary
from server.services.endpoint import HttpProvider
from server.services.face_http import HttpTalkingHead
from server.services.face_local import LocalFace
from server.services.fallback_events import OnFallback
from server.services.fallbacks import FallbackConversation, FallbackFace, FallbackSpeechToText, FallbackTextToSpeech
from server.services.llm_openai import OpenAIConversation
from server.services.reference_voice import ReferenceVoiceProvider, ReferenceVoices
from server.services.tts_elevenlabs import ElevenLabsTextToSpeech
from server.services.tts_local import LocalTextToSpeech
from server.services.tts_openai import OpenAITextToSpeech

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


__all__ = ["FALLBACKS", "PROVIDERS", "Services", "build_cloner", "build_services"]
