"""Voice cloning: register the person's voice with a remote service from their recorded samples.

``VoiceCloner`` is the interface; the providers are ElevenLabs-style
(``server.services.tts_elevenlabs``) and an OpenAI-compatible speech server
with a voice library (``server.services.cloning_openai``). The voice id a
cloner returns is kept on the persona and handed to the TTS stage as
``voice``, so the same service then speaks in that voice. With no cloning
service configured, ``build_cloner`` gives None and the embedded voice speaks.

Which cloner is built follows the TTS provider (the service that will speak
with the voice), from the same ``KEEPSAKE_TTS__*`` settings; a ``clone``
stage in the settings, if there is one, wins.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import httpx

# Registering a voice uploads a minute of audio and the service analyses it: give it time.
MIN_CLONE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class VoiceSample:
    filename: str
    data: bytes
    mime: str


class VoiceCloner(ABC):
    stage = "clone"
    name = "base"

    @abstractmethod
    async def create_voice(self, name: str, samples: list[VoiceSample], *, description: str | None = None) -> str:
        """Register a voice from the samples; its id. Raises ServiceError."""

    @abstractmethod
    async def delete_voice(self, voice_id: str) -> None:
        """Remove the voice from the service (already gone is fine). Raises ServiceError."""


def build_cloner(settings, http: httpx.AsyncClient) -> VoiceCloner | None:
    """The cloning service the settings point at, or None: then the embedded voice speaks."""
    stage = getattr(settings, "clone", None)
    if stage is None or stage.provider.lower() in ("", "local", "none"):
        stage = settings.tts
    provider = stage.provider.lower()
    if provider == "elevenlabs":
        from server.services.tts_elevenlabs import ElevenLabsVoiceCloner

        return ElevenLabsVoiceCloner.from_settings(stage, http)
    if provider == "openai" and stage.base_url and "api.openai.com" not in stage.base_url:
        # A self-hosted OpenAI-compatible speech server (Chatterbox TTS API and the like) with a voice library.
        # OpenAI's own API has no such upload (its custom voices need a spoken consent recording and approval).
        from server.services.cloning_openai import OpenAIVoiceLibrary

        return OpenAIVoiceLibrary.from_settings(stage, http)
    return None
