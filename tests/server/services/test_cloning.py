"""Voice cloning and the cloned voice speaking, against fake services at the HTTP boundary."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json

import httpx
import numpy as np
import pytest

from server.audio import decode_audio
from server.config import Settings, StageSettings
from server.services.base import ServiceError
from server.services.cloning import VoiceSample
from server.services.cloning_elevenlabs import ElevenLabsVoiceCloner
from server.services.cloning_openai import OpenAIVoiceLibrary, reference_wav, voice_name
from server.services.endpoint import Endpoint
from server.services.fallbacks import FallbackTextToSpeech
from server.services.http import make_http_client
from server.services.registry import build_cloner, build_services
from server.services.tts_elevenlabs import ElevenLabsTextToSpeech, root_url
from tests.conftest import wav_bytes


def form_parts(request: httpx.Request) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, content) of each part of a multipart request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.read())
    return [
        (part.get_param("name", header="content-disposition"), part.get_filename(), part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


def tone(seconds: float = 1.0, rate: int = 22050) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def mp3_bytes(samples: np.ndarray, rate: int = 44100) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        stream = container.add_stream("mp3", rate=rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


class Fake:
    """A fake voice service: answers by (method, path), keeps what it was sent."""

    def __init__(self, routes: dict[tuple[str, str], httpx.Response | Exception]):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, prefix), answer in self.routes.items():
            if request.method == method and request.url.path.startswith(prefix):
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return httpx.Response(404, json={"detail": "not found"})


@pytest.fixture
async def http():
    clients = []

    def make(fake: Fake) -> httpx.AsyncClient:
        client = make_http_client(transport=httpx.MockTransport(fake))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


SAMPLES = [
    VoiceSample("one.wav", wav_bytes(tone(2.0), 22050), "audio/wav"),
    VoiceSample("two.wav", wav_bytes(tone(3.0), 22050), "audio/wav"),
]


# --- ElevenLabs-style --------------------------------------------------------------------


async def test_elevenlabs_creates_a_voice_from_sample_files(http):
    fake = Fake({("POST", "/v1/voices/add"): httpx.Response(200, json={"voice_id": "v123", "requires_verification": False})})
    cloner = ElevenLabsVoiceCloner(Endpoint(http(fake), base_url="https://el.test/v1", api_key="secret"))
    assert await cloner.create_voice("Keepsake Rose", SAMPLES, description="family") == "v123"
    request = fake.requests[0]
    assert str(request.url) == "https://el.test/v1/voices/add" and request.headers["xi-api-key"] == "secret"
    parts = form_parts(request)
    assert ("name", None, b"Keepsake Rose") in parts and ("description", None, b"family") in parts
    files = [(name, filename) for name, filename, _ in parts if name == "files"]
    assert files == [("files", "one.wav"), ("files", "two.wav")]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"detail": "bad key"}),
        httpx.Response(200, json={"nope": 1}),
        httpx.Response(200, text="<html>"),
        httpx.ConnectError("refused"),
    ],
)
async def test_elevenlabs_create_failures_are_service_errors(http, answer):
    fake = Fake({("POST", "/v1/voices/add"): answer})
    with pytest.raises(ServiceError):
        await ElevenLabsVoiceCloner(Endpoint(http(fake), base_url="https://el.test", api_key="k")).create_voice("x", SAMPLES)
    assert len(fake.requests) == 1  # never retried: a retry could make a second voice


async def test_elevenlabs_delete_voice_and_already_gone(http):
    fake = Fake({("DELETE", "/v1/voices/v123"): httpx.Response(200, json={"status": "ok"})})
    cloner = ElevenLabsVoiceCloner(Endpoint(http(fake), base_url="https://el.test", api_key="k"))
    await cloner.delete_voice("v123")
    assert fake.requests[0].method == "DELETE" and fake.requests[0].headers["xi-api-key"] == "k"
    await cloner.delete_voice("gone")  # 404: already deleted, which is what was wanted
    fake.routes[("DELETE", "/v1/voices/v9")] = httpx.Response(500)
    with pytest.raises(ServiceError):
        await cloner.delete_voice("v9")


@pytest.mark.parametrize("kind", ["mp3", "wav"])
async def test_elevenlabs_speaks_with_the_voice_id(http, kind):
    body = mp3_bytes(tone(1.0, 44100)) if kind == "mp3" else wav_bytes(tone(1.0), 22050)
    mime = "audio/mpeg" if kind == "mp3" else "audio/wav"
    fake = Fake({("POST", "/v1/text-to-speech/v123"): httpx.Response(200, content=body, headers={"content-type": mime})})
    tts = ElevenLabsTextToSpeech(Endpoint(http(fake), base_url="https://el.test", api_key="k", model="eleven_turbo_v2"))
    audio = await tts.synthesize("Hello, my love.", voice="v123")
    assert 0.8 < audio.duration_s < 1.3 and float(np.abs(audio.samples).max()) > 0.1
    request = fake.requests[0]
    assert json.loads(request.content) == {"text": "Hello, my love.", "model_id": "eleven_turbo_v2"}
    assert request.headers["xi-api-key"] == "k" and "audio/mpeg" in request.headers["accept"]


async def test_elevenlabs_without_a_voice_or_with_garbage(http):
    fake = Fake({("POST", "/v1/text-to-speech/"): httpx.Response(200, content=b"not audio at all")})
    tts = ElevenLabsTextToSpeech(Endpoint(http(fake), base_url="https://el.test"))
    with pytest.raises(ServiceError, match="no voice id"):
        await tts.synthesize("Hello")
    with pytest.raises(ServiceError, match="not audio"):
        await tts.synthesize("Hello", voice="v1")
    assert (await tts.synthesize("...", voice="v1")).duration_s > 0  # nothing to say: a pause, no request


def test_root_url():
    assert root_url("https://api.elevenlabs.io/v1/") == root_url("https://api.elevenlabs.io") == "https://api.elevenlabs.io"


# --- OpenAI-compatible voice library ------------------------------------------------------


async def test_openai_voice_library_uploads_one_reference_and_deletes(http):
    fake = Fake(
        {
            ("POST", "/v1/voices"): httpx.Response(201, json={"message": "ok", "voice": {"name": "keepsake-rose-whitfield"}}),
            ("DELETE", "/v1/voices/keepsake-rose-whitfield"): httpx.Response(200, json={}),
        }
    )
    cloner = OpenAIVoiceLibrary(Endpoint(http(fake), base_url="http://tts.local:4123/v1", api_key="k"))
    voice = await cloner.create_voice("Keepsake Rose Whitfield", SAMPLES)
    assert voice == "keepsake-rose-whitfield"
    parts = form_parts(fake.requests[0])
    assert ("voice_name", None, b"keepsake-rose-whitfield") in parts
    ((name, filename, data),) = [p for p in parts if p[0] == "voice_file"]
    reference = decode_audio(data, None)
    assert filename.endswith(".wav") and 4.5 < reference.duration_s < 6.5  # both samples, joined
    assert fake.requests[0].headers["authorization"] == "Bearer k"
    await cloner.delete_voice(voice)
    assert fake.requests[-1].method == "DELETE"


def test_reference_is_capped_and_names_are_safe():
    long = [VoiceSample(f"{i}.wav", wav_bytes(tone(25.0), 22050), "audio/wav") for i in range(4)]
    assert decode_audio(reference_wav(long), None).duration_s <= 60.0
    assert voice_name("Keepsake Rose / Nana's voice!") == "keepsake-rose-nana-s-voice"


# --- choosing the cloner from the settings --------------------------------------------------


def test_build_cloner_follows_the_voice_service():
    client = httpx.AsyncClient()
    el = StageSettings(provider="elevenlabs", api_key="k")
    assert isinstance(build_cloner(Settings(tts=el), client), ElevenLabsVoiceCloner)
    own = StageSettings(provider="openai", base_url="http://127.0.0.1:4123/v1")
    assert isinstance(build_cloner(Settings(tts=own), client), OpenAIVoiceLibrary)
    assert build_cloner(Settings(tts=StageSettings(provider="openai")), client) is None  # api.openai.com: no library
    assert build_cloner(Settings(), client) is None  # the embedded voice


def test_registry_builds_the_elevenlabs_voice_with_the_embedded_fallback():
    settings = Settings(tts=StageSettings(provider="elevenlabs", base_url="https://el.test", api_key="k", voice="v1"))
    services = build_services(settings, httpx.AsyncClient())
    assert isinstance(services.tts, FallbackTextToSpeech) and services.tts.primary.name == "elevenlabs"
    assert services.tts.primary.voice == "v1"
