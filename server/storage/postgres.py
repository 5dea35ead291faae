"""PostgreSQL behind the same ``Database`` as SQLite, through psycopg 3, with the same SQL.

Why psycopg 3 and the storage layer's own SQL rather than an ORM or SQLAlchemy Core: the
storage modules are already plain, reviewed SQL (about 150 statements) that SQLite runs
today. The two dialects differ in a handful of words, translated in one place
(``server.storage.postgres_sql``), so the embedded SQLite path stays byte-for-byte the code it
was and pays nothing for PostgreSQL, and every statement stays readable as the SQL each
database runs. An ORM would mean rewriting every query and putting a layer on SQLite's hot path.

Like SQLite's: one connection per thread (reopened if PostgreSQL dropped it, closed when its
thread ends), in autocommit, so a statement outside ``transaction()`` commits by itself;
``transaction()`` takes one transaction-scoped advisory lock, so transactions follow one another
as SQLite's ``BEGIN IMMEDIATE`` makes them do, across every server process; rows answer by
position and by column name. Migrations are SQLite's, translated, each in its own transaction, under a lock so
that two processes starting together migrate once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.abc import AdaptContext
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus

from server.storage.db import Connection, Cursor, Database, Params
from server.storage.migrations import MIGRATIONS, POSTGRES_FIRST
from server.storage.postgres_sql import parameters, schema, translate

# Advisory lock keys (any two numbers of our own): every write transaction, and migrating.
_WRITE_LOCK = 0x6B656570
_MIGRATE_LOCK = 0x6B656571


class PostgresRow:
    """A row by position or by column name, like ``sqlite3.Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]):
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str, /) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostgresRow) and self._values == other._values and self._index == other._index

    __hash__ = None  # type: ignore[assignment]  # rows compare by value, as sqlite3.Row does

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PostgresRow({dict(zip(self._index, self._values))!r})"


def _rows(cursor: Any) -> Any:
    """psycopg's row factory: PostgresRow, without the ``rowid`` identity column that SQLite's
    ``SELECT *`` never shows (see ``server.storage.migrations.POSTGRES_AFTER``)."""
    names = [column.name for column in cursor.description or ()]
    keep = [i for i, name in enumerate(names) if name != "rowid"]
    index = {names[i]: n for n, i in enumerate(keep)}
    if len(keep) == len(names):
        return lambda values: PostgresRow(values, index)
    return lambda values: PostgresRow([values[i] for i in keep], index)


