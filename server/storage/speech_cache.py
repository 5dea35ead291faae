"""Speech already made for a persona, found again by what was said and with which voice.

Story mode says the same memories and phrases again and again, and greetings
repeat: each is synthesized once and then only fetched.
"""

from __future__ import annotations

import hashlib
import json

from shared.api import MouthTrack
from server.storage.db import Database, iso


def key(persona_id: str, provider: str, voice: str | None, language: str, text: str) -> str:
    return hashlib.sha256("\x1f".join([persona_id, provider, voice or "", language, text]).encode()).hexdigest()


def find(db: Database, cache_key: str) -> tuple[str, int, MouthTrack] | None:
    row = db.one("SELECT media_id, duration_ms, mouth FROM speech_cache WHERE key = ?", (cache_key,))
    if row is None:
        return None
    return row["media_id"], row["duration_ms"], MouthTrack.model_validate(json.loads(row["mouth"]))


def keep(db: Database, cache_key: str, persona_id: str, media_id: str, duration_ms: int, mouth: MouthTrack) -> bool:
    """Remember speech made for a persona; False (nothing kept) if the persona is gone.

    The check and the insert are one statement: an erasure deletes the persona
    row before it sweeps the persona's media, so speech stored while a persona
    is being erased is either swept with it or refused here (the caller then
    deletes the file it made), never left behind.
    """
    cursor = db.execute(
        "INSERT OR REPLACE INTO speech_cache (key, persona_id, media_id, duration_ms, mouth, created_at)"
        " SELECT ?,?,?,?,?,? WHERE EXISTS (SELECT 1 FROM personas WHERE id = ?)",
        (cache_key, persona_id, media_id, duration_ms, mouth.model_dump_json(), iso(), persona_id),
    )
    return cursor.rowcount == 1


def missing(db: Database, cache_keys: list[str]) -> list[str]:
    """The keys (in the order given) with no speech made yet."""
    if not cache_keys:
        return []
    known: set[str] = set()
    for start in range(0, len(cache_keys), 500):  # SQLite's limit on parameters, with room to spare
        part = cache_keys[start : start + 500]
        marks = ",".join("?" * len(part))
        known.update(r["key"] for r in db.all(f"SELECT key FROM speech_cache WHERE key IN ({marks})", tuple(part)))
    return [k for k in cache_keys if k not in known]
