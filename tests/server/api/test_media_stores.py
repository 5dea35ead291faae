"""Media through the API on both stores: the folder and S3 (a real SeaweedFS on loopback).

Tablets fetch every file the same way whatever the store; a store that stops answering gives a
clear 503 with Retry-After and changes nothing; a store that cannot be reached stops the start.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.cli import main
from server.storage.blobs import S3Store
from tests.server.api.conftest import assert_error, new_household, new_persona, stored_files
from tests.server.api.test_trust import session, talk


def _portrait_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 400), (120, 160, 200)).save(buf, "JPEG")
    return buf.getvalue()


def test_a_turn_s_speech_and_a_portrait_are_fetched_the_same_way_from_either_store(client, media_backend):
    hh = new_household(client)
    persona = new_persona(client, hh)
    sentences = [
        e
        for e in talk(client, hh["headers"], session(client, hh["headers"], persona["id"])["id"], "Tell me about the seaside")
        if e["type"] == "sentence"
    ]
    url = sentences[0]["audio_url"]
    whole = client.get(url)  # a signed URL, no token: what an audio player sends
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav" and whole.content.startswith(b"RIFF")
    assert whole.headers["x-content-type-options"] == "nosniff"
    part = client.get(url, headers={"Range": "bytes=0-3"})  # a player seeking
    assert part.status_code == 206 and part.content == b"RIFF" and part.headers["content-range"].endswith(f"/{len(whole.content)}")
    assert client.get(url.replace("sig=", "sig=0")).status_code == 404

    picture = _portrait_jpeg()
    assert (
        client.put(
            f"/v1/personas/{persona['id']}/portrait", content=picture, headers={**hh["headers"], "Content-Type": "image/jpeg"}
        ).status_code
        == 200
    )
    got = client.get(f"/v1/personas/{persona['id']}/portrait", headers=hh["headers"])
    assert got.status_code == 200 and got.content == picture
    assert any(key.endswith(".jpg") for key in stored_files(client))


def test_health_says_the_database_and_the_store_are_reachable(client, media_backend):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["media_store"] == "ok"


def _store_stops_answering(client) -> None:
    """The S3 store goes away (nothing listens on its port any more)."""
    media = client.app.state.keepsake.media
    media.blobs = S3Store(
        f"s3://{media.blobs.location.bucket}", endpoint_url="http://127.0.0.1:9", access_key_id="a", secret_access_key="b", region=None
    )


@pytest.mark.parametrize("media_backend", ["s3"], indirect=True)
def test_a_store_that_stops_answering_gives_503_with_retry_after_and_changes_nothing(client, media_backend):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    media_before = client.app.state.keepsake.db.one("SELECT COUNT(*) FROM media")[0]
    _store_stops_answering(client)

    r = client.put(
        f"/v1/personas/{persona['id']}/portrait", content=_portrait_jpeg(), headers={**hh["headers"], "Content-Type": "image/jpeg"}
    )
    assert_error(r, 503, "store_unavailable")
    assert int(r.headers["retry-after"]) > 0 and "Traceback" not in r.text
    assert client.app.state.keepsake.db.one("SELECT COUNT(*) FROM media")[0] == media_before
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["portrait_url"] is None

    # A turn still ends cleanly: its speech cannot be kept for the tablet to fetch, so each sentence
    # is a notice, as when the voice fails; what the relative said is in the database.
    answered = talk(client, hh["headers"], s["id"], "Tell me about your wedding")
    assert answered[-1]["type"] == "done" and "tts_failed" in str(answered)
    turn = client.app.state.keepsake.db.one("SELECT user_text FROM turns ORDER BY created_at DESC LIMIT 1")
    assert turn["user_text"] == "Tell me about your wedding"

    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["media_store"].startswith("unreachable") and health.headers["retry-after"]


def test_a_store_that_cannot_be_reached_at_start_is_named_and_the_server_exits(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KEEPSAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEEPSAKE_MEDIA_URL", "s3://keepsake-media/family")
    monkeypatch.setenv("KEEPSAKE_S3__ENDPOINT_URL", "http://127.0.0.1:9")
    assert main(["serve"]) == 1
    error = capsys.readouterr().err.strip()
    assert "s3://keepsake-media/family at http://127.0.0.1:9" in error and "\n" not in error and "Traceback" not in error


def test_a_malformed_media_url_is_one_line_at_start(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KEEPSAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEEPSAKE_MEDIA_URL", "https://keepsake-media.example/family")
    assert main(["serve"]) == 2
    error = capsys.readouterr().err.strip()
    assert "KEEPSAKE_MEDIA_URL" in error and "\n" not in error and not (tmp_path / "data").exists()
