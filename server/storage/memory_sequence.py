"""Which memory the persona just told, and the one that comes after it in its source.

A follow-up ("What happened next?", 那后来呢？) goes on with the story just told rather
than searching again. The memory is found by its own words in what the persona last
said; the next one is the next memory saved from the same source (an uploaded file,
or one import), in the order the importer saved them: ``memory_admin.insert_all``
writes a memoir's memories in reading order, in one transaction, so their row order
is the memoir's order, and every memory of one import shares its ``created_at`` stamp.
A memory typed by itself has no next.
"""

from __future__ import annotations

import re

from server.storage.db import Database, Row
from server.storage.records import MemoryHit

# A piece of what was said long enough to name one memory, not a stock phrase.
_MIN_PIECE = 12
_PIECE = re.compile(r"[^.!?。！？]+")
_SPACE = re.compile(r"\s+")
# The memory's text as the spoken line carries it: without any whitespace (a spoken line
# joins sentences with spaces; Chinese has none between them).
_SQUASHED = "replace(replace(replace(replace(m.text, ' ', ''), char(10), ''), char(13), ''), char(9), '')"
_COLUMNS = "m.rowid AS seq, m.id, m.title, m.text, m.audio_media_id, m.recording_text, m.source_id, m.source, m.created_at"


def _hit(row: Row) -> MemoryHit:
    return MemoryHit(
        id=row["id"], text=row["text"], title=row["title"], audio_media_id=row["audio_media_id"], recording_text=row["recording_text"]
    )


def told_in(db: Database, persona_id: str, line: str) -> MemoryHit | None:
    """The memory of this persona whose words ``line`` (something the persona said) carries, if any."""
    for piece in _PIECE.findall(line or ""):
        squashed = _SPACE.sub("", piece)
        if len(squashed) < _MIN_PIECE:
            continue
        row = db.one(
            f"SELECT {_COLUMNS} FROM memories m WHERE m.persona_id = ? AND m.hidden = 0 AND instr({_SQUASHED}, ?) > 0"
            " ORDER BY m.rowid LIMIT 1",
            (persona_id, squashed),
        )
        if row is not None:
            return _hit(row)
    return None


def next_after(db: Database, persona_id: str, memory_id: str) -> MemoryHit | None:
    """The memory saved right after ``memory_id`` from the same source, or None."""
    this = db.one(f"SELECT {_COLUMNS} FROM memories m WHERE m.id = ? AND m.persona_id = ?", (memory_id, persona_id))
    if this is None:
        return None
    if this["source_id"] is not None:
        row = db.one(
            f"SELECT {_COLUMNS} FROM memories m WHERE m.persona_id = ? AND m.hidden = 0 AND m.source_id = ? AND m.rowid > ?"
            " ORDER BY m.rowid LIMIT 1",
            (persona_id, this["source_id"], this["seq"]),
        )
    else:
        # No uploaded file behind it: the same import is the same kind saved at the same moment.
        row = db.one(
            f"SELECT {_COLUMNS} FROM memories m WHERE m.persona_id = ? AND m.hidden = 0 AND m.source_id IS NULL"
            " AND m.source = ? AND m.created_at = ? AND m.rowid > ? ORDER BY m.rowid LIMIT 1",
            (persona_id, this["source"], this["created_at"], this["seq"]),
        )
    return _hit(row) if row is not None else None


def continuation(db: Database, persona_id: str, persona_lines: list[str]) -> tuple[MemoryHit | None, MemoryHit | None]:
    """The memory told in the persona's latest line that told one, and the memory after it.

    ``persona_lines``: what the persona said, oldest first. Only the latest answer counts:
    "What happened next?" is about what was just said.
    """
    for line in reversed(persona_lines[-1:]):
        told = told_in(db, persona_id, line)
        if told is not None:
            return told, next_after(db, persona_id, told.id)
    return None, None
