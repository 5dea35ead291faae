"""PostgreSQL's connections are one per thread, and go with their thread.

A server's worker threads come and go (AnyIO ends the idle ones after 10 s and starts new ones
for the next requests): their connections used to stay open until the server stopped, a few
more after each quiet spell, until PostgreSQL refused more clients.
"""

from __future__ import annotations

import threading

import psycopg


def test_a_threads_connection_is_closed_when_the_thread_ends(postgres_url):
    from server.storage.postgres import PostgresDatabase

    db = PostgresDatabase(postgres_url)
    try:
        opened: list[psycopg.Connection] = []
        for _ in range(3):
            worker = threading.Thread(target=lambda: opened.append(db.conn.raw))
            worker.start()
            worker.join()
        assert len({id(raw) for raw in opened}) == 3 and all(raw.closed for raw in opened)
        assert not db.conn.raw.closed  # this thread's own, still in use
    finally:
        db.close()