class _BoolAsInteger(Dumper):
    """True and False as 1 and 0: SQLite's columns for yes/no are integers, and so are these."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _Cursor:
    def __init__(self, cursor: psycopg.Cursor[Any], lastrowid: int | None = None):
        self._cursor = cursor
        self._lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class _Held:
    """The psycopg connection a ``PostgresConnection`` speaks through at the moment."""

    def __init__(self, raw: psycopg.Connection[Any]):
        self.raw = raw

    def close(self) -> None:
        self.raw.close()


class PostgresConnection:
    """One psycopg connection, speaking the storage layer's SQL (``Connection``).

    A connection the database dropped (a restart, a failover, an administrator) is opened again
    for a read outside a transaction, which is then asked once more: nothing was done by it. A write
    or a statement inside a transaction is not repeated (it may have been done, or its transaction is
    gone): its error reaches the caller, a 503 for a request (server.errors), and the next statement
    opens a new connection."""

    def __init__(self, raw: psycopg.Connection[Any], reopen: Callable[[], psycopg.Connection[Any]]):
        self.held = _Held(raw)  # apart from this object, so that a finalizer can close it without keeping it
        self._reopen = reopen

    @property
    def raw(self) -> psycopg.Connection[Any]:
        return self.held.raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def reopen_if_broken(self) -> bool:
        """A new connection in place of one the database dropped; False when this one is fine."""
        if not (self.raw.broken or self.raw.closed):
            return False
        old = self.held.raw
        self.held.raw = self._reopen()
        old.close()
        return True

    def execute(self, sql: str, parameters_: Params = (), /) -> Cursor:
        statement = translate(sql)
        was_in_transaction = self.in_transaction
        try:
            cursor = self.raw.cursor()
            cursor.execute(statement.sql, parameters(statement, parameters_))
        except psycopg.OperationalError:
            if was_in_transaction or not _reads_only(statement.sql) or not self.reopen_if_broken():
                raise
            cursor = self.raw.cursor()
            cursor.execute(statement.sql, parameters(statement, parameters_))
        lastrowid = None
        if statement.returns_rowid:
            row = cursor.fetchone()
            lastrowid = int(row[0]) if row is not None else None
        return _Cursor(cursor, lastrowid)

    def executemany(self, sql: str, parameters_: Iterable[Params], /) -> Cursor:
        statement = translate(sql)
        cursor = self.raw.cursor()
        cursor.executemany(statement.sql, [parameters(statement, p) or () for p in parameters_])
        return _Cursor(cursor)


def _reads_only(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH")) and " FOR UPDATE" not in sql.upper()


def _connect_raw(url: str) -> psycopg.Connection[Any]:
    raw: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True, row_factory=_rows, connect_timeout=10)
    context: AdaptContext = raw
    context.adapters.register_dumper(bool, _BoolAsInteger)
    return raw


def redacted(url: str) -> str:
    """The URL without its password, to name the database in messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str):  # noqa: D107 - no call to Database.__init__: it opens SQLite
        self.url = url
        self.path = redacted(url)  # what names this database (e.g. in caches), never its password
        self._local = threading.local()
        # Every open connection, to close them all in close(). Weak: a thread's own reference (in
        # _local) is the one that keeps its connection, so the connection of a thread that ended
        # (AnyIO's idle workers end after 10 s, and new ones start) is closed then, instead of
        # piling up until PostgreSQL refuses more clients.
        self._pg_all: weakref.WeakSet[PostgresConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.migrate()

    @property
    def conn(self) -> Connection:
        return self._pg_conn()

    def _pg_conn(self) -> PostgresConnection:
        conn: PostgresConnection | None = getattr(self._local, "pg", None)
        if conn is None:
            conn = self._local.pg = PostgresConnection(_connect_raw(self.url), lambda: _connect_raw(self.url))
            weakref.finalize(conn, conn.held.close)  # when its thread ends (CPython frees a thread's locals then)
            with self._lock:
                self._pg_all.add(conn)
        else:
            conn.reopen_if_broken()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        conn = self._pg_conn()
        if conn.in_transaction:  # nested: the outer transaction commits
            yield conn
            return
        try:
            conn.raw.execute("BEGIN")
        except psycopg.OperationalError:
            if not conn.reopen_if_broken():  # dropped since its last statement: BEGIN did nothing yet
                raise
            conn.raw.execute("BEGIN")
        try:
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield conn
        except BaseException:
            if not (conn.raw.closed or conn.raw.broken):  # a dropped connection took its transaction with it
                conn.raw.execute("ROLLBACK")
            raise
        conn.raw.execute("COMMIT")

    def migrate(self) -> None:
        raw = self._pg_conn().raw
        raw.execute("SELECT pg_advisory_lock(%s)", (_MIGRATE_LOCK,))
        try:
            raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            row = raw.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = (row[0] if row is not None else None) or 0
            for version, script in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                with raw.transaction():
                    if version == 1:
                        raw.execute(POSTGRES_FIRST)
                    for statement in schema(version, script):
                        raw.execute(statement)
                    raw.execute("INSERT INTO schema_version VALUES (%s)", (version,))
        finally:
            raw.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATE_LOCK,))

    def close(self) -> None:
        with self._lock:
            for conn in list(self._pg_all):
                try:
                    conn.raw.close()
                except psycopg.Error:
                    pass
            self._pg_all.clear()
        self._local = threading.local()
