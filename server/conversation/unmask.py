"""Undo the ways a sentence hides a request from the safety patterns.

A model told (or tricked) into asking for money may write "s e n d  m o n e y",
"g1ft c4rd", "m\u200boney", "mоney" with a Cyrillic o, or spell digits out as
words. None of that is how a grandmother talks, so the safety check reads the
sentence again after undoing each trick; and letters spelled out one by one
around a sensitive word are a request in themselves.
"""

from __future__ import annotations

import re
import unicodedata

# Letters from other scripts that look like Latin ones (the common confusables).
_LOOKALIKES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ο": "o",
        "α": "a",
        "ν": "v",
        "ρ": "p",
        "τ": "t",
        "ι": "i",
        "κ": "k",
    }
)
# Digits and symbols standing in for letters inside a word ("m0ney", "p@ssword", "ca$h").
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_MIXED_WORD = re.compile(r"\b(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]+\b")
# Three or more single letters in a row, each on its own: "s e n d", "m.o.n.e.y", "c-a-s-h".
_SPELLED = re.compile(r"(?<![a-z])(?:[a-z][\s.\-_*·•/|]+){2,}[a-z](?![a-z])")
_BETWEEN_CJK = re.compile(r"(?<=[\u4e00-\u9fff])[\s.\-_*·•/|,，、]+(?=[\u4e00-\u9fff])")
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_DIGIT_WORD_RUN = re.compile(
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s,\-]+){5,}(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b"
)
_ZH_DIGITS = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
_ZH_DIGIT_RUN = re.compile("[零〇一二三四五六七八九幺]{7,}")

# What letters spelled out one by one must not hide.
SPELLED_OUT_WORDS = re.compile(
    r"money|cash|gift|card|voucher|pass|pin|code|otp|bank|account|transfer|wire|send|pay|secret|tell|bitcoin|crypto|iban|ssn"
)


def strip_invisible(text: str) -> str:
    """Zero-width and other format characters (Unicode category Cf) that split words for the eye only."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def readings(text: str) -> list[str]:
    """The sentence (already normalised) as the safety patterns should also read it."""
    plain = strip_invisible(text).translate(_LOOKALIKES)
    unleet = _MIXED_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
    joined = _SPELLED.sub(lambda m: re.sub(r"[^a-z]", "", m.group(0)), unleet)
    joined = _BETWEEN_CJK.sub("", joined)
    digits = _DIGIT_WORD_RUN.sub(lambda m: "".join(_DIGIT_WORDS[w] for w in re.findall(r"[a-z]+", m.group(0))), joined)
    digits = _ZH_DIGIT_RUN.sub(lambda m: m.group(0).translate(_ZH_DIGITS), digits)
    out: list[str] = []
    for candidate in (text, plain, unleet, joined, digits):
        if candidate not in out:
            out.append(candidate)
    return out


def spells_out_something_sensitive(text: str) -> bool:
    """Letters spelled one by one ("s e n d  m o n e y") around a word the avatar must never ask about."""
    plain = strip_invisible(text).translate(_LOOKALIKES)
    plain = _MIXED_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
    return any(SPELLED_OUT_WORDS.search(re.sub(r"[^a-z]", "", m.group(0))) for m in _SPELLED.finditer(plain))
