"""The storage tests run against both databases: SQLite (the default) and a throwaway PostgreSQL.

One PostgreSQL cluster serves the whole test session; the schema is migrated once into a
template, and every test gets a fresh database copied from it. Without PostgreSQL's binaries
(``apt-get install postgresql``) the PostgreSQL half is skipped, saying why.
"""

from __future__ import annotations

import itertools

import pytest

from server.storage.db import Database
from tests.server.storage import postgres_cluster

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres_template():
    """(cluster, template database name): a migrated schema to copy for each test."""
    psycopg = pytest.importorskip("psycopg")
    if postgres_cluster.binaries() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    cluster = postgres_cluster.start()
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE keepsake_template")
        from server.storage.postgres import PostgresDatabase

        PostgresDatabase(cluster.url("keepsake_template")).close()
        yield cluster, "keepsake_template"
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        database = Database(tmp_path / "keepsake.db")
        yield database
        database.close()
        return
    import psycopg

    from server.storage.postgres import PostgresDatabase

    cluster, template = request.getfixturevalue("postgres_template")
    name = f"keepsake_test_{next(_names)}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    database = PostgresDatabase(cluster.url(name))
    yield database
    database.close()
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
