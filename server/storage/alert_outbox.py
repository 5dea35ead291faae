"""Alerts' webhook deliveries, an outbox any server process may send from, each alert by one at a time.

A delivery is stored with its alert (one transaction), then claimed with a lease by one process
(``claim``), which sends it and marks it finished, or lets it wait for its next try. A process that
died holding one leaves it to another once the lease has run out. The lease is far longer than a
POST may take, so two processes never send one alert at once; only a process killed between the
receiver's answer and marking it sent can leave it sent twice, and the payload's ``alert_id`` lets
a receiver drop that rare second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.storage.db import Connection, Database, dumps, iso, now, parse_time


@dataclass(frozen=True)
class Delivery:
    alert_id: str
    url: str
    payload: dict[str, Any]
    attempts: int  # tries made before this one


def add(conn: Connection, alert_id: str, url: str, payload: dict[str, Any], *, claimed_by: str | None = None, lease_s: float = 0) -> None:
    """Store a delivery: free for any process, or already held by ``claimed_by`` (which sends it at once)."""
    lease_until = iso(now() + timedelta(seconds=lease_s)) if claimed_by else None
    conn.execute(
        "INSERT INTO alert_outbox (alert_id, url, payload, attempts, next_try_at, claimed_by, lease_until) VALUES (?,?,?,0,?,?,?)",
        (alert_id, url, dumps(payload), iso(), claimed_by, lease_until),
    )


def claim(db: Database, process_id: str, lease_s: float) -> Delivery | None:
    """The delivery most overdue that no living process holds, now held by this one."""
    moment = iso()
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT alert_id, url, payload, attempts FROM alert_outbox WHERE finished_at IS NULL AND next_try_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_try_at LIMIT 1",
            (moment, moment),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE alert_outbox SET claimed_by = ?, lease_until = ? WHERE alert_id = ?",
            (process_id, iso(now() + timedelta(seconds=lease_s)), row["alert_id"]),
        )
    return Delivery(row["alert_id"], row["url"], json.loads(row["payload"]), row["attempts"])


def finish(db: Database, alert_id: str, process_id: str, outcome: str) -> None:
    """Sent ("sent"), refused ("not_public") or given up ("failed"): never tried again."""
    db.execute(
        "UPDATE alert_outbox SET finished_at = ?, outcome = ?, attempts = attempts + 1, lease_until = NULL"
        " WHERE alert_id = ? AND claimed_by = ?",
        (iso(), outcome, alert_id, process_id),
    )


def try_later(db: Database, alert_id: str, process_id: str, after_s: float) -> None:
    """This try failed: free for any process again after ``after_s``."""
    db.execute(
        "UPDATE alert_outbox SET attempts = attempts + 1, next_try_at = ?, claimed_by = NULL, lease_until = NULL"
        " WHERE alert_id = ? AND claimed_by = ?",
        (iso(now() + timedelta(seconds=after_s)), alert_id, process_id),
    )


def next_due_in(db: Database) -> float | None:
    """Seconds until the next unfinished delivery is due (0 if one is), None if there is none."""
    # One another process holds is due again only when its lease runs out.
    row = db.one(
        "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_try_at THEN lease_until ELSE next_try_at END) AS due"
        " FROM alert_outbox WHERE finished_at IS NULL"
    )
    if row is None or row["due"] is None:
        return None
    due: datetime = parse_time(str(row["due"]))
    return max(0.0, (due - now()).total_seconds())
