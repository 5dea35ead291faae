"""Text normalisation behind memory retrieval (SQLite FTS5): the terms of a memory and of a question.

The storage layer keeps one row per memory in

    CREATE VIRTUAL TABLE memory_fts USING fts5(body, memory_id UNINDEXED, persona_id UNINDEXED)

with the default ``unicode61`` tokenizer. FTS5 itself knows nothing about
English endings or Chinese words, so we do that work in Python and hand FTS5
plain space-separated terms:

* ``index_terms(text, title=...)`` is what goes into ``body``;
* ``match_query(question)`` is the MATCH expression for the relative's question
  (an OR of quoted terms, so it can never be an FTS5 syntax error);
* ``rank(question, candidates)`` (in ``search_rank``) re-orders the rows FTS5 found
  (or all of a persona's memories, when there are few) with BM25 in pure Python,
  counting synonyms and partial names at a discount and giving the title a boost.

The stop-words and synonym groups are tables in ``search_words``.

Recommended use (what tests/server/test_search_text.py measures)::

    body = index_terms(memory.text, title=memory.title)          # on insert/update
    expr = match_query(question)                                   # None: nothing to search
    rows = SELECT memory_id FROM memory_fts
           WHERE memory_fts MATCH :expr AND persona_id = :pid
           ORDER BY bm25(memory_fts) LIMIT 200
    hits = rank(question, [MemoryHit(id, text, title) for each row])[:3]

With a few hundred memories or fewer, ``rank(question, all_memories)`` is as
fast (about 7 ms for 200 once their tokens are cached) and a little more
accurate, because document frequencies then come from the whole persona.

English words are lower-cased, lightly stemmed ("married" -> "marry",
"houses" -> "hous") and stop-words dropped. Chinese is cut into overlapping
character bigrams plus single characters, after splitting at particles and
pronouns, so "你还记得台州吗" and "台州的城墙" share the term "台州".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from server.memory.search_words import EN_STOP, SYNONYM_GROUPS, ZH_STOP_CHARS, ZH_STOP_PHRASES

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A "word" is a run of letters or digits in any script (underscore excluded,
# because FTS5's unicode61 tokenizer treats it as a separator).
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE_S = re.compile(r"['\u2019]s\b")
_APOSTROPHE = re.compile(r"['\u2019]")
# Spelled out before apostrophes go, so "I'll" never becomes "ill" nor "she'll" "shell".
_CONTRACTIONS = [
    (re.compile(r"n['\u2019]t\b"), " not"),
    (re.compile(r"['\u2019]ll\b"), " will"),
    (re.compile(r"['\u2019]re\b"), " are"),
    (re.compile(r"['\u2019]ve\b"), " have"),
    (re.compile(r"['\u2019]m\b"), " am"),
    (re.compile(r"['\u2019]d\b"), " would"),
]

# The most query terms a MATCH expression carries; more only slows FTS5 down.
MAX_QUERY_TERMS = 64


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A deliberately light English stemmer: the same word family gets the same key.

    Not Porter: it only strips plural and -ed/-ing endings and a final e, which is
    what questions and memories mostly differ by ("married"/"marry",
    "dancing"/"dance", "houses"/"house"). Short words are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3 and re.search("[aeiouy]", base):
            word = base
            # "wedding" -> "wedd" -> "wed", but "falling" -> "fall" stays.
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _chinese_terms(run: str, *, singles: bool = True) -> list[str]:
    """Bigrams (and single characters) of a run of Chinese characters, split at stop-words."""
    for phrase in ZH_STOP_PHRASES:
        run = run.replace(phrase, " ")
    parts = "".join(" " if ch in ZH_STOP_CHARS else ch for ch in run).split()
    terms: list[str] = []
    for part in parts:
        terms.extend(part[i : i + 2] for i in range(len(part) - 1))
        if singles or len(part) == 1:
            terms.extend(part)
    return terms


def _english_words(segment: str) -> list[str]:
    """Lower-case words of a non-Chinese stretch of text, before stop-words and stemming."""
    for pattern, spelled in _CONTRACTIONS:
        segment = pattern.sub(spelled, segment)
    segment = _APOSTROPHE_S.sub("", segment)
    segment = _APOSTROPHE.sub("", segment)
    return _WORD.findall(_strip_accents(segment))


def _keep(word: str) -> bool:
    if word in EN_STOP:
        return False
    # Single letters ("a", "i", initials) say nothing; a single character of
    # another script (a Japanese kana, say) may.
    return len(word) >= 2 or not word.isascii()


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (common in Chinese input) to ASCII.
    return unicodedata.normalize("NFKC", text or "").casefold()


def tokens(text: str) -> list[str]:
    """Search terms of ``text`` in order (repeats kept: they are term frequency)."""
    return list(_cached_tokens(text or ""))


@lru_cache(maxsize=50_000)
def _cached_tokens(text: str) -> tuple[str, ...]:
    # Memories are re-ranked on every turn: tokenising each text once saves most of the work.
    out: list[str] = []
    for i, piece in enumerate(_CJK_RUN.split(_normalise(text))):
        if i % 2:  # odd pieces are the Chinese runs captured by the split
            out.extend(_chinese_terms(piece))
        else:
            out.extend(stem(w) for w in _english_words(piece) if _keep(w))
    return tuple(out)


def index_terms(text: str, title: str | None = None) -> str:
    """The string to store in ``memory_fts.body`` for a memory.

    The title's terms are written twice more, so FTS5's own bm25() also favours
    a memory whose title names what was asked about.
    """
    terms = tokens(text)
    if title:
        title_terms = tokens(title)
        terms = title_terms + title_terms + terms
    return " ".join(terms)


# --- synonyms ---------------------------------------------------------------


def _member_terms(member: str) -> list[str]:
    """The search terms one synonym-group member stands for."""
    if _CJK_CHAR.search(member):
        return [member] if len(member) <= 2 else _chinese_terms(member, singles=False)
    return [stem(w) for w in _english_words(_normalise(member)) if _keep(w)]


def _phrase_key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in words)


_GROUP_TERMS: list[set[str]] = []  # every search term of each group
_EN_WORD_GROUPS: dict[str, list[int]] = {}  # stem of a one-word member -> its groups
_EN_PHRASES: list[tuple[tuple[str, ...], int]] = []  # "grew up" -> ("grew", "up"), group
_ZH_MEMBERS: dict[str, list[int]] = {}  # Chinese member -> its groups
for _index, _group in enumerate(SYNONYM_GROUPS):
    _GROUP_TERMS.append({t for m in _group for t in _member_terms(m)})
    for _member in _group:
        if _CJK_CHAR.search(_member):
            _ZH_MEMBERS.setdefault(_member, []).append(_index)
            continue
        _words = _english_words(_normalise(_member))
        if len(_words) > 1:
            _EN_PHRASES.append((_phrase_key(_words), _index))
        else:
            _EN_WORD_GROUPS.setdefault(stem(_words[0]), []).append(_index)
_EN_PHRASES.sort(key=lambda item: len(item[0]), reverse=True)

_ZH_BY_LENGTH = sorted(_ZH_MEMBERS, key=len, reverse=True)


def synonyms(word: str) -> set[str]:
    """Search terms meaning the same as ``word`` (an English word or phrase, or Chinese), itself excluded."""
    related = {term for slot in question_slots(word) for term in slot}
    return related - set(tokens(word))


# --- building a query -------------------------------------------------------
#
# A question becomes a list of "slots", one per thing it mentions. A slot maps
# search terms to weights: the word as said (1.0) and its synonyms (0.6). When
# ranking, a slot counts once, by its best-matching term, so a word with many
# synonyms ("sea": coast, beach, waves...) cannot outweigh the rest of the question.

Slot = dict[str, float]

_SAID_WEIGHT = 1.0
_SYNONYM_WEIGHT = 0.6
_JOINED_WEIGHT = 0.6
_ZH_SINGLE_WEIGHT = 0.3  # one Chinese character on its own is weak evidence


def _term_weight(term: str, weight: float) -> float:
    return min(weight, _ZH_SINGLE_WEIGHT) if len(term) == 1 and _CJK_CHAR.match(term) else weight


def _add(slot: Slot, terms: Iterable[str], weight: float) -> None:
    for term in terms:
        w = _term_weight(term, weight)
        if term and slot.get(term, 0.0) < w:
            slot[term] = w


def _with_groups(slot: Slot, groups: Iterable[int]) -> Slot:
    for group in groups:
        _add(slot, _GROUP_TERMS[group], _SYNONYM_WEIGHT)
    return slot


def _english_slots(words: list[str]) -> list[Slot]:
    keys = _phrase_key(words)
    used = [False] * len(words)
    slots: list[Slot] = []
    # Phrases first ("grew up" is childhood, not gardening; "passed away" is a death).
    for phrase, group in _EN_PHRASES:
        size = len(phrase)
        for start in range(len(keys) - size + 1):
            if keys[start : start + size] == phrase and not any(used[start : start + size]):
                slot: Slot = {}
                _add(slot, [k for k, w in zip(phrase, words[start : start + size]) if _keep(w)], _SAID_WEIGHT)
                slots.append(_with_groups(slot, [group]))
                used[start : start + size] = [True] * size
    for position, (word, key) in enumerate(zip(words, keys)):
        if not used[position] and _keep(word):
            slots.append(_with_groups({key: _SAID_WEIGHT}, _EN_WORD_GROUPS.get(key, ())))
    # "Tai Zhou" / "Salt mere": a name heard as two words is one word in the memory.
    for left, right in zip(words, words[1:]):
        short = left.isalpha() and right.isalpha() and len(left) <= 6 and len(right) <= 6
        if short and _keep(left) and _keep(right):
            slots.append({stem(left + right): _JOINED_WEIGHT})
    return slots


def _chinese_slots(run: str) -> list[Slot]:
    slots: list[Slot] = []
    remaining = run
    for member in _ZH_BY_LENGTH:  # longest first, so 外孙女 is not also read as 外孙
        if member in remaining:
            slot: Slot = {}
            _add(slot, _member_terms(member), _SAID_WEIGHT)
            slots.append(_with_groups(slot, _ZH_MEMBERS[member]))
            remaining = remaining.replace(member, " ")
    for term in _chinese_terms(remaining):
        slots.append({term: _term_weight(term, _SAID_WEIGHT)})
    return slots


def question_slots(question: str) -> list[Slot]:
    slots: list[Slot] = []
    for i, piece in enumerate(_CJK_RUN.split(_normalise(question))):
        if i % 2:  # odd pieces are the Chinese runs captured by the split
            slots.extend(_chinese_slots(piece))
        else:
            slots.extend(_english_slots(_english_words(piece)))
    return slots


def query_terms(question: str) -> dict[str, float]:
    """Every search term of a question with its weight (1.0 = said outright)."""
    weights: dict[str, float] = {}
    for slot in question_slots(question):
        for term, weight in slot.items():
            weights[term] = max(weight, weights.get(term, 0.0))
    return weights


def is_prefixable(term: str) -> bool:
    # Partial names ("Marg" for "Margaret") only make sense for longer Latin words.
    return len(term) >= 4 and term.isascii() and term.isalpha()


def match_query(question: str) -> str | None:
    """A safe FTS5 MATCH expression for ``question``, or None when there is nothing to look for.

    Every term is a double-quoted string (quotes doubled inside), joined with OR,
    so no input can produce FTS5 syntax. Longer English terms are prefix queries,
    so a partial name still finds the memory.
    """
    weights = query_terms(question)
    if not weights:
        return None
    ordered = sorted(weights, key=lambda t: (-weights[t], t))[:MAX_QUERY_TERMS]
    parts = []
    for term in ordered:
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + "*" if is_prefixable(term) else quoted)
    return " OR ".join(parts)
