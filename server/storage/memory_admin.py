"""What the caregiver does with memories and facts: import many at once, search, edit, hide, delete.

The search rows (``memory_fts``) must stay exactly as ``server.storage.memories.add``
writes them, so retrieval treats imported and edited memories like typed ones:
``fts_body`` is that one formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.api import Fact, MemoryPlace
from server.memory import meaning, search_rank, search_text
from server.storage import memory_places
from server.storage.db import Connection, Database, Row, iso, new_id
from server.storage.media import MediaStore
from server.storage.memories import get_fact
from server.storage.records import MemoryHit

# How many FTS candidates the caregiver's search re-ranks.
SEARCH_CANDIDATES = 300


@dataclass(frozen=True)
class NewMemory:
    """One memory an import makes, before it is saved."""

    text: str
    title: str | None = None
    place: MemoryPlace | None = None  # where in the source: chapter 2, paragraphs 4 to 7; a recording's 0:30 to 1:05
    source: str = "imported"  # the memory's own kind: memoir, letter, chat_self, chat_context, voice_memo
    hidden: bool = False
    audio_media_id: str | None = None  # the person's own recording of these words

    @property
    def position(self) -> str | None:
        """The place in English words, as the API sends it in ``origin.position``."""
        return memory_places.english(self.place)


def fts_body(title: str | None, text: str) -> str:
    """The search terms stored for a memory (the same formula as ``memories.add``)."""
    return search_text.index_terms(f"{title or ''}\n{text}")


def insert_all(
    db: Database,
    household_id: str,
    persona_id: str,
    source_id: str | None,
    memories: list[NewMemory],
    *,
    then: Callable[[Connection], None] | None = None,
) -> list[str]:
    """Save an import's memories in one transaction: all of them, or (on any error) none.
    ``then`` writes more in the same transaction (the import job's "done"), or raises to save nothing.

    The search terms and the embeddings are worked out before the transaction opens, so the
    database's write lock is held for milliseconds even for a whole book.
    """
    stamp = iso()
    rows = []
    fts_rows = []
    vectors = meaning.vectors_blobs([(memory.title, memory.text) for memory in memories])
    for memory, blob in zip(memories, vectors):
        memory_id = new_id("mem")
        rows.append(
            (
                memory_id,
                persona_id,
                household_id,
                memory.title,
                memory.text,
                memory.source,
                int(memory.hidden),
                memory.audio_media_id,
                memory.text if memory.audio_media_id else None,
                stamp,
                source_id,
                memory_places.stored(memory.place),
                blob,
                meaning.MODEL_NAME,
            )
        )
        fts_rows.append((fts_body(memory.title, memory.text), memory_id, persona_id))
    with db.transaction() as conn:
        written = meaning.next_stamp(conn)
        conn.executemany(
            "INSERT INTO memories (id, persona_id, household_id, title, text, source, hidden, audio_media_id, recording_text,"
            " created_at, source_id, position, embedding, embedding_model, embedding_stamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*row, written) for row in rows],
        )
        conn.executemany("INSERT INTO memory_fts (body, memory_id, persona_id) VALUES (?,?,?)", fts_rows)
        if then is not None:
            then(conn)
    return [r[0] for r in rows]


# --- reading, with where each memory came from ---------------------------------

_SELECT = "SELECT m.*, s.kind AS source_kind, s.filename AS source_filename FROM memories m LEFT JOIN sources s ON s.id = m.source_id"


def _memory(row: Row) -> dict[str, Any]:
    place = memory_places.read(row["position"])
    stored_json = bool(row["position"]) and row["position"].lstrip().startswith("{")
    return {
        "id": row["id"],
        "persona_id": row["persona_id"],
        "title": row["title"],
        "text": row["text"],
        "source": row["source"],
        "hidden": bool(row["hidden"]),
        "audio_media_id": row["audio_media_id"],
        "created_at": row["created_at"],
        "origin": {
            "source_id": row["source_id"],
            "kind": row["source_kind"] or row["source"],
            "filename": row["source_filename"],
            # Written now: worded from the fields. Before: the phrase as it was stored.
            "position": memory_places.english(place) if stored_json else row["position"],
            **(place.model_dump(exclude_none=True) if place else {}),
        },
    }


def get(db: Database, persona_id: str, memory_id: str) -> dict[str, Any] | None:
    row = db.one(_SELECT + " WHERE m.id = ? AND m.persona_id = ?", (memory_id, persona_id))
    return _memory(row) if row else None


def list_for(db: Database, persona_id: str, *, source_id: str | None = None, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """In reading order: each source's memories in the order they were made."""
    where, params = "m.persona_id = ?", [persona_id]
    if source_id is not None:
        where += " AND m.source_id = ?"
        params.append(source_id)
    rows = db.all(
        _SELECT + f" WHERE {where} ORDER BY m.created_at, m.rowid LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_memory(r) for r in rows]


def search(db: Database, persona_id: str, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The caregiver's search: the words as typed first, then what retrieval would find, hidden memories included."""
    query = query.strip()
    if not query:
        return []
    found: dict[str, Row] = {}
    # Exact words first: a caregiver looking for "Aunt Mabel" wants those words.
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    for row in db.all(
        _SELECT + " WHERE m.persona_id = ? AND (m.text LIKE ? ESCAPE '\\' OR m.title LIKE ? ESCAPE '\\')"
        " ORDER BY m.created_at, m.rowid LIMIT ?",
        (persona_id, pattern, pattern, limit),
    ):
        found[row["id"]] = row
    expression = search_text.match_query(query)
    if expression is not None and len(found) < limit:
        rows = db.all(
            _SELECT + " JOIN memory_fts f ON f.memory_id = m.id"
            " WHERE memory_fts MATCH ? AND f.persona_id = ? ORDER BY bm25(memory_fts) LIMIT ?",
            (expression, persona_id, SEARCH_CANDIDATES),
        )
        by_id = {r["id"]: r for r in rows}
        ranked = search_rank.rank(query, [MemoryHit(id=r["id"], text=r["text"], title=r["title"]) for r in rows])
        for hit in ranked:
            if len(found) >= limit:
                break
            found.setdefault(hit.id, by_id[hit.id])
    return [_memory(r) for r in found.values()]


# --- editing ------------------------------------------------------------------------


def update(
    db: Database,
    persona_id: str,
    memory_id: str,
    *,
    title: str | None = None,
    text: str | None = None,
    hidden: bool | None = None,
    title_set: bool = False,
) -> dict[str, Any] | None:
    """Change what was given; the search row is rebuilt when the words change. ``title_set`` allows clearing the title."""
    current = db.one("SELECT * FROM memories WHERE id = ? AND persona_id = ?", (memory_id, persona_id))
    if current is None:
        return None
    new_title = title if (title is not None or title_set) else current["title"]
    new_text = text if text is not None else current["text"]
    new_hidden = int(hidden) if hidden is not None else current["hidden"]
    words_changed = new_title != current["title"] or new_text != current["text"]
    body = fts_body(new_title, new_text) if words_changed else None
    # New words, new meaning: embedded before the write lock is taken.
    vectors = meaning.vectors_blob(new_title, new_text) if words_changed else None
    with db.transaction() as conn:
        conn.execute("UPDATE memories SET title = ?, text = ?, hidden = ? WHERE id = ?", (new_title, new_text, new_hidden, memory_id))
        if vectors is not None:
            conn.execute(
                "UPDATE memories SET embedding = ?, embedding_model = ?, embedding_stamp = ? WHERE id = ?",
                (vectors, meaning.MODEL_NAME, meaning.next_stamp(conn), memory_id),
            )
        if body is not None:
            conn.execute("DELETE FROM memory_fts WHERE memory_id = ?", (memory_id,))
            conn.execute("INSERT INTO memory_fts (body, memory_id, persona_id) VALUES (?,?,?)", (body, memory_id, persona_id))
    return get(db, persona_id, memory_id)


def delete(db: Database, media: MediaStore, persona_id: str, memory_id: str) -> bool:
    row = db.one("SELECT audio_media_id, source_id FROM memories WHERE id = ? AND persona_id = ?", (memory_id, persona_id))
    if row is None:
        return False
    with db.transaction() as conn:
        conn.execute("DELETE FROM memory_fts WHERE memory_id = ?", (memory_id,))
        conn.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
    # A recording clip cut for this memory alone goes with it; a source's original file stays with the source.
    clip = row["audio_media_id"]
    if (
        clip
        and not db.one("SELECT 1 FROM memories WHERE audio_media_id = ?", (clip,))
        and not db.one("SELECT 1 FROM sources WHERE media_id = ?", (clip,))
    ):
        media.delete(clip)
    return True


# --- facts: what the relative told ---------------------------------------------------


def update_fact(
    db: Database,
    persona_id: str,
    fact_id: str,
    *,
    text: str | None = None,
    hidden: bool | None = None,
    shared: bool | None = None,
) -> Fact | None:
    db.execute(
        "UPDATE facts SET text = COALESCE(?, text), hidden = COALESCE(?, hidden), shared = COALESCE(?, shared)"
        " WHERE id = ? AND persona_id = ?",
        (text, None if hidden is None else int(hidden), None if shared is None else int(shared), fact_id, persona_id),
    )
    return get_fact(db, persona_id, fact_id)


def delete_fact(db: Database, persona_id: str, fact_id: str) -> bool:
    return db.execute("DELETE FROM facts WHERE id = ? AND persona_id = ?", (fact_id, persona_id)).rowcount == 1
