"""Receive an uploaded file straight to disk, with a size limit, never holding it in memory.

Starlette's form parser writes file parts to disk with no limit, so a 2 GB
upload would fill the disk before the route could say no. Here the request
body is parsed as it streams (python-multipart's push parser): the file part
goes to a temporary file in the data folder, the upload stops with 413 the
moment it passes the limit, and a declared ``Content-Length`` over the limit
is refused before a byte is read.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from server.config import Settings
from server.errors import ApiError
from server.importers.errors import empty, too_large

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# Room for the multipart envelope and the small form fields around the file.
ENVELOPE_SLACK = 256 * 1024
MAX_FIELD_BYTES = 4096
MAX_FIELDS = 16
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Upload:
    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def source_limit_bytes(settings: Settings) -> int:
    """The largest file an import takes: ``max_source_mb`` in the settings (KEEPSAKE_MAX_SOURCE_MB)."""
    return int(settings.max_source_mb * 1024 * 1024)


def clean_filename(name: str | None, default: str = "upload") -> str:
    """The file's own name without any folders a browser or phone put in front ("C:\\fakepath\\...")."""
    name = _UNSAFE.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:200] or default


def _limit_words(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def refuse_declared_length(request: Request, limit: int) -> None:
    """413 at once when the client says the body is bigger than we take."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + ENVELOPE_SLACK:
        raise too_large(f"The file is larger than the limit of {_limit_words(limit)}.")


def _temp_file(folder: Path) -> IO[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", suffix=".part", delete=False)


async def receive_body(request: Request, folder: Path, limit: int, filename: str) -> Upload:
    """A raw (non-multipart) body, streamed to a temporary file."""
    refuse_declared_length(request, limit)
    out = _temp_file(folder)
    path = Path(out.name)
    size = 0
    try:
        with out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(f"The file is larger than the limit of {_limit_words(limit)}.")
                out.write(chunk)
        if size == 0:
            raise empty()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(path=path, filename=clean_filename(filename), size=size)


class _FormReader:
    """Callbacks for the push parser: one file part to disk, a few small text fields in memory."""

    def __init__(self, folder: Path, limit: int, file_field: str):
        self.folder = folder
        self.limit = limit
        self.file_field = file_field
        self.fields: dict[str, str] = {}
        self.file_path: Path | None = None
        self.filename = ""
        self.size = 0
        self._out: IO[bytes] | None = None
        self._headers: dict[str, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._name = ""
        self._is_file = False
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_header_name", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_end(self) -> None:
        # Kept as bytes: browsers and httpx send a file name in UTF-8 ("奶奶的信.txt"), which the
        # options parser would refuse as a str outside Latin-1.
        self._headers[self._header_name.decode("latin-1").lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._is_file = filename is not None or self._name == self.file_field
        if self._is_file:
            if self._out is not None or self.file_path is not None:
                raise ApiError(400, "one_file", "Send one file at a time.")
            self.filename = clean_filename(filename.decode("utf-8", "replace") if filename else None)
            self._out = _temp_file(self.folder)
            self.file_path = Path(self._out.name)
        elif len(self.fields) >= MAX_FIELDS:
            raise ApiError(400, "bad_form", "The form has too many fields.")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.size += end - start
            if self.size > self.limit:
                raise too_large(f"The file is larger than the limit of {_limit_words(self.limit)}.")
            assert self._out is not None  # opened when this file part's headers ended
            self._out.write(data[start:end])
        else:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise ApiError(400, "bad_form", f"The form field {self._name!r} is too long.")

    def _part_end(self) -> None:
        if self._is_file:
            assert self._out is not None  # opened when this file part's headers ended
            self._out.close()
            self._out = None
        else:
            self.fields[self._name] = self._value.decode("utf-8", "replace").strip()

    def abandon(self) -> None:
        if self._out is not None:
            self._out.close()
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)


async def receive_form(request: Request, folder: Path, limit: int, *, file_field: str = "file") -> Upload:
    """A multipart/form-data upload with one file (in ``file_field``) and small text fields."""
    refuse_declared_length(request, limit)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(415, "unsupported_media_type", f"Send the file as multipart/form-data in the field {file_field!r}.")
    reader = _FormReader(folder, limit, file_field)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if reader._out is not None:  # the body ended in the middle of the file
            raise ApiError(400, "bad_form", "The upload ended before the file did. Please try again.")
    except ApiError:
        reader.abandon()
        raise
    except Exception as exc:  # a malformed multipart body: the parser's own errors
        reader.abandon()
        if isinstance(exc, (OSError, MemoryError)):
            raise
        raise ApiError(400, "bad_form", "The upload is not a valid multipart form.") from None
    if reader.file_path is None:
        raise ApiError(400, "no_file", f"No file was sent: put it in the form field {file_field!r}.")
    if reader.size == 0:
        reader.abandon()
        raise empty()
    return Upload(path=reader.file_path, filename=reader.filename, size=reader.size, fields=reader.fields)


# The OpenAPI body of a route that takes one recording (a voice sample, a dictation).
RECORDING_BODY = {
    "required": True,
    "content": {
        "audio/wav": {"schema": {"type": "string", "format": "binary"}},
        "audio/mp4": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
        },
    },
}


async def receive_recording(request: Request, folder: Path, limit: int, filename: str) -> Upload:
    """One recording, sent as the raw body (audio/*) or as the multipart field ``file``; 415 otherwise."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await receive_form(request, folder, limit)
    if content_type.startswith(("audio/", "video/")) or content_type == "application/ogg":
        return await receive_body(request, folder, limit, filename=filename)
    raise ApiError(
        415,
        "unsupported_media_type",
        "Send the recording as audio (e.g. audio/wav, audio/mp4) or multipart/form-data with the field 'file'.",
    )
