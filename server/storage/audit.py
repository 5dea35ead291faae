"""The audit log: who created, changed, exported or erased what, and when."""

from __future__ import annotations

from shared.api import AuditEntry
from server.storage.accounts import Principal
from server.storage.db import Database, iso, new_id, parse_time


def record(db: Database, who: Principal, action: str, target: str | None = None, detail: str | None = None) -> None:
    db.execute(
        "INSERT INTO audit_log (id, household_id, actor_kind, actor_id, action, target, detail, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (new_id("aud"), who.household_id, who.kind, who.subject_id, action, target, detail, iso()),
    )


def entries(db: Database, household_id: str, limit: int = 500) -> list[AuditEntry]:
    rows = db.all("SELECT * FROM audit_log WHERE household_id = ? ORDER BY created_at DESC LIMIT ?", (household_id, limit))
    return [
        AuditEntry(
            id=r["id"],
            actor_kind=r["actor_kind"],
            actor_id=r["actor_id"],
            action=r["action"],
            target=r["target"],
            detail=r["detail"],
            created_at=parse_time(r["created_at"]),
        )
        for r in rows
    ]
