"""Background jobs (imports): a queue in the database with leases, and their progress.

A job's row says everything needed to do it (``task``, JSON, beside the source row it
imports), so any server process can take it up. A process's runner (``server.job_runner``)
claims the oldest queued job, or one whose lease ran out, by writing itself as
``lease_owner`` until ``lease_until``; it renews the lease with its heartbeats. The claim is
one atomic step on both databases: SQLite's ``BEGIN IMMEDIATE`` lets one writer at a time
in, PostgreSQL's ``FOR UPDATE SKIP LOCKED`` lets two claimers pass each other by without
taking the same row. Every write of a running job names its holder (``lease_owner`` and the
attempt's number): a process that lost its lease (it hung, another took the job up) can no
longer write, nor finish the job.

Times are ISO strings in UTC with microseconds, so they compare as text; machines sharing a
database need their clocks in step (NTP) to well under a lease.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from server.storage.db import Connection, Database, Row, dumps, iso, new_id, now

JobState = Literal["queued", "running", "done", "failed"]

_WAITING = "state = 'queued' OR (state = 'running' AND lease_until < ?)"


def _job(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "persona_id": row["persona_id"],
        "source_id": row["source_id"],
        "state": row["state"],
        "percent": round(float(row["percent"]), 1),
        "stage": row["stage"],
        "counts": json.loads(row["counts"]),
        "errors": json.loads(row["errors"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "finished_at": row["finished_at"],
    }


@dataclass(frozen=True)
class Claimed:
    """A job a runner has just taken up: what it needs to rebuild the work, and which attempt this is."""

    id: str
    kind: str
    household_id: str
    persona_id: str | None
    source_id: str | None
    task: dict[str, Any]
    attempt: int  # 1 for the first; more when earlier holders died or stopped
    owner: str
    # Files an earlier attempt stored before it died: [{"id": ..., "key": ...}], to be removed
    # (then ``keep_media(..., [])``: a claimer that dies meanwhile leaves the list to the next).
    left_media: list[dict[str, str]]


def create(
    db: Database, household_id: str, kind: str, *, persona_id: str | None, source_id: str | None, task: dict[str, Any] | None = None
) -> str:
    job_id = new_id("job")
    stamp = iso()
    db.execute(
        "INSERT INTO jobs (id, household_id, persona_id, source_id, kind, state, task, created_at, updated_at)"
        " VALUES (?,?,?,?,?,'queued',?,?,?)",
        (job_id, household_id, persona_id, source_id, kind, dumps(task or {}), stamp, stamp),
    )
    return job_id


def get(db: Database, household_id: str, job_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM jobs WHERE id = ? AND household_id = ?", (job_id, household_id))
    return _job(row) if row else None


def for_source(db: Database, source_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM jobs WHERE source_id = ? ORDER BY created_at DESC LIMIT 1", (source_id,))
    return _job(row) if row else None


def _until(lease_s: float) -> str:
    return iso(now() + timedelta(seconds=lease_s))


def claim(db: Database, owner: str, lease_s: float) -> Claimed | None:
    """Take up the oldest job waiting (queued, or whose lease ran out) for ``owner``; None when none waits."""
    stamp = iso()
    # A read first, so that a process looking for work every few seconds takes no write lock when there is none.
    if db.one(f"SELECT 1 FROM jobs WHERE {_WAITING} LIMIT 1", (stamp,)) is None:
        return None
    sql = (
        "UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?"
        f" WHERE id = (SELECT id FROM jobs WHERE {_WAITING} ORDER BY created_at, id LIMIT 1{{lock}})"
        " RETURNING *"
    )
    params = (owner, _until(lease_s), stamp, stamp)
    if db.dialect == "postgresql":
        # In autocommit, without the storage layer's write lock: SKIP LOCKED lets claimers pass each other.
        row = db.one(sql.format(lock=" FOR UPDATE SKIP LOCKED"), params)
    else:
        with db.transaction() as conn:  # BEGIN IMMEDIATE: one claimer at a time, across processes
            row = conn.execute(sql.format(lock=""), params).fetchone()
    if row is None:
        return None
    return Claimed(
        id=row["id"],
        kind=row["kind"],
        household_id=row["household_id"],
        persona_id=row["persona_id"],
        source_id=row["source_id"],
        task=json.loads(row["task"]),
        attempt=int(row["attempts"]),
        owner=owner,
        left_media=json.loads(row["made_media"]),
    )


_HELD = "id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?"


def renew(db: Database, claimed: Claimed, lease_s: float) -> bool:
    """Hold the job ``lease_s`` longer; False when it is no longer this attempt's (then stop writing)."""
    cursor = db.execute(f"UPDATE jobs SET lease_until = ? WHERE {_HELD}", (_until(lease_s), claimed.id, claimed.owner, claimed.attempt))
    return cursor.rowcount == 1


def progress(db: Database, claimed: Claimed, lease_s: float, percent: float, stage: str | None, counts: dict[str, Any]) -> bool:
    """``percent`` done (0-100); also the heartbeat that renews the lease. False when the lease is lost."""
    cursor = db.execute(
        f"UPDATE jobs SET percent = ?, stage = COALESCE(?, stage), counts = ?, updated_at = ?, lease_until = ? WHERE {_HELD}",
        (max(0.0, min(100.0, percent)), stage, dumps(counts), iso(), _until(lease_s), claimed.id, claimed.owner, claimed.attempt),
    )
    return cursor.rowcount == 1


def keep_media(db: Database, claimed: Claimed, made: list[dict[str, str]]) -> bool:
    """Write down the files this attempt stores (before storing them); False when the lease is lost."""
    cursor = db.execute(f"UPDATE jobs SET made_media = ? WHERE {_HELD}", (dumps(made), claimed.id, claimed.owner, claimed.attempt))
    return cursor.rowcount == 1


def finish(conn: Connection | Database, claimed: Claimed, counts: dict[str, Any], warnings: list[str] | None = None) -> bool:
    """Done, if this attempt still holds the job; inside the transaction that saves the work, so both or neither."""
    stamp = iso()
    cursor = conn.execute(
        "UPDATE jobs SET state = 'done', percent = 100, stage = 'done', counts = ?, errors = ?, updated_at = ?, finished_at = ?,"
        f" lease_owner = NULL, lease_until = NULL WHERE {_HELD}",
        (dumps(counts), dumps(warnings or []), stamp, stamp, claimed.id, claimed.owner, claimed.attempt),
    )
    return cursor.rowcount == 1


def fail(db: Database, claimed: Claimed, errors: list[str], counts: dict[str, Any] | None = None) -> bool:
    stamp = iso()
    cursor = db.execute(
        "UPDATE jobs SET state = 'failed', stage = 'failed', errors = ?, counts = COALESCE(?, counts), updated_at = ?,"
        f" finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE {_HELD}",
        (dumps(errors), dumps(counts) if counts is not None else None, stamp, stamp, claimed.id, claimed.owner, claimed.attempt),
    )
    return cursor.rowcount == 1


def release(db: Database, claimed: Claimed) -> bool:
    """Give the job back to the queue (this server is stopping): the next claim starts it again, and
    this attempt does not count towards the limit."""
    cursor = db.execute(
        "UPDATE jobs SET state = 'queued', stage = NULL, percent = 0, attempts = attempts - 1, lease_owner = NULL, lease_until = NULL,"
        f" updated_at = ? WHERE {_HELD}",
        (iso(), claimed.id, claimed.owner, claimed.attempt),
    )
    return cursor.rowcount == 1
