"""Moving a family: `keepsake migrate` from SQLite and a folder to PostgreSQL and S3, and back.

A household is made through the API on SQLite with its media in the folder, moved to a fresh
PostgreSQL database with its media in SeaweedFS, served from there, and moved back to a fresh
data folder; each move checks that every household's export is the same on both sides.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.cli import main
from server.config import S3Settings, Settings, StageSettings
from server.migrate import MigrateError, Place, migrate, tables
from server.migrate_check import archive_contents, first_difference
from tests.conftest import SEAWEED_BUCKET
from tests.server.api.conftest import FAKE, FakeUpstream, auth, events, new_household, new_persona
from tests.server.importers import makers

PASSWORD = "correct horse battery"


@pytest.fixture
def s3(seaweed) -> S3Settings:
    return S3Settings(
        endpoint_url=seaweed.endpoint_url,
        access_key_id=seaweed.access_key_id,
        secret_access_key=seaweed.secret_access_key,
        region=seaweed.region,
    )


def _settings(place: Place) -> Settings:
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    assert place.data_dir is not None
    return Settings(
        data_dir=place.data_dir,
        database_url=place.database_url,
        media_url=place.media_url,
        s3=place.s3,
        preload_engines=False,
        speak_ahead=False,
        asr=remote,
        tts=remote,
    )


def _client(place: Place) -> TestClient:
    return TestClient(create_app(_settings(place), http_transport=httpx.MockTransport(FakeUpstream())))


def _make_family(place: Place, spoken_wav) -> dict:
    """A household with a persona, memories, a fact, a session with turns, a portrait and a voice sample."""
    with _client(place) as client:
        hh = new_household(client, "ada.moves@example.com")
        persona = new_persona(client, hh)
        portrait = makers.face_png()
        r = client.put(f"/v1/personas/{persona['id']}/portrait", content=portrait, headers={**hh["headers"], "Content-Type": "image/png"})
        assert r.status_code == 200, r.text
        sample = spoken_wav("When I was a girl we lived by the sea, and every morning I walked along the harbour.")
        r = client.post(
            f"/v1/personas/{persona['id']}/voice-samples", content=sample, headers={**hh["headers"], "content-type": "audio/wav"}
        )
        assert r.status_code == 201, r.text
        fact = {"text": "Tom started at the bakery on Monday."}
        assert client.post(f"/v1/personas/{persona['id']}/facts", json=fact, headers=hh["headers"]).status_code == 201
        code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
        tablet = client.post("/v1/devices", json={"pairing_code": code, "name": "Kitchen"}).json()
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=auth(tablet["device_token"])).json()
        for words in ("Tell me about Whitby", "And your wedding?"):
            turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": words}, headers=auth(tablet["device_token"]))
            assert events(turn)[-1]["type"] == "done"
        export = client.get("/v1/household/export", headers=hh["headers"])
        assert export.status_code == 200
        return {"persona": persona, "session": session, "portrait": portrait, "export": export.content}


def _served_the_same(place: Place, family: dict, tmp_path) -> bytes:
    """A server on ``place`` serves the family: login, the persona, memories, search, a media file; returns its export."""
    persona_id = family["persona"]["id"]
    with _client(place) as client:
        login = client.post("/v1/auth/login", json={"email": "ada.moves@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = auth(login.json()["token"])
        persona = client.get(f"/v1/personas/{persona_id}", headers=headers).json()
        assert persona["display_name"] == "Rose Whitfield" and persona["portrait_url"]
        memories = client.get(f"/v1/personas/{persona_id}/memories", headers=headers).json()
        assert sorted(m["title"] for m in memories) == ["Our wedding", "The seaside"]
        found = client.get(f"/v1/personas/{persona_id}/memories", params={"q": "WEDDING"}, headers=headers).json()
        assert "Our wedding" in [m["title"] for m in found]
        portrait = client.get(f"/v1/personas/{persona_id}/portrait", headers=headers)
        assert portrait.status_code == 200 and portrait.content == family["portrait"]
        history = client.get(f"/v1/sessions/{family['session']['id']}/history", headers=headers).json()
        assert [i["text"] for i in history["items"] if i["role"] == "relative"] == ["Tell me about Whitby", "And your wedding?"]
        export = client.get("/v1/household/export", headers=headers)
        assert export.status_code == 200
        return export.content


def _same_archive(a: bytes, b: bytes, tmp_path) -> None:
    paths = [tmp_path / "a.zip", tmp_path / "b.zip"]
    for path, content in zip(paths, (a, b), strict=True):
        path.write_bytes(content)
    (data_a, files_a), (data_b, files_b) = (archive_contents(p) for p in paths)
    audit = ("audit_log",)  # each export adds its own line to the record: compare what was there before
    data_a = {k: v for k, v in data_a.items() if k not in audit}
    data_b = {k: v for k, v in data_b.items() if k not in audit}
    assert first_difference(data_a, data_b) is None
    assert files_a == files_b and len(files_a) >= 3  # the portrait, the voice sample, speech


def test_a_family_moves_to_postgresql_and_s3_and_back(tmp_path, postgres_url, s3, spoken_wav, capsys, monkeypatch):
    home = Place(data_dir=tmp_path / "home")
    family = _make_family(home, spoken_wav)

    hosted = Place(
        data_dir=tmp_path / "hosted", database_url=postgres_url, media_url=f"s3://{SEAWEED_BUCKET}/{tmp_path.name}-hosted/", s3=s3
    )
    report = migrate(home, hosted)
    assert report.differences == [] and report.households == 1 and not report.missing
    assert report.files >= 3 and report.rows["memories"] == 2 and report.rows["memory_fts"] >= 2 and report.rows["turns"] == 2
    assert set(report.rows) == {t.name for t in tables()}
    _same_archive(family["export"], _served_the_same(hosted, family, tmp_path), tmp_path)

    # Back to a fresh data folder, through the command line this time.
    back = tmp_path / "back"
    argv = ["migrate", "--from-data-dir", str(hosted.data_dir), "--from-database", postgres_url, "--from-media", hosted.media_url]
    monkeypatch.setenv("KEEPSAKE_S3__ENDPOINT_URL", s3.endpoint_url)  # the command reads S3's keys as the server does
    monkeypatch.setenv("KEEPSAKE_S3__ACCESS_KEY_ID", s3.access_key_id)
    monkeypatch.setenv("KEEPSAKE_S3__SECRET_ACCESS_KEY", s3.secret_access_key.get_secret_value())
    monkeypatch.setenv("KEEPSAKE_S3__REGION", s3.region)
    assert main([*argv, "--to-data-dir", str(back)]) == 0
    said = capsys.readouterr().out
    assert "identical on both sides" in said
    _same_archive(family["export"], _served_the_same(Place(data_dir=back), family, tmp_path), tmp_path)


def test_bad_places_are_refused_and_nothing_is_written(tmp_path, capsys):
    home = Place(data_dir=tmp_path / "home")
    with _client(home) as client:
        new_household(client)
    # A target that is not empty: one line, exit 2, and nothing added to it.
    full = Place(data_dir=tmp_path / "full")
    with _client(full) as client:
        new_household(client, "someone@example.com")
    before = sorted(p.name for p in (tmp_path / "full" / "media").rglob("*"))
    code = main(["migrate", "--from-data-dir", str(home.data_dir), "--to-data-dir", str(full.data_dir)])
    error = capsys.readouterr().err
    assert code == 2 and "not empty" in error and len(error.strip().splitlines()) == 1
    with _client(full) as client:
        assert client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}).status_code == 401
    assert sorted(p.name for p in (tmp_path / "full" / "media").rglob("*")) == before

    # Malformed URLs: refused before anything is opened, so the target folder is never made.
    fresh = tmp_path / "fresh"
    for option, url in (("--to-database", "mysql://db/x"), ("--to-media", "s3://Bad_Bucket/x"), ("--to-database", "postgresql://host")):
        code = main(["migrate", "--from-data-dir", str(home.data_dir), "--to-data-dir", str(fresh), option, url])
        error = capsys.readouterr().err
        assert code == 2 and option.removeprefix("--") in error and len(error.strip().splitlines()) == 1
        assert not fresh.exists()
    assert (
        main(["migrate", "--from-data-dir", str(home.data_dir), "--to-database", "postgresql://u@h/db"]) == 2
    )  # where is SQLite's folder?
    assert "--to-data-dir is needed" in capsys.readouterr().err

    # A source that cannot be reached: a data folder with nothing in it, a PostgreSQL that does not answer.
    with pytest.raises(MigrateError, match="cannot read the source: there is no Keepsake database") as err:
        migrate(Place(data_dir=tmp_path / "nowhere"), Place(data_dir=fresh))
    assert err.value.code == 3
    unreachable = Place(data_dir=tmp_path / "nowhere", database_url="postgresql://keepsake:secret@127.0.0.1:9/keepsake")
    code = main(
        ["migrate", "--from-data-dir", str(unreachable.data_dir), "--from-database", unreachable.database_url, "--to-data-dir", str(fresh)]
    )
    error = capsys.readouterr().err
    assert code == 3 and "cannot read the source" in error and "secret" not in error
    assert not fresh.exists() and not (tmp_path / "nowhere" / "keepsake.db").exists()


def test_a_copy_that_differs_or_stops_half_way_says_so(tmp_path, capsys, monkeypatch):
    home = Place(data_dir=tmp_path / "home")
    with _client(home) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        assert (
            client.post(f"/v1/personas/{persona['id']}/facts", json={"text": "Tom is at the bakery."}, headers=hh["headers"]).status_code
            == 201
        )
        r = client.put(
            f"/v1/personas/{persona['id']}/portrait", content=makers.face_png(), headers={**hh["headers"], "Content-Type": "image/png"}
        )
        assert r.status_code == 200

    # A table left behind: the exports differ, and the command names where (exit 1).
    import server.migrate as moving

    every = moving.tables()
    monkeypatch.setattr(moving, "tables", lambda: [t for t in every if t.name != "facts"])
    code = main(["migrate", "--from-data-dir", str(home.data_dir), "--to-data-dir", str(tmp_path / "partial")])
    error = capsys.readouterr().err
    assert code == 1 and "does NOT match" in error and "told_by_the_relative" in error and hh["id"] in error
    monkeypatch.undo()

    # Stopped half-way (the media copied, then the rows fail): the operator is told to empty it and run again,
    # and a second run refuses the half-filled target rather than mixing two copies.
    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(moving, "copy_rows", broken)
    with pytest.raises(MigrateError, match="stopped half-way .*disk full.*empty the target .* and run again") as err:
        migrate(home, Place(data_dir=tmp_path / "half"))
    assert err.value.code == 1
    monkeypatch.undo()
    with pytest.raises(MigrateError, match="not empty"):
        migrate(home, Place(data_dir=tmp_path / "half"))
