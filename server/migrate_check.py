"""The check after a move: the household export of every household is the same on both sides.

The archives are compared by what they hold (data.json as data, each media file by its bytes'
SHA-256), never as zip files, whose timestamps differ.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from server.export import write_archive
from server.state import AppState
from server.storage import personas
from server.storage.blobs import BlobStore
from server.storage.db import Database
from server.storage.media import MediaStore


@dataclass
class _ExportState:
    """What ``write_archive`` reads of the server's state: the database and the media."""

    db: Database
    media: MediaStore


def _archive(db: Database, blobs: BlobStore, household_id: str) -> Path:
    # Signed URLs are not part of an export, so any key signs here.
    state = _ExportState(db, MediaStore(db, blobs, b"migrate-check"))
    persona_ids = [p.id for p in personas.list_all(db, household_id)]
    return write_archive(cast(AppState, state), household_id, persona_ids)


def archive_contents(path: Path) -> tuple[Any, dict[str, str]]:
    """(data.json as data, {media file name: SHA-256 of its bytes})."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("data.json"))
        for name in archive.namelist():
            if name == "data.json":
                continue
            digest = hashlib.sha256()
            with archive.open(name) as fh:
                while chunk := fh.read(1024 * 1024):
                    digest.update(chunk)
            files[name] = digest.hexdigest()
    return data, files


def first_difference(a: Any, b: Any, where: str = "data.json") -> str | None:
    """Where two JSON values first differ (``data.json: personas[0].memories[2].text``), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key} (on one side only)"
            found = first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where} ({len(a)} items against {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else where


def compare_exports(source_db: Database, source_blobs: BlobStore, target_db: Database, target_blobs: BlobStore) -> tuple[int, list[str]]:
    """(households compared, what differs: one line per household that does not match)."""
    ids = sorted(r["id"] for r in source_db.all("SELECT id FROM households"))
    target_ids = sorted(r["id"] for r in target_db.all("SELECT id FROM households"))
    differences: list[str] = []
    if ids != target_ids:
        differences.append(f"the households differ: {len(ids)} at the source, {len(target_ids)} at the target")
    for household_id in ids:
        if household_id not in target_ids:
            continue
        paths = [_archive(source_db, source_blobs, household_id), _archive(target_db, target_blobs, household_id)]
        try:
            (data_a, files_a), (data_b, files_b) = (archive_contents(p) for p in paths)
        finally:
            for path in paths:
                path.unlink(missing_ok=True)
        where = first_difference(data_a, data_b)
        if where:
            differences.append(f"household {household_id}: {where}")
        changed = sorted(n for n in set(files_a) | set(files_b) if files_a.get(n) != files_b.get(n))
        if changed:
            differences.append(f"household {household_id}: media files {', '.join(changed[:5])}")
    return len(ids), differences
