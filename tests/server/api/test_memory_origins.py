"""Where a memory came from reaches the caregiver as fields each tablet words itself, from new imports and older databases alike."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.server.api.conftest import new_household, new_persona
from tests.server.api.test_sources import imported
from tests.server.importers import makers


@pytest.fixture
def app_client(settings, upstream):
    app = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as c:
        yield app, c


def test_an_imported_letter_has_its_place_as_fields_and_as_the_english_words_it_always_had(app_client):
    app, client = app_client
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    _, memories = imported(client, hh, persona, "letters.txt", makers.LETTERS.encode())
    origin = memories[1]["origin"]
    assert origin["letter"] == 2 and origin["date"] == "Whitby, 3rd June 1944" and origin["chapter"] is None
    assert origin["position"] == "letter 2, dated Whitby, 3rd June 1944"
    # What is kept is the fields, not the English words.
    [stored] = app.state.keepsake.db.one("SELECT position FROM memories WHERE id = ?", (memories[1]["id"],))
    assert stored.startswith("{") and "dated" not in stored


def test_a_phrase_an_older_keepsake_stored_is_served_as_fields_with_its_words_unchanged(app_client):
    app, client = app_client
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    _, memories = imported(client, hh, persona, "letters.txt", makers.LETTERS.encode())
    db = app.state.keepsake.db
    old_phrase = "chapter 2, pages 12–13, paragraphs 4–7"
    db.execute("UPDATE memories SET position = ? WHERE id = ?", (old_phrase, memories[0]["id"]))
    db.execute("UPDATE memories SET position = ? WHERE id = ?", ("in the attic box", memories[1]["id"]))
    got = client.get(f"/v1/personas/{persona['id']}/memories/{memories[0]['id']}", headers=hh["headers"]).json()["origin"]
    assert got["position"] == old_phrase
    assert (got["chapter"], got["pages"], got["paragraphs"]) == (2, {"first": 12, "last": 13}, {"first": 4, "last": 7})
    assert got["letter"] is None
    odd = client.get(f"/v1/personas/{persona['id']}/memories/{memories[1]['id']}", headers=hh["headers"]).json()["origin"]
    assert odd["position"] == "in the attic box" and odd["letter"] is None and odd["chapter"] is None
