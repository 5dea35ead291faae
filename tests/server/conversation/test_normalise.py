"""normalise: the one form every pattern is written for, with its shortcuts for plain English and seen characters."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from server.conversation import normalise as normalise_module
from server.conversation.hanzi import to_simplified
from server.conversation.normalise import normalise


def spelled_out(text: str) -> str:
    """What normalise does, step by step, with no shortcut."""
    text = to_simplified(unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


PIECES = [
    "I",
    "don't",
    "Want",
    " ",
    "\t",
    "\n",
    "\u3000",
    "\u200b",
    "\u200d",
    "\u00ad",
    "\ufeff",
    "\u2019",
    "\u2018",
    "ＡＢ１",
    "活著",
    "沒意思",
    "驗證碼",
    "帳戶",
    "轉帳",
    "é",
    "\U000e0001",
    "我",
    "!",
    "\ud800",
    "\udfff",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=12).map("".join))
def test_normalise_is_what_it_says_whatever_the_text(text: str) -> None:
    assert normalise(text) == spelled_out(text)


def test_what_normalise_makes_of_typical_text() -> None:
    assert normalise("  I  DON\u2019T want\u200b to ") == "i don't want to"
    assert normalise("活著沒意思") == "活着没意思"
    assert normalise("幫我轉帳到這個帳戶") == "帮我转账到这个账户"
    assert normalise("ＨＥＬＬＯ，奶奶") == "hello,奶奶"
    assert normalise("") == "" and normalise(None) == ""  # type: ignore[arg-type]
    # A lone surrogate, as JSON may carry it, is no reason to fail a safety check.
    assert normalise("活著\ud800沒意思") == "活着\ud800没意思"


def test_the_characters_it_remembers_are_bounded() -> None:
    """Text made of every character there is cannot grow the remembered table without end."""
    table = normalise_module._INVISIBLE_AND_QUOTES
    normalise("".join(chr(c) for c in range(0x4E00, 0x4E00 + 2 * table._MAX) if not 0xD800 <= c <= 0xDFFF))
    assert len(table) <= table._MAX
