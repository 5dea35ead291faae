"""The storage tests run against both databases: SQLite (the default) and a throwaway PostgreSQL.

The PostgreSQL cluster and its per-test databases are ``tests/server/conftest.py``'s.
"""

from __future__ import annotations

import pytest

from server.storage.db import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        database = Database(tmp_path / "keepsake.db")
        yield database
        database.close()
        return
    from server.storage.postgres import PostgresDatabase

    database = PostgresDatabase(request.getfixturevalue("postgres_url"))
    yield database
    database.close()
