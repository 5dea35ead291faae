"""CosyVoice: speak each sentence zero-shot from the person's reference clip and its words.

The protocol, from CosyVoice's own FastAPI server (``runtime/python/fastapi/
server.py``, and its ``client.py``): ``POST {base}/inference_zero_shot`` with
form fields ``tts_text`` and ``prompt_text`` and the file ``prompt_wav``
answers a stream of raw 16-bit little-endian mono PCM, with no header and no
content type, at the model's sample rate (22050 Hz for the CosyVoice-300M
models, 24000 for CosyVoice2 and CosyVoice3, each ``cosyvoice*.yaml``'s
``sample_rate``). A missing field is FastAPI's 422; a clip it cannot read is
a plain 500; a model that fails mid-sentence cuts the stream short.

The server keeps no voices, so nothing is registered: the cloner
(``server.services.reference_voice``) keeps the clip here and tries it once.
"""

from __future__ import annotations

import numpy as np

from server.services.base import Audio, ServiceError, TextToSpeech
from server.services.endpoint import EndpointDefaults
from server.services.http import request_with_retry
from server.services.reference_voice import (
    Reference,
    ReferenceCloner,
    ReferenceVoiceProvider,
)
from server.text.sentences import is_speakable

COSYVOICE_BASE_URL = "http://127.0.0.1:50000"  # server.py's --port
DEFAULT_MODEL = "CosyVoice2-0.5B"  # server.py's --model_dir
_PAUSE = Audio(np.zeros(4800, np.float32), 24000)  # 0.2 s: what "nothing to say" sounds like


def model_rate(model: str | None) -> int:
    """The rate the model speaks at: it is not in the answer, so it follows KEEPSAKE_TTS__MODEL."""
    return 22050 if "cosyvoice-300m" in (model or DEFAULT_MODEL).lower() else 24000


def pcm16_audio(body: bytes, rate: int) -> Audio:
    """Raw 16-bit little-endian PCM as float samples (an odd last byte, from a cut stream, dropped)."""
    whole = len(body) - len(body) % 2
    samples = np.frombuffer(body[:whole], dtype="<i2").astype(np.float32) / 32768.0
    return Audio(samples, rate)


async def zero_shot(provider: ReferenceVoiceProvider, text: str, reference: Reference, *, retries: int) -> Audio:
    """One ``/inference_zero_shot`` call: ``text`` in the reference's voice."""
    endpoint = provider.endpoint
    response = await request_with_retry(
        endpoint.http,
        "POST",
        f"{endpoint.base_url.rstrip('/')}/inference_zero_shot",
        stage=provider.stage,
        provider=provider.name,
        retries=retries,
        timeout=endpoint.timeout_s,
        data={"tts_text": text, "prompt_text": reference.text},
        # As client.py sends it; the server reads the file with torchaudio, whatever its name.
        files={"prompt_wav": ("prompt_wav", reference.wav, "application/octet-stream")},
    )
    if response.headers.get("content-type", "").startswith(("application/json", "text/")):
        raise ServiceError(provider.stage, provider.name, "answer is not audio")
    audio = pcm16_audio(response.content, model_rate(endpoint.model))
    if audio.samples.size == 0:
        raise ServiceError(provider.stage, provider.name, "answer holds no audio")
    return audio


class CosyVoiceTextToSpeech(ReferenceVoiceProvider, TextToSpeech):
    name = "cosyvoice"
    defaults = EndpointDefaults(base_url=COSYVOICE_BASE_URL, model=DEFAULT_MODEL)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        # No language to send: CosyVoice reads it from the text (its frontend's own detection).
        text = text.strip()
        if not is_speakable(text):
            return _PAUSE
        # Synthesis changes nothing on the server, so retrying a 502/503/504/429 is safe.
        return await zero_shot(self, text, self.reference(voice), retries=self.endpoint.retries)


class CosyVoiceCloner(ReferenceCloner):
    name = "cosyvoice"
    defaults = EndpointDefaults(base_url=COSYVOICE_BASE_URL, model=DEFAULT_MODEL, min_timeout_s=ReferenceCloner.defaults.min_timeout_s)

    async def try_reference(self, reference: Reference) -> None:
        # The clip's own first words, spoken from it: the server is there and takes the clip.
        words = " ".join(reference.text.split()[:8])
        await zero_shot(self, words, reference, retries=0)
