"""The SQLite database: one connection per thread, WAL, versioned migrations.

Every server process opens the same file, and nothing a second process would
need is kept in memory, so several processes can share one data folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, overload

from server.storage.migrations import MIGRATIONS


@contextmanager
def _migration_lock(path: str) -> Iterator[None]:
    """Held while one process reads the schema's version and migrates, so that N processes started
    at once (``keepsake serve --workers N``) migrate once. ``BEGIN IMMEDIATE`` alone is not enough:
    executescript commits before it runs, so the version read and the migration cannot share one
    SQLite transaction. A lock file beside the database, not a lock on it: closing any other
    descriptor of the database file would drop SQLite's own locks in this process."""
    if path == ":memory:" or path.startswith("file:"):
        yield
        return
    fd = os.open(f"{path}-migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing lets the lock go


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


class Row(Protocol):
    """A row by position or by column name: ``sqlite3.Row``, or the PostgreSQL rows of ``server.storage.postgres``."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    @property
    def lastrowid(self) -> int | None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the storage modules use of a connection, the same for SQLite and PostgreSQL."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Cursor: ...


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Database:
    """SQLite, the embedded default; ``server.storage.postgres.PostgresDatabase`` is the same for PostgreSQL."""

    dialect = "sqlite"

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._local = threading.local()
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
        return conn

    @property
    def conn(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _thread_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self.conn  # type: ignore[assignment]  # SQLite's own, for executescript
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
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

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def first(self, sql: str, params: Params = ()) -> Row:
        """The row of a query that always has one: an aggregate (COUNT, MAX), or a row known to exist."""
        row = self.one(sql, params)
        if row is None:
            raise LookupError("the query found no row")
        return row

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def migrate(self) -> None:
        with _migration_lock(self.path):
            conn = self._thread_conn()
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, script in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                # executescript commits first, so each migration is its own transaction.
                conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nINSERT INTO schema_version VALUES ({version});\nCOMMIT;")

    def close(self) -> None:
        """Let go of every connection. Each closes when no thread holds it any more: at once for
        idle ones, and a worker still inside a statement as the server stops (a sentence being
        stored, a job's last write) closes its own when the statement ends. Closing that one
        from here would free what SQLite is reading on the other thread: a crash, not an error."""
        mine = getattr(self._local, "conn", None)
        self._local = threading.local()  # drops the other threads' connections (CPython frees them now if idle)
        if mine is not None:
            mine.close()
