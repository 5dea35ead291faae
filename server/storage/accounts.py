"""Households, caregivers, devices, tokens and pairing codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.api import DeviceOut, DeviceSettings
from server import security
from server.storage.db import Database, Row, iso, new_id, now, parse_time


@dataclass(frozen=True)
class Principal:
    """Who is calling: a caregiver or a paired tablet, always inside one household."""

    household_id: str
    kind: str  # "caregiver" | "device"
    subject_id: str
    role: str = "device"

    @property
    def is_caregiver(self) -> bool:
        return self.kind == "caregiver"

    @property
    def can_edit(self) -> bool:
        return self.kind == "caregiver" and self.role in ("owner", "caregiver")


class EmailTaken(Exception):
    pass


def create_household(db: Database, name: str, email: str, password: str) -> tuple[str, str, str]:
    """A new household with its owner. Returns (household_id, caregiver_id, token)."""
    household_id = new_id("hh")
    caregiver_id = new_id("cg")
    password_hash = security.hash_secret(password)
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM caregivers WHERE email = ?", (email,)).fetchone():
            raise EmailTaken(email)
        conn.execute("INSERT INTO households (id, name, created_at) VALUES (?,?,?)", (household_id, name, iso()))
        conn.execute(
            "INSERT INTO caregivers (id, household_id, email, password_hash, role, created_at) VALUES (?,?,?,?,?,?)",
            (caregiver_id, household_id, email, password_hash, "owner", iso()),
        )
        token = issue_token(db, household_id, "caregiver", caregiver_id)
    return household_id, caregiver_id, token


def login(db: Database, email: str, password: str) -> str | None:
    row = db.one("SELECT id, household_id, password_hash FROM caregivers WHERE email = ?", (email,))
    if row is None:
        security.verify_secret(security.DUMMY_HASH, password)
        return None
    if not security.verify_secret(row["password_hash"], password):
        return None
    return issue_token(db, row["household_id"], "caregiver", row["id"])


def issue_token(db: Database, household_id: str, kind: str, subject_id: str) -> str:
    token = security.new_token()
    db.execute(
        "INSERT INTO tokens (token_hash, household_id, kind, subject_id, created_at) VALUES (?,?,?,?,?)",
        (security.token_hash(token), household_id, kind, subject_id, iso()),
    )
    return token


def principal_for(db: Database, token: str) -> Principal | None:
    row = db.one(
        "SELECT t.household_id, t.kind, t.subject_id, c.role AS role, d.revoked_at AS device_revoked "
        "FROM tokens t LEFT JOIN caregivers c ON t.kind = 'caregiver' AND c.id = t.subject_id "
        "LEFT JOIN devices d ON t.kind = 'device' AND d.id = t.subject_id "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        (security.token_hash(token),),
    )
    if row is None or row["device_revoked"]:
        return None
    if row["kind"] == "caregiver" and row["role"] is None:
        return None  # the caregiver was removed
    return Principal(row["household_id"], row["kind"], row["subject_id"], row["role"] or "device")


# Open pairing codes a household may have at once: each open code is one more a guesser could hit.
MAX_OPEN_PAIRING_CODES = 5


def create_pairing_code(db: Database, household_id: str, ttl_s: int) -> tuple[str, datetime]:
    code = security.new_pairing_code()
    expires_at = now() + timedelta(seconds=ttl_s)
    with db.transaction() as conn:
        # The oldest open codes stop working, so a household never has more than a few to guess at.
        conn.execute(
            "UPDATE pairing_codes SET used_at = ? WHERE household_id = ? AND used_at IS NULL AND code_hash NOT IN"
            " (SELECT code_hash FROM pairing_codes WHERE household_id = ? AND used_at IS NULL"
            "  ORDER BY created_at DESC, rowid DESC LIMIT ?)",
            (iso(), household_id, household_id, MAX_OPEN_PAIRING_CODES - 1),
        )
        conn.execute(
            "INSERT INTO pairing_codes (code_hash, household_id, expires_at, created_at) VALUES (?,?,?,?)",
            (security.pairing_code_hash(code), household_id, iso(expires_at), iso()),
        )
    return code, expires_at


def redeem_pairing_code(db: Database, code: str, device_name: str) -> tuple[str, str, str] | None:
    """Use a pairing code once. Returns (device_id, device_token, household_id) or None."""
    code_hash = security.pairing_code_hash(code)
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM pairing_codes WHERE code_hash = ?", (code_hash,)).fetchone()
        if row is None or row["used_at"] is not None or parse_time(row["expires_at"]) < now():
            return None
        # The UPDATE's WHERE makes "used once" hold even with two processes racing.
        used = conn.execute("UPDATE pairing_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", (iso(), code_hash)).rowcount
        if used != 1:
            return None
        device_id = new_id("dev")
        conn.execute(
            "INSERT INTO devices (id, household_id, name, created_at) VALUES (?,?,?,?)",
            (device_id, row["household_id"], device_name, iso()),
        )
        token = issue_token(db, row["household_id"], "device", device_id)
    return device_id, token, row["household_id"]


def _device(row: Row) -> DeviceOut:
    return DeviceOut(
        id=row["id"],
        name=row["name"],
        settings=DeviceSettings.model_validate(json.loads(row["settings"] or "{}")),
        declined=row["declined_at"] is not None,
        created_at=parse_time(row["created_at"]),
    )


def list_devices(db: Database, household_id: str) -> list[DeviceOut]:
    rows = db.all("SELECT * FROM devices WHERE household_id = ? AND revoked_at IS NULL ORDER BY created_at", (household_id,))
    return [_device(r) for r in rows]


def get_device(db: Database, household_id: str, device_id: str) -> DeviceOut | None:
    row = db.one("SELECT * FROM devices WHERE id = ? AND household_id = ? AND revoked_at IS NULL", (device_id, household_id))
    return _device(row) if row else None


def device_ever_paired(db: Database, household_id: str, device_id: str) -> bool:
    """The tablet was paired to this household, unpaired since or not."""
    return db.one("SELECT 1 FROM devices WHERE id = ? AND household_id = ?", (device_id, household_id)) is not None


def update_device(db: Database, household_id: str, device_id: str, settings: DeviceSettings) -> DeviceOut | None:
    db.execute(
        "UPDATE devices SET settings = ? WHERE id = ? AND household_id = ? AND revoked_at IS NULL",
        (settings.model_dump_json(), device_id, household_id),
    )
    return get_device(db, household_id, device_id)


def set_declined(db: Database, device_id: str, declined: bool) -> None:
    """The relative said they do not want this; the tablet must not start talking by itself."""
    db.execute("UPDATE devices SET declined_at = ? WHERE id = ?", (iso() if declined else None, device_id))


def revoke_caregiver_tokens(db: Database, caregiver_id: str) -> None:
    db.execute(
        "UPDATE tokens SET revoked_at = ? WHERE kind = 'caregiver' AND subject_id = ? AND revoked_at IS NULL",
        (iso(), caregiver_id),
    )


def revoke_device(db: Database, household_id: str, device_id: str) -> bool:
    with db.transaction() as conn:
        changed = conn.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND household_id = ? AND revoked_at IS NULL",
            (iso(), device_id, household_id),
        ).rowcount
        # Scoped to the household too: another household naming this id must change nothing.
        conn.execute(
            "UPDATE tokens SET revoked_at = ? WHERE kind = 'device' AND subject_id = ? AND household_id = ? AND revoked_at IS NULL",
            (iso(), device_id, household_id),
        )
    return changed == 1


def revoke_token(db: Database, token: str) -> None:
    db.execute("UPDATE tokens SET revoked_at = ? WHERE token_hash = ?", (iso(), security.token_hash(token)))
