"""What the relative meant by what they said: a small rule-based classifier.

The rules first: a handful of English and Simplified Chinese patterns per intent
(crisis.py, intent_patterns.py), checked in order of importance. A crisis outranks
everything, then the relative's wish to stop, then the question whether the avatar is
real, so that the trust rules win whenever a sentence could be read two ways. Then the
nearest labelled examples (acts.py), within what the sentence's shape allows.

What was said is first put in one form (normalise.py). The news worth keeping (news.py)
and the relative's words turned round (second_person.py) are importable from here too.
"""

from __future__ import annotations

from enum import Enum

from server.conversation import acts
from server.conversation.acts import Act, Reading
from server.conversation.crisis import CrisisKind, crisis_kind
from server.conversation.intent_patterns import (
    ASK_IF_REAL,
    DECLINE,
    GOODBYE,
    GREETING,
    KIN_GREETING,
    NEWS,
    SADNESS,
    STOP,
)
from server.conversation.news import (
    MAX_NEWS_CHARS,
    MEANING_SENTENCES,
    NEWS_PREFIX_EN,
    NEWS_PREFIX_ZH,
    extract_news,
    news_body,
)
from server.conversation.normalise import normalise
from server.conversation.second_person import to_second_person

__all__ = [
    "MAX_NEWS_CHARS",
    "MEANING_SENTENCES",
    "NEWS_PREFIX_EN",
    "NEWS_PREFIX_ZH",
    "CrisisKind",
    "Intent",
    "classify",
    "crisis_kind",
    "declines",
    "extract_news",
    "intent_of",
    "news_body",
    "normalise",
    "read",
    "to_second_person",
]


class Intent(str, Enum):
    CRISIS = "crisis"  # wanting to die, self-harm, a medical emergency
    STOP = "stop"  # the relative does not want to talk with the avatar
    ASK_IF_REAL = "ask_if_real"
    GOODBYE = "goodbye"
    NEWS = "news"  # something that happened: keep it as long-term memory
    SADNESS = "sadness"
    QUESTION_PAST = "question_past"  # asks about the persona's life and memories
    GREETING = "greeting"
    REQUEST = "request"  # money, a favour or advice, asked of the persona
    FOLLOWUP = "followup"  # "What happened next?": goes on with what was just told
    SMALL_TALK = "small_talk"
    OTHER = "other"


def declines(text: str) -> bool:
    """True for a plain refusal; only meaningful as the answer to "would you like to talk with me?"."""
    return bool(DECLINE.search(normalise(text)))


# The act a turn acts on, as the Intent callers know.
_ACT_TO_INTENT = {
    Act.CRISIS: Intent.CRISIS,
    Act.STOP: Intent.STOP,
    Act.ABOUT_AVATAR: Intent.ASK_IF_REAL,
    Act.GOODBYE: Intent.GOODBYE,
    Act.NEWS: Intent.NEWS,
    Act.FEELING: Intent.SADNESS,
    Act.QUESTION_PAST: Intent.QUESTION_PAST,
    Act.FOLLOWUP: Intent.FOLLOWUP,
    Act.REQUEST: Intent.REQUEST,
    Act.GREETING: Intent.GREETING,
    Act.SMALL_TALK: Intent.SMALL_TALK,
    Act.OTHER: Intent.OTHER,
}


def read(text: str) -> Reading:
    """The dialogue act of one thing the relative said, with a request's kind.

    Safety first, by rules: a crisis, then the wish to stop. Then the rules that are
    precise ("are you real?", goodbyes, news that is not asked, news told as a question); then the nearest
    labelled examples (acts.py), within what the sentence's shape allows. Greetings
    and feelings the neighbours take for small talk, or for each other ("奶奶，我来看你了"),
    are put right by their rules.
    """
    said = normalise(text)
    if not said:
        return Reading(Act.OTHER)
    if crisis_kind(said) is not None:
        return Reading(Act.CRISIS)
    if STOP.search(said):
        return Reading(Act.STOP)
    if ASK_IF_REAL.search(said):
        return Reading(Act.ABOUT_AVATAR)
    if GOODBYE.search(said):
        return Reading(Act.GOODBYE)
    if acts.news_as_question(said) or (NEWS.search(said) and not acts.question_shaped(said)):
        return Reading(Act.NEWS)
    if KIN_GREETING.search(said):
        return Reading(Act.GREETING)
    reading = acts.by_neighbours(said)
    if reading.act in (Act.GREETING, Act.SMALL_TALK, Act.OTHER, Act.FEELING):
        if SADNESS.search(said):
            return Reading(Act.FEELING, score=reading.score)
        if GREETING.search(said):
            return Reading(Act.GREETING, score=reading.score)
    return reading


def intent_of(reading: Reading) -> Intent:
    return _ACT_TO_INTENT[reading.act]


def classify(text: str) -> Intent:
    """The intent of one thing the relative said (English or Simplified Chinese)."""
    return intent_of(read(text))
