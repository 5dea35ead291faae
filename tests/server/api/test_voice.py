"""Voice samples (each checked, with a verdict to act on) and cloning the voice with a fake service."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.audio import decode_audio, encode_wav
from server.config import Settings, StageSettings
from server.services.base import Audio
from server.voice import checks
from server.voice.clone import forget_voices
from tests.conftest import wav_bytes
from tests.server.api.conftest import new_household, new_persona
from tests.server.importers import makers

EL = "http://voices.test"
STORY = (
    "When I was a girl we lived by the sea in Whitby. Every morning before school I walked along the beach with my "
    "brother Tom, and we filled our pockets with shells and bits of sea glass. Mother said the sea glass was the "
    "sea's way of saying sorry for the storms. I kept mine in a jam jar on the kitchen windowsill."
)
MORE = (
    "At fourteen I started at the bakery on Flowergate. I was up at four to light the ovens, and by six the whole "
    "street smelled of bread. Mr Hudson taught me the secret of a good scone: cold butter and a light hand."
)


class FakeVoiceService:
    """ElevenLabs-style upstream: voices are created, spoken with, deleted."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_create = False
        self.voices: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/v1/voices/add":
            if self.fail_create:
                return httpx.Response(500, json={"detail": "overloaded"})
            voice_id = f"voice{len(self.voices) + 1}"
            self.voices.add(voice_id)
            return httpx.Response(200, json={"voice_id": voice_id})
        if request.method == "DELETE" and path.startswith("/v1/voices/"):
            self.voices.discard(path.rsplit("/", 1)[-1])
            return httpx.Response(200, json={"status": "ok"})
        if request.method == "POST" and path.startswith("/v1/text-to-speech/"):
            t = np.arange(12000) / 24000
            return httpx.Response(200, content=wav_bytes(0.3 * np.sin(2 * np.pi * 200 * t), 24000), headers={"content-type": "audio/wav"})
        return httpx.Response(404)


@pytest.fixture
def service() -> FakeVoiceService:
    return FakeVoiceService()


def make_client(settings: Settings, transport) -> TestClient:
    return TestClient(create_app(settings, http_transport=transport))


@pytest.fixture
def client(data_dir, service):
    voice = StageSettings(provider="elevenlabs", base_url=EL, api_key="xi-key", timeout_s=5, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, tts=voice)
    with make_client(settings, httpx.MockTransport(service)) as c:
        yield c


@pytest.fixture
def hh(client):
    return new_household(client)


@pytest.fixture
def persona(client, hh):
    return new_persona(client, hh, memories=False)


def send(client, hh, persona, data: bytes, mime: str = "audio/wav"):
    return client.post(f"/v1/personas/{persona['id']}/voice-samples", content=data, headers={**hh["headers"], "content-type": mime})


def variant(wav: bytes, change) -> bytes:
    audio = decode_audio(wav, None)
    return encode_wav(Audio(np.clip(change(audio.samples), -1, 1).astype(np.float32), audio.sample_rate))


# --- the checks themselves --------------------------------------------------------------


def test_verdicts_for_good_and_bad_recordings(spoken_wav):
    voice = decode_audio(spoken_wav(STORY), 16000)
    rng = np.random.default_rng(3)

    def verdict(samples) -> checks.SampleCheck:
        return checks.check(Audio(np.asarray(samples, np.float32), 16000))

    good = verdict(voice.samples)
    assert good.verdict == "good" and good.usable and good.speech_s > 10 and "clear speech" in good.message
    cases = {
        "clipped": np.clip(voice.samples * 20, -1, 1),
        "too_quiet": voice.samples * 0.003,
        "noisy": voice.samples + rng.normal(0, 0.05, voice.samples.size),
        "no_sound": np.zeros(16000 * 5),
        "too_short": voice.samples[:16000],
        "mostly_silence": np.concatenate([voice.samples[:32000], rng.normal(0, 0.001, 16000 * 20)]),
    }
    for expected, samples in cases.items():
        result = verdict(samples)
        assert result.verdict == expected and not result.usable and result.clean_s == 0, (expected, result)
        assert result.message.endswith(".") and len(result.message) > 20
    usable = {
        "slightly_quiet": voice.samples * 0.15,
        "slightly_noisy": voice.samples + rng.normal(0, 0.01, voice.samples.size),
        "slightly_clipped": np.clip(voice.samples * 2.2, -1, 1),
    }
    for expected, samples in usable.items():
        result = verdict(samples)
        assert result.verdict == expected and result.usable and result.clean_s > 5, (expected, result)


# --- samples through the API -------------------------------------------------------------------


