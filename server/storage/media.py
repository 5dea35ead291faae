"""Media files (recordings, synthesized speech, portraits) and their signed URLs.

The database row says who owns a file and where its bytes are (a key such as
``hh_x/med_y.wav``); the bytes live in a blob store (``server.storage.blobs``):
one folder per household on this machine, or the same keys in an S3-compatible
bucket. URLs carry an HMAC signature with an expiry because audio players often
cannot add an Authorization header.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.storage.blobs import BlobStore, FolderStore, Opened
from server.storage.db import Database, iso, new_id

EXTENSIONS = {
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/3gpp": "3gp",
    "audio/mp4": "m4a",
    "image/png": "png",
    "image/jpeg": "jpg",
    "video/mp4": "mp4",
}


@dataclass(frozen=True)
class MediaFile:
    id: str
    household_id: str
    kind: str
    mime: str
    key: str  # where the bytes are in the blob store: "<household>/<id>.<ext>"
    size: int

    @property
    def name(self) -> str:
        """The file's own name ("med_x.wav"), as an export calls it."""
        return self.key.rsplit("/", 1)[-1]


class MediaStore:
    def __init__(self, db: Database, blobs: BlobStore | Path, secret: bytes):
        self.db = db
        # A folder given as a path: the embedded default (and what most tests hand in).
        self.blobs: BlobStore = FolderStore(blobs) if isinstance(blobs, Path) else blobs
        self.secret = secret

    def _insert(self, media_id: str, household_id: str, persona_id: str | None, kind: str, mime: str, key: str, size: int) -> MediaFile:
        # The bytes are stored before the row: a row never points at nothing (a crash between leaves
        # an unowned file, never a broken row).
        self.db.execute(
            "INSERT INTO media (id, household_id, persona_id, kind, mime, path, size, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (media_id, household_id, persona_id, kind, mime, key, size, iso()),
        )
        return MediaFile(media_id, household_id, kind, mime, key, size)

    @staticmethod
    def key_for(household_id: str, media_id: str, mime: str) -> str:
        return f"{household_id}/{media_id}.{EXTENSIONS.get(mime, 'bin')}"

    def put(
        self, household_id: str, data: bytes, mime: str, kind: str, persona_id: str | None = None, *, media_id: str | None = None
    ) -> MediaFile:
        """Store ``data``; ``media_id`` (from ``new_id("med")``) when the caller wrote it down before (an import job)."""
        media_id = media_id or new_id("med")
        key = self.key_for(household_id, media_id, mime)
        self.blobs.put(key, data)
        return self._insert(media_id, household_id, persona_id, kind, mime, key, len(data))

    def put_file(self, household_id: str, persona_id: str | None, path: Path, *, mime: str, kind: str, extension: str) -> MediaFile:
        """Take in a file already on disk (maybe large) without reading it into memory; ``path`` is gone after."""
        media_id = new_id("med")
        key = f"{household_id}/{media_id}.{extension}"
        size = self.blobs.put_file(key, path)
        return self._insert(media_id, household_id, persona_id, kind, mime, key, size)

    def get(self, media_id: str) -> MediaFile | None:
        row = self.db.one("SELECT * FROM media WHERE id = ?", (media_id,))
        if row is None:
            return None
        return MediaFile(row["id"], row["household_id"], row["kind"], row["mime"], row["path"], row["size"])

    # --- the bytes: every consumer goes through these, whatever the store ---

    def read_bytes(self, media: MediaFile) -> bytes:
        """The file's bytes, for decoders; FileNotFoundError when they are gone, StoreUnavailable
        (an OSError as well) when the store does not answer."""
        data = self.blobs.read(media.key)
        if data is None:
            raise FileNotFoundError(f"media {media.id} has no bytes in the {self.blobs.description}")
        return data

    def exists(self, media: MediaFile) -> bool:
        return self.blobs.exists(media.key)

    @contextmanager
    def local_file(self, media: MediaFile) -> Iterator[Path | None]:
        """A file on this machine with the bytes, for readers that need a path (the import sandbox, a zip):
        the file itself in the folder, a temporary copy (removed after) from S3. None when they are gone."""
        with self.blobs.local_file(media.key) as path:
            yield path

    def local_path(self, media: MediaFile) -> Path | None:
        """The file itself when its bytes are on this machine's disk, else None (then ``open`` streams them)."""
        return self.blobs.local_path(media.key)

    def open(self, media: MediaFile, byte_range: str | None = None) -> Opened | None:
        return self.blobs.open(media.key, byte_range)

    def delete(self, media_id: str) -> None:
        media = self.get(media_id)
        if media is None:
            return
        self.blobs.delete(media.key)
        self.db.execute("DELETE FROM media WHERE id = ?", (media_id,))

    def forget(self, media_id: str, key: str) -> None:
        """A file that may have its bytes, its row, both or neither: one an import's attempt was storing when it died."""
        self.blobs.delete(key)
        self.db.execute("DELETE FROM media WHERE id = ?", (media_id,))

    def delete_for_persona(self, persona_id: str) -> int:
        rows = self.db.all("SELECT id FROM media WHERE persona_id = ?", (persona_id,))
        for row in rows:
            self.delete(row["id"])
        return len(rows)

    # --- signed URLs ---------------------------------------------------

    def _signature(self, media_id: str, expires: int) -> str:
        mac = hmac.new(self.secret, f"{media_id}.{expires}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def signed_path(self, media_id: str, ttl_s: int) -> str:
        expires = int(time.time()) + ttl_s
        return f"/v1/media/{media_id}?exp={expires}&sig={self._signature(media_id, expires)}"

    def signature_ok(self, media_id: str, expires: int | None, sig: str | None) -> bool:
        if expires is None or not sig or expires < time.time():
            return False
        # Compared as bytes: compare_digest refuses a str with non-ASCII characters ("sig=é") with a TypeError.
        return hmac.compare_digest(sig.encode("utf-8", "replace"), self._signature(media_id, expires).encode())


def load_secret(data_dir: Path) -> bytes:
    """The server's signing key, made once and shared by every process on this data folder.

    Written whole under another name and linked into place: a process starting at the same moment
    reads either no key (and links its own, or finds the first) or the whole one, never half."""
    path = data_dir / "secret.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = data_dir / f".secret.key.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first
        finally:
            draft.unlink()
    return bytes.fromhex(path.read_text().strip())
