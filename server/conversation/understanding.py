"""What the relative's utterance is, worked out once per turn; nothing here decides what to say.

An ``Understanding`` holds everything a turn learns from the words: the dialogue act (and a
request's kind), the utterance's language, the memories retrieval found with their scores, the
ones confident enough to tell (``confident_memories``, the confidence gate), for a follow-up the
story just told and where it goes on, the relative's news to keep, the kind of crisis, and whether
the words touch a topic the family asked the avatar to leave alone.

``server/conversation/policy.py`` decides what to do with it; story mode words that decision;
generative mode's prompt carries the same confident memories; ``understanding_eval`` measures it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from server.conversation.acts import Act, Reading
from server.conversation.intent import CrisisKind, Intent, crisis_kind, declines, extract_news, intent_of, read
from server.memory.meaning_rank import CONFIDENT
from server.memory.search_rank import shares_terms
from server.services.base import ConversationContext, HistoryLine, MemoryHit, PersonaProfile
from server.storage import memories as memory_store
from server.storage import memory_sequence
from server.storage.db import Database

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_PERSONA_PRONOUN = re.compile(r"\b(she|he|her|his|him|they|their)\b|她|他")
_SECOND_PERSON = re.compile(r"\b(you|your|yourself)\b|你|您")
_HAN = re.compile("[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Understanding:
    """What one thing the relative said is. Made by ``understand`` (a turn) or ``from_context``."""

    text: str
    act: Act
    request_kind: str | None  # for a request: "money", "favour" or "advice"
    language: str  # of the utterance itself: "en", "zh", or "und" when neither can be told
    memories: tuple[MemoryHit, ...]  # what retrieval found, best first, each with its score
    confident: tuple[MemoryHit, ...]  # those past the confidence gate; empty when none answers
    just_told: MemoryHit | None  # a follow-up's story: the memory the persona just told...
    told_next: MemoryHit | None  # ...and the one after it in the same source
    continuation: tuple[MemoryHit, int] | None  # what a follow-up goes on with, from which sentence
    fact: str | None  # the relative's news to keep; None for a crisis or a stop, and never a question
    crisis: CrisisKind | None
    boundary: bool  # touches a topic the family asked the avatar to leave alone

    @property
    def intent(self) -> Intent:
        return intent_of(Reading(self.act, self.request_kind))

    @property
    def answers(self) -> bool:
        """Whether the best memory is confident enough to tell."""
        return bool(self.confident)

    @property
    def prompt_memories(self) -> list[MemoryHit]:
        """The memories generative mode may speak from: a follow-up's story first, then the confident ones."""
        chosen: list[MemoryHit] = []
        for memory in (self.just_told, self.told_next, *self.confident):
            if memory is not None and all(memory.id != m.id for m in chosen):
                chosen.append(memory)
        return chosen


def language_of(text: str) -> str:
    """ "zh" when Chinese characters carry more of it than English words, "en" for English, else "und"."""
    han, words = len(_HAN.findall(text or "")), len(_LATIN_WORD.findall(text or ""))
    if not han and not words:
        return "und"
    return "zh" if han >= words else "en"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def touches_boundary(question: str, persona: PersonaProfile) -> bool:
    """True when the question is about a topic the family asked the avatar to steer away from.

    A boundary about the person ("how she died") only counts when the question
    is addressed to the persona ("how did you die?"), so the relative can still
    hear the memory of how grandad passed away.
    """
    for boundary in persona.boundaries:
        if not boundary.strip() or not shares_terms(question, boundary):
            continue
        if _PERSONA_PRONOUN.search(boundary.lower()) and not _SECOND_PERSON.search(question.lower()):
            continue
        return True
    return False


def _off_limits(persona: PersonaProfile) -> list[str]:
    """The family's boundaries that name a topic ("the hospital"), not something about the person."""
    return [b for b in persona.boundaries if b.strip() and not _PERSONA_PRONOUN.search(b.lower())]