def test_samples_are_checked_kept_and_counted(client, hh, persona, spoken_wav):
    r = send(client, hh, persona, spoken_wav(STORY))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sample"]["verdict"] == "good" and body["sample"]["usable"]
    first = body["total_clean_s"]
    assert 10 < first < 30 and body["needed_s"] == 30 and body["enough"] is False and "more" in body["message"]

    r = send(client, hh, persona, variant(spoken_wav(MORE), lambda s: s * 40))
    assert r.status_code == 201 and r.json()["sample"]["verdict"] == "clipped"
    assert "further away" in r.json()["sample"]["message"] and r.json()["total_clean_s"] == first  # not counted

    # Multipart works too, for files picked on the tablet.
    r = client.post(f"/v1/personas/{persona['id']}/voice-samples", files={"file": ("more.wav", spoken_wav(MORE))}, headers=hh["headers"])
    assert r.status_code == 201 and r.json()["sample"]["filename"] == "more.wav"
    listed = client.get(f"/v1/personas/{persona['id']}/voice-samples", headers=hh["headers"]).json()
    assert [s["verdict"] for s in listed["samples"]] == ["good", "clipped", "good"]
    assert listed["cloning"]["available"] and listed["cloning"]["provider"] == "elevenlabs"

    clipped = listed["samples"][1]["id"]
    assert client.delete(f"/v1/personas/{persona['id']}/voice-samples/{clipped}", headers=hh["headers"]).status_code == 204
    assert client.delete(f"/v1/personas/{persona['id']}/voice-samples/{clipped}", headers=hh["headers"]).status_code == 404
    assert len(client.get(f"/v1/personas/{persona['id']}/voice-samples", headers=hh["headers"]).json()["samples"]) == 2


def test_bad_sample_uploads(client, hh, persona):
    assert send(client, hh, persona, b"").status_code == 400
    r = send(client, hh, persona, b"these are words, not sound" * 20)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_audio"
    assert send(client, hh, persona, makers.face_png(), "audio/wav").status_code == 422
    assert send(client, hh, persona, b"hello", "text/plain").status_code == 415
    r = send(client, hh, persona, wav_bytes(np.zeros(8000 * 301), 8000))
    assert r.status_code == 413 and r.json()["error"]["code"] == "audio_too_long"
    assert client.get(f"/v1/personas/{persona['id']}/voice-samples", headers=hh["headers"]).json()["samples"] == []
    other = new_household(client, "other@example.com")
    assert send(client, other, persona, wav_bytes(np.zeros(1600))).status_code == 404


# --- cloning ----------------------------------------------------------------------------------


def test_clone_needs_thirty_clean_seconds(client, hh, persona, spoken_wav, service):
    send(client, hh, persona, spoken_wav(STORY))
    r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_enough_voice" and "seconds more" in r.json()["error"]["message"]
    assert not service.requests


def test_clone_then_speak_in_that_voice_then_remove_it(client, hh, persona, spoken_wav, service):
    for text in (STORY, MORE, STORY + " " + MORE):
        assert send(client, hh, persona, spoken_wav(text)).status_code == 201
    r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["voice_id"] == "voice1" and result["provider"] == "elevenlabs" and result["samples_used"] == 3
    created = service.requests[-1]
    assert created.url.path == "/v1/voices/add" and created.headers["xi-api-key"] == "xi-key"
    assert created.content.count(b'name="files"') == 3
    made = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    assert made["voice_id"] == "voice1"
    assert made["voice_choice"] == "cloned" and made["voice_fit"]["speaks_with"] == "cloned"  # making her voice chooses it

    # The persona now speaks with its own voice id.
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    assert session["greeting"]["sentences"]
    spoken = [q for q in service.requests if q.url.path.startswith("/v1/text-to-speech/")]
    assert spoken and all(q.url.path == "/v1/text-to-speech/voice1" for q in spoken)
    assert "text" in json.loads(spoken[0].content)

    # Cloning again replaces the voice and deletes the old one at the service.
    assert client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"]).json()["voice_id"] == "voice2"
    assert service.voices == {"voice2"}
    assert client.delete(f"/v1/personas/{persona['id']}/voice", headers=hh["headers"]).status_code == 204
    assert service.voices == set()
    removed = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    assert removed["voice_id"] is None and removed["voice_choice"] is None  # back to the first voice that suits her


def test_clone_service_failure_is_a_clear_502(client, hh, persona, spoken_wav, service):
    for text in (STORY, MORE, STORY + " " + MORE):
        send(client, hh, persona, spoken_wav(text))
    service.fail_create = True
    r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
    assert r.status_code == 502 and r.json()["error"]["code"] == "voice_service_failed"
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["voice_id"] is None


async def test_erasure_deletes_the_voices_made_at_the_service(client, hh, persona, spoken_wav, service):
    for text in (STORY, MORE, STORY + " " + MORE):
        send(client, hh, persona, spoken_wav(text))
    client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
    assert service.voices == {"voice1"}
    state = client.app.state.keepsake
    assert client.portal.call(forget_voices, state, persona["id"]) == []
    assert service.voices == set()


def test_without_a_cloning_service_the_embedded_voice_speaks(data_dir, spoken_wav):
    with make_client(Settings(data_dir=data_dir, preload_engines=False), None) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, memories=False)
        for text in (STORY, MORE, STORY + " " + MORE):
            send(client, hh, persona, spoken_wav(text))
        listed = client.get(f"/v1/personas/{persona['id']}/voice-samples", headers=hh["headers"]).json()
        assert listed["enough"] and listed["cloning"]["available"] is False
        r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "no_cloning_service"
        assert "built-in voice" in r.json()["error"]["message"] and "Rose Whitfield" in r.json()["error"]["message"]
