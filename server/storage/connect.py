"""Which database the server keeps its rows in: SQLite in the data folder, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from server.storage.db import Database


def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL at ``url`` (``KEEPSAKE_DATABASE_URL``), or SQLite at ``sqlite_path`` when it is unset.

    psycopg is imported only for PostgreSQL: the embedded SQLite path needs nothing more."""
    if not url:
        return Database(sqlite_path)
    from server.storage.postgres import PostgresDatabase

    return PostgresDatabase(url)
