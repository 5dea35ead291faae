"""The SQLite database: one connection per thread, WAL, versioned migrations.

Every server process opens the same file, and nothing a second process would
need is kept in memory, so several processes can share one data folder.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from server.storage.migrations import MIGRATIONS


def new_id(prefix: str) -> str:
    """An unguessable id (96 random bits) that says what it names."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat(timespec="microseconds")


@overload
def parse_time(text: str) -> datetime: ...
@overload
def parse_time(text: str | None) -> datetime | None: ...
def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# What a query's placeholders are filled from: by position or by name.
Params = tuple[Any, ...] | dict[str, Any]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Database:
    def __init__(self, path: Path | str):
        self.path = str(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across a process crash in WAL mode (only power loss can lose the last commit).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros, not only unlinked: erased words must not stay
        # readable in the file's free pages (see server.storage.erasure for the WAL and the index).
        conn.execute("PRAGMA secure_delete=ON")
        with self._lock:
            self._all.append(conn)
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        if conn.in_transaction:  # nested: the outer transaction commits
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def first(self, sql: str, params: Params = ()) -> sqlite3.Row:
        """The row of a query that always has one: an aggregate (COUNT, MAX), or a row known to exist."""
        row = self.one(sql, params)
        if row is None:
            raise LookupError("the query found no row")
        return row

    def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        conn = self.conn
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            # executescript commits first, so each migration is its own transaction.
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
