"""The whole server on PostgreSQL as on SQLite: a household is made, paired, talked to and exported.

One story through the routes on each database, with the case of addresses and search words the
two could treat differently; every API test also runs on both (tests/server/api/conftest.py).
"""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import FAKE, FakeUpstream, auth, events, new_household, new_persona


@pytest.fixture
def database_url(db) -> str | None:
    """SQLite (None) or the PostgreSQL database the ``db`` fixture made, for the server to open."""
    return getattr(db, "url", None)


def test_a_household_is_made_paired_talked_to_and_exported(database_url, data_dir):
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, database_url=database_url)
    with TestClient(create_app(settings, http_transport=httpx.MockTransport(FakeUpstream()))) as client:
        hh = new_household(client, "Ada.Both@Example.com")
        assert client.post("/v1/auth/login", json={"email": "ada.both@example.com", "password": "correct horse battery"}).status_code == 200
        persona = new_persona(client, hh)
        code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
        tablet = client.post("/v1/devices", json={"pairing_code": code, "name": "Kitchen"}).json()
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=auth(tablet["device_token"])).json()
        turn = client.post(
            f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about Whitby"}, headers=auth(tablet["device_token"])
        )
        assert events(turn)[-1]["type"] == "done"
        said = " ".join(e.get("text", "") for e in events(turn) if e["type"] == "sentence")
        assert "Whitby" in said  # the memory was found by its words
        history = client.get(f"/v1/sessions/{session['id']}/history", headers=hh["headers"]).json()
        assert [i["role"] for i in history["items"]][:1] == ["relative"]
        found = client.get(f"/v1/personas/{persona['id']}/memories", params={"q": "WEDDING"}, headers=hh["headers"]).json()
        assert any("married" in m["text"] for m in found)
        export = client.get("/v1/household/export", headers=hh["headers"])
        assert export.status_code == 200
        data = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("data.json"))
        assert data["caregivers"][0]["email"] == "Ada.Both@Example.com"
        assert [t["name"] for t in data["tablets"]] == ["Kitchen"]
        assert sorted(m["title"] for m in data["personas"][0]["memories"]) == ["Our wedding", "The seaside"]
