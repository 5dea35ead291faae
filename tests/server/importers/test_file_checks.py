"""What a file is (by content, never by the name or the client's word alone), and the zip-bomb guard."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from server.importers import photo, safezip
from server.importers.detect import detect
from server.importers.errors import ImportRejected
from tests.conftest import wav_bytes
from tests.server.importers import makers


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (100, 100), "white").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "family", "fmt"),
    [
        ("a.txt", lambda: b"Hello, this is a memory.", "document", "txt"),
        ("noext", lambda: b"Plain words, no name.", "document", "txt"),
        ("a.md", lambda: b"# Title\n\ntext", "document", "md"),
        ("page.html", lambda: b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "document", "html"),
        ("book.docx", makers.docx_bytes, "document", "docx"),
        ("book.bin", makers.docx_bytes, "document", "docx"),  # the content decides, not the name
        ("book.pdf", makers.memoir_pdf, "document", "pdf"),
        ("book.epub", makers.epub_bytes, "document", "epub"),
        ("memo.wav", lambda: wav_bytes(np.zeros(1600)), "audio", "wav"),
        ("memo", lambda: wav_bytes(np.zeros(1600)), "audio", "wav"),
        ("photo.jpg", jpeg, "image", "jpeg"),
        ("photo.png", makers.face_png, "image", "png"),
    ],
)
def test_detected_by_content(tmp_path, name, make, family, fmt):
    found = detect(write(tmp_path, name, make()), name)
    assert (found.family, found.format) == (family, fmt)


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("photo.jpg", b"%PDF-1.4 not really", 415),  # a PDF called .jpg
        ("letter.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, 415),  # a picture called .pdf
        ("notes.docx", b"plain words in a .docx", 422),
        ("x.bin", bytes(range(256)) * 10, 415),
        ("old.rtf", b"{\\rtf1\\ansi hello}", 415),
        ("empty.txt", b"", 400),
    ],
)
def test_names_and_contents_that_disagree(tmp_path, name, data, status):
    with pytest.raises(ImportRejected) as err:
        detect(write(tmp_path, name, data), name)
    assert err.value.status == status and err.value.message


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = write(tmp_path, "bomb.docx", makers.zip_bomb_docx())
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ImportRejected) as err:
        detect(path, "bomb.docx")
    assert err.value.status == 413 and err.value.code == "zip_bomb"


def test_too_many_entries_and_too_much_in_total(tmp_path):
    many = makers.zip_bytes({f"f{i}.xml": b"x" for i in range(safezip.MAX_ENTRIES + 1)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(ImportRejected) as err:
        safezip.open_checked(write(tmp_path, "many.epub", many))
    assert err.value.code == "zip_bomb"


def test_truncated_and_damaged_zips(tmp_path):
    data = makers.docx_bytes()
    with pytest.raises(ImportRejected) as err:
        safezip.open_checked(write(tmp_path, "cut.docx", data[: len(data) // 2]))
    assert err.value.status == 422
    # Intact directory, damaged contents: found by inflating every entry once.
    damaged = bytearray(data)
    damaged[200:260] = b"\xff" * 60
    with pytest.raises(ImportRejected):
        safezip.verify_members(write(tmp_path, "bad.docx", bytes(damaged)))


def test_photo_checks(tmp_path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "PNG")
    with pytest.raises(ImportRejected) as err:
        photo.check(write(tmp_path, "tiny.png", out.getvalue()))
    assert err.value.code == "image_too_small"
    assert photo.check(write(tmp_path, "face.png", makers.face_png())) == (400, 400)


def test_face_and_mouth_are_found():
    from PIL import Image

    image = Image.open(io.BytesIO(makers.face_png(600)))
    found = photo.analyse(image)
    assert found["mouth_found"] and found["faces_found"] == 1
    assert abs(found["mouth"]["x"] - makers.MOUTH_DRAWN[0]) < 0.04
    assert abs(found["mouth"]["y"] - makers.MOUTH_DRAWN[1]) < 0.05


def test_photo_sizes_are_upright_and_never_enlarged(tmp_path):
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", (300, 200), "red")
    exif = image.getexif()
    exif[0x0112] = 6  # the camera was turned: rotate 90 degrees to show it upright
    image.save(out, "JPEG", exif=exif)
    upright = photo.load(write(tmp_path, "turned.jpg", out.getvalue()))
    assert upright.size == (200, 300)
    big = Image.open(io.BytesIO(photo.sized(upright, 1024, "PNG")))
    small = Image.open(io.BytesIO(photo.sized(upright, 160, "JPEG")))
    assert big.size == (200, 300) and max(small.size) == 160
