"""Re-ranking the memories a question found: BM25 in pure Python over ``search_text``'s terms.

Each thing the question mentions counts once, by its best term (the word itself, a synonym, a
partial name, or a family name the memories give a kin word: "grandad" finds every "Arthur"
memory). ``shares_terms`` and ``coverage`` ask the same of one text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from server.memory.search_text import is_prefixable, query_terms, question_slots, stem, tokens
from server.memory.search_words import EN_STOP
from server.storage.records import MemoryHit

# --- names the memories give to family members ------------------------------

_KIN = (
    "grandad|grandpa|granddad|grandfather|grandma|granny|gran|nana|grandmother|husband|wife|"
    "mother|mum|mom|mam|father|dad|son|daughter|brother|sister|cousin|aunt|auntie|uncle|"
    "friend|dog|cat|terrier|puppy|kitten"
)
# "your grandad, Arthur", "my big brother Tom", "a terrier called Biscuit"
_ALIAS_PATTERNS = [
    re.compile(rf"(?i:\b(?:my|our|your)\s+(?:[a-z]+\s+)?({_KIN})\b),?\s+([A-Z][a-z]{{2,}})"),
    re.compile(rf"(?i:\b({_KIN})\s+(?:called|named)\s+)([A-Z][a-z]{{2,}})"),
]


def family_names(texts: Iterable[str]) -> dict[str, set[str]]:
    """Stemmed kin word -> the names memories give it ("grandad" -> {"arthur"})."""
    aliases: dict[str, set[str]] = {}
    for text in texts:
        for kin, name in _names_in(text or ""):
            aliases.setdefault(kin, set()).add(name)
    return aliases


@lru_cache(maxsize=50_000)
def _names_in(text: str) -> tuple[tuple[str, str], ...]:
    found = []
    for pattern in _ALIAS_PATTERNS:
        for kin, name in pattern.findall(text):
            if name.casefold() not in EN_STOP:
                found.append((stem(kin.casefold()), stem(name.casefold())))
    return tuple(found)


def _with_family_names(counts: Counter[str], aliases: dict[str, set[str]]) -> Counter[str]:
    """Count each family name as its kin word too, so "Grandad" finds every "Arthur" memory.

    Done on the document side so the kin word's document frequency is that of
    the name: "grandad" is then as common as "Arthur" and other words decide.
    """
    for kin, names in aliases.items():
        extra = sum(counts.get(name, 0) for name in names)
        if extra:
            counts[kin] += extra
    return counts


# --- re-ranking -------------------------------------------------------------

_K1 = 1.2
_B = 0.75
_TITLE_BOOST = 1.0  # a title hit counts like one more well-placed body hit
_PARTIAL_WEIGHT = 0.5


def _is_partial(term: str, word: str) -> bool:
    """ "marg" is part of "margaret"; "summertim" contains "summer"."""
    return word != term and (word.startswith(term) or (len(word) >= 5 and term.startswith(word)))


def _matches(term: str, counts: Counter[str], partials: Iterable[str] | None = None) -> float:
    """How often ``term`` occurs in a document; partial-word matches count half.

    ``partials`` are the words of the whole pool that partly match ``term``,
    worked out once per query (scanning every document's words for every
    term would be the slowest part of ranking).
    """
    if term in counts:
        return float(counts[term])
    if not is_prefixable(term):
        return 0.0
    if partials is None:
        partials = [word for word in counts if _is_partial(term, word)]
    return _PARTIAL_WEIGHT * sum(counts.get(word, 0) for word in partials)


def rank(question: str, candidates: Iterable[MemoryHit], *, limit: int | None = None) -> list[MemoryHit]:
    """Candidates that share something with ``question``, best first, with ``score`` set.

    BM25 over ``tokens`` of each memory's text, plus a boost when its title
    names what was asked. Each thing the question mentions counts once, by its
    best term (the word itself, a synonym, a partial name, or a family name the
    memories use for a kin word). Document frequencies come from ``candidates``,
    so passing all of a persona's memories (fine up to a few thousand) gives the
    truest scores; passing FTS5's candidates works too. Candidates sharing no
    term with the question are dropped: an empty result means "no memory for that".
    """
    pool = list(candidates)
    if not pool:
        return []
    slots = question_slots(question)
    if not slots:
        return []
    aliases = family_names(hit.text for hit in pool)
    bodies = [_with_family_names(Counter(tokens(hit.text)), aliases) for hit in pool]
    titles = [_with_family_names(Counter(tokens(hit.title or "")), aliases) for hit in pool]
    lengths = [sum(body.values()) for body in bodies]
    average = (sum(lengths) / len(lengths)) or 1.0
    total = len(pool)

    terms = {t for slot in slots for t in slot}
    vocabulary = set().union(*bodies, *titles)
    partials = {t: [w for w in vocabulary if _is_partial(t, w)] if is_prefixable(t) else [] for t in terms}
    idf: dict[str, float] = {}
    for term in terms:
        df = sum(1 for body, title in zip(bodies, titles) if _matches(term, body, partials[term]) or _matches(term, title, partials[term]))
        idf[term] = math.log(1.0 + (total - df + 0.5) / (df + 0.5))

    scored: list[tuple[float, int]] = []
    for position, (body, title, length) in enumerate(zip(bodies, titles, lengths)):
        norm = _K1 * (1.0 - _B + _B * length / average)
        score = 0.0
        for slot in slots:
            best_body = best_title = 0.0
            for term, weight in slot.items():
                tf = _matches(term, body, partials[term])
                if tf:
                    best_body = max(best_body, weight * idf[term] * tf * (_K1 + 1.0) / (tf + norm))
                if _matches(term, title, partials[term]):
                    best_title = max(best_title, weight * idf[term] * _TITLE_BOOST)
            score += best_body + best_title
        if score > 0:
            scored.append((score, position))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if limit is not None:
        scored = scored[:limit]
    return [replace(pool[position], score=round(score, 4)) for score, position in scored]


def shares_terms(question: str, text: str) -> bool:
    """True when ``text`` contains a search term of ``question`` (synonyms and partial names included)."""
    counts = Counter(tokens(text))
    return any(_matches(term, counts) for term in query_terms(question))


def coverage(question: str, text: str) -> float:
    """How much of what ``question`` mentions ``text`` contains, from 0 to 1.

    Each thing mentioned counts by its best term found (the word itself 1.0, a synonym 0.6,
    a single Chinese character 0.3) against the most it could count. A memory that shares
    only "you" and "remember" with a question covers none of it, however near its meaning.
    """
    slots = question_slots(question)
    if not slots:
        return 0.0
    counts = Counter(tokens(text))
    found = possible = 0.0
    for slot in slots:
        possible += max(slot.values())
        found += max((weight for term, weight in slot.items() if _matches(term, counts)), default=0.0)
    return found / possible if possible else 0.0
