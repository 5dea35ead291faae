"""What several server processes share through the database, each held under a lease.

- ``turn_places``: the busy gate's places held across processes (``server.pipeline.gate``);
- ``speak_ahead_claims``: which process makes a persona's sentences ahead (``server.pipeline.speak_ahead``).

Each row names the process holding it and when its lease runs out. A process renews its
leases while it holds them; one that died (``kill -9``) renews nothing, so its rows count for
nothing once their lease has run out and the next one to look deletes them. Taking is one
transaction (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock: see ``Database.transaction``),
so two processes never both see room for the last place.
"""

from __future__ import annotations

from datetime import timedelta

from server.storage.db import Connection, Database, iso, new_id, now


def _until(lease_s: float) -> str:
    return iso(now() + timedelta(seconds=lease_s))


# --- the busy gate's places ----------------------------------------------------------------------


def take_turn_place(
    db: Database,
    process_id: str,
    household: str | None,
    device: str | None,
    *,
    capacity: int,
    household_share: int,
    device_share: int,
    lease_s: float,
) -> str | None:
    """A place for a turn if every count fits (all, the household's, the tablet's): its id, or None."""

    def fits(conn: Connection) -> bool:
        held = conn.execute(
            "SELECT COUNT(*),"
            " COALESCE(SUM(CASE WHEN household_id = ? THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN device_id = ? THEN 1 ELSE 0 END), 0) FROM turn_places WHERE lease_until >= ?",
            (household or "", device or "", iso()),
        ).fetchone()
        return not (held[0] >= capacity or (household and held[1] >= household_share) or (device and held[2] >= device_share))

    # Read first, without the write lock: turns waiting on a full gate look often, and mostly find it full.
    if not fits(db.conn):
        return None
    with db.transaction() as conn:
        conn.execute("DELETE FROM turn_places WHERE lease_until < ?", (iso(),))
        if not fits(conn):
            return None
        place = new_id("place")
        conn.execute(
            "INSERT INTO turn_places (id, household_id, device_id, process_id, lease_until) VALUES (?,?,?,?,?)",
            (place, household, device, process_id, _until(lease_s)),
        )
    return place


def give_back_turn_place(db: Database, place: str) -> None:
    db.execute("DELETE FROM turn_places WHERE id = ?", (place,))


def renew_turn_places(db: Database, process_id: str, lease_s: float) -> None:
    db.execute("UPDATE turn_places SET lease_until = ? WHERE process_id = ?", (_until(lease_s), process_id))


def give_back_all_turn_places(db: Database, process_id: str) -> None:
    """The process stops: its places are free at once, not only when their lease runs out."""
    db.execute("DELETE FROM turn_places WHERE process_id = ?", (process_id,))


def turn_places_held(db: Database) -> int:
    return int(db.first("SELECT COUNT(*) FROM turn_places WHERE lease_until >= ?", (iso(),))[0])


# --- speak-ahead work ----------------------------------------------------------------------------


def claim_speak_ahead(db: Database, persona_id: str, process_id: str, lease_s: float) -> bool:
    """Whether this process may make the persona's sentences now. When another holds the claim, it
    is told when this was asked (``release_speak_ahead``): what changed may have come after its plan."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM speak_ahead_claims WHERE lease_until < ?", (iso(),))
        row = conn.execute("SELECT process_id FROM speak_ahead_claims WHERE persona_id = ?", (persona_id,)).fetchone()
        if row is not None and row["process_id"] != process_id:
            conn.execute("UPDATE speak_ahead_claims SET asked_at = ? WHERE persona_id = ?", (iso(), persona_id))
            return False
        conn.execute("DELETE FROM speak_ahead_claims WHERE persona_id = ?", (persona_id,))
        conn.execute(
            "INSERT INTO speak_ahead_claims (persona_id, process_id, lease_until) VALUES (?,?,?)",
            (persona_id, process_id, _until(lease_s)),
        )
    return True


def renew_speak_ahead(db: Database, persona_id: str, process_id: str, lease_s: float) -> bool:
    """Extend the claim; False if it was lost (its lease ran out and another process took it)."""
    cursor = db.execute(
        "UPDATE speak_ahead_claims SET lease_until = ? WHERE persona_id = ? AND process_id = ?", (_until(lease_s), persona_id, process_id)
    )
    return cursor.rowcount == 1


def release_speak_ahead(db: Database, persona_id: str, process_id: str) -> str | None:
    """Let go of the claim; when another process last asked for the persona meanwhile (ISO time), if it did."""
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT asked_at FROM speak_ahead_claims WHERE persona_id = ? AND process_id = ?", (persona_id, process_id)
        ).fetchone()
        conn.execute("DELETE FROM speak_ahead_claims WHERE persona_id = ? AND process_id = ?", (persona_id, process_id))
    asked: str | None = row["asked_at"] if row is not None else None
    return asked


def new_process_id() -> str:
    """What names one running server (one ``create_app``) in the rows it holds."""
    return new_id("proc")
