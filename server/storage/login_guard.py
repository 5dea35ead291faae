"""Wrong passwords slow the guesser down, never the owner.

Three counts, all in the database (so they survive a restart and every server process
shares them):

- per account and address together: a few free tries, then a wait that doubles with
  each further wrong password (30 s, 1 min, 2 min ... up to an hour). Someone guessing
  from elsewhere adds nothing to the owner's own count;
- per address, whatever the accounts: one guesser trying many e-mails;
- per account, whatever the addresses: many guessers on one e-mail. Addresses this
  account logged in from lately are exempt, so the owner at home still gets in.

A try is counted as a failure before its password is checked (so simultaneous guesses
cannot all pass the check), and the count is cleared when the password was right.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.config import LimitSettings
from server.storage.db import Connection, Database, iso, now, parse_time

HOUR = timedelta(hours=1)
# How long a wrong password is remembered for the growing per-address-and-account wait.
MEMORY = timedelta(hours=24)


def admit(db: Database, limits: LimitSettings, address: str, email: str) -> tuple[float, int | None]:
    """(0, attempt) if ``address`` may try a password for ``email`` now; else (seconds to wait, None)."""
    moment = now()
    with db.transaction() as conn:
        conn.execute("DELETE FROM login_failures WHERE created_at <= ?", (iso(moment - MEMORY),))
        wait = max(
            _pair_wait(conn, limits, address, email, moment),
            _window_wait(conn, "address = ?", (address,), limits.login_failures_per_address_per_hour, moment),
            0.0
            if _known(conn, limits, address, email, moment)
            else _window_wait(conn, "email = ?", (email,), limits.login_failures_per_account_per_hour, moment),
        )
        if wait > 0:
            return wait, None
        cursor = conn.execute("INSERT INTO login_failures (email, address, created_at) VALUES (?,?,?)", (email, address, iso(moment)))
        return 0.0, cursor.lastrowid


def withdraw(db: Database, attempt: int) -> None:
    """The password was never checked (the server was too busy): the try does not count."""
    db.execute("DELETE FROM login_failures WHERE rowid = ?", (attempt,))


def succeeded(db: Database, limits: LimitSettings, address: str, email: str) -> None:
    """The right password: this address starts afresh for this account and is known to it from now on."""
    moment = now()
    with db.transaction() as conn:
        conn.execute("DELETE FROM login_failures WHERE email = ? AND address = ?", (email, address))
        conn.execute(
            "INSERT INTO login_addresses (email, address, last_success_at) VALUES (?,?,?) "
            "ON CONFLICT (email, address) DO UPDATE SET last_success_at = excluded.last_success_at",
            (email, address, iso(moment)),
        )
        conn.execute(
            "DELETE FROM login_addresses WHERE last_success_at <= ?", (iso(moment - timedelta(days=limits.login_known_address_days)),)
        )


def _pair_wait(conn: Connection, limits: LimitSettings, address: str, email: str, moment: datetime) -> float:
    count: int
    last: str | None  # None only when there are no failures, and then it is not read
    count, last = conn.execute(
        "SELECT COUNT(*), MAX(created_at) FROM login_failures WHERE email = ? AND address = ?", (email, address)
    ).fetchone()
    if count < limits.login_free_tries:
        return 0.0
    doublings = min(count - limits.login_free_tries, 32)  # 2**32 times anything is past the cap already
    delay = min(limits.login_first_delay_s * 2**doublings, limits.login_max_delay_s)
    assert last is not None  # count is past the free tries, so there are failures
    return max(0.0, (parse_time(last) + timedelta(seconds=delay) - moment).total_seconds())


def _window_wait(conn: Connection, where: str, params: tuple[Any, ...], limit: int, moment: datetime) -> float:
    """Seconds until fewer than ``limit`` failures matching ``where`` are left in the last hour."""
    row = conn.execute(
        f"SELECT created_at FROM login_failures WHERE {where} AND created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?",
        (*params, iso(moment - HOUR), limit - 1),
    ).fetchone()
    return max(0.0, (parse_time(row[0]) + HOUR - moment).total_seconds()) if row else 0.0


def _known(conn: Connection, limits: LimitSettings, address: str, email: str, moment: datetime) -> bool:
    since = iso(moment - timedelta(days=limits.login_known_address_days))
    return (
        conn.execute(
            "SELECT 1 FROM login_addresses WHERE email = ? AND address = ? AND last_success_at > ?", (email, address, since)
        ).fetchone()
        is not None
    )
