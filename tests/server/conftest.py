"""Fixtures for every server test: no speaking ahead, and throwaway PostgreSQL databases.

Speaking ahead synthesizes a few hundred sentences in the background for every
persona with consent: with the embedded voice that is minutes of CPU, and with
a fake voice service it adds requests that tests counting them do not expect.
The tests about it (tests/server/api/test_speak_ahead.py) turn it on themselves.

The storage and API tests run on both databases. One PostgreSQL cluster serves the whole test
session; the schema is migrated once into a template, and every test that asks gets a fresh
database copied from it (a copy takes milliseconds, migrating takes seconds). Without
PostgreSQL's binaries (``apt-get install postgresql``) those tests are skipped, saying why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.server import postgres_cluster

_names = itertools.count()


@pytest.fixture(autouse=True)
def _no_speaking_ahead(monkeypatch):
    monkeypatch.setenv("KEEPSAKE_SPEAK_AHEAD", "false")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[postgres_cluster.Cluster, str]]:
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


@pytest.fixture
def postgres_url(postgres_template) -> Iterator[str]:
    """The URL of a migrated, empty PostgreSQL database of this test's own, dropped after it."""
    import psycopg

    cluster, template = postgres_template
    name = f"keepsake_test_{next(_names)}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield cluster.url(name)
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")  # FORCE: a test may leave a connection open
