"""Text to speech through an OpenAI-compatible ``/audio/speech`` endpoint (WAV back)."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np

from server.audio import AudioDecodeError, decode_audio
from server.services.base import Audio, ServiceError, TextToSpeech
from server.services.http import api_url, bearer, request_with_retry
from server.text.sentences import is_speakable

DEFAULT_MODEL = "tts-1"
DEFAULT_VOICE = "alloy"
_PAUSE = Audio(np.zeros(4800, np.float32), 24000)  # 0.2 s: what "nothing to say" sounds like


class OpenAITextToSpeech(TextToSpeech):
    name = "openai"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        voice: str | None = None,
        timeout_s: float = 30.0,
        retries: int = 1,
    ):
        self.http = http
        self.url = api_url(base_url, "audio/speech")
        self.model = model or DEFAULT_MODEL
        self.api_key = api_key
        self.voice = voice or DEFAULT_VOICE
        self.timeout_s = timeout_s
        self.retries = retries

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        text = text.strip()
        if not is_speakable(text):
            return _PAUSE  # upstreams reject empty input; there is nothing to say anyway
        # Synthesis has no side effects, so retrying a 502/503/504/429 is safe.
        response = await request_with_retry(
            self.http,
            "POST",
            self.url,
            stage=self.stage,
            provider=self.name,
            retries=self.retries,
            timeout=self.timeout_s,
            json={"model": self.model, "input": text, "voice": voice or self.voice, "response_format": "wav"},
            headers=bearer(self.api_key),
        )
        try:
            # None: keep the voice's own rate. Off the loop: an mp3 answer takes FFmpeg work.
            audio = await asyncio.to_thread(decode_audio, response.content, None)
        except AudioDecodeError as exc:
            raise ServiceError(self.stage, self.name, f"answer is not audio: {exc}") from exc
        if audio.samples.size == 0:
            raise ServiceError(self.stage, self.name, "answer holds no audio")
        return audio
