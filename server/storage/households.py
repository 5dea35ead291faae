"""A household's settings, its caregivers and their invitations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from shared.api import CaregiverOut, HouseholdOut, HouseholdSettings
from shared.api.households import Role
from server import security
from server.storage.accounts import EmailTaken, issue_token
from server.storage.db import Database, iso, new_id, now, parse_time

INVITATION_TTL = timedelta(days=7)


def get(db: Database, household_id: str) -> HouseholdOut:
    row = db.first("SELECT * FROM households WHERE id = ?", (household_id,))
    return HouseholdOut(
        id=row["id"],
        name=row["name"],
        settings=HouseholdSettings.model_validate(json.loads(row["settings"] or "{}")),
        created_at=parse_time(row["created_at"]),
    )


def settings(db: Database, household_id: str) -> HouseholdSettings:
    return get(db, household_id).settings


def update_settings(db: Database, household_id: str, changes: dict[str, Any]) -> HouseholdOut:
    merged = settings(db, household_id).model_dump() | changes
    valid = HouseholdSettings.model_validate(merged)
    db.execute("UPDATE households SET settings = ? WHERE id = ?", (valid.model_dump_json(), household_id))
    return get(db, household_id)


def caregivers(db: Database, household_id: str) -> list[CaregiverOut]:
    rows = db.all("SELECT id, email, role, created_at FROM caregivers WHERE household_id = ? ORDER BY created_at", (household_id,))
    return [CaregiverOut(id=r["id"], email=r["email"], role=r["role"], created_at=parse_time(r["created_at"])) for r in rows]


def remove_caregiver(db: Database, household_id: str, caregiver_id: str) -> bool:
    with db.transaction() as conn:
        removed = conn.execute(
            "DELETE FROM caregivers WHERE id = ? AND household_id = ? AND role != 'owner'", (caregiver_id, household_id)
        ).rowcount
        if removed == 1:  # a refused removal (the owner, or another household's caregiver) signs no one out
            conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE kind = 'caregiver' AND subject_id = ? AND household_id = ?",
                (iso(), caregiver_id, household_id),
            )
    return removed == 1


def invite(db: Database, household_id: str, role: str, created_by: str) -> tuple[str, datetime]:
    code = security.new_token()[:16]
    expires = now() + INVITATION_TTL
    db.execute(
        "INSERT INTO invitations (code_hash, household_id, role, created_by, expires_at, created_at) VALUES (?,?,?,?,?,?)",
        (security.token_hash(code), household_id, role, created_by, iso(expires), iso()),
    )
    return code, expires


def accept(db: Database, code: str, email: str, password: str) -> tuple[str, str, Role] | None:
    """Join a household with an invitation. Returns (household_id, token, role) or None."""
    code_hash = security.token_hash(code)
    # A wrong code costs nothing: the password is hashed (Argon2id, slow on purpose) only for a live invitation.
    live = db.one("SELECT used_at, expires_at FROM invitations WHERE code_hash = ?", (code_hash,))
    if live is None or live["used_at"] or parse_time(live["expires_at"]) < now():
        return None
    password_hash = security.hash_secret(password)
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM invitations WHERE code_hash = ?", (code_hash,)).fetchone()
        if row is None or row["used_at"] or parse_time(row["expires_at"]) < now():
            return None
        if conn.execute("SELECT 1 FROM caregivers WHERE email = ?", (email,)).fetchone():
            raise EmailTaken(email)
        conn.execute("UPDATE invitations SET used_at = ? WHERE code_hash = ?", (iso(), code_hash))
        caregiver_id = new_id("cg")
        conn.execute(
            "INSERT INTO caregivers (id, household_id, email, password_hash, role, created_at) VALUES (?,?,?,?,?,?)",
            (caregiver_id, row["household_id"], email, password_hash, row["role"], iso()),
        )
        token = issue_token(db, row["household_id"], "caregiver", caregiver_id)
    return row["household_id"], token, row["role"]
