"""A talking-head HTTP service: portrait and speech in (multipart), an MP4 out.

``base_url`` is the full URL of the endpoint (e.g. ``http://host:7860/animate``);
it receives ``portrait`` (the image), ``audio`` (WAV) and, if set, ``model``.
The result also carries the local mouth track, so the tablet can animate the
portrait itself while the video loads or if it cannot play it.
"""

from __future__ import annotations

from server.audio import encode_wav
from server.services.base import Audio, Face, FaceResult, ServiceError
from server.services.endpoint import Endpoint, HttpProvider
from server.services.face_local import DEFAULT_FPS, mouth_track
from server.services.http import bearer, request_with_retry


def image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def looks_like_mp4(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp"


class HttpTalkingHead(HttpProvider, Face):
    """No default URL: the endpoint is the service's own (``KEEPSAKE_FACE__BASE_URL``)."""

    name = "http"
    renders_video = True

    def __init__(self, endpoint: Endpoint, *, fps: int = DEFAULT_FPS):
        super().__init__(endpoint)
        self.fps = fps

    async def animate(self, speech: Audio, *, portrait: bytes | None = None) -> FaceResult:
        mouth = mouth_track(speech, self.fps)
        if not portrait:
            return FaceResult(mouth=mouth)  # nothing to render: the tablet animates its own picture
        model = self.endpoint.model
        data = {"model": model} if model else None
        mime = image_mime(portrait)
        # Rendering has no side effects, so retrying a 502/503/504/429 is safe.
        response = await request_with_retry(
            self.endpoint.http,
            "POST",
            self.endpoint.base_url,
            stage=self.stage,
            provider=self.name,
            retries=self.endpoint.retries,
            timeout=self.endpoint.timeout_s,
            data=data,
            files={
                "portrait": ("portrait" + _EXTENSIONS.get(mime, ""), portrait, mime),
                "audio": ("speech.wav", encode_wav(speech), "audio/wav"),
            },
            headers=bearer(self.endpoint.api_key),
        )
        video = response.content
        if not looks_like_mp4(video):
            raise ServiceError(self.stage, self.name, "answer is not an MP4 video")
        return FaceResult(mouth=mouth, video=video, video_mime="video/mp4")
