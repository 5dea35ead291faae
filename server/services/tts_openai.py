"""Text to speech through an OpenAI-compatible ``/audio/speech`` endpoint (WAV back)."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np

from server.audio import AudioDecodeError, decode_audio
from server.config import StageSettings
from server.services.base import Audio, ServiceError, TextToSpeech
from server.services.endpoint import OPENAI_BASE_URL, Endpoint, EndpointDefaults, HttpProvider
from server.services.http import api_url, bearer, request_with_retry
from server.text.sentences import is_speakable

DEFAULT_MODEL = "tts-1"
DEFAULT_VOICE = "alloy"
_PAUSE = Audio(np.zeros(4800, np.float32), 24000)  # 0.2 s: what "nothing to say" sounds like


class OpenAITextToSpeech(HttpProvider, TextToSpeech):
    name = "openai"
    defaults = EndpointDefaults(base_url=OPENAI_BASE_URL, model=DEFAULT_MODEL)

    def __init__(self, endpoint: Endpoint, *, voice: str | None = None):
        super().__init__(endpoint)
        self.url = api_url(self.endpoint.base_url, "audio/speech")
        self.voice = voice or DEFAULT_VOICE

    @classmethod
    def from_settings(cls, stage: StageSettings, http: httpx.AsyncClient) -> OpenAITextToSpeech:
        return cls(Endpoint.from_settings(stage, http, cls.defaults), voice=stage.voice)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        text = text.strip()
        if not is_speakable(text):
            return _PAUSE  # upstreams reject empty input; there is nothing to say anyway
        # Synthesis has no side effects, so retrying a 502/503/504/429 is safe.
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            self.url,
            stage=self.stage,
            provider=self.name,
            retries=self.endpoint.retries,
            timeout=self.endpoint.timeout_s,
            json={"model": self.endpoint.model, "input": text, "voice": voice or self.voice, "response_format": "wav"},
            headers=bearer(self.endpoint.api_key),
        )
        try:
            # None: keep the voice's own rate. Off the loop: an mp3 answer takes FFmpeg work.
            audio = await asyncio.to_thread(decode_audio, response.content, None)
        except AudioDecodeError as exc:
            raise ServiceError(self.stage, self.name, f"answer is not audio: {exc}") from exc
        if audio.samples.size == 0:
            raise ServiceError(self.stage, self.name, "answer holds no audio")
        return audio
