"""Every route, called with another household's token, finds nothing of the first household."""

import re

import numpy as np

from tests.conftest import wav_bytes
from tests.server.api.conftest import auth, events, new_household, new_persona, table_names
from tests.server.api.test_sources import wait_job

# Routes anyone may call, or that act only on the caller's own household.
PUBLIC = {
    ("POST", "/v1/households"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/devices"),
    ("POST", "/v1/invitations/accept"),
    ("GET", "/healthz"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/logout-all"),
    ("DELETE", "/v1/devices/me"),
}

# A valid body for each route that takes one, so a 404 cannot hide behind a 422.
VALID_BODIES = {
    "/v1/personas/{persona_id}": {"biography": "changed"},
    "/v1/personas/{persona_id}/memories": {"text": "a memory"},
    "/v1/personas/{persona_id}/memories/{memory_id}": {"text": "changed"},
    "/v1/personas/{persona_id}/facts": {"text": "Tom started at the bakery."},
    "/v1/personas/{persona_id}/facts/{fact_id}": {"text": "changed"},
    "/v1/personas/{persona_id}/consent": {"given_by": "x", "relation": "x", "scope": "own_words", "statement": "x"},
    "/v1/personas/{persona_id}/retire": {"then": "archive"},
    "/v1/devices/{device_id}": {"daily_minutes": 5},
    "/v1/sessions/{session_id}/turns": {"text": "hello"},
    "/v1/sessions/{session_id}/turns/{turn_id}/playback": {"sentences_played": 0},
}


def household_a(client) -> tuple[dict, dict]:
    """A household with one of everything, and the ids to put in paths."""
    hh = new_household(client, "a@example.com")
    persona = new_persona(client, hh)
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": code, "name": "A's tablet"}).json()
    tablet = auth(device["device_token"])  # the relative's news makes a fact; a caregiver's test keeps none
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet).json()
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "My grandson was born!"}, headers=tablet))
    memories = client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json()
    facts = client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"]).json()
    invite = client.post("/v1/invitations", json={"role": "viewer"}, headers=hh["headers"]).json()
    viewer = client.post("/v1/invitations/accept", json={"code": invite["code"], "email": "av@example.com", "password": "viewer password"})
    caregivers = client.get("/v1/caregivers", headers=hh["headers"]).json()
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    new_device = client.post("/v1/devices", json={"pairing_code": code, "name": "A's new tablet"}).json()
    sentence = next(e for e in evs if e["type"] == "sentence")
    ids = {
        "persona_id": persona["id"],
        "session_id": session["id"],
        "turn_id": evs[-1]["turn_id"],
        "memory_id": memories[0]["id"],
        "fact_id": facts[0]["id"],
        "device_id": device["device_id"],
        "new_device_id": new_device["device_id"],  # the same relative's next tablet, to move facts to
        "caregiver_id": next(c["id"] for c in caregivers if c["role"] == "viewer"),
        "media_id": sentence["audio_url"].split("/v1/media/")[1].split("?")[0],
    }
    assert viewer.status_code == 201
    ids.update(extra_ids(client, hh, persona["id"]))
    # The household's other keys: a walk by another household must leave them working.
    hh["device_headers"] = auth(device["device_token"])
    hh["viewer_headers"] = auth(viewer.json()["token"])
    return hh, ids


def extra_ids(client, hh, persona_id) -> dict:
    """Ids of resources that other parts of the API add (sources, jobs, voice samples)."""
    found = {}
    paths = client.get("/openapi.json").json()["paths"]
    if "/v1/personas/{persona_id}/sources" in paths:
        r = client.post(
            f"/v1/personas/{persona_id}/sources",
            files={"file": ("letter.txt", b"Dear Anne,\nThe garden is lovely.\nLove, Mum", "text/plain")},
            headers=hh["headers"],
        )
        if r.status_code in (200, 201, 202):
            found["job_id"] = r.json().get("job_id")
            found["source_id"] = r.json().get("source_id")
            # Done before the walk: a job finishing during it would change A's rows by itself.
            assert wait_job(client, hh, found["job_id"])["state"] == "done"
    if "/v1/personas/{persona_id}/voice-samples" in paths:
        tone = wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220 * 3, 16000 * 3)))
        r = client.post(f"/v1/personas/{persona_id}/voice-samples", content=tone, headers={**hh["headers"], "content-type": "audio/wav"})
        assert r.status_code == 201, r.text
        found["sample_id"] = r.json()["sample"]["id"]
    return {k: v for k, v in found.items() if v}


def rows_of(client, household_id: str) -> dict[str, list[tuple]]:
    """Every row that carries the household's id, table by table, sorted (PostgreSQL's tables have no rowid to keep
    the order of insertion by, and a SELECT without ORDER BY answers in any order)."""
    db = client.app.state.keepsake.db
    found = {}
    for table in table_names(db):
        if "household_id" in column_names(db, table):
            rows = db.all(f'SELECT * FROM "{table}" WHERE household_id = ?', (household_id,))
            found[table] = sorted((tuple(r) for r in rows), key=repr)
    return found


def column_names(db, table: str) -> list[str]:
    if db.dialect == "postgresql":
        sql = "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
        return [r[0] for r in db.all(sql, (table,))]
    return [r[1] for r in db.all(f'PRAGMA table_info("{table}")')]


