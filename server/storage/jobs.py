"""Background jobs (imports) and their progress, kept in the database.

Any server process on the same data folder can report a job that another
process runs. A job whose process died stops getting heartbeats; after
``STALE_AFTER_S`` it is reported as failed, which is true: imports add their
memories in one transaction at the very end, so a dead job added nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Literal

from server.storage.db import Database, Row, dumps, iso, new_id, now, parse_time

JobState = Literal["queued", "running", "done", "failed"]

# Longer than any single step of an import (a long recording's transcription) takes.
STALE_AFTER_S = 900


def _job(row: Row) -> dict[str, Any]:
    job = {
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
    updated = parse_time(row["updated_at"])
    if job["state"] in ("queued", "running") and updated and now() - updated > timedelta(seconds=STALE_AFTER_S):
        job["state"] = "failed"
        job["errors"] = [*job["errors"], "The server stopped while importing. Nothing was added; please upload the file again."]
    return job


def create(db: Database, household_id: str, kind: str, *, persona_id: str | None, source_id: str | None) -> str:
    job_id = new_id("job")
    stamp = iso()
    db.execute(
        "INSERT INTO jobs (id, household_id, persona_id, source_id, kind, state, created_at, updated_at) VALUES (?,?,?,?,?,'queued',?,?)",
        (job_id, household_id, persona_id, source_id, kind, stamp, stamp),
    )
    return job_id


def get(db: Database, household_id: str, job_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM jobs WHERE id = ? AND household_id = ?", (job_id, household_id))
    return _job(row) if row else None


def for_source(db: Database, source_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT * FROM jobs WHERE source_id = ? ORDER BY created_at DESC LIMIT 1", (source_id,))
    return _job(row) if row else None


def progress(db: Database, job_id: str, percent: float, stage: str | None = None, counts: dict[str, Any] | None = None) -> None:
    """Running, ``percent`` done (0-100); also the heartbeat that says the job is alive."""
    db.execute(
        "UPDATE jobs SET state = 'running', percent = ?, stage = COALESCE(?, stage), counts = COALESCE(?, counts),"
        " updated_at = ? WHERE id = ? AND state IN ('queued', 'running')",
        (max(0.0, min(100.0, percent)), stage, dumps(counts) if counts is not None else None, iso(), job_id),
    )


def finish(db: Database, job_id: str, counts: dict[str, Any], warnings: list[str] | None = None) -> None:
    stamp = iso()
    db.execute(
        "UPDATE jobs SET state = 'done', percent = 100, stage = 'done', counts = ?, errors = ?, updated_at = ?, finished_at = ?"
        " WHERE id = ?",
        (dumps(counts), dumps(warnings or []), stamp, stamp, job_id),
    )


def fail(db: Database, job_id: str, errors: list[str], counts: dict[str, Any] | None = None) -> None:
    stamp = iso()
    db.execute(
        "UPDATE jobs SET state = 'failed', stage = 'failed', errors = ?, counts = COALESCE(?, counts), updated_at = ?,"
        " finished_at = ? WHERE id = ?",
        (dumps(errors), dumps(counts) if counts is not None else None, stamp, stamp, job_id),
    )
