"""Voice samples and the voices registered from them, in the database."""

from __future__ import annotations

import json
from typing import Any

from server.storage.db import Database, Row, dumps, iso, new_id
from server.voice.checks import SampleCheck


def _sample(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "persona_id": row["persona_id"],
        "media_id": row["media_id"],
        "filename": row["filename"],
        "duration_s": row["duration_s"],
        "speech_s": row["speech_s"],
        "clean_s": row["speech_s"] if row["usable"] else 0.0,
        "usable": bool(row["usable"]),
        "verdict": row["verdict"],
        "message": row["message"],
        "metrics": json.loads(row["metrics"]),
        "created_at": row["created_at"],
    }


def add(db: Database, household_id: str, persona_id: str, media_id: str, filename: str | None, result: SampleCheck) -> dict[str, Any]:
    sample_id = new_id("vs")
    metrics = {"speech_dbfs": result.speech_dbfs, "noise_dbfs": result.noise_dbfs, "clipped_percent": result.clipped_percent}
    db.execute(
        "INSERT INTO voice_samples (id, persona_id, household_id, media_id, filename, duration_s, speech_s, usable, verdict,"
        " message, metrics, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            sample_id,
            persona_id,
            household_id,
            media_id,
            filename,
            result.duration_s,
            result.speech_s,
            int(result.usable),
            result.verdict,
            result.message,
            dumps(metrics),
            iso(),
        ),
    )
    return _sample(db.first("SELECT * FROM voice_samples WHERE id = ?", (sample_id,)))


def list_for(db: Database, persona_id: str) -> list[dict[str, Any]]:
    return [_sample(r) for r in db.all("SELECT * FROM voice_samples WHERE persona_id = ? ORDER BY created_at", (persona_id,))]


def get(db: Database, persona_id: str, sample_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM voice_samples WHERE id = ? AND persona_id = ?", (sample_id, persona_id))
    return _sample(row) if row else None


def delete(db: Database, persona_id: str, sample_id: str) -> str | None:
    """Forget a sample; the id of its file (for the caller to delete), or None if there was no such sample."""
    row = db.one("SELECT media_id FROM voice_samples WHERE id = ? AND persona_id = ?", (sample_id, persona_id))
    if row is None:
        return None
    db.execute("DELETE FROM voice_samples WHERE id = ?", (sample_id,))
    return row["media_id"] or ""


def total_clean_s(db: Database, persona_id: str) -> float:
    row = db.first("SELECT COALESCE(SUM(speech_s), 0) FROM voice_samples WHERE persona_id = ? AND usable = 1", (persona_id,))
    return round(float(row[0]), 1)


def remember_voice(db: Database, household_id: str, persona_id: str, provider: str, voice_id: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO cloned_voices (voice_id, provider, persona_id, household_id, created_at) VALUES (?,?,?,?,?)",
        (voice_id, provider, persona_id, household_id, iso()),
    )


def cloned_voices(db: Database, persona_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.all("SELECT * FROM cloned_voices WHERE persona_id = ? ORDER BY created_at", (persona_id,))]


def forget_voice(db: Database, provider: str, voice_id: str) -> None:
    db.execute("DELETE FROM cloned_voices WHERE provider = ? AND voice_id = ?", (provider, voice_id))
