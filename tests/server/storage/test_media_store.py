"""The media store on both of its backends: the folder and a real S3-compatible store (SeaweedFS)."""

from __future__ import annotations

import pytest

from shared.api import PersonaCreate
from server.config import S3Settings
from server.storage import accounts, personas
from server.storage.blobs import FolderStore, S3Store, StoreUnavailable, open_store, parse_media_url
from server.storage.db import Database
from server.storage.media import MediaStore

SECRET = b"a test secret of enough length!!"


@pytest.fixture(params=["folder", "s3"])
def media(request, tmp_path):
    db = Database(tmp_path / "keepsake.db")
    if request.param == "folder":
        blobs = open_store(None, tmp_path / "media", None)
    else:
        seaweed = request.getfixturevalue("seaweed")
        s3 = S3Settings(
            endpoint_url=seaweed.endpoint_url,
            access_key_id=seaweed.access_key_id,
            secret_access_key=seaweed.secret_access_key,
            region=seaweed.region,
        )
        blobs = open_store(request.getfixturevalue("s3_media_url"), tmp_path / "media", s3)
    blobs.check()
    store = MediaStore(db, blobs, SECRET)
    household_id, _, _ = accounts.create_household(db, "Media", "media@keepsake.invalid", "not a real password 1")
    store.owners = {
        "hh": household_id,
        "keep": personas.create(db, household_id, PersonaCreate(display_name="Eleanor")).id,
        "gone": personas.create(db, household_id, PersonaCreate(display_name="Arthur")).id,
    }
    yield store
    db.close()


def test_bytes_go_in_and_come_back_out_whatever_the_store(media):
    hh = media.owners["hh"]
    stored = media.put(hh, b"RIFF and some sound", "audio/wav", "speech", persona_id=media.owners["keep"])
    assert stored.key == f"{hh}/{stored.id}.wav" and stored.name == f"{stored.id}.wav" and stored.size == 19
    again = media.get(stored.id)
    assert again == stored
    assert media.read_bytes(again) == b"RIFF and some sound" and media.exists(again)
    with media.local_file(again) as path:
        assert path is not None and path.read_bytes() == b"RIFF and some sound"
    assert media.blobs.keys(f"{hh}/") == [stored.key] and media.blobs.keys("hh_other/") == []


def test_a_large_file_on_disk_is_taken_in_and_its_upload_is_gone(media, tmp_path):
    upload = tmp_path / "upload.bin"
    upload.write_bytes(bytes(range(256)) * 40_000)  # 10 MB: several parts of a multipart upload
    stored = media.put_file(media.owners["hh"], media.owners["keep"], upload, mime="application/pdf", kind="source", extension="pdf")
    assert not upload.exists() and stored.size == 10_240_000
    with media.local_file(stored) as path:
        assert path is not None and path.stat().st_size == 10_240_000


def test_a_range_of_the_bytes_streams_from_s3(media):
    stored = media.put(media.owners["hh"], bytes(range(100)), "audio/wav", "speech")
    whole = media.open(stored)
    assert whole is not None and b"".join(whole.chunks) == bytes(range(100)) and whole.size == 100
    if isinstance(media.blobs, S3Store):
        part = media.open(stored, "bytes=10-19")
        assert part is not None and b"".join(part.chunks) == bytes(range(10, 20)) and part.content_range == "bytes 10-19/100"


def test_deleted_means_gone_from_the_store_too(media):
    hh, keep, erased = media.owners["hh"], media.owners["keep"], media.owners["gone"]
    kept = media.put(hh, b"keep", "audio/wav", "speech", persona_id=keep)
    gone = [media.put(hh, b"x" * n, "audio/wav", "speech", persona_id=erased) for n in (1, 2, 3)]
    assert media.delete_for_persona(erased) == 3
    assert media.blobs.keys("") == [kept.key]
    assert all(media.get(m.id) is None for m in gone)
    assert not media.exists(gone[0]) and media.open(gone[0]) is None
    with pytest.raises(FileNotFoundError), media.local_file(gone[0]) as path:
        assert path is None
        raise FileNotFoundError  # the context gave None: the caller says what is missing


def test_signed_urls_are_the_same_whatever_the_store(media):
    stored = media.put(media.owners["hh"], b"x", "audio/wav", "speech")
    path = media.signed_path(stored.id, 60)
    exp, sig = path.split("?")[1].split("&")
    assert media.signature_ok(stored.id, int(exp.removeprefix("exp=")), sig.removeprefix("sig="))


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://bucket/prefix", "must look like s3://bucket/prefix"),
        ("s3://", "no valid bucket"),
        ("s3://Big_Bucket/x", "no valid bucket"),
        ("s3://key:secret@bucket/x", "KEEPSAKE_S3__"),
        ("s3://bucket/x?region=eu", "only s3://bucket/prefix"),
    ],
)
def test_a_malformed_media_url_says_what_is_wrong_in_one_line(url, says):
    with pytest.raises(ValueError, match="KEEPSAKE_MEDIA_URL") as err:
        parse_media_url(url)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_prefix_is_optional():
    assert parse_media_url("s3://keepsake-media").prefix == ""
    assert parse_media_url("s3://keepsake-media/family/media/").prefix == "family/media/"


def test_a_store_that_cannot_be_reached_or_has_no_bucket_is_named(seaweed, tmp_path):
    closed = S3Store("s3://keepsake-media", endpoint_url="http://127.0.0.1:9", access_key_id="a", secret_access_key="b", region=None)
    with pytest.raises(StoreUnavailable, match=r"s3://keepsake-media at http://127.0.0.1:9"):
        closed.check()
    missing = S3Store(
        "s3://no-such-bucket",
        endpoint_url=seaweed.endpoint_url,
        access_key_id=seaweed.access_key_id,
        secret_access_key=seaweed.secret_access_key,
        region=None,
    )
    with pytest.raises(StoreUnavailable, match="no bucket 'no-such-bucket'"):
        missing.check()
    wrong_key = S3Store("s3://keepsake-tests", endpoint_url=seaweed.endpoint_url, access_key_id="a", secret_access_key="b", region=None)
    with pytest.raises(StoreUnavailable):
        wrong_key.check()
    FolderStore(tmp_path / "media").check()  # the folder: made if missing, and writable
