"""A family's data in one archive: JSON plus the media files."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from server.state import AppState
from server.storage import households, memories, personas


def _rows(state: AppState, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(r) for r in state.db.all(sql, params)]


def persona_data(state: AppState, household_id: str, persona_id: str) -> tuple[dict[str, Any], list[str]]:
    """Everything kept about one persona, and the ids of its media files."""
    persona = personas.get(state.db, household_id, persona_id)
    assert persona is not None  # exports are asked for personas the caller was just shown to own
    data: dict[str, Any] = {
        "persona": persona.model_dump(mode="json"),
        "consents": _rows(state, "SELECT * FROM consents WHERE persona_id = ? ORDER BY created_at", (persona_id,)),
        "memories": [m.model_dump(mode="json") for m in memories.list_for(state.db, persona_id)],
        "told_by_the_relative": [f.model_dump(mode="json") for f in memories.list_facts(state.db, persona_id)],
        "sources": _rows(state, "SELECT * FROM sources WHERE persona_id = ? ORDER BY created_at", (persona_id,)),
        "voice_samples": _rows(state, "SELECT * FROM voice_samples WHERE persona_id = ? ORDER BY created_at", (persona_id,)),
        "alerts": _rows(state, "SELECT * FROM alerts WHERE persona_id = ? ORDER BY created_at", (persona_id,)),
        "sessions": [],
    }
    for session in _rows(state, "SELECT * FROM sessions WHERE persona_id = ? ORDER BY created_at", (persona_id,)):
        turns = _rows(state, "SELECT * FROM turns WHERE session_id = ? ORDER BY created_at", (session["id"],))
        for turn in turns:
            turn["reply"] = json.loads(turn["reply"] or "[]")
            turn["timings"] = json.loads(turn["timings"] or "{}")
        data["sessions"].append(session | {"turns": turns})
    media_ids = [r["id"] for r in state.db.all("SELECT id FROM media WHERE persona_id = ?", (persona_id,))]
    return data, media_ids


def write_archive(state: AppState, household_id: str, persona_ids: list[str]) -> Path:
    """A zip in a temporary file: data.json, and media/<id>.<ext> for every file."""
    with tempfile.NamedTemporaryFile(prefix="keepsake-export-", suffix=".zip", delete=False) as handle:
        path = Path(handle.name)
    household = households.get(state.db, household_id)
    everything: dict[str, Any] = {
        "format": "keepsake-export/1",
        "household": household.model_dump(mode="json"),
        "caregivers": [c.model_dump(mode="json") for c in households.caregivers(state.db, household_id)],
        # Tablets by name and limits (never a token), and who did what: the family's record too.
        "tablets": _rows(
            state,
            "SELECT id, name, settings, declined_at, created_at, revoked_at FROM devices WHERE household_id = ? ORDER BY created_at",
            (household_id,),
        ),
        "audit_log": _rows(state, "SELECT * FROM audit_log WHERE household_id = ? ORDER BY created_at", (household_id,)),
        "personas": [],
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for persona_id in persona_ids:
            data, media_ids = persona_data(state, household_id, persona_id)
            everything["personas"].append(data)
            for media_id in media_ids:
                media = state.media.get(media_id)
                if media is None:
                    continue
                # A file on disk for zipfile to read a piece at a time: itself, or a copy from S3.
                with state.media.local_file(media) as local:
                    if local is not None:
                        archive.write(local, f"media/{media.name}")
        archive.writestr("data.json", json.dumps(everything, ensure_ascii=False, indent=2, default=str))
    return path
