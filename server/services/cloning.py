"""Voice cloning: register the person's voice with a remote service from their recorded samples.

``VoiceCloner`` is the interface; the providers are ElevenLabs-style
(``server.services.cloning_elevenlabs``), an OpenAI-compatible speech server
with a voice library (``server.services.cloning_openai``), and the zero-shot
servers CosyVoice and GPT-SoVITS (``cloning_cosyvoice``, ``cloning_gptsovits``),
which register nothing: their voice id names a reference clip kept by
Keepsake (``server.services.reference_voice``). The voice id a cloner returns
is kept on the persona and handed to the TTS stage as ``voice``, so the same
service then speaks in that voice.

Which cloner is built follows the TTS provider (the service that will speak
with the voice), from the same ``KEEPSAKE_TTS__*`` settings
(``server.services.registry.build_cloner``); with no cloning service there,
none is built and the embedded voice speaks. This module imports no provider,
so the providers can import it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

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
