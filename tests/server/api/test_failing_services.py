"""A generation service that hangs, fails, answers garbage or cuts its stream never leaves the relative with silence."""

import asyncio
import json

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import CONSENT, FAKE, events, new_household, new_persona

pytestmark = pytest.mark.slow  # the fallback voice is the real embedded one


def sse(*pieces: str, done: bool = True) -> bytes:
    body = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n" for p in pieces)
    return (body + ("data: [DONE]\n\n" if done else "")).encode()


class Upstream:
    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.chat_calls = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404)
        self.chat_calls += 1
        if self.behaviour == "hang":
            await asyncio.sleep(30)
        if self.behaviour == "error":
            return httpx.Response(502, text="bad gateway")
        if self.behaviour == "garbage":
            return httpx.Response(200, text="<html>not a stream</html>", headers={"content-type": "text/html"})
        if self.behaviour == "cut":
            return httpx.Response(
                200,
                content=sse("Oh my dear, the roses were lovely that year. ", "And then we wal", done=False),
                headers={"content-type": "text/event-stream"},
            )
        return httpx.Response(200, content=sse("Hello dear."), headers={"content-type": "text/event-stream"})


def run_turn(tmp_path, behaviour: str, turns: int = 1, text: str = "Tell me about your wedding") -> tuple[list[list[dict]], Upstream]:
    upstream = Upstream(behaviour)
    llm = StageSettings(provider="openai", base_url=FAKE, model="m", timeout_s=1, retries=0)
    app = create_app(Settings(data_dir=tmp_path / "d", preload_engines=False, llm=llm), http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, consent=False)
        client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
        client.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=hh["headers"])
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        results = []
        for _ in range(turns):
            r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": text}, headers=hh["headers"])
            assert r.status_code == 200
            results.append(events(r))
    return results, upstream


def spoken(evs: list[dict]) -> str:
    return " ".join(e["text"] for e in evs if e["type"] == "sentence")


@pytest.mark.parametrize("behaviour", ["hang", "error", "garbage"])
def test_llm_failure_falls_back_to_her_own_words(tmp_path, behaviour):
    [evs], _ = run_turn(tmp_path, behaviour)
    assert any(e["type"] == "notice" and e["code"] == "llm_fallback" for e in evs)
    assert "danced" in spoken(evs)  # the wedding memory
    assert evs[-1]["type"] == "done"


def test_stream_cut_mid_answer_keeps_what_was_whole(tmp_path):
    [evs], _ = run_turn(tmp_path, "cut")
    text = spoken(evs)
    assert "roses were lovely" in text and "wal" not in text.split()[-1]
    assert any(e["type"] == "notice" and e["code"] in ("llm_interrupted", "llm_failed") for e in evs)
    assert evs[-1]["type"] == "done"


def test_a_service_that_keeps_failing_is_skipped_for_a_while(tmp_path):
    results, upstream = run_turn(tmp_path, "error", turns=5)
    assert all(spoken(evs) for evs in results)
    assert upstream.chat_calls < 5  # the breaker opened and later turns went straight to story mode
