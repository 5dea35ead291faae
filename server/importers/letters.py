"""Letters and notes: one memory per letter, with its date (and place) kept where the letter gives one.

A letter starts at a date line ("Whitby, 12th May 1944"), a greeting ("Dear
Arthur,", "亲爱的明明：") or a break (a page break, "* * *", a heading), and
ends after its signing-off ("All my love, Rose"). Letters are kept whole:
they are one memory each, cut in parts only past the longest memory allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.api import MemoryPlace
from server.importers.blocks import Block
from server.storage.memory_admin import NewMemory

MAX_LETTER_CHARS = 20_000  # the longest memory the API takes

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'\d{2})"
_DATE = re.compile(
    rf"(?i:\b{_DAY}\s+(?:of\s+)?{_MONTHS},?\s+{_YEAR}\b"  # 12th May 1944, 3 of June, 1946
    rf"|\b{_MONTHS}\s+{_DAY},?\s+{_YEAR}\b"  # May 12, 1944
    rf"|\b{_MONTHS}\s+\d{{4}}\b"  # May 1944
    r"|\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})\b"  # 12/05/1944, 12.5.44
    r"|\b\d{4}-\d{2}-\d{2}\b)"  # 1944-05-12
    r"|[一二三四五六七八九〇零\d]{2,4}年[一二三四五六七八九十\d]{1,2}月(?:[一二三四五六七八九十\d]{1,3}[日号])?"
)
_GREETING = re.compile(
    r"^(?:(?:my\s+)?(?:dear|dearest|darling|beloved)\b|(?:hello|hi|hullo|greetings)\b|to\s+my\b)[^.!?]{0,50}[,:!]?$"
    r"|^亲爱的.{1,12}[：:，,]?$|^[\u4e00-\u9fff]{1,8}[：:]$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:with\s+)?(?:all\s+(?:my|our)\s+)?(?:much\s+)?(?:love|lots of love|yours|your\s+(?:loving|own|devoted|affectionate)|"
    r"affectionately|sincerely|best wishes|kind regards|warm regards|regards|cheerio|god bless|ever yours|"
    r"xx+|until (?:next time|we meet))\b.{0,60}$"
    r"|^(?:此致|敬礼|祝好|想你的|爱你的).{0,20}$",
    re.IGNORECASE,
)
_GREETING_NAME = re.compile(r"^(?:my\s+)?(?:dear|dearest|darling|beloved)\s+([^,:!]{1,40})", re.IGNORECASE)


def find_date(text: str) -> str | None:
    match = _DATE.search(text)
    return match.group(0).strip() if match else None


def is_date_line(text: str) -> bool:
    """A short line that is a date, maybe with a place or weekday: "Whitby, 12th May 1944", "Monday, 3rd June"."""
    text = text.strip()
    match = _DATE.search(text) if len(text) <= 80 else None
    if match is None:
        return False
    rest = (text[: match.start()] + " " + text[match.end() :]).strip(" ,.;:-–—()")
    if text.endswith((".", "!", "?")) and not text[match.start() : match.end()].endswith(text[-1]) and rest:
        return False  # "We left in May 1944." is a sentence, not a date line
    return len(rest.split()) <= 4


def is_greeting(text: str) -> bool:
    return len(text) <= 60 and bool(_GREETING.match(text.strip()))


def is_sign_off(text: str) -> bool:
    return len(text) <= 80 and bool(_SIGN_OFF.match(text.strip()))


def _is_signature(text: str) -> bool:
    """The name under a signing-off: short, no sentence."""
    return len(text) <= 40 and len(text.split()) <= 5 and not text.rstrip().endswith(("?", ":"))


@dataclass
class _Letter:
    paragraphs: list[str] = field(default_factory=list)
    dated: str | None = None
    heading: str | None = None
    has_body: bool = False
    signed: bool = False


def split_letters(blocks: list[Block]) -> list[_Letter]:
    letters: list[_Letter] = []
    current = _Letter()
    awaiting_signature = False

    def close() -> None:
        nonlocal current, awaiting_signature
        if current.paragraphs:
            letters.append(current)
        current = _Letter()
        awaiting_signature = False

    for block in blocks:
        text = block.text.strip()
        if block.kind == "break":
            close()
            continue
        if block.kind == "heading" and not is_greeting(text) and not is_sign_off(text):
            close()
            current.heading = text
            if is_date_line(text):
                current.dated = text
            continue
        if not text:
            continue
        if awaiting_signature:
            awaiting_signature = False
            if _is_signature(text) and not is_date_line(text) and not is_greeting(text):
                current.paragraphs.append(text)
                close()
                continue
            close()
        starts_letter = is_date_line(text) or is_greeting(text)
        if starts_letter and (current.has_body or current.signed or (is_date_line(text) and current.dated)):
            close()
        if is_date_line(text) and current.dated is None and not current.has_body:
            current.dated = text
            continue  # the date is kept in the title and position, not read aloud as part of the letter
        current.paragraphs.append(text)
        if is_sign_off(text) and current.has_body:
            current.signed = True
            awaiting_signature = True
        elif not is_greeting(text):
            current.has_body = True
    close()
    return letters


def count_letter_marks(blocks: list[Block]) -> int:
    """How many greetings and signings-off a document has: letters have one of each per letter."""
    greetings = sum(1 for b in blocks if b.kind == "para" and is_greeting(b.text.strip()))
    sign_offs = sum(1 for b in blocks if b.kind == "para" and is_sign_off(b.text.strip()))
    return min(greetings, sign_offs)


def _title(letter: _Letter, number: int) -> str:
    recipient = None
    if letter.paragraphs:
        match = _GREETING_NAME.match(letter.paragraphs[0])
        if match:
            recipient = match.group(1).strip()
    title = letter.heading or (f"Letter to {recipient}" if recipient else f"Letter {number}")
    if letter.dated and letter.dated not in title:
        title += f", {letter.dated}"
    return title[:200]


def memories(blocks: list[Block]) -> list[NewMemory]:
    out: list[NewMemory] = []
    for number, letter in enumerate(split_letters(blocks), start=1):
        text = "\n\n".join(letter.paragraphs)
        title = _title(letter, number)
        parts = [text[i : i + MAX_LETTER_CHARS] for i in range(0, len(text), MAX_LETTER_CHARS)] or [""]
        for index, part in enumerate(parts, start=1):
            if not part.strip():
                continue
            suffix = f" (part {index})" if len(parts) > 1 else ""
            place = MemoryPlace(letter=number, date=letter.dated or None, part=index if len(parts) > 1 else None)
            out.append(NewMemory(text=part.strip(), title=title + suffix, place=place, source="letter"))
    return out
