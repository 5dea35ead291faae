"""After an erasure, make the deleted words unreadable in the database's files too.

``PRAGMA secure_delete`` (set on every connection, ``server.storage.db``) zeroes
what a DELETE frees, but two copies outlive it:

- a full-text index keeps a deleted row's terms in its older segments (a DELETE
  only adds a tombstone) until the segments are merged: ``optimize`` merges them
  into one that holds live rows only, and the old segments' pages are zeroed;
- the write-ahead log keeps the pages as they were before, until a checkpoint
  copies the new ones back and ``TRUNCATE`` empties the log file.

Both cost time in proportion to the index, not to the household: an erasure is
rare and asked for, so it pays that once (about 0.2 s for 20,000 memories).

On PostgreSQL a DELETE leaves the old row versions in the table's pages until VACUUM
frees them for reuse; VACUUM does not zero them, and the write-ahead log and any base
backup keep them too. There, erasure runs VACUUM on the tables that hold words, which is
less than SQLite's guarantee: the old versions are freed for reuse, not zeroed.
"""

from __future__ import annotations

import logging

from server.storage.db import Database

log = logging.getLogger("keepsake.erasure")


def full_text_tables(db: Database) -> list[str]:
    """Every FTS5 table, found in the schema so that an index added later is cleaned as well."""
    rows = db.all("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
    return [r["name"] for r in rows if "fts5" in r["sql"].lower()]


def leave_nothing(db: Database) -> bool:
    """Rewrite the full-text indexes without deleted rows and empty the WAL; False if a reader kept it."""
    if db.dialect == "postgresql":
        # VACUUM cannot run inside a transaction; the storage layer's connections are in autocommit.
        db.execute("VACUUM memories, memory_fts, facts, turns, sources, voice_samples, speech_cache, speech_memories")
        return True
    with db.transaction() as conn:
        for table in full_text_tables(db):
            conn.execute(f'INSERT INTO "{table}"("{table}") VALUES (\'optimize\')')
    # Outside any transaction: waits (busy_timeout) for readers of older pages to finish.
    busy, _, _ = db.first("PRAGMA wal_checkpoint(TRUNCATE)")
    if busy:
        # The pages are zeroed in the database; the log's old copies go at the next checkpoint.
        log.warning("the write-ahead log could not be emptied after an erasure; it will be at the next checkpoint")
    return not busy
