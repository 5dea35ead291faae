"""A portrait the server cannot take is refused with a clear 4xx, and the persona keeps her old one:
its picture, its face and its mouth, byte for byte."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.server.api.conftest import assert_error, new_household, new_persona


def _face_png() -> bytes:
    """A picture the server takes (whether or not a face is found on it does not matter here)."""
    out = io.BytesIO()
    Image.new("RGB", (240, 240), (200, 170, 150)).save(out, "PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("body", "mime", "status", "code"),
    [
        (b"Dear Rose, this is a letter, not a picture.", "image/png", 422, "invalid_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "image/png", 422, "invalid_image"),
        (b"", "image/jpeg", 400, "empty_body"),
        (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10), "image/jpeg", 413, "too_large"),
        (_png_claiming(20_000, 20_000), "image/png", 413, "too_large"),
        (b"GIF89a", "image/gif", 415, "unsupported_media_type"),
    ],
    ids=["text", "broken-png", "empty", "over-10-MB", "too-many-pixels", "gif"],
)
def test_a_refused_portrait_leaves_the_old_one(client, body, mime, status, code):
    hh = new_household(client)
    persona = new_persona(client, hh)
    url = f"/v1/personas/{persona['id']}/portrait"
    assert client.put(url, content=_face_png(), headers={**hh["headers"], "Content-Type": "image/png"}).status_code == 200
    before = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    picture = client.get(url, headers=hh["headers"]).content

    assert_error(client.put(url, content=body, headers={**hh["headers"], "Content-Type": mime}), status, code)

    after = client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()
    assert (after.get("face"), after.get("mouth")) == (before.get("face"), before.get("mouth"))
    assert client.get(url, headers=hh["headers"]).content == picture
