"""Imported material: one row per uploaded file, with the original kept as media.

Memories made from a source carry its ``source_id`` and their ``position``
in it, so the caregiver always sees where a memory came from; deleting a
source deletes its memories (and their search rows) and its files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.storage import speech_cache
from server.storage.db import Database, Row, dumps, iso, new_id
from server.storage.media import MediaFile, MediaStore


def _source(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "persona_id": row["persona_id"],
        "kind": row["kind"],
        "filename": row["filename"],
        "media_id": row["media_id"],
        "details": json.loads(row["details"]),
        "created_at": row["created_at"],
    }


def store_file(media: MediaStore, household_id: str, persona_id: str, path: Path, *, mime: str, kind: str, extension: str) -> MediaFile:
    """Move an uploaded file (already on disk, maybe large) into the media store without reading it into memory."""
    return media.put_file(household_id, persona_id, path, mime=mime, kind=kind, extension=extension)


def create(
    db: Database, household_id: str, persona_id: str, kind: str, filename: str, media_id: str | None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    source_id = new_id("src")
    db.execute(
        "INSERT INTO sources (id, persona_id, household_id, kind, filename, media_id, details, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (source_id, persona_id, household_id, kind, filename, media_id, dumps(details or {}), iso()),
    )
    made = get(db, household_id, persona_id, source_id)
    assert made is not None  # the row written just above
    return made


def get(db: Database, household_id: str, persona_id: str, source_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM sources WHERE id = ? AND persona_id = ? AND household_id = ?", (source_id, persona_id, household_id))
    return _source(row) if row else None


def list_for(db: Database, household_id: str, persona_id: str) -> list[dict[str, Any]]:
    rows = db.all(
        "SELECT s.*, (SELECT COUNT(*) FROM memories m WHERE m.source_id = s.id) AS memory_count"
        " FROM sources s WHERE s.persona_id = ? AND s.household_id = ? ORDER BY s.created_at",
        (persona_id, household_id),
    )
    return [_source(r) | {"memory_count": r["memory_count"]} for r in rows]


def update_details(db: Database, source_id: str, details: dict[str, Any]) -> None:
    db.execute("UPDATE sources SET details = ? WHERE id = ?", (dumps(details), source_id))


def media_ids(db: Database, source_id: str) -> list[str]:
    """Every file that belongs to a source: the original, its picture sizes, its recording clips."""
    row = db.one("SELECT media_id, details FROM sources WHERE id = ?", (source_id,))
    if row is None:
        return []
    ids = [row["media_id"]] if row["media_id"] else []
    ids += list(json.loads(row["details"]).get("sizes", {}).values())
    ids += [
        r["audio_media_id"]
        for r in db.all("SELECT audio_media_id FROM memories WHERE source_id = ? AND audio_media_id IS NOT NULL", (source_id,))
    ]
    return ids


def delete(db: Database, media: MediaStore, source_id: str) -> None:
    """The source, its memories (with their search rows and their speech) and its files."""
    files = media_ids(db, source_id)
    with db.transaction() as conn:
        memory_ids = [r["id"] for r in conn.execute("SELECT id FROM memories WHERE source_id = ?", (source_id,))]
        conn.execute("DELETE FROM memory_fts WHERE memory_id IN (SELECT id FROM memories WHERE source_id = ?)", (source_id,))
        conn.execute("DELETE FROM memories WHERE source_id = ?", (source_id,))
        conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
    for media_id in files:
        media.delete(media_id)
    for memory_id in memory_ids:  # after the rows: speech being made meanwhile is refused (speech_cache.keep)
        speech_cache.forget_memory(db, media, memory_id)
