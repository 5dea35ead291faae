"""How well each of a persona's memories answers a question: meaning and words, ranked together.

``score`` compares the question (turned round: ``persona_pronouns``) with the persona's matrix of
sentence embeddings (``meaning``); ``fuse`` joins that ranking with the lexical one
(``search_rank``) and gives each memory its confidence, which ``CONFIDENT`` gates.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from server.memory import search_rank
from server.memory.meaning import DIMENSIONS, PersonaMatrix, unpack, vectors_blobs
from server.memory.persona_pronouns import as_persona_says
from server.storage.records import MemoryHit
from server.text import embedding

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
        confidence = float(dense.standout[i]) + COVERAGE_WEIGHT * search_rank.coverage(question, f"{hit.title or ''} {hit.text}")
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
    if not (question or "").strip() or not hits:
        return []
    matrix = matrix_of(hits)
    return fuse(matrix, search_rank.rank(question, matrix.hits), score(matrix, question), question, limit)
