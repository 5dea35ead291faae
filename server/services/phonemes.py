"""A sentence's phonemes from its text, as IPA codepoints, for voices that give no timing.

English (and any language espeak-ng knows) goes through espeak-ng as Piper
ships it, so the phonemes are those the embedded voice would say. Chinese
characters go through pypinyin: each syllable's initial and final, written in
IPA, so one table (``server.services.visemes.IPA_VISEMES``) serves both.
Pauses come out as the punctuation that made them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

_CJK_RUN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")
_FULLWIDTH_PUNCT = str.maketrans({"，": ",", "、": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":", "…": "..."})
_PAUSES = set(".,;:!?")
_ESPEAK_VOICES = {"en": "en-us", "zh": "en-us"}  # Chinese text's Latin words are read as English

# Pinyin initials (pypinyin's strict ones) and final letters, in IPA.
PINYIN_INITIALS = {
    "b": "p",
    "p": "p",
    "m": "m",
    "f": "f",
    "d": "t",
    "t": "t",
    "n": "n",
    "l": "l",
    "g": "k",
    "k": "k",
    "h": "x",
    "j": "tɕ",
    "q": "tɕ",
    "x": "ɕ",
    "zh": "ʈʂ",
    "ch": "ʈʂ",
    "sh": "ʂ",
    "r": "ʐ",
    "z": "ts",
    "c": "ts",
    "s": "s",
}
_PINYIN_FINAL_PARTS = [  # longest first: "ng" before "n"
    ("ng", "ŋ"),
    ("er", "ɚ"),
    ("a", "a"),
    ("o", "o"),
    ("e", "ə"),
    ("ê", "ɛ"),
    ("i", "i"),
    ("u", "u"),
    ("v", "y"),
    ("ü", "y"),
    ("n", "n"),
]

_fallback_lock = threading.Lock()


def _espeak() -> tuple[Any, threading.Lock]:
    """Piper's espeak-ng phonemizer and the lock Piper itself holds around it (espeak is one
    global state per process: the embedded voice and this must take turns)."""
    from piper import voice as piper_voice
    from piper.phonemize_espeak import EspeakPhonemizer

    lock = getattr(piper_voice, "_ESPEAK_PHONEMIZER_LOCK", _fallback_lock)
    with lock:
        if getattr(piper_voice, "_ESPEAK_PHONEMIZER", None) is None:
            piper_voice._ESPEAK_PHONEMIZER = EspeakPhonemizer()
        return piper_voice._ESPEAK_PHONEMIZER, lock


def _espeak_phonemes(text: str, language: str) -> list[str]:
    phonemizer, lock = _espeak()
    voice = _ESPEAK_VOICES.get(language, language)
    with lock:
        try:
            sentences = phonemizer.phonemize(voice, text)
        except RuntimeError:  # a language espeak does not know: read it as English rather than not at all
            sentences = phonemizer.phonemize("en-us", text)
    return [p for sentence in sentences for p in sentence]


def pinyin_final_ipa(final: str) -> str:
    out = []
    i = 0
    while i < len(final):
        for letters, ipa in _PINYIN_FINAL_PARTS:
            if final.startswith(letters, i):
                out.append(ipa)
                i += len(letters)
                break
        else:
            i += 1  # a letter pinyin finals do not have: nothing to say for it
    return "".join(out)


def _chinese_phonemes(run: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(run, style=Style.INITIALS, strict=True)
    finals = lazy_pinyin(run, style=Style.FINALS, strict=True)
    out: list[str] = []
    for initial, final in zip(initials, finals):
        if not final.isascii() and "ü" not in final and "ê" not in final:
            continue  # a character pypinyin does not know
        if out:
            out.append(" ")
        out.extend(PINYIN_INITIALS.get(initial, "") + pinyin_final_ipa(final))
    return out


def text_phonemes(text: str, language: str = "en") -> list[str]:
    """IPA codepoints (NFD, as Piper splits them), spaces between words, punctuation where it pauses."""
    text = text.translate(_FULLWIDTH_PUNCT)
    out: list[str] = []
    for part in _CJK_RUN.split(text):
        if not part:
            continue
        if _CJK_RUN.fullmatch(part):
            phonemes = _chinese_phonemes(part)
        elif any(ch.isalnum() for ch in part):
            phonemes = _espeak_phonemes(part, language)
        else:
            phonemes = [ch for ch in part if ch in _PAUSES]
        if out and phonemes and phonemes[0] not in _PAUSES and out[-1] != " ":
            out.append(" ")  # between words, not before the pause that ends them
        out.extend(phonemes)
    return list(unicodedata.normalize("NFD", "".join(out)))
