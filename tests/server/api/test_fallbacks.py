"""Failing generation services fall back; the relative always hears an answer."""

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import CONSENT, FAKE, events, new_household, new_persona


def chat_stream(*pieces: str) -> bytes:
    lines = [f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n" for p in pieces]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


class FakeLLM:
    def __init__(self, mode: str):
        self.mode = mode
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/chat/completions"):
            self.bodies.append(json.loads(request.content))
            if self.mode == "down":
                return httpx.Response(500, json={"error": "overloaded"})
            # Split mid-word and mid-sentence, as real streams do.
            return httpx.Response(
                200,
                content=chat_stream("Oh, my de", "ar. We danced in the r", "ain! Do you remem", "ber?"),
                headers={"content-type": "text/event-stream"},
            )
        return httpx.Response(404)


def generative_client(data_dir, fake) -> TestClient:
    llm = StageSettings(provider="openai", base_url=FAKE, model="fake-llm", timeout_s=5, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, llm=llm)
    return TestClient(create_app(settings, http_transport=httpx.MockTransport(fake)))


def generative_persona(client, hh) -> dict:
    persona = new_persona(client, hh, consent=False)
    client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
    assert client.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=hh["headers"]).status_code == 200
    return persona


@pytest.mark.slow
def test_generative_answer_streams_sentence_by_sentence(data_dir):
    fake = FakeLLM("ok")
    with generative_client(data_dir, fake) as client:
        hh = new_household(client)
        persona = generative_persona(client, hh)
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        evs = events(
            client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Do you remember our wedding?"}, headers=hh["headers"])
        )
    texts = [e["text"] for e in evs if e["type"] == "sentence"]
    assert " ".join(texts) == "Oh, my dear. We danced in the rain! Do you remember?"
    system = fake.bodies[0]["messages"][0]["content"]
    assert "Rose Whitfield" in system and "how she died" in system
    assert fake.bodies[0]["stream"] is True


@pytest.mark.slow
def test_llm_down_falls_back_to_story_mode(data_dir):
    with generative_client(data_dir, FakeLLM("down")) as client:
        hh = new_household(client)
        persona = generative_persona(client, hh)
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about your wedding"}, headers=hh["headers"]))
    assert any(e["type"] == "notice" and e["code"] == "llm_fallback" for e in evs)
    spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence")
    assert "danced" in spoken  # the wedding memory, in her own words
    assert evs[-1]["type"] == "done"


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["fail_tts", "hang_tts"])
def test_remote_voice_down_speaks_with_the_embedded_voice(client, upstream, failure):
    setattr(upstream, failure, True)
    hh = new_household(client)
    persona = new_persona(client, hh)
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"]))
    # Every sentence fell back, and the tablet is told once, not once a sentence.
    assert sum(e["type"] == "notice" and e["code"] == "tts_fallback" for e in evs) == 1
    sentences = [e for e in evs if e["type"] == "sentence"]
    assert len(sentences) > 1 and client.get(sentences[0]["audio_url"]).status_code == 200
    assert evs[-1]["type"] == "done"
