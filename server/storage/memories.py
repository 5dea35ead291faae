"""The persona's memories (searchable) and what the relative told it (long-term facts)."""

from __future__ import annotations

from shared.api import Fact, FactTeller, Memory
from server.memory import meaning, meaning_rank, search_rank, search_text
from server.storage.db import Database, Row, iso, new_id, parse_time
from server.storage.records import MemoryHit, RelativeFact

# FTS candidates handed to the re-ranker: re-ranking 200 takes a few ms and recalls nearly all.
CANDIDATES = 200


def _memory(row: Row) -> Memory:
    return Memory(
        id=row["id"],
        persona_id=row["persona_id"],
        title=row["title"],
        text=row["text"],
        source=row["source"],
        hidden=bool(row["hidden"]),
        created_at=parse_time(row["created_at"]),
    )


def add(
    db: Database,
    household_id: str,
    persona_id: str,
    text: str,
    title: str | None = None,
    source: str = "typed",
    audio_media_id: str | None = None,
) -> Memory:
    memory_id = new_id("mem")
    vectors = meaning.vectors_blob(title, text)  # before the write lock is taken
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO memories (id, persona_id, household_id, title, text, source, audio_media_id, recording_text, created_at,"
            " embedding, embedding_model, embedding_stamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            # What the recording says stays as it was, whatever later edits do to the text.
            (
                memory_id,
                persona_id,
                household_id,
                title,
                text,
                source,
                audio_media_id,
                text if audio_media_id else None,
                iso(),
                vectors,
                meaning.MODEL_NAME,
                meaning.next_stamp(conn),
            ),
        )
        conn.execute(
            "INSERT INTO memory_fts (body, memory_id, persona_id) VALUES (?,?,?)",
            (search_text.index_terms(text, title=title), memory_id, persona_id),
        )
    return _memory(db.first("SELECT * FROM memories WHERE id = ?", (memory_id,)))


def list_for(db: Database, persona_id: str, *, include_hidden: bool = True) -> list[Memory]:
    sql = "SELECT * FROM memories WHERE persona_id = ?" + ("" if include_hidden else " AND hidden = 0")
    return [_memory(r) for r in db.all(sql + " ORDER BY created_at", (persona_id,))]


def _hit(row: Row) -> MemoryHit:
    return MemoryHit(
        id=row["id"], text=row["text"], title=row["title"], audio_media_id=row["audio_media_id"], recording_text=row["recording_text"]
    )


def retrieve(db: Database, persona_id: str, question: str, limit: int = 3) -> list[MemoryHit]:
    """The memories that best answer ``question``, best first, each with its confidence as ``score``.

    Two rankings, fused: FTS5 candidates ordered by the lexical re-ranker (names, dates, rare
    words), and every visible memory by meaning (``server.memory.meaning``), which alone finds
    a paraphrase, a question in the other language or a misheard word. Whether the best is
    good enough to tell is the caller's to judge against ``meaning_rank.CONFIDENT``.
    """
    if not (question or "").strip():
        return []
    matrix = meaning.persona_matrix(db, persona_id)
    if not matrix.hits:
        return []
    lexical: list[MemoryHit] = []
    query = search_text.match_query(question)
    if query is not None:
        rows = db.all(
            "SELECT m.* FROM memory_fts f JOIN memories m ON m.id = f.memory_id"
            " WHERE memory_fts MATCH ? AND f.persona_id = ? AND m.hidden = 0"
            " ORDER BY bm25(memory_fts) LIMIT ?",
            (query, persona_id, CANDIDATES),
        )
        lexical = search_rank.rank(question, [_hit(r) for r in rows])
    return meaning_rank.fuse(matrix, lexical, meaning_rank.score(matrix, question), question, limit)


def add_fact(db: Database, household_id: str, persona_id: str, session_id: str | None, text: str, *, device_id: str) -> str:
    """Keep what the relative at tablet ``device_id`` told. Only a tablet's relative tells facts:
    a caregiver's test session stores none (see ``server/pipeline/turn.py``)."""
    fact_id = new_id("fact")
    db.execute(
        "INSERT INTO facts (id, household_id, persona_id, session_id, text, told_by_device_id, created_at) VALUES (?,?,?,?,?,?,?)",
        (fact_id, household_id, persona_id, session_id, text, device_id, iso()),
    )
    return fact_id


