"""GPT-SoVITS: speak each sentence from the person's reference clip through its ``api_v2.py`` server.

The protocol, from ``api_v2.py`` (its docstring, ``TTS_Request`` and
``check_params``): ``POST {base}/tts`` with JSON ``text``, ``text_lang``,
``ref_audio_path``, ``prompt_text``, ``prompt_lang``, ``text_split_method``,
``media_type`` and ``streaming_mode`` answers the audio (``audio/wav``); any
failure is HTTP 400 with JSON ``{"message"[, "Exception"]}``.

``ref_audio_path`` is a path on the GPT-SoVITS machine: ``api_v2`` takes no
upload (the upload form of ``/set_refer_audio`` is commented out in its
source; the live one takes a path too). So the clip is shared by
configuration: Keepsake writes it into its reference folder
(``KEEPSAKE_TTS__REFERENCE_DIR``), which the voice server sees at
``KEEPSAKE_TTS__REFERENCE_DIR_ON_SERVER`` (the same path on one machine, a
mounted volume otherwise). When a voice is made, ``GET /set_refer_audio``
with that path has the server load the clip, so a folder it cannot see, or a
clip it refuses, is known at once and not at the first sentence.
"""

from __future__ import annotations

import asyncio
import logging

import numpy as np

from server.audio import AudioDecodeError, decode_audio
from server.services.base import Audio, ServiceError, TextToSpeech
from server.services.endpoint import EndpointDefaults
from server.services.http import request_with_retry
from server.services.reference_voice import (
    Reference,
    ReferenceCloner,
    ReferenceVoiceProvider,
    language_tag,
)
from server.text.sentences import is_speakable

log = logging.getLogger(__name__)

GPT_SOVITS_BASE_URL = "http://127.0.0.1:9880"  # api_v2.py's -a and -p
# TTS_Config.v2_languages, less the mixed and "all_" modes: what a persona's language can be spoken as.
LANGUAGES = frozenset({"en", "zh", "ja", "ko", "yue"})
_PAUSE = Audio(np.zeros(6400, np.float32), 32000)  # 0.2 s


def prompt_language(reference: Reference) -> str:
    """The clip's language as heard; ``auto`` (which every version takes) when it is not one it names."""
    tag = language_tag(reference.language)
    return tag if tag in LANGUAGES else "auto"


def unspoken(language: str) -> str:
    return f"GPT-SoVITS does not speak the language {language!r}"


class GptSovitsTextToSpeech(ReferenceVoiceProvider, TextToSpeech):
    name = "gpt-sovits"
    defaults = EndpointDefaults(base_url=GPT_SOVITS_BASE_URL)

    def unserved(self, *, language: str, voice: str | None) -> str | None:
        if language_tag(language) not in LANGUAGES:
            return unspoken(language)
        return super().unserved(language=language, voice=voice)

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        text = text.strip()
        if not is_speakable(text):
            return _PAUSE
        text_lang = language_tag(language)
        if text_lang not in LANGUAGES:
            raise ServiceError(self.stage, self.name, unspoken(language))
        reference = self.reference(voice)
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            f"{self.endpoint.base_url.rstrip('/')}/tts",
            stage=self.stage,
            provider=self.name,
            retries=self.endpoint.retries,  # synthesis changes nothing on the server
            timeout=self.endpoint.timeout_s,
            json={
                "text": text,
                "text_lang": text_lang,
                "ref_audio_path": self.voices.path_on_server(reference.voice_id),
                "prompt_text": reference.text,
                "prompt_lang": prompt_language(reference),
                "text_split_method": "cut5",
                "media_type": "wav",
                # One sentence at a time already: the whole WAV, with its real length in the header.
                "streaming_mode": False,
            },
        )
        try:
            audio = await asyncio.to_thread(decode_audio, response.content, None)
        except AudioDecodeError as exc:
            raise ServiceError(self.stage, self.name, f"answer is not audio: {exc}") from exc
        if audio.samples.size == 0:
            raise ServiceError(self.stage, self.name, "answer holds no audio")
        return audio


class GptSovitsCloner(ReferenceCloner):
    name = "gpt-sovits"
    defaults = EndpointDefaults(base_url=GPT_SOVITS_BASE_URL, min_timeout_s=ReferenceCloner.defaults.min_timeout_s)

    async def try_reference(self, reference: Reference) -> None:
        path = self.voices.path_on_server(reference.voice_id)
        try:
            await request_with_retry(
                self.endpoint.http,
                "GET",
                f"{self.endpoint.base_url.rstrip('/')}/set_refer_audio",
                stage=self.stage,
                provider=self.name,
                retries=1,  # loading the clip again does no harm
                timeout=self.endpoint.timeout_s,
                params={"refer_audio_path": path},
            )
        except ServiceError as err:
            # The server's words name its own paths: they go to the log, the caregiver gets the gist.
            log.warning("GPT-SoVITS could not load the reference clip %s: %s", path, err.message)
            if "HTTP 400" in err.message:
                raise ServiceError(
                    self.stage, self.name, "the voice server could not open the reference clip (is the reference folder shared with it?)"
                ) from None
            raise
