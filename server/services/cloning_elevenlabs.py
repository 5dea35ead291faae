"""Voice cloning on an ElevenLabs-style service: create a voice from sample files, get its id.

The protocol: ``POST {base}/v1/voices/add`` (multipart ``name`` + one ``files``
part per sample) answers ``{"voice_id"}``; ``DELETE {base}/v1/voices/{id}``
removes the voice. Every call carries the ``xi-api-key`` header. The voice is
then spoken by ``tts_elevenlabs`` on the same service.
"""

from __future__ import annotations

from server.services.base import ServiceError
from server.services.cloning import MIN_CLONE_TIMEOUT_S, VoiceCloner, VoiceSample
from server.services.endpoint import Endpoint, EndpointDefaults, HttpProvider
from server.services.http import request_with_retry
from server.services.tts_elevenlabs import ELEVENLABS_BASE_URL, key_header, root_url


class ElevenLabsVoiceCloner(HttpProvider, VoiceCloner):
    """Speaks to the TTS stage's service (same URL and key); its retries are its own (see each call)."""

    name = "elevenlabs"
    defaults = EndpointDefaults(base_url=ELEVENLABS_BASE_URL, min_timeout_s=MIN_CLONE_TIMEOUT_S)

    def __init__(self, endpoint: Endpoint):
        super().__init__(endpoint)
        self.root = root_url(self.endpoint.base_url)

    async def create_voice(self, name: str, samples: list[VoiceSample], *, description: str | None = None) -> str:
        if not samples:
            raise ServiceError(self.stage, self.name, "no samples to make a voice from")
        form = {"name": name}
        if description:
            form["description"] = description
        # Not retried: a second try after a lost answer would make a second voice.
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            f"{self.root}/v1/voices/add",
            stage=self.stage,
            provider=self.name,
            retries=0,
            timeout=self.endpoint.timeout_s,
            data=form,
            files=[("files", (s.filename, s.data, s.mime)) for s in samples],
            headers=key_header(self.endpoint.api_key),
        )
        try:
            voice_id = response.json()["voice_id"]
        except (ValueError, KeyError, TypeError):
            raise ServiceError(self.stage, self.name, "answer has no voice_id") from None
        if not isinstance(voice_id, str) or not voice_id:
            raise ServiceError(self.stage, self.name, "answer has no voice_id")
        return voice_id

    async def delete_voice(self, voice_id: str) -> None:
        try:
            await request_with_retry(
                self.endpoint.http,
                "DELETE",
                f"{self.root}/v1/voices/{voice_id}",
                stage=self.stage,
                provider=self.name,
                retries=1,  # deleting twice does no harm
                timeout=self.endpoint.timeout_s,
                headers=key_header(self.endpoint.api_key),
            )
        except ServiceError as err:
            if "HTTP 404" not in err.message:  # already gone is what we wanted
                raise
