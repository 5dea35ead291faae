"""Memory retrieval: FTS5 text normalisation, safe MATCH expressions, the re-ranker, and measured accuracy."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.demo import load_demo_persona
from server.memory.search_rank import family_names, rank
from server.memory.search_text import index_terms, match_query, stem, synonyms, tokens
from server.services.base import MemoryHit

QUESTIONS = Path(__file__).with_name("retrieval_questions.json")
SCHEMA = "CREATE VIRTUAL TABLE memory_fts USING fts5(body, memory_id UNINDEXED, persona_id UNINDEXED)"
CANDIDATES_SQL = "SELECT memory_id FROM memory_fts WHERE memory_fts MATCH ? AND persona_id = ? ORDER BY bm25(memory_fts) LIMIT 200"


def demo_memories() -> list[MemoryHit]:
    return [MemoryHit(id=f"m{i}", text=m["text"], title=m["title"]) for i, m in enumerate(load_demo_persona()["memories"])]


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    """The demo memories in a table exactly like the storage layer's, plus another persona's row."""
    db = sqlite3.connect(":memory:")
    db.execute(SCHEMA)
    for memory in demo_memories():
        db.execute("INSERT INTO memory_fts VALUES (?, ?, ?)", (index_terms(memory.text, title=memory.title), memory.id, "rose"))
    db.execute("INSERT INTO memory_fts VALUES (?, ?, ?)", (index_terms("Biscuit the dog of another family"), "x1", "other"))
    return db


def retrieve(db: sqlite3.Connection, question: str, memories: dict[str, MemoryHit]) -> list[MemoryHit]:
    expression = match_query(question)
    if expression is None:
        return []
    ids = [row[0] for row in db.execute(CANDIDATES_SQL, (expression, "rose"))]
    return rank(question, [memories[i] for i in ids])


# --- normalisation ------------------------------------------------------------


def test_stemming_joins_word_families() -> None:
    assert stem("married") == stem("marry")
    assert stem("dancing") == stem("dance") == stem("danced")
    assert stem("houses") == stem("house")
    assert stem("babies") == stem("baby")
    assert stem("wedding") == stem("wed")
    assert stem("falling") == "fall"


def test_tokens_drop_stop_words_and_cut_chinese_into_bigrams() -> None:
    assert tokens("Do you remember that time in Taizhou?") == ["taizhou"]
    assert tokens("Grandma's café, 1952") == ["grandma", "caf", "1952"]
    chinese = tokens("你还记得台州的城墙吗")
    assert "台州" in chinese and "城墙" in chinese and "台" in chinese
    assert "你" not in chinese and "的" not in chinese


def test_index_terms_repeat_the_title() -> None:
    body = index_terms("He slept at the foot of the bed.", title="Biscuit the dog")
    assert body.split().count("biscuit") == 2
    assert "slept" in body and "the" not in body.split()


def test_match_query_quotes_every_term_and_prefixes_long_ones() -> None:
    expression = match_query("Tell me about Auntie Mags")
    assert expression is not None
    assert '"aunti"*' in expression and '"mag"' in expression
    for part in expression.split(" OR "):
        assert part.startswith('"') and part.rstrip("*").endswith('"')


def test_match_query_none_when_nothing_to_search() -> None:
    assert match_query("") is None
    assert match_query("   ?!  ") is None
    assert match_query("Do you remember that?") is None


def test_synonyms_cover_how_people_ask() -> None:
    assert {"marry", "婚礼"} <= synonyms("wedding")
    assert "work" in synonyms("job")
    assert "army" in synonyms("war")
    assert "hous" in synonyms("home")
    assert "children" in synonyms("kids")
    assert "dog" in synonyms("狗")
    assert "childhood" in synonyms("grew up")


def test_family_names_are_learned_from_the_memories() -> None:
    names = family_names(["I met your grandad, Arthur, at a dance.", "My big brother Tom joined the navy.", "a terrier called Biscuit"])
    assert names == {"grandad": {"arthur"}, "brother": {"tom"}, "terrier": {"biscuit"}}


# --- ranking --------------------------------------------------------------------


def test_rank_prefers_the_title_and_drops_unrelated_memories() -> None:
    memories = [
        MemoryHit("a", "We walked along the pier every Sunday.", "Sunday walks"),
        MemoryHit("b", "The pier had a dance hall where I met him.", "The pier dance"),
        MemoryHit("c", "I grew sweet peas and runner beans.", "My garden"),
    ]
    hits = rank("Tell me about the pier dance", memories)
    assert [h.id for h in hits] == ["b", "a"]
    assert hits[0].score > hits[1].score > 0


def test_rank_finds_partial_names_and_synonyms() -> None:
    memories = demo_memories()
    assert rank("Auntie Mags", memories)[0].title == "Cousin Margaret"
    assert rank("How did Grandad propose?", memories)[0].title == "Courting Arthur"
    assert rank("讲讲你的狗", memories)[0].title == "Biscuit the dog"
    assert rank("Where did you grow up?", memories)[0].title == "Growing up in Saltmere"


def test_rank_empty_inputs() -> None:
    assert rank("anything", []) == []
    assert rank("", demo_memories()) == []


def test_fts_candidates_respect_the_persona(fts: sqlite3.Connection) -> None:
    ids = [row[0] for row in fts.execute(CANDIDATES_SQL, (match_query("Biscuit"), "rose"))]
    assert ids and "x1" not in ids


# --- the measured accuracy --------------------------------------------------------


def test_retrieval_accuracy(fts: sqlite3.Connection) -> None:
    cases = json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    assert len(cases) >= 40
    memories = {m.id: m for m in demo_memories()}
    titles = {m.title for m in memories.values()}
    top1 = top3 = 0
    misses = []
    for case in cases:
        assert case["expected_title"] in titles, case
        found = [hit.title for hit in retrieve(fts, case["question"], memories)]
        top1 += found[:1] == [case["expected_title"]]
        top3 += case["expected_title"] in found[:3]
        if found[:1] != [case["expected_title"]]:
            misses.append(f"  {case['question']!r}: got {found[:3]}, expected {case['expected_title']!r}")
    n = len(cases)
    chinese = sum(1 for c in cases if any("\u4e00" <= ch <= "\u9fff" for ch in c["question"]))
    print(f"\nretrieval accuracy over {n} questions ({chinese} in Chinese): top-1 {top1 / n:.3f}, top-3 {top3 / n:.3f}")
    print("\n".join(misses))
    assert top1 / n >= 0.8
    assert top3 / n >= 0.9


# --- properties ---------------------------------------------------------------------

_EVIL = st.sampled_from(
    ['"', "'", "*", "^", ":", "(", ")", "NEAR", "AND", "OR", "NOT", "-", "+", "{", "}", "\0", "台州", "é", "_", "²", "\u200b"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(st.one_of(_EVIL, st.text(max_size=5)), max_size=30).map(" ".join)))
def test_match_query_is_always_valid_fts5(text: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute(SCHEMA)
    db.execute("INSERT INTO memory_fts VALUES (?, 'm1', 'p1')", (index_terms(text),))
    expression = match_query(text)
    if expression is None:
        return
    db.execute("SELECT memory_id FROM memory_fts WHERE memory_fts MATCH ?", (expression,)).fetchall()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.lists(st.text(max_size=200), max_size=5))
def test_rank_never_crashes(question: str, texts: list[str]) -> None:
    hits = rank(question, [MemoryHit(id=str(i), text=t, title=t[:20]) for i, t in enumerate(texts)])
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
