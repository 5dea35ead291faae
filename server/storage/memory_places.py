"""Where in its file a memory is: kept as structured fields, and read back from the English
phrases Keepsake stored before it kept them ("chapter 2, paragraphs 4–7").

The ``memories.position`` column holds either: a JSON object of ``MemoryPlace`` (written now), or
an English phrase (older databases). Both are read as a ``MemoryPlace``; the English phrase the API
still sends in ``origin.position`` is worded from the fields, exactly as it was written before.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from shared.api import MemoryPlace, Span


def stored(place: MemoryPlace | None) -> str | None:
    """The column's value for a place: its fields as JSON, those without a value left out."""
    if place is None:
        return None
    text = place.model_dump_json(exclude_none=True)
    return None if text == "{}" else text


def read(column: str | None) -> MemoryPlace | None:
    """A stored place, written now (JSON) or before (an English phrase); None when there is none."""
    if not column or not column.strip():
        return None
    if column.lstrip().startswith("{"):
        try:
            return MemoryPlace.model_validate_json(column)
        except ValidationError:
            return None
    return from_english(column)


def _span(label: str, span: Span, plural: str | None = None) -> str:
    return f"{label} {span.first}" if span.first == span.last else f"{plural or label + 's'} {span.first}–{span.last}"


def clock(seconds: int) -> str:
    """0:58, 1:02:03: the time into a recording."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def english(place: MemoryPlace | None) -> str | None:
    """The place in the English words Keepsake has always sent ("letter 3, dated 12 May 1944 (part 2)")."""
    if place is None:
        return None
    where: list[str] = []
    if place.chapter is not None:
        where.append(f"chapter {place.chapter}")
    if place.pages is not None:
        where.append(_span("page", place.pages))
    if place.paragraphs is not None:
        where.append(_span("paragraph", place.paragraphs))
    if place.letter is not None:
        where.append(f"letter {place.letter}" + (f", dated {place.date}" if place.date else ""))
    if place.messages is not None:
        where.append(_span("message", place.messages) + (f", {place.date}" if place.date else ""))
    if place.recording_s is not None:
        where.append(f"recording {clock(place.recording_s.first)}–{clock(place.recording_s.last)}")
    text = ", ".join(where)
    if place.part is not None:
        text += f" (part {place.part})"
    return text or None


# --- the English phrases of older databases ---------------------------------------------

_DASH = "[–-]"
_NUMBERS = rf"(\d+)(?:{_DASH}(\d+))?"
_CLOCK = r"(\d+(?::\d{2}){1,2})"
_PART = re.compile(r"\s*\(part (\d+)\)\s*$")
_LETTER = re.compile(r"^letter (\d+)(?:, dated (.+))?$")
_MESSAGES = re.compile(rf"^messages? {_NUMBERS}(?:, (.+))?$")
_RECORDING = re.compile(rf"^recording {_CLOCK}{_DASH}{_CLOCK}$")
_BOOK = re.compile(rf"^(?:chapter (\d+))?(?:, )?(?:pages? {_NUMBERS})?(?:, )?(?:paragraphs? {_NUMBERS})?$")


def _seconds(clock_text: str) -> int:
    total = 0
    for piece in clock_text.split(":"):
        total = total * 60 + int(piece)
    return total


def _pair(first: str | None, last: str | None) -> Span | None:
    return Span(first=int(first), last=int(last or first)) if first is not None else None


def from_english(phrase: str) -> MemoryPlace | None:
    """The fields of a phrase an older Keepsake stored; None when it is not one of its phrases
    (the phrase is then still sent as ``origin.position``, as it always was)."""
    text = phrase.strip()
    part = None
    if found := _PART.search(text):
        part, text = int(found.group(1)), text[: found.start()]
    if found := _LETTER.match(text):
        return MemoryPlace(letter=int(found.group(1)), date=found.group(2), part=part)
    if found := _MESSAGES.match(text):
        return MemoryPlace(messages=_pair(found.group(1), found.group(2)), date=found.group(3), part=part)
    if found := _RECORDING.match(text):
        return MemoryPlace(recording_s=Span(first=_seconds(found.group(1)), last=_seconds(found.group(2))), part=part)
    found = _BOOK.match(text)
    if found and text:
        chapter, pages, paragraphs = found.group(1), _pair(found.group(2), found.group(3)), _pair(found.group(4), found.group(5))
        return MemoryPlace(chapter=int(chapter) if chapter else None, pages=pages, paragraphs=paragraphs, part=part)
    return None
