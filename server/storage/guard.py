"""Stops guessing pairing and invitation codes: failures are counted per address and overall.

(Wrong passwords have their own, gentler rules: ``login_guard``.)

Counts live in the database, so every server process on the same data sees
the same lock-out.
"""

from __future__ import annotations

from datetime import timedelta

from server.storage.db import Database, iso, now

WINDOW = timedelta(minutes=15)
LIMITS = {
    "pair_ip": 10,  # wrong pairing codes from one address
    # Wrong pairing codes from every address together: guessing spread over many addresses
    # (a botnet) stops too, so no household's open code can be found by brute force.
    "pair_all": 100,
}


def locked(db: Database, scope: str, key: str) -> bool:
    since = iso(now() - WINDOW)
    count: int = db.first("SELECT COUNT(*) FROM auth_failures WHERE scope = ? AND key = ? AND created_at > ?", (scope, key, since))[0]
    return count >= LIMITS[scope]


def fail(db: Database, scope: str, key: str) -> None:
    db.execute("INSERT INTO auth_failures (scope, key, created_at) VALUES (?,?,?)", (scope, key, iso()))
    # Old rows are no longer needed for any window.
    db.execute("DELETE FROM auth_failures WHERE created_at < ?", (iso(now() - 2 * WINDOW),))


def clear(db: Database, scope: str, key: str) -> None:
    db.execute("DELETE FROM auth_failures WHERE scope = ? AND key = ?", (scope, key))
