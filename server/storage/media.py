"""Media files (recordings, synthesized speech, portraits) and their signed URLs.

Files live in one folder per household. The database row says who owns a
file; URLs carry an HMAC signature with an expiry because audio players often
cannot add an Authorization header.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path

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
    path: Path
    size: int


class MediaStore:
    def __init__(self, db: Database, root: Path, secret: bytes):
        self.db = db
        self.root = root
        self.secret = secret
        root.mkdir(parents=True, exist_ok=True)

    def put(self, household_id: str, data: bytes, mime: str, kind: str, persona_id: str | None = None) -> MediaFile:
        media_id = new_id("med")
        folder = self.root / household_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{media_id}.{EXTENSIONS.get(mime, 'bin')}"
        # Write then rename, so a crash never leaves a half file under the real name.
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.db.execute(
            "INSERT INTO media (id, household_id, persona_id, kind, mime, path, size, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (media_id, household_id, persona_id, kind, mime, str(path.relative_to(self.root)), len(data), iso()),
        )
        return MediaFile(media_id, household_id, kind, mime, path, len(data))

    def get(self, media_id: str) -> MediaFile | None:
        row = self.db.one("SELECT * FROM media WHERE id = ?", (media_id,))
        if row is None:
            return None
        return MediaFile(row["id"], row["household_id"], row["kind"], row["mime"], self.root / row["path"], row["size"])

    def delete(self, media_id: str) -> None:
        media = self.get(media_id)
        if media is None:
            return
        media.path.unlink(missing_ok=True)
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
    """The server's signing key, made once and shared by every process on this data folder."""
    path = data_dir / "secret.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another process made it first
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
    return bytes.fromhex(path.read_text().strip())
