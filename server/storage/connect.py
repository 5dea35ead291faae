"""Which database the server keeps its rows in: SQLite in the data folder, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from server.storage.db import Database


class DatabaseUnavailable(Exception):
    """The database named by KEEPSAKE_DATABASE_URL cannot be used: the message says which and why, in one line."""


def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL at ``url`` (``KEEPSAKE_DATABASE_URL``), or SQLite at ``sqlite_path`` when it is unset.

    psycopg is imported only for PostgreSQL: the embedded SQLite path needs nothing more."""
    if not url:
        return Database(sqlite_path)
    try:
        import psycopg

        from server.storage.postgres import PostgresDatabase, redacted
    except ImportError as err:
        raise DatabaseUnavailable(f"PostgreSQL needs psycopg 3: pip install 'keepsake[postgres]' ({err})") from None
    try:
        return PostgresDatabase(url)
    except psycopg.OperationalError as err:
        reason = (str(err).strip().splitlines() or ["no answer"])[-1]
        raise DatabaseUnavailable(f"cannot reach the database at {redacted(url)}: {reason}") from None
