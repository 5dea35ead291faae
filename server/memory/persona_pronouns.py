"""The relative's words as the persona would say them: "where were you born?" becomes "where was I born?".

The relative's "you" is the persona's "I": "where were you born?" is answered by "I was born...",
and "when I was born" (the relative's birth) by "when you were born...". The sentence-embedding
model reads pronouns only faintly, so ``meaning_rank`` turns the question round before comparing it
with the memories.
"""

from __future__ import annotations

import re

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