def add_caregiver_fact(db: Database, household_id: str, persona_id: str, text: str, *, caregiver_id: str, shared: bool) -> Fact:
    """Keep what a caregiver typed for the persona to know. Shared, every tablet may hear it; unshared,
    none does until a caregiver shares it. Either way no tablet hears it as its relative's own words."""
    fact_id = new_id("fact")
    db.execute(
        "INSERT INTO facts (id, household_id, persona_id, session_id, text, told_by_caregiver_id, shared, created_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (fact_id, household_id, persona_id, None, text, caregiver_id, int(shared), iso()),
    )
    fact = get_fact(db, persona_id, fact_id)
    assert fact is not None  # just written
    return fact


def move_device_facts(db: Database, household_id: str, from_device_id: str, to_device_id: str) -> tuple[int, list[str]]:
    """What the relative told at one tablet now counts as told at another (the same relative's new
    tablet): how many facts moved, and the personas they belong to."""
    with db.transaction() as conn:
        personas = [
            r["persona_id"]
            for r in conn.execute(
                "SELECT DISTINCT persona_id FROM facts WHERE household_id = ? AND told_by_device_id = ?", (household_id, from_device_id)
            )
        ]
        moved = conn.execute(
            "UPDATE facts SET told_by_device_id = ? WHERE household_id = ? AND told_by_device_id = ?",
            (to_device_id, household_id, from_device_id),
        ).rowcount
    return moved, personas


def facts_for(db: Database, persona_id: str, *, device_id: str | None, limit: int = 20) -> list[RelativeFact]:
    """The most recent things the relative at tablet ``device_id`` told, and the ones a caregiver
    shared with every tablet, oldest first. ``None`` (a caregiver's session): the shared ones only.

    What one relative tells stays theirs: grandma's news is not repeated to grandpa's tablet."""
    rows = db.all(
        "SELECT text, created_at, told_by_device_id FROM facts WHERE persona_id = ? AND hidden = 0"
        " AND (shared = 1 OR (? IS NOT NULL AND told_by_device_id = ?)) ORDER BY created_at DESC LIMIT ?",
        (persona_id, device_id, device_id, limit),
    )
    return [
        RelativeFact(
            text=r["text"],
            created_at=parse_time(r["created_at"]),
            told_by_listener=device_id is not None and r["told_by_device_id"] == device_id,
        )
        for r in reversed(rows)
    ]


# Each fact with the name of its teller, for the caregivers' review.
_FACTS_WITH_TELLER = (
    "SELECT f.*, d.name AS device_name, c.email AS caregiver_email FROM facts f"
    " LEFT JOIN devices d ON d.id = f.told_by_device_id LEFT JOIN caregivers c ON c.id = f.told_by_caregiver_id"
)


def _fact(row: Row) -> Fact:
    if row["told_by_device_id"] is not None:
        teller = FactTeller(kind="device", id=row["told_by_device_id"], name=row["device_name"])
    else:
        teller = FactTeller(kind="caregiver", id=row["told_by_caregiver_id"], name=row["caregiver_email"])
    return Fact(
        id=row["id"],
        persona_id=row["persona_id"],
        session_id=row["session_id"],
        text=row["text"],
        hidden=bool(row["hidden"]),
        shared=bool(row["shared"]),
        told_by=teller,
        created_at=parse_time(row["created_at"]),
    )


def list_facts(db: Database, persona_id: str) -> list[Fact]:
    return [_fact(r) for r in db.all(_FACTS_WITH_TELLER + " WHERE f.persona_id = ? ORDER BY f.created_at", (persona_id,))]


def get_fact(db: Database, persona_id: str, fact_id: str) -> Fact | None:
    row = db.one(_FACTS_WITH_TELLER + " WHERE f.id = ? AND f.persona_id = ?", (fact_id, persona_id))
    return _fact(row) if row else None
