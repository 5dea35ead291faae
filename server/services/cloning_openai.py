"""Voice cloning on an OpenAI-compatible speech server that keeps a library of reference voices.

Self-hosted servers that speak OpenAI's ``/v1/audio/speech`` and clone from a
reference recording (the Chatterbox TTS API, for one) let a client upload a
reference voice by name and then pass that name as ``voice``:

* ``POST {base}/voices`` multipart ``voice_name`` + ``voice_file`` (one file) → 2xx;
* ``DELETE {base}/voices/{voice_name}``.

``base`` is the API root with its version, as for the other OpenAI-compatible
providers (``http://host:4123/v1``). The samples go up as one WAV: the clean
speech of each, joined, at most a minute.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import numpy as np

from server.audio import AudioDecodeError, decode_audio, encode_wav, trim_silence
from server.config import StageSettings
from server.services.base import Audio, ServiceError
from server.services.cloning import MIN_CLONE_TIMEOUT_S, VoiceCloner, VoiceSample
from server.services.endpoint import EndpointDefaults, HttpProvider
from server.services.http import api_url, bearer, request_with_retry

REFERENCE_RATE = 24000
MAX_REFERENCE_S = 60.0
_GAP = np.zeros(int(0.3 * REFERENCE_RATE), np.float32)


def reference_wav(samples: list[VoiceSample]) -> bytes:
    """The samples' speech, trimmed and joined with short pauses, as one WAV."""
    pieces: list[np.ndarray] = []
    total = 0
    for sample in samples:
        try:
            audio = trim_silence(decode_audio(sample.data, REFERENCE_RATE))
        except AudioDecodeError:
            continue
        pieces += [audio.samples, _GAP]
        total += audio.samples.size + _GAP.size
        if total >= MAX_REFERENCE_S * REFERENCE_RATE:
            break
    joined = np.concatenate(pieces)[: int(MAX_REFERENCE_S * REFERENCE_RATE)] if pieces else np.zeros(0, np.float32)
    return encode_wav(Audio(joined, REFERENCE_RATE))


def voice_name(name: str) -> str:
    """A name the server can use as a file name: letters, digits, '-' and '_'."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower()
    return slug[:64] or "keepsake-voice"


class OpenAIVoiceLibrary(HttpProvider, VoiceCloner):
    """No default URL: only a self-hosted server keeps such a library. Retries are per call, as below."""

    name = "openai"
    defaults = EndpointDefaults(min_timeout_s=MIN_CLONE_TIMEOUT_S)

    @classmethod
    def serves(cls, stage: StageSettings) -> bool:
        # A self-hosted OpenAI-compatible speech server (Chatterbox TTS API and the like) with a voice library.
        # OpenAI's own API has no such upload (its custom voices need a spoken consent recording and approval).
        return bool(stage.base_url) and "api.openai.com" not in (stage.base_url or "")

    async def create_voice(self, name: str, samples: list[VoiceSample], *, description: str | None = None) -> str:
        wav = await asyncio.to_thread(reference_wav, samples)
        if len(wav) <= 44:
            raise ServiceError(self.stage, self.name, "no speech in the samples")
        chosen = voice_name(name)
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            api_url(self.endpoint.base_url, "voices"),
            stage=self.stage,
            provider=self.name,
            retries=0,
            timeout=self.endpoint.timeout_s,
            data={"voice_name": chosen},
            files={"voice_file": (f"{chosen}.wav", wav, "audio/wav")},
            headers=bearer(self.endpoint.api_key),
        )
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        # Servers answer {"name"}, {"voice": {"name"}} or nothing useful: the name we chose is the id then.
        if isinstance(payload, dict):
            voice = payload.get("voice")
            named: dict[str, Any] = voice if isinstance(voice, dict) else payload
            given = named.get("name")
            if isinstance(given, str) and given:
                return given
        return chosen

    async def delete_voice(self, voice_id: str) -> None:
        try:
            await request_with_retry(
                self.endpoint.http,
                "DELETE",
                api_url(self.endpoint.base_url, f"voices/{voice_id}"),
                stage=self.stage,
                provider=self.name,
                retries=1,
                timeout=self.endpoint.timeout_s,
                headers=bearer(self.endpoint.api_key),
            )
        except ServiceError as err:
            if "HTTP 404" not in err.message:
                raise