def test_every_route_with_another_households_token(client):
    a, ids = household_a(client)
    b = new_household(client, "b@example.com")
    before = rows_of(client, a["id"])
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, methods in paths.items():
        for method in methods:
            method = method.upper()
            if (method, path) in PUBLIC or method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                continue
            params = re.findall(r"{(\w+)}", path)
            missing = [p for p in params if p not in ids]
            assert not missing, f"{method} {path}: add an id for {missing} to this test"
            url = path.format(**ids)
            payload = VALID_BODIES.get(path, {}) if method in ("POST", "PATCH", "PUT") else None
            r = client.request(method, url, headers=b["headers"], json=payload)
            body = r.text
            if params:
                # Anything addressed by an id of household A is not found (or refused) for B.
                assert r.status_code in (403, 404), f"{method} {path} -> {r.status_code} {body[:200]}: add a valid body to VALID_BODIES?"
            # Whatever B may see, none of A's ids appear in it.
            for value in ids.values():
                assert value not in body, f"{method} {path} leaked {value}"
            checked += 1
    assert checked >= 25
    assert rows_of(client, a["id"]) == before, "a call by another household changed a row of A"
    # And A still has everything: its data, and every one of its keys (no refused call had a side effect).
    assert client.get(f"/v1/personas/{ids['persona_id']}", headers=a["headers"]).status_code == 200
    assert client.get(f"/v1/sessions/{ids['session_id']}/history", headers=a["headers"]).json()["items"]
    assert client.get("/v1/devices/me", headers=a["device_headers"]).status_code == 200, "A's tablet was unpaired by B"
    assert client.get("/v1/personas", headers=a["viewer_headers"]).status_code == 200, "A's viewer was signed out by B"
    assert [d["id"] for d in client.get("/v1/devices", headers=a["headers"]).json()] == [ids["device_id"], ids["new_device_id"]]


def test_device_token_sees_only_its_household(client):
    a, ids = household_a(client)
    b = new_household(client, "b@example.com")
    code = client.post("/v1/pairing-codes", headers=b["headers"]).json()["code"]
    b_tablet = auth(client.post("/v1/devices", json={"pairing_code": code, "name": "B's tablet"}).json()["device_token"])
    assert client.get("/v1/personas", headers=b_tablet).json() == []
    assert client.post("/v1/sessions", json={"persona_id": ids["persona_id"]}, headers=b_tablet).status_code == 404
    assert client.get(f"/v1/personas/{ids['persona_id']}/portrait", headers=b_tablet).status_code == 404
    assert client.get(f"/v1/media/{ids['media_id']}", headers=b_tablet).status_code == 404


def test_a_tablet_sees_only_the_conversations_it_opened(client):
    hh = new_household(client)
    persona = new_persona(client, hh)

    def tablet(name: str) -> dict:
        code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
        return auth(client.post("/v1/devices", json={"pairing_code": code, "name": name}).json()["device_token"])

    grandma, grandpa = tablet("Grandma's tablet"), tablet("Grandpa's tablet")
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=grandma).json()
    turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "I miss the garden."}, headers=grandma)
    assert turn.status_code == 200
    turn_id = turn.headers["X-Turn-Id"]

    history = f"/v1/sessions/{session['id']}/history"
    assert client.get(history, headers=grandpa).status_code == 404
    assert client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Hello?"}, headers=grandpa).status_code == 404
    assert (
        client.post(f"/v1/sessions/{session['id']}/turns/{turn_id}/playback", json={"sentences_played": 0}, headers=grandpa).status_code
        == 404
    )
    assert client.delete(f"/v1/sessions/{session['id']}", headers=grandpa).status_code == 404
    # Nothing changed: her tablet and the caregivers still read every word of it.
    assert "I miss the garden." in [item["text"] for item in client.get(history, headers=grandma).json()["items"]]
    assert "I miss the garden." in [item["text"] for item in client.get(history, headers=hh["headers"]).json()["items"]]
    assert client.get("/v1/sessions", headers=hh["headers"]).json()[0]["ended_at"] is None


# Writes a viewer may still make: their own sign-out.
VIEWER_ALLOWED = {("POST", "/v1/auth/logout"), ("POST", "/v1/auth/logout-all")}


def test_a_viewer_can_change_nothing(client):
    a, ids = household_a(client)
    invite = client.post("/v1/invitations", json={"role": "viewer"}, headers=a["headers"]).json()
    joined = client.post(
        "/v1/invitations/accept", json={"code": invite["code"], "email": "viewer2@example.com", "password": "viewer password"}
    )
    viewer = auth(joined.json()["token"])
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, methods in paths.items():
        for method in methods:
            method = method.upper()
            if method not in ("POST", "PUT", "PATCH", "DELETE") or (method, path) in PUBLIC | VIEWER_ALLOWED:
                continue
            if path.startswith("/v1/sessions") or path == "/v1/devices/me":
                continue  # talking is open to every member of the household
            url = path.format(**ids)
            r = client.request(method, url, headers=viewer, json=VALID_BODIES.get(path, {}))
            assert r.status_code == 403, f"{method} {path} -> {r.status_code} {r.text[:200]}"
            checked += 1
    assert checked >= 20
    assert client.get(f"/v1/personas/{ids['persona_id']}", headers=a["headers"]).json()["biography"] != "changed"
