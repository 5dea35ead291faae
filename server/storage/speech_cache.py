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


def keep(db: Database, cache_key: str, persona_id: str, media_id: str, duration_ms: int, mouth: MouthTrack) -> None:
    db.execute(
        "INSERT OR REPLACE INTO speech_cache (key, persona_id, media_id, duration_ms, mouth, created_at) VALUES (?,?,?,?,?,?)",
        (cache_key, persona_id, media_id, duration_ms, mouth.model_dump_json(), iso()),
    )
