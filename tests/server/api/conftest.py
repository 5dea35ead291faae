"""An app whose generation services are fakes at the HTTP boundary, so API tests are fast.

The speech-to-text and text-to-speech stages use the real OpenAI-compatible
providers against an httpx.MockTransport; story mode needs no service.

Every API test runs twice: on SQLite (the embedded default) and on a PostgreSQL database of its
own (``database``), so that every route's SQL is run on both.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import S3Settings, Settings, StageSettings
from tests.conftest import wav_bytes

FAKE = "http://fake-upstream.test/v1"


class FakeUpstream:
    """Answers like an OpenAI-compatible server; what it hears is kept for assertions."""

    def __init__(self) -> None:
        self.transcript = "Tell me about the seaside when you were a girl."
        self.requests: list[httpx.Request] = []
        self.fail_tts = False
        self.hang_tts = False
        self.tts_wav: bytes | None = None  # what the persona says, when a test needs a voice (else a tone)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.hang_tts and path.endswith("/audio/speech"):
            await asyncio.sleep(60)
        if path.endswith("/audio/transcriptions"):
            return httpx.Response(200, json={"text": self.transcript})
        if path.endswith("/audio/speech"):
            if self.fail_tts:
                return httpx.Response(500, json={"error": "down"})
            if self.tts_wav is not None:
                return httpx.Response(200, content=self.tts_wav, headers={"content-type": "audio/wav"})
            tone = 0.3 * np.sin(np.linspace(0, 440 * 2 * np.pi * 0.6, 16000 * 6 // 10))
            return httpx.Response(200, content=wav_bytes(tone), headers={"content-type": "audio/wav"})
        return httpx.Response(404, json={"error": "unknown"})


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture(params=["folder", "s3"])
def media_backend(request) -> str:
    """Ask for this fixture and the test runs twice: media in the folder, and in S3 (SeaweedFS)."""
    return request.param


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite's own file, so it runs on SQLite alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("database", ["sqlite"] if sqlite_only else ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def database(request, monkeypatch) -> str | None:
    """Every API test runs on both databases: SQLite in the data folder (None), and a fresh PostgreSQL
    database, whose URL is also put in KEEPSAKE_DATABASE_URL so that the ``Settings`` a test makes
    itself, and any server process it starts, use it too. Autouse fixtures are set up first, so
    the database outlives every app the test opens."""
    if request.param == "sqlite":
        monkeypatch.delenv("KEEPSAKE_DATABASE_URL", raising=False)
        return None
    url: str = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("KEEPSAKE_DATABASE_URL", url)
    return url


@pytest.fixture
def settings(data_dir, database, request) -> Settings:
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    store: dict = {}
    if "media_backend" in request.fixturenames and request.getfixturevalue("media_backend") == "s3":
        store = s3_settings(request.getfixturevalue("seaweed"), request.getfixturevalue("s3_media_url"))
    return Settings(data_dir=data_dir, database_url=database, preload_engines=False, asr=remote, tts=remote, max_upload_mb=1, **store)


def s3_settings(seaweed, media_url: str) -> dict:
    """The settings that put media in the test session's SeaweedFS, under ``media_url``."""
    s3 = S3Settings(
        endpoint_url=seaweed.endpoint_url,
        access_key_id=seaweed.access_key_id,
        secret_access_key=seaweed.secret_access_key,
        region=seaweed.region,
    )
    return {"media_url": media_url, "s3": s3}


def stored_files(client: TestClient) -> list[str]:
    """Every file's key in the app's media store, whichever it is."""
    return client.app.state.keepsake.media.blobs.keys("")


@pytest.fixture
def client(settings, upstream):
    app = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as c:
        yield c


def table_names(db) -> list[str]:
    """Every table of the app's database, from its own catalogue (SQLite's or PostgreSQL's), by name."""
    if db.dialect == "postgresql":
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(r[0] for r in db.all(sql))


def every_row(db) -> dict[str, list[tuple]]:
    """Every row of every table, each table's sorted: a SELECT without ORDER BY answers in any order."""
    return {t: sorted((tuple(r) for r in db.all(f'SELECT * FROM "{t}"')), key=repr) for t in table_names(db)}


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_household(client: TestClient, email: str = "ada@example.com") -> dict:
    r = client.post("/v1/households", json={"name": "Lovelace", "caregiver_email": email, "password": "correct horse battery"})
    assert r.status_code == 201, r.text
    body = r.json()
    return {"id": body["household_id"], "token": body["token"], "headers": auth(body["token"])}


PERSONA = {
    "display_name": "Rose Whitfield",
    "addressed_as": ["Grandma Rose", "Nana"],
    "language": "en",
    "biography": "Born in 1931 in a seaside town; a baker and a gardener.",
    "boundaries": ["how she died"],
    "mode": "story",
}

CONSENT = {"given_by": "Anne Whitfield", "relation": "daughter", "scope": "own_words", "statement": "I agree."}


def new_persona(client: TestClient, hh: dict, *, consent: bool = True, memories: bool = True) -> dict:
    r = client.post("/v1/personas", json=PERSONA, headers=hh["headers"])
    assert r.status_code == 201, r.text
    persona = r.json()
    if memories:
        for title, text in [
            ("The seaside", "When I was a girl we lived by the sea in Whitby. I collected shells every morning with my brother."),
            ("Our wedding", "Your grandfather and I married in June 1952. It rained all day and we danced anyway."),
        ]:
            assert (
                client.post(
                    f"/v1/personas/{persona['id']}/memories", json={"title": title, "text": text}, headers=hh["headers"]
                ).status_code
                == 201
            )
    if consent:
        assert client.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=hh["headers"]).status_code == 201
    return persona


def assert_error(r, status: int, code: str | None = None) -> None:
    """A clear JSON error: the status, a message, and the code if given."""
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    if code:
        assert body["error"]["code"] == code


def events(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]
