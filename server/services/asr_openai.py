"""Speech to text through an OpenAI-compatible ``/audio/transcriptions`` endpoint."""

from __future__ import annotations

from server.audio import encode_wav, resample
from server.services.base import Audio, ServiceError, SpeechToText, Transcript
from server.services.endpoint import OPENAI_BASE_URL, Endpoint, EndpointDefaults, HttpProvider
from server.services.http import api_url, bearer, request_with_retry

DEFAULT_MODEL = "whisper-1"
UPLOAD_RATE = 16000  # what Whisper-family models work at; keeps the upload small


def language_code(language: str | None) -> str | None:
    """ "zh-CN" -> "zh": transcription APIs take ISO-639-1 codes."""
    if not language:
        return None
    return language.replace("_", "-").split("-")[0].lower() or None


class OpenAISpeechToText(HttpProvider, SpeechToText):
    name = "openai"
    defaults = EndpointDefaults(base_url=OPENAI_BASE_URL, model=DEFAULT_MODEL)

    def __init__(self, endpoint: Endpoint):
        super().__init__(endpoint)
        self.url = api_url(self.endpoint.base_url, "audio/transcriptions")

    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        if audio.sample_rate != UPLOAD_RATE:
            audio = Audio(resample(audio.samples, audio.sample_rate, UPLOAD_RATE), UPLOAD_RATE)
        form = {"model": self.endpoint.model, "response_format": "json"}
        code = language_code(language)
        if code:
            form["language"] = code
        # Transcription has no side effects, so retrying a 502/503/504/429 is safe.
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            self.url,
            stage=self.stage,
            provider=self.name,
            retries=self.endpoint.retries,
            timeout=self.endpoint.timeout_s,
            data=form,
            files={"file": ("speech.wav", encode_wav(audio), "audio/wav")},
            headers=bearer(self.endpoint.api_key),
        )
        words = response.text.strip() if response.headers.get("content-type", "").startswith("text/plain") else ""
        if words and not words.startswith(("<", "{", "[")):
            # Some OpenAI-compatible servers answer the words alone, whatever response_format asked
            # (a page or broken JSON is still an error below).
            return Transcript(text=words, language=code)
        try:
            payload = response.json()
        except ValueError as exc:
            raise ServiceError(self.stage, self.name, "answer is not JSON") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
            raise ServiceError(self.stage, self.name, "answer has no text field")
        detected = payload.get("language")
        return Transcript(
            text=payload["text"].strip(),
            language=language_code(detected) if isinstance(detected, str) else code,
        )
