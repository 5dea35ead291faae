"""A broken file of every kind, uploaded as a caregiver would: the answer says what is wrong in plain words.

Whether a file is refused at once (a 4xx while the upload is checked) or its import job fails
later, the message the caregiver reads names no path on the server, no class name, no library's
own words. The detail is in the server's log instead.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import time

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.importers import parse
from server.importers.errors import ImportRejected
from tests.server.api.conftest import new_household, new_persona
from tests.server.importers import makers

JOB_DEADLINE_S = 60


def _picture(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(out, fmt)
    return out.getvalue()


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


_CONTENT_TYPES = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'

# name -> (file name, bytes, form fields, what must become of it: "refused" at once, or "failed" in the job)
BROKEN = {
    "docx_cut_short": ("memoir.docx", lambda: _cut(makers.docx_bytes()), {}, "refused"),
    # python-docx's message for this one holds a schema address (and, for a missing package, the upload's path)
    "docx_without_a_document": (
        "memoir.docx",
        lambda: makers.zip_bytes({"[Content_Types].xml": _CONTENT_TYPES, "word/document.xml": b"<x/>"}),
        {},
        "refused",
    ),
    "docx_broken_xml": (
        "memoir.docx",
        lambda: makers.zip_bytes({"[Content_Types].xml": b"<Types", "word/document.xml": b"<x/>"}),
        {},
        "refused",
    ),
    "epub_cut_short": ("book.epub", lambda: _cut(makers.epub_bytes()), {}, "refused"),
    "epub_broken_inside": (
        "book.epub",
        lambda: makers.zip_bytes({"mimetype": b"application/epub+zip", "META-INF/container.xml": b"<container", "book.opf": b"<x/>"}),
        {},
        "refused",
    ),
    "pdf_cut_short": ("book.pdf", lambda: _cut(makers.memoir_pdf()), {}, "refused"),
    "pdf_garbage": ("book.pdf", lambda: b"%PDF-1.4\n" + bytes(range(256)) * 20, {}, "refused"),
    # Bytes that are no text in any encoding, and nothing else: no memory of invisible marks is made.
    "html_invalid_bytes": ("page.html", lambda: b"<html><body>\xa0\x81\xa0\x8d\x90\x9d\xa0</body></html>", {}, "failed"),
    "markdown_invalid_bytes": ("memoir.md", lambda: b"\xa0\xa0\n\n\xa0\x81\x8d\x90\x9d\xa0\n", {}, "refused"),
    "chat_that_is_not_a_chat": ("chat.txt", lambda: b"Just a few words about the garden.", {"kind": "chat"}, "refused"),
    "voice_memo_not_audio": ("memo.wav", lambda: b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4, {}, "refused"),
    "voice_memo_m4a_not_audio": ("memo.m4a", lambda: b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 4, {}, "refused"),
    "photo_not_an_image": ("photo.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, {}, "refused"),
    # The header is sound (the upload check passes); the picture ends halfway: found by the job.
    "photo_cut_short": ("photo.jpg", lambda: _picture("JPEG")[:2000], {}, "failed"),
}

_CLASS_NAME = re.compile(r"[A-Za-z]*(?:Error|Exception|Warning)\b|\b[A-Z][a-z]+[A-Z]\w*\b")
_PRODUCT_NAMES = {"WhatsApp"}  # named to the caregiver on purpose
_PATH = re.compile(r"(?<!\d)/|/(?!\d)")  # a "/" that is not inside a date like 31/12/2021


def assert_plain(message: str, secrets: list[str]) -> None:
    assert message.strip(), "an empty message tells the caregiver nothing"
    assert not _PATH.search(message), f"a path or address in {message!r}"
    names = [found for found in _CLASS_NAME.findall(message) if found not in _PRODUCT_NAMES]
    assert not names, f"a class name ({names}) in {message!r}"
    assert "Traceback" not in message and "\\" not in message and ".py" not in message, message
    for secret in secrets:
        assert secret not in message, f"{secret!r} (a server folder) in {message!r}"


@pytest.fixture
def studio(data_dir):
    app = create_app(Settings(data_dir=data_dir, preload_engines=False))
    with TestClient(app) as client:
        hh = new_household(client)
        yield client, hh, new_persona(client, hh, memories=False)


def _finished(client, hh, job_url: str) -> dict:
    deadline = time.monotonic() + JOB_DEADLINE_S
    while (job := client.get(job_url, headers=hh["headers"]).json())["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the job did not end within {JOB_DEADLINE_S} s: {job}"
        time.sleep(0.05)  # a poll interval, not a wait for the result: the deadline above bounds it
    return job


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_gets_a_plain_message(studio, data_dir, case, caplog):
    client, hh, persona = studio
    filename, make, fields, expected = BROKEN[case]
    secrets = [str(data_dir), str(data_dir.resolve()), tempfile.gettempdir(), "upload-", ".part", "server."]
    with caplog.at_level(logging.WARNING):
        r = client.post(
            f"/v1/personas/{persona['id']}/sources",
            files={"file": (filename, make(), "application/octet-stream")},
            data=fields,
            headers=hh["headers"],
        )
        if r.status_code == 202:
            job = _finished(client, hh, r.json()["job_url"])
            outcome, messages = job["state"], job["errors"]
        else:
            assert 400 <= r.status_code < 500, r.text
            outcome, messages = "refused", [r.json()["error"]["message"]]
    assert outcome == expected, (outcome, messages)
    assert messages
    for message in messages:
        assert_plain(message, secrets)
    # Nothing was kept of a refused or failed file.
    assert client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json() == []
    assert not list((data_dir / "uploads").glob("*")), "the upload was left on disk"


def test_the_library_detail_goes_to_the_log(studio, caplog, tmp_path):
    """What the caregiver is spared is still there for whoever looks after the server.

    The reading runs in a child process whose log goes to the server's standard error; here the
    same reading runs in this process, where the log can be read."""
    client, hh, persona = studio
    _, make, _, _ = BROKEN["docx_without_a_document"]
    r = client.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("memoir.docx", make())}, headers=hh["headers"])
    assert r.status_code == 422 and "relationship" not in r.json()["error"]["message"]
    path = tmp_path / "memoir.docx"
    path.write_bytes(make())
    with caplog.at_level(logging.WARNING, logger="keepsake.importers"), pytest.raises(ImportRejected) as refused:
        parse.check_upload(path, "memoir.docx", kind=None, self_name=None, persona_names=[])
    assert "relationship" not in refused.value.message
    assert any("relationship" in record.getMessage() for record in caplog.records if record.name == "keepsake.importers")


def test_words_amid_invalid_bytes_are_kept_and_the_bytes_dropped(studio):
    client, hh, persona = studio
    data = "Grandma’s kitchen smelled of bread every morning before school.".encode("cp1252") + b"\x81\x8d\x90\x9d " + b"And of roses."
    r = client.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("memoir.txt", data)}, headers=hh["headers"])
    assert r.status_code == 202, r.text
    assert _finished(client, hh, r.json()["job_url"])["state"] == "done"
    memories = client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json()
    text = " ".join(m["text"] for m in memories)
    assert "Grandma’s kitchen" in text and "And of roses." in text
    assert not any("\x80" <= c <= "\x9f" or c < " " and c not in "\n\t" for c in text), repr(text)
