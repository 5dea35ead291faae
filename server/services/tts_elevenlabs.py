"""ElevenLabs-style speech: speak with a voice id (a cloned voice, see ``cloning_elevenlabs``).

The protocol: ``POST {base}/v1/text-to-speech/{voice_id}`` with JSON
``{"text", "model_id"}`` answers audio (MP3 by default, WAV accepted). Every
call carries the ``xi-api-key`` header.
"""

from __future__ import annotations

import asyncio

import httpx
import numpy as np

from server.audio import AudioDecodeError, decode_audio
from server.config import StageSettings
from server.services.base import Audio, ServiceError, TextToSpeech
from server.services.endpoint import Endpoint, EndpointDefaults, HttpProvider
from server.services.http import request_with_retry
from server.text.sentences import is_speakable

ELEVENLABS_BASE_URL = "https://api.elevenlabs.io"
DEFAULT_MODEL = "eleven_multilingual_v2"
_PAUSE = Audio(np.zeros(4410, np.float32), 22050)  # 0.2 s: what "nothing to say" sounds like


def root_url(base_url: str) -> str:
    """``https://api.elevenlabs.io``, whether the setting ends in ``/v1`` or not."""
    root = base_url.strip().rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def key_header(api_key: str | None) -> dict[str, str]:
    return {"xi-api-key": api_key} if api_key else {}


class ElevenLabsTextToSpeech(HttpProvider, TextToSpeech):
    name = "elevenlabs"
    defaults = EndpointDefaults(base_url=ELEVENLABS_BASE_URL, model=DEFAULT_MODEL)

    def __init__(self, endpoint: Endpoint, *, voice: str | None = None):
        super().__init__(endpoint)
        self.root = root_url(self.endpoint.base_url)
        self.voice = voice

    @classmethod
    def from_settings(cls, stage: StageSettings, http: httpx.AsyncClient) -> ElevenLabsTextToSpeech:
        return cls(Endpoint.from_settings(stage, http, cls.defaults), voice=stage.voice)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        text = text.strip()
        if not is_speakable(text):
            return _PAUSE
        voice_id = voice or self.voice
        if not voice_id:
            raise ServiceError(self.stage, self.name, "no voice id: clone the persona's voice or set KEEPSAKE_TTS__VOICE")
        # Synthesis has no side effects, so retrying a 502/503/504/429 is safe.
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            f"{self.root}/v1/text-to-speech/{voice_id}",
            stage=self.stage,
            provider=self.name,
            retries=self.endpoint.retries,
            timeout=self.endpoint.timeout_s,
            json={"text": text, "model_id": self.endpoint.model},
            headers={**key_header(self.endpoint.api_key), "Accept": "audio/mpeg, audio/wav"},
        )
        try:
            # Off the loop: MP3 takes FFmpeg work. None keeps the voice's own sample rate.
            audio = await asyncio.to_thread(decode_audio, response.content, None)
        except AudioDecodeError as exc:
            raise ServiceError(self.stage, self.name, f"answer is not audio: {exc}") from exc
        if audio.samples.size == 0:
            raise ServiceError(self.stage, self.name, "answer holds no audio")
        return audio
