"""What was said, in the one form every pattern and example is written for.

Lower case, full-width letters folded, Traditional Chinese as Simplified, straight
apostrophes, no invisible characters, single spaces. Used only to match, never to change
what is shown or spoken.
"""

from __future__ import annotations

import re
import unicodedata

from server.conversation.hanzi import to_simplified


def normalise(text: str) -> str:
    """Lower-case, full-width folded, Traditional Chinese as Simplified, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if not text.isascii():  # most of what is said is plain English: none of these apply to it
        text = to_simplified(text).translate(_INVISIBLE_AND_QUOTES)
    return _SPACES.sub(" ", text).strip()


class _InvisibleAndQuotes(dict[int, int | str | None]):
    """A ``str.translate`` table: curly apostrophes made straight, and zero-width and other invisible
    format characters (Unicode category Cf) dropped, since they split words for patterns only, never
    for the ear. Each character's category is looked up once, then remembered (up to a bound, so
    text made of every character there is cannot grow it without end)."""

    _MAX = 20_000

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Cf" else code
        if len(self) < self._MAX:
            self[code] = kept
        return kept


_INVISIBLE_AND_QUOTES = _InvisibleAndQuotes({0x2019: "'", 0x2018: "'"})
_SPACES = re.compile(r"\s+")
