"""The relative's words turned around, so the persona can say them back."""

from __future__ import annotations

import re

_CJK = re.compile("[\u4e00-\u9fff]")

_EN_SWAPS = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "i'm": "you're",
    "i've": "you've",
    "i'll": "you'll",
    "i'd": "you'd",
    "we're": "you're",
    "we've": "you've",
    "we'll": "you'll",
    "we'd": "you'd",
    "am": "are",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "you're": "I'm",
    "you've": "I've",
    "you'll": "I'll",
    "you'd": "I'd",
}
_EN_WORD = re.compile(r"[A-Za-z']+|[^A-Za-z']+")


def to_second_person(text: str) -> str:
    """Turn the relative's words around so the persona can say them back.

    "I got married last month" -> "you got married last month";
    "your great-grandson was born" -> "my great-grandson was born";
    "我搬家了" -> "你搬家了".
    """
    if _CJK.search(text):
        swapped = text.replace("我", "\0").replace("你", "我").replace("您", "我")
        return swapped.replace("\0", "你")
    out: list[str] = []
    previous = ""
    for piece in _EN_WORD.findall(text):
        low = piece.lower()
        if low == "was" and previous in ("i", "we"):
            word = "were"
        elif low == "you":
            # Subject "you" becomes "I", object "you" becomes "me".
            subject_before = (
                "",
                "and",
                "but",
                "so",
                "that",
                "when",
                "if",
                "because",
                "did",
                "do",
                "are",
                "were",
                "will",
                "can",
                "could",
                "would",
                "have",
                "had",
            )
            word = "I" if previous in subject_before else "me"
        elif low == "are" and previous == "you":
            word = "am"
        elif low == "were" and previous == "you":
            word = "was"
        else:
            word = _EN_SWAPS.get(low, piece)
        out.append(word)
        if piece.strip() and re.match(r"[A-Za-z']", piece):
            previous = low
    return "".join(out)
