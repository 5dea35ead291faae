"""What a relative tells the persona stays theirs.

Grandma at tablet 1 says something private; grandpa at tablet 2 must never hear it back, not
in a greeting, not in story mode, not through the LLM's prompt, not in speech made ahead, until a
caregiver (owner or editor) marks the fact shared. A caregiver trying the persona out tells it
nothing to keep.
"""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from server.config import Settings, StageSettings
from server.pipeline import speak_ahead
from server.storage import memories
from server.storage.db import Database
from server.storage.migrations import MIGRATIONS
from tests.server.api.conftest import CONSENT, FAKE, FakeUpstream, auth, events, new_household, new_persona

SECRET = "I finally told Sarah about the affair last night."
NEWS = "My grandson was born last week!"


class ChatUpstream(FakeUpstream):
    """The conftest's speech fakes, plus an OpenAI-compatible chat that keeps every prompt it is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/chat/completions"):
            self.prompts.append(json.dumps(json.loads(request.content)["messages"], ensure_ascii=False))
            chunk = json.dumps({"choices": [{"delta": {"content": "Oh, my dear. Tell me more."}}]})
            return httpx.Response(200, content=f"data: {chunk}\n\ndata: [DONE]\n\n".encode(), headers={"content-type": "text/event-stream"})
        return await super().__call__(request)


@pytest.fixture
def upstream() -> ChatUpstream:
    return ChatUpstream()


@pytest.fixture
def settings(data_dir) -> Settings:
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    return Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, llm=remote, max_upload_mb=1)


def pair(client, hh: dict, name: str) -> dict:
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    r = client.post("/v1/devices", json={"pairing_code": code, "name": name})
    assert r.status_code == 201, r.text
    return {"id": r.json()["device_id"], "headers": auth(r.json()["device_token"])}


def invite(client, hh: dict, role: str, email: str) -> dict:
    code = client.post("/v1/invitations", json={"role": role}, headers=hh["headers"]).json()["code"]
    r = client.post("/v1/invitations/accept", json={"code": code, "email": email, "password": "a long password"})
    assert r.status_code == 201, r.text
    return auth(r.json()["token"])


def greeting(client, headers: dict, persona: dict, **body) -> str:
    r = client.post("/v1/sessions", json={"persona_id": persona["id"], **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["greeting"]["text"]


def say(client, headers: dict, persona: dict, text: str) -> str:
    """One turn in a new session; what the persona answered."""
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers).json()
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": text}, headers=headers)
    assert r.status_code == 200, r.text
    return " ".join(e["text"] for e in events(r) if e["type"] == "sentence")


def facts(client, hh: dict, persona: dict) -> list[dict]:
    r = client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"])
    assert r.status_code == 200
    return r.json()


def share(client, headers: dict, persona: dict, fact_id: str, shared: bool = True):
    return client.patch(f"/v1/personas/{persona['id']}/facts/{fact_id}", json={"shared": shared}, headers=headers)


def told(text: str) -> bool:
    return "sarah" in text.lower() or "affair" in text.lower()


def made_ahead_for(client, persona_id: str) -> list[bool]:
    """For each listener speak-ahead makes greetings for (each tablet, then everyone else): does it know the secret?"""
    state = client.app.state.keepsake
    persona = state.db.one("SELECT household_id FROM personas WHERE id = ?", (persona_id,))
    from server.storage import personas

    p = personas.get(state.db, persona["household_id"], persona_id)
    return [any(told(f.text) for f in listener) for listener in speak_ahead.listeners(state.db, p)]


def test_another_tablet_never_hears_it_until_a_caregiver_shares_it(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    grandma, grandpa = pair(client, hh, "Grandma's tablet"), pair(client, hh, "Grandpa's tablet")
    say(client, grandma["headers"], persona, SECRET)

    [fact] = facts(client, hh, persona)
    assert fact["told_by"] == {"kind": "device", "id": grandma["id"], "name": "Grandma's tablet"}
    assert fact["shared"] is False and told(fact["text"])
    # Grandma's own tablet still asks after it: the fact is kept, and heard where it was told.
    assert told(greeting(client, grandma["headers"], persona))
    assert told(say(client, grandma["headers"], persona, "Hello Nana!"))

    # Grandpa's tablet: not in the greeting, not in story mode's hello, not in a caregiver's test.
    assert not told(greeting(client, grandpa["headers"], persona))
    assert not told(say(client, grandpa["headers"], persona, "Hello Nana!"))
    assert not told(say(client, grandpa["headers"], persona, "Tell me about your wedding"))
    assert not told(greeting(client, hh["headers"], persona, test=True))
    # Speech made ahead: greetings knowing it are made for grandma's tablet only.
    assert made_ahead_for(client, persona["id"]) == [True, False, False]

    viewer = invite(client, hh, "viewer", "viewer@example.com")
    assert share(client, viewer, persona, fact["id"]).status_code == 403
    assert share(client, grandpa["headers"], persona, fact["id"]).status_code == 403
    assert not told(greeting(client, grandpa["headers"], persona))

    # The owner decides the family may all know: now every tablet may hear it.
    r = share(client, hh["headers"], persona, fact["id"])
    assert r.status_code == 200 and r.json()["shared"] is True and r.json()["told_by"]["id"] == grandma["id"]
    assert facts(client, hh, persona)[0]["shared"] is True
    assert made_ahead_for(client, persona["id"]) == [True, True, True]
    # Grandpa did not tell it: his greeting never says "last time you told me", and grandma's
    # "I" is not turned into his "you", so her words are not said back to him at all.
    for heard in (greeting(client, grandpa["headers"], persona), greeting(client, hh["headers"], persona, test=True)):
        assert "told me" not in heard and "you finally told" not in heard
    audit = client.get("/v1/audit", headers=hh["headers"]).json()
    assert any(e["action"] == "edit_fact" and e["target"] == fact["id"] and "shared=True" in (e["detail"] or "") for e in audit)

    # And unshared again, it is grandma's alone once more.
    assert share(client, hh["headers"], persona, fact["id"], False).json()["shared"] is False
    assert not told(greeting(client, grandpa["headers"], persona))


def test_the_llm_prompt_of_another_tablet_holds_neither_the_fact_nor_the_words(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False)
    client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
    assert client.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=hh["headers"]).status_code == 200
    grandma, grandpa = pair(client, hh, "Grandma's tablet"), pair(client, hh, "Grandpa's tablet")

    say(client, grandma["headers"], persona, SECRET)
    say(client, grandma["headers"], persona, "Tell me about your wedding")
    assert told(upstream.prompts[-1])  # grandma's own next prompt knows (the fact and her words)

    say(client, grandpa["headers"], persona, "Tell me about your wedding")
    assert not told(upstream.prompts[-1])
    # A caregiver's own talk with the persona is not shown grandma's words either.
    say(client, hh["headers"], persona, "Tell me about your wedding")
    assert not told(upstream.prompts[-1])

    [fact] = facts(client, hh, persona)
    assert share(client, hh["headers"], persona, fact["id"]).status_code == 200
    say(client, grandpa["headers"], persona, "Tell me about your wedding")
    prompt = upstream.prompts[-1]
    assert told(prompt)
    assert SECRET not in prompt  # the shared fact, never grandma's conversation itself


@pytest.mark.parametrize("role", ["viewer", "caregiver", "owner"])
def test_a_caregivers_test_session_stores_no_facts(client, role):
    hh = new_household(client)
    persona = new_persona(client, hh)
    grandpa = pair(client, hh, "Grandpa's tablet")
    headers = hh["headers"] if role == "owner" else invite(client, hh, role, f"{role}@example.com")

    answer = say(client, headers, persona, NEWS)
    assert answer  # the turn was heard and answered
    assert facts(client, hh, persona) == []
    assert "baby" not in greeting(client, grandpa["headers"], persona).lower()

    # The same words from a tablet are kept: the difference is who said them.
    say(client, grandpa["headers"], persona, NEWS)
    assert [f["told_by"]["id"] for f in facts(client, hh, persona)] == [grandpa["id"]]
    assert "baby" in greeting(client, grandpa["headers"], persona).lower()


def test_bad_changes_to_a_fact_are_refused_and_change_nothing(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    grandma = pair(client, hh, "Grandma's tablet")
    say(client, grandma["headers"], persona, SECRET)
    [fact] = facts(client, hh, persona)
    url = f"/v1/personas/{persona['id']}/facts/{fact['id']}"
    for body in ({"shared": None}, {"shared": "yes"}, {"shared": 1}, {"shared": True, "told_by": "someone"}, {}):
        r = client.patch(url, json=body, headers=hh["headers"])
        assert r.status_code == 422, body
        assert set(r.json()) == {"error"}
    other = new_household(client, "other@example.com")
    assert client.patch(url, json={"shared": True}, headers=other["headers"]).status_code == 404
    assert client.patch(f"/v1/personas/{persona['id']}/facts/fact_nope", json={"shared": True}, headers=hh["headers"]).status_code == 404
    assert facts(client, hh, persona) == [fact]


def _old_database(path) -> None:
    """A data folder from before tellers were kept: every migration up to the one that adds them."""
    upto = next(i for i, script in enumerate(MIGRATIONS) if "told_by_device_id" in script)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version, script in enumerate(MIGRATIONS[:upto], start=1):
        conn.executescript(f"BEGIN;\n{script}\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;")
    at = "2026-01-01T10:00:00.000000+00:00"
    conn.executescript(f"""
        INSERT INTO households (id, name, created_at) VALUES ('hh', 'Old', '{at}');
        INSERT INTO caregivers (id, household_id, email, password_hash, created_at) VALUES ('cg', 'hh', 'a@example.com', 'x', '{at}');
        INSERT INTO devices (id, household_id, name, created_at) VALUES ('dev1', 'hh', 'Kitchen', '{at}');
        INSERT INTO devices (id, household_id, name, created_at) VALUES ('dev2', 'hh', 'Bedroom', '{at}');
        INSERT INTO personas (id, household_id, display_name, created_at, updated_at) VALUES ('p', 'hh', 'Rose', '{at}', '{at}');
        INSERT INTO sessions (id, household_id, persona_id, device_id, created_at) VALUES ('s_tablet', 'hh', 'p', 'dev1', '{at}');
        INSERT INTO sessions (id, household_id, persona_id, device_id, created_at) VALUES ('s_carer', 'hh', 'p', NULL, '{at}');
        INSERT INTO facts (id, household_id, persona_id, session_id, text, created_at)
            VALUES ('f_tablet', 'hh', 'p', 's_tablet', 'The relative said: I moved house last week', '2026-01-01T10:01:00.000000+00:00');
        INSERT INTO facts (id, household_id, persona_id, session_id, text, created_at)
            VALUES ('f_carer', 'hh', 'p', 's_carer', 'The relative said: I told Sarah about the affair yesterday', '2026-01-01T10:02:00.000000+00:00');
        INSERT INTO facts (id, household_id, persona_id, session_id, text, created_at)
            VALUES ('f_none', 'hh', 'p', NULL, 'The relative said: we sold the car last week', '2026-01-01T10:03:00.000000+00:00');
    """)
    conn.close()


@pytest.mark.sqlite_only  # it writes an old SQLite file with sqlite3 and opens it: not a route, no server database
def test_migration_keeps_old_facts_with_the_tablet_they_came_from(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path)
    db = Database(path)
    try:
        listed = {f.id: f for f in memories.list_facts(db, "p")}
        assert listed["f_tablet"].told_by.model_dump() == {"kind": "device", "id": "dev1", "name": "Kitchen"}
        # Told in a caregiver's session, or nobody knows where: caregiver-told, heard on no tablet until shared.
        for fact_id in ("f_carer", "f_none"):
            assert listed[fact_id].told_by.model_dump() == {"kind": "caregiver", "id": None, "name": None}
        assert not any(f.shared for f in listed.values())
        assert [f.text for f in memories.facts_for(db, "p", device_id="dev1")] == ["The relative said: I moved house last week"]
        assert memories.facts_for(db, "p", device_id="dev2") == []
        assert memories.facts_for(db, "p", device_id=None) == []
        # Opening it again changes nothing more.
        db.close()
        db = Database(path)
        assert {f.id: f for f in memories.list_facts(db, "p")} == listed
    finally:
        db.close()