def confident_memories(found: Sequence[MemoryHit], persona: PersonaProfile) -> list[MemoryHit]:
    """The confidence gate: the retrieved memories confident enough to tell, staying off topic
    boundaries ("the hospital": no memory about hospitals is told).

    The confidence is each memory's ``score`` against the threshold set on the understanding
    set's dev split. When the best one falls short, none is told: the persona says it does not
    remember that well rather than tell the second best. A paraphrase that shares no word with
    its memory is still told when its meaning stands out."""
    topics = _off_limits(persona)
    allowed = [m for m in found if m.text.strip() and not any(shares_terms(topic, m.text) for topic in topics)]
    if not allowed or allowed[0].score < CONFIDENT:
        return []
    return [m for m in allowed if m.score >= CONFIDENT]


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _told_up_to(memory: MemoryHit, recent: Sequence[str]) -> int:
    """How far into the memory the persona has told: one past the last of its sentences said lately.

    Compared without whitespace: a spoken line joins sentences with spaces, Chinese has none.
    """
    said = [_squashed(line) for line in recent]
    upto = 0
    for index, sentence in enumerate(sentences(memory.text)):
        piece = _squashed(sentence)
        if piece and any(piece in line for line in said):
            upto = index + 1
    return upto


def recent_answers(history: Sequence[HistoryLine]) -> list[str]:
    """What the persona said in the last few lines: what "just told" and "don't repeat" look at."""
    return [line.text for line in history[-6:] if line.role == "persona"]


def continuation_of(
    just_told: MemoryHit | None, told_next: MemoryHit | None, history: Sequence[HistoryLine], persona: PersonaProfile
) -> tuple[MemoryHit, int] | None:
    """What a follow-up goes on with: the memory just told and the sentence to go on from, or the
    next memory of its source from its start (or from where it was left, if it was begun).

    None when nothing was told just before, or the story has nothing more to tell.
    """
    if just_told is None:
        return None
    recent = recent_answers(history)
    upto = _told_up_to(just_told, recent)
    if upto and upto < len(sentences(just_told.text)):
        return just_told, upto
    following = told_next
    if following is None or not following.text.strip() or any(shares_terms(t, following.text) for t in _off_limits(persona)):
        return None
    upto = _told_up_to(following, recent)
    return (following, upto) if upto < len(sentences(following.text)) else None


def _made(
    text: str,
    reading: Reading,
    persona: PersonaProfile,
    found: Sequence[MemoryHit],
    history: Sequence[HistoryLine],
    just_told: MemoryHit | None,
    told_next: MemoryHit | None,
) -> Understanding:
    followup = reading.act is Act.FOLLOWUP
    crisis = crisis_kind(text) if reading.act is Act.CRISIS else None
    # News can come inside any turn ("Bye Nana, I'm off to my new job!"), but not in a crisis or a stop.
    fact = None if reading.act in (Act.CRISIS, Act.STOP) else extract_news(text)
    return Understanding(
        text=text,
        act=reading.act,
        request_kind=reading.kind if reading.act is Act.REQUEST else None,
        language=language_of(text),
        memories=tuple(found),
        confident=tuple(confident_memories(found, persona)),
        just_told=just_told,
        told_next=told_next,
        continuation=continuation_of(just_told, told_next, history, persona) if followup else None,
        fact=fact,
        crisis=crisis,
        boundary=touches_boundary(text, persona),
    )


def understand(
    db: Database,
    persona: PersonaProfile,
    text: str,
    history: Sequence[HistoryLine] = (),
    *,
    answering_first_ask: Callable[[], bool] | None = None,
) -> Understanding:
    """What ``text`` is, said to ``persona`` after ``history``: read, searched and weighed once.

    ``answering_first_ask``: asked only for a plain "no", whether it answers "would you like to
    talk with me?"; that "No, thank you" is the relative's wish to stop.
    """
    reading = read(text)
    if reading.act is not Act.CRISIS and answering_first_ask is not None and declines(text) and answering_first_ask():
        reading = Reading(Act.STOP)
    just_told = told_next = None
    if reading.act is Act.FOLLOWUP:  # "What happened next?": the story just told, and what follows it
        just_told, told_next = memory_sequence.continuation(db, persona.id, [h.text for h in history if h.role == "persona"])
    found = memory_store.retrieve(db, persona.id, text)
    return _made(text, reading, persona, found, history, just_told, told_next)


def from_context(ctx: ConversationContext) -> Understanding:
    """The understanding of a context made without one: its memories are taken as retrieved."""
    text = ctx.user_text or ""
    return _made(text, read(text), ctx.persona, ctx.memories, ctx.history, ctx.just_told, ctx.told_next)
