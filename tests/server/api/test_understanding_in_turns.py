"""A real turn understands what was said once, and both modes answer from that one understanding."""

from __future__ import annotations

import json

import httpx
import pytest

from server.conversation import understanding
from server.pipeline import turn as turn_module
from tests.server.api.conftest import events, new_household, new_persona
from tests.server.api.test_attacks import generative_client, generative_session
from tests.server.api.test_trust import pair, session, talk

SEASIDE = "we lived by the sea in Whitby"
WEDDING = "married in June 1952"


def _spoken(evs: list[dict]) -> str:
    return " ".join(e["text"] for e in evs if e["type"] == "sentence")


def test_a_turn_understands_once_and_story_mode_answers_from_that_understanding(client, monkeypatch):
    made = []
    real = turn_module.understand

    def counted(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    def refused(ctx):
        raise AssertionError("story mode understood the words again")

    monkeypatch.setattr(turn_module, "understand", counted)
    monkeypatch.setattr(understanding, "from_context", refused)
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    said = _spoken(talk(client, hh["headers"], s["id"], "Tell me about the seaside when you were a girl"))
    assert SEASIDE in said
    assert len(made) == 1 and made[0].confident[0].text.startswith("When I was a girl")


def test_no_thank_you_to_the_first_ask_is_answered_as_the_stop_it_is(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    evs = talk(client, tablet["headers"], s["id"], "No, thank you.")
    assert "We'll stop" in _spoken(evs)  # the words agree with the conversation ending
    assert any(e.get("code") == "relative_declined" for e in evs) and evs[-1]["ended"] is True


@pytest.fixture
def prompts():
    return []


@pytest.fixture
def generative(data_dir, prompts):
    async def answers(request: httpx.Request) -> httpx.Response:
        prompts.append(json.loads(request.content)["messages"][0]["content"])
        body = f"data: {json.dumps({'choices': [{'delta': {'content': 'Oh, I remember.'}}]})}\n\ndata: [DONE]\n\n"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})

    with generative_client(data_dir, answers, timeout_s=5) as client:
        yield client


def test_generative_mode_speaks_from_the_memories_story_mode_would_tell(generative, prompts):
    hh, s = generative_session(generative)
    said = _spoken(
        events(generative.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Tell me about your wedding"}, headers=hh["headers"]))
    )
    assert said == "Oh, I remember."
    assert WEDDING in prompts[-1] and SEASIDE not in prompts[-1]  # the confident memory only, not the runner-up


def test_generative_mode_is_told_no_memory_matches_when_none_is_confident(generative, prompts):
    hh, s = generative_session(generative)
    generative.post(f"/v1/sessions/{s['id']}/turns", json={"text": "What's your favourite football team?"}, headers=hh["headers"])
    assert "No memory matches" in prompts[-1]
    assert WEDDING not in prompts[-1] and SEASIDE not in prompts[-1]


def test_a_request_gets_the_fixed_decline_in_generative_mode_too(generative, prompts):
    hh, s = generative_session(generative)
    said = _spoken(
        events(generative.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Can you lend me some money?"}, headers=hh["headers"]))
    )
    assert "family" in said.lower() and prompts == []  # no model was asked
