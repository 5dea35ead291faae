"""PostgreSQL going away while the server runs: a clear 503 with Retry-After, never a stack trace,
and the server carries on once the database is back."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import FAKE, FakeUpstream, new_household


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement.format(name=url.rsplit("/", 1)[1]))


DROP_CONNECTIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
REFUSE = "ALTER DATABASE {name} ALLOW_CONNECTIONS false"
ACCEPT = "ALTER DATABASE {name} ALLOW_CONNECTIONS true"


def test_a_database_gone_mid_operation_is_a_503_and_comes_back(postgres_url, data_dir):
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, database_url=postgres_url)
    with TestClient(create_app(settings, http_transport=httpx.MockTransport(FakeUpstream())), raise_server_exceptions=False) as client:
        hh = new_household(client, "ada.down@example.com")
        assert client.get("/v1/personas", headers=hh["headers"]).status_code == 200
        # The database restarted: its connections are gone, and a read is asked again on a new one.
        _admin(postgres_url, DROP_CONNECTIONS)
        assert client.get("/v1/personas", headers=hh["headers"]).status_code == 200
        # The database cannot be reached: a clear 503, which the tablet and the caregiver's app retry.
        _admin(postgres_url, REFUSE, DROP_CONNECTIONS)
        try:
            for _ in range(3):  # whichever worker thread takes it
                r = client.get("/v1/personas", headers=hh["headers"])
                assert r.status_code == 503, r.text
                assert r.json()["error"]["code"] == "database_unavailable" and r.headers["Retry-After"] == "10"
            r = client.post("/v1/pairing-codes", headers=hh["headers"])
            assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable"
        finally:
            _admin(postgres_url, ACCEPT)
        # Back: every request is served again, on new connections.
        assert client.get("/v1/personas", headers=hh["headers"]).status_code == 200
        assert client.post("/v1/pairing-codes", headers=hh["headers"]).status_code == 201
