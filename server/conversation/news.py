"""News the relative tells, kept as a long-term memory the persona can refer back to."""

from __future__ import annotations

import re

from server.conversation import acts
from server.conversation.acts import Act
from server.conversation.crisis import crisis_kind
from server.conversation.intent_patterns import NEWS, STOP
from server.conversation.normalise import normalise

_SENTENCE = re.compile(r"[^.!?。！？；;]+[.!?。！？；;]*")
# "Hi Nana, ..." / "Guess what, ..." / "Grandma Rose, ...": words before the news itself.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:oh|well|so|hi|hello|hey|guess what|you know what|listen|nana|grandma|grandpa|gran|granny|mum|mom|dad)"
    r"(?:\s+[a-z]+)?\s*[,!:]\s*)+",
    re.IGNORECASE,
)
_ZH_LEAD_IN = re.compile(r"^(你好|您好|告诉你|跟你说|你知道吗|猜猜看|奶奶|爷爷|外婆|外公|妈|爸|妈妈|爸爸)[，,！!：:]?")
_TRAILING_ADDRESS = re.compile(
    r"\s*[,，]\s*(?:gran|granny|grandma|grandad|grandpa|nana|nan|mum|mom|dad|奶奶|爷爷|外婆|外公)[.!。！]*$", re.IGNORECASE
)
_CJK = re.compile("[\u4e00-\u9fff]")
_LOWER_FIRST_WORDS = {
    "my",
    "your",
    "our",
    "we",
    "we've",
    "we're",
    "we'd",
    "we'll",
    "the",
    "a",
    "an",
    "he",
    "she",
    "they",
    "it",
    "his",
    "her",
    "their",
    "this",
    "there",
    "yesterday",
    "today",
    "last",
}
# A question about the persona is not news even if it names an event ("When did you get married?").
_QUESTION_ABOUT_YOU = re.compile(
    r"^(when|where|how|why|what|did|were|was|do|have) (did |were |was |do |have )?you\b|你们?(是)?(什么时候|怎么|在哪)"
)


# Sentences read by meaning too (one sentence embedding each); later ones by the rules only,
# so a long monologue costs no more than a few sentences.
MEANING_SENTENCES = 8

NEWS_PREFIX_EN = "The relative said: "
NEWS_PREFIX_ZH = "亲人说："
MAX_NEWS_CHARS = 300


def extract_news(text: str) -> str | None:
    """The news in ``text`` as a long-term memory the persona can refer back to, or None.

    Kept in the relative's own words, marked as theirs, e.g.
    "The relative said: my great-grandson was born" / "亲人说：我搬家了".
    Works on any turn whatever its main intent (call it unless the turn is a
    crisis or a stop): "I miss you. Your great-grandson was born" is both.
    """
    for number, raw in enumerate(_SENTENCE.findall(text or "")):
        sentence = raw.strip()
        said = normalise(sentence)
        if not said or crisis_kind(said) or STOP.search(said):
            continue
        by_meaning = number < MEANING_SENTENCES
        # A question is never kept as news ("Do you remember the night Lily was born?"),
        # unless it is news told as a question ("Did I tell you I'm moving to Bristol?").
        told_as_question = acts.news_as_question(said)
        if not told_as_question and (acts.question_shaped(said) or _QUESTION_ABOUT_YOU.search(said)):
            continue
        if not told_as_question and not NEWS.search(said):
            # Not worded as the rules know news: kept only when it reads as news by meaning.
            if not by_meaning or acts.by_neighbours(said).act is not Act.NEWS:
                continue
        elif not told_as_question and by_meaning and acts.by_neighbours(said).act in (Act.QUESTION_PAST, Act.FOLLOWUP, Act.REQUEST):
            continue  # worded like news, but it asks ("My mum was born when?")
        if told_as_question:
            sentence = acts.without_news_lead(sentence)  # "Guess what?" alone is no news yet
        body = _LEAD_IN.sub("", sentence).strip()
        body = _ZH_LEAD_IN.sub("", body).strip()
        body = body.rstrip(".!。！;；").strip()
        body = _TRAILING_ADDRESS.sub("", body).strip()  # "..., Gran": who it was said to, not the news
        if not body:
            continue
        if _CJK.search(body):
            return (NEWS_PREFIX_ZH + body)[: len(NEWS_PREFIX_ZH) + MAX_NEWS_CHARS]
        first = body.split(maxsplit=1)[0].lower()
        if first in _LOWER_FIRST_WORDS:  # keep names ("Ellen had a baby") capitalised
            body = body[0].lower() + body[1:]
        return (NEWS_PREFIX_EN + body)[: len(NEWS_PREFIX_EN) + MAX_NEWS_CHARS]
    return None


def news_body(fact_text: str) -> str:
    """The relative's own words of a fact made by ``extract_news`` (prefix removed)."""
    for prefix in (NEWS_PREFIX_EN, NEWS_PREFIX_ZH):
        if fact_text.startswith(prefix):
            return fact_text[len(prefix) :]
    return fact_text
