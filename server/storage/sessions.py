"""Conversation sessions, their turns, and alerts for the caregivers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.api import HistoryItem, SessionSummary
from server.storage.db import Database, Row, dumps, iso, new_id, parse_time
from server.storage.records import HistoryLine


def create(db: Database, household_id: str, persona_id: str, device_id: str | None, *, farewell: bool = False) -> dict[str, Any]:
    session_id = new_id("ses")
    stamp = iso()
    db.execute(
        "INSERT INTO sessions (id, household_id, persona_id, device_id, created_at, last_activity_at, farewell) VALUES (?,?,?,?,?,?,?)",
        (session_id, household_id, persona_id, device_id, stamp, stamp, int(farewell)),
    )
    return {"id": session_id, "persona_id": persona_id, "created_at": parse_time(stamp)}


def list_for(db: Database, household_id: str, persona_id: str | None, limit: int) -> list[SessionSummary]:
    """The household's conversations, newest first, with how many turns each had."""
    rows = db.all(
        "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count FROM sessions s"
        " WHERE s.household_id = ? AND (? IS NULL OR s.persona_id = ?) ORDER BY s.created_at DESC LIMIT ?",
        (household_id, persona_id, persona_id, limit),
    )
    return [
        SessionSummary(
            id=r["id"],
            persona_id=r["persona_id"],
            device_id=r["device_id"],
            created_at=parse_time(r["created_at"]),
            ended_at=parse_time(r["ended_at"]) if r["ended_at"] else None,
            ended_by=r["ended_by"],
            turns=r["turn_count"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class SessionRow:
    """A conversation as stored: who holds it, and whether and why it ended."""

    id: str
    household_id: str
    persona_id: str
    device_id: str | None  # None: a caregiver's session (a test of the speaker), held by no tablet
    created_at: datetime
    last_activity_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None  # "quiet_hours", "daily_limit", "test", "goodbye", ... when known
    farewell: bool  # the last talk before the persona retires

    @classmethod
    def of(cls, row: Row) -> SessionRow:
        def moment(column: str) -> datetime | None:
            return parse_time(row[column]) if row[column] else None

        return cls(
            id=row["id"],
            household_id=row["household_id"],
            persona_id=row["persona_id"],
            device_id=row["device_id"],
            created_at=parse_time(row["created_at"]),
            last_activity_at=moment("last_activity_at"),
            ended_at=moment("ended_at"),
            ended_by=row["ended_by"],
            farewell=bool(row["farewell"]),
        )


def get(db: Database, household_id: str, session_id: str) -> SessionRow | None:
    row = db.one("SELECT * FROM sessions WHERE id = ? AND household_id = ?", (session_id, household_id))
    return SessionRow.of(row) if row else None


def end(db: Database, household_id: str, session_id: str, reason: str | None = None) -> bool:
    """End the session once: the first end and its reason stay (a later turn never moves them,
    so the daily minutes are not stretched by words said after it ended)."""
    return (
        db.execute(
            "UPDATE sessions SET ended_by = CASE WHEN ended_at IS NULL THEN ? ELSE ended_by END, ended_at = COALESCE(ended_at, ?)"
            " WHERE id = ? AND household_id = ?",
            (reason, iso(), session_id, household_id),
        ).rowcount
        == 1
    )


def touch(db: Database, session_id: str) -> None:
    db.execute("UPDATE sessions SET last_activity_at = ? WHERE id = ?", (iso(), session_id))


def device_has_talked(db: Database, device_id: str, persona_id: str) -> bool:
    """Has this tablet had a conversation with this persona before (one with at least one turn)?"""
    return (
        db.one(
            "SELECT 1 FROM sessions s JOIN turns t ON t.session_id = s.id WHERE s.device_id = ? AND s.persona_id = ? LIMIT 1",
            (device_id, persona_id),
        )
        is not None
    )


def answers_first_ask(db: Database, device_id: str, persona_id: str) -> bool:
    """Is the turn just stored this tablet's very first with this persona, the answer to the
    greeting's "would you like to talk with me?" (see device_has_talked)."""
    row = db.first(
        "SELECT COUNT(*) FROM sessions s JOIN turns t ON t.session_id = s.id WHERE s.device_id = ? AND s.persona_id = ?",
        (device_id, persona_id),
    )
    return bool(row[0] == 1)


def start_turn(
    db: Database, household_id: str, session_id: str, *, text: str | None, audio_media_id: str | None, key: str | None = None
) -> str | None:
    """Record what the relative said before any generation service is asked about it.

    ``key`` is the tablet's idempotency key for this recording; None when another request stored a
    turn with the same key in this session first (two sends of one recording racing)."""
    turn_id = new_id("turn")
    stored = db.execute(
        "INSERT OR IGNORE INTO turns (id, session_id, household_id, user_text, user_audio_media_id, status, created_at, idempotency_key)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (turn_id, session_id, household_id, text, audio_media_id, "received", iso(), key),
    )
    return turn_id if stored.rowcount == 1 else None


def turn_with_key(db: Database, session_id: str, key: str) -> Row | None:
    """The turn this session stored for the tablet's idempotency key, if any."""
    return db.one("SELECT * FROM turns WHERE session_id = ? AND idempotency_key = ?", (session_id, key))


# A turn in one of these has had its whole answer: sent again, it is replayed, not answered again.
ANSWERED = ("answered", "unclear")


def take_up_turn(db: Database, turn_id: str, *, stale_before: str) -> bool:
    """Claim a stored turn that no request is answering (its process died, the tablet went away,
    or it failed) for a request that answers it now. False when it has its answer (``ANSWERED``),
    or another request holds it: one still received, transcribed or answering that began less
    than ``stale_before`` ago (the recovery loop's own measure of a turn cut off). Marked as begun
    now, so the recovery loop leaves it to this request."""
    return (
        db.execute(
            "UPDATE turns SET status = 'answering', attempted_at = ? WHERE id = ? AND status NOT IN ('answered', 'unclear')"
            " AND (status NOT IN ('received', 'transcribed', 'answering') OR COALESCE(attempted_at, created_at) < ?)",
            (iso(), turn_id, stale_before),
        ).rowcount
        == 1
    )


def set_transcript(db: Database, turn_id: str, text: str) -> None:
    db.execute("UPDATE turns SET user_text = ?, status = 'transcribed' WHERE id = ?", (text, turn_id))


def finish_turn(db: Database, turn_id: str, *, status: str, reply: list[dict[str, Any]], timings: dict[str, float]) -> None:
    db.execute(
        "UPDATE turns SET status = ?, reply = ?, timings = ? WHERE id = ?",
        (status, dumps(reply), dumps(timings), turn_id),
    )


def get_turn(db: Database, household_id: str, session_id: str, turn_id: str) -> Row | None:
    return db.one("SELECT * FROM turns WHERE id = ? AND session_id = ? AND household_id = ?", (turn_id, session_id, household_id))


def set_played(db: Database, turn_id: str, sentences_played: int) -> None:
    db.execute("UPDATE turns SET sentences_played = ? WHERE id = ?", (sentences_played, turn_id))


def _spoken(row: Row) -> list[dict[str, Any]]:
    """The sentences of a reply that the relative actually heard."""
    reply: list[dict[str, Any]] = json.loads(row["reply"] or "[]")
    played = row["sentences_played"]
    return reply if played is None else reply[:played]


def history(db: Database, session_id: str) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    for row in db.all("SELECT * FROM turns WHERE session_id = ? ORDER BY created_at", (session_id,)):
        created = parse_time(row["created_at"])
        user_text = row["user_text"] or ("(speech not yet understood)" if row["user_audio_media_id"] else "")
        items.append(HistoryItem(turn_id=row["id"], role="relative", text=user_text, created_at=created, status=row["status"]))
        spoken = " ".join(s["text"] for s in _spoken(row))
        if spoken:
            items.append(HistoryItem(turn_id=row["id"], role="persona", text=spoken, created_at=created, status=row["status"]))
    return items


def recent_lines(db: Database, persona_id: str, *, device_id: str | None, session_id: str, limit: int = 12) -> list[HistoryLine]:
    """The last lines said with this persona on this tablet, across its sessions, oldest first, for
    the LLM's context. Another tablet's talk is not in it: what one relative says stays theirs. A
    caregiver's session (``device_id`` None) has its own lines only."""
    rows = db.all(
        "SELECT t.* FROM turns t JOIN sessions s ON s.id = t.session_id WHERE s.persona_id = ?"
        " AND (s.device_id = ? OR (? IS NULL AND s.id = ?)) ORDER BY t.created_at DESC LIMIT ?",
        (persona_id, device_id, device_id, session_id, limit // 2 or 1),
    )
    lines: list[HistoryLine] = []
    for row in reversed(rows):
        if row["user_text"]:
            lines.append(HistoryLine("relative", row["user_text"]))
        spoken = " ".join(s["text"] for s in _spoken(row))
        if spoken:
            lines.append(HistoryLine("persona", spoken))
    return lines


def add_alert(db: Database, household_id: str, persona_id: str | None, session_id: str | None, kind: str, message: str) -> str:
    alert_id = new_id("alert")
    db.execute(
        "INSERT INTO alerts (id, household_id, persona_id, session_id, kind, message, created_at) VALUES (?,?,?,?,?,?,?)",
        (alert_id, household_id, persona_id, session_id, kind, message, iso()),
    )
    return alert_id


def alert_raised(db: Database, session_id: str, kind: str, message: str) -> bool:
    """Was this alert raised for these words in this session already (by an earlier try of the same turn)?"""
    return db.one("SELECT 1 FROM alerts WHERE session_id = ? AND kind = ? AND message = ?", (session_id, kind, message)) is not None


def list_alerts(db: Database, household_id: str) -> list[dict[str, Any]]:
    rows = db.all("SELECT * FROM alerts WHERE household_id = ? ORDER BY created_at DESC LIMIT 200", (household_id,))
    return [dict(r) for r in rows]
