"""Erasure leaves nothing: an erased memory's words are in no byte of the database, its WAL and
shared-memory files, or the media folder; and only an owner or editor can end a retirement."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.api.conftest import auth, new_household, new_persona

WORD = "Quillowbrack"  # a word no persona, phrase or greeting holds


def files_holding(data_dir: Path, word: str) -> list[str]:
    """Every file of the data folder (the database, -wal and -shm included) whose bytes hold ``word``."""
    needles = [word.encode(), word.lower().encode(), word.upper().encode()]
    return [str(p) for p in data_dir.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


def memory_with_the_word(client, hh) -> tuple[dict, str]:
    persona = new_persona(client, hh)
    r = client.post(
        f"/v1/personas/{persona['id']}/memories",
        json={"title": f"The {WORD} summer", "text": f"We sailed the {WORD} every summer, and your grandfather sang."},
        headers=hh["headers"],
    )
    assert r.status_code == 201
    # Searched once, so the search index has surely been written and read.
    found = client.get(f"/v1/personas/{persona['id']}/memories/search", params={"q": WORD}, headers=hh["headers"]).json()
    assert [m["id"] for m in found] == [r.json()["id"]]
    return persona, r.json()["id"]


# The bytes of SQLite's own files. PostgreSQL's are the cluster's, and erasure there frees the old row
# versions without zeroing them (server.storage.erasure); that no row keeps them is test_trust's on both.
@pytest.mark.sqlite_only
def test_an_erased_persona_leaves_its_words_nowhere(client, data_dir):
    hh = new_household(client)
    persona, _ = memory_with_the_word(client, hh)
    # More rows after it, so its words sit in older pages and index segments, as in a household in use.
    for n in range(30):
        client.post(
            f"/v1/personas/{persona['id']}/memories", json={"text": f"Another day at the shore, number {n}."}, headers=hh["headers"]
        )
    assert files_holding(data_dir, WORD), "the word should be on disk before the erasure"
    assert client.delete(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 204
    assert files_holding(data_dir, WORD) == []
    entry = client.get("/v1/audit", headers=hh["headers"]).json()[0]
    assert (entry["action"], entry["target"]) == ("erase_persona", persona["id"])


@pytest.mark.sqlite_only  # SQLite's own files, as above
def test_an_erased_memory_leaves_its_words_nowhere_and_the_rest_stays(client, data_dir):
    hh = new_household(client)
    persona, memory_id = memory_with_the_word(client, hh)
    for n in range(30):
        client.post(
            f"/v1/personas/{persona['id']}/memories", json={"text": f"Another day at the shore, number {n}."}, headers=hh["headers"]
        )
    assert files_holding(data_dir, WORD)
    assert client.delete(f"/v1/personas/{persona['id']}/memories/{memory_id}", headers=hh["headers"]).status_code == 204
    assert files_holding(data_dir, WORD) == []
    # The other memories are still found by their words.
    assert client.get(f"/v1/personas/{persona['id']}/memories/search", params={"q": "shore"}, headers=hh["headers"]).json()
    assert client.get("/v1/audit", headers=hh["headers"]).json()[0]["action"] == "delete_memory"


def _viewer_and_tablet(client, hh) -> tuple[dict, dict]:
    code = client.post("/v1/invitations", json={"role": "viewer"}, headers=hh["headers"]).json()["code"]
    viewer = client.post("/v1/invitations/accept", json={"code": code, "email": "v@example.com", "password": "viewer password"}).json()
    pairing = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": pairing, "name": "Tablet"}).json()
    return auth(viewer["token"]), auth(device["device_token"])


def test_only_an_owner_or_editor_ends_a_retirement(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    viewer, tablet = _viewer_and_tablet(client, hh)
    assert client.post(f"/v1/personas/{persona['id']}/retire", json={"then": "erase"}, headers=viewer).status_code == 403
    assert client.post(f"/v1/personas/{persona['id']}/retire", json={"then": "erase"}, headers=hh["headers"]).status_code == 200
    # The attack: a viewer opens a talk with the retiring persona and ends it at once.
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=viewer).json()
    assert client.delete(f"/v1/sessions/{s['id']}", headers=viewer).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["status"] == "retiring"
    # The relative's farewell on the tablet: their goodbye, and the tablet ending it, leave the persona for the family.
    farewell = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet).json()
    assert client.post(f"/v1/sessions/{farewell['id']}/turns", json={"text": "Goodbye Nana"}, headers=tablet).status_code == 200
    assert client.delete(f"/v1/sessions/{farewell['id']}", headers=tablet).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["status"] == "retiring"
    assert client.delete(f"/v1/sessions/{farewell['id']}", headers=viewer).status_code == 403  # the relative's talk
    assert "farewell_held" in [a["kind"] for a in client.get("/v1/alerts", headers=hh["headers"]).json()]
    assert "erase_persona" not in [e["action"] for e in client.get("/v1/audit", headers=hh["headers"]).json()]
    # The owner ends the farewell: now the persona is erased, and the audit log says who did it.
    assert client.delete(f"/v1/sessions/{farewell['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 404
    entry = client.get("/v1/audit", headers=hh["headers"]).json()[0]
    assert (entry["action"], entry["target"], entry["actor_kind"]) == ("erase_persona", persona["id"], "caregiver")
    assert "after the farewell" in entry["detail"]


def test_archiving_after_a_farewell_is_in_the_audit_log(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    client.post(f"/v1/personas/{persona['id']}/retire", json={"then": "archive"}, headers=hh["headers"])
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    assert client.delete(f"/v1/sessions/{s['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["status"] == "archived"
    assert client.get("/v1/audit", headers=hh["headers"]).json()[0]["action"] == "archive_persona"
