"""How many households may be made in an hour: from one address, and from all of them together.

Each attempt is checked and counted in one transaction before its password is hashed, so
neither a burst of simultaneous requests nor several server processes slip past the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.storage.db import Database, iso, now, parse_time

WINDOW = timedelta(hours=1)


def admit(db: Database, address: str, *, per_address: int, overall: int) -> float:
    """Count one sign-up attempt from ``address`` and return 0, or return the seconds to wait (nothing counted)."""
    moment = now()
    since = iso(moment - WINDOW)
    with db.transaction() as conn:
        conn.execute("DELETE FROM signup_attempts WHERE created_at <= ?", (since,))
        # The limit-th newest attempt in the window: when it leaves the window, there is room again.
        newest_all = conn.execute(
            "SELECT created_at FROM signup_attempts WHERE created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?",
            (since, overall - 1),
        ).fetchone()
        newest_here = conn.execute(
            "SELECT created_at FROM signup_attempts WHERE address = ? AND created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?",
            (address, since, per_address - 1),
        ).fetchone()
        wait = max((_until_out_of_window(row[0], moment) for row in (newest_all, newest_here) if row is not None), default=0.0)
        if wait <= 0:
            conn.execute("INSERT INTO signup_attempts (address, created_at) VALUES (?, ?)", (address, iso(moment)))
    return wait


def _until_out_of_window(created_at: str, moment: datetime) -> float:
    return max(0.0, (parse_time(created_at) + WINDOW - moment).total_seconds())
