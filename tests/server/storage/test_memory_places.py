"""Where a memory is in its file: kept as fields, worded in English as before, and read from older databases' phrases."""

from __future__ import annotations

import pytest

from shared.api import MemoryPlace, Span
from server.storage import memory_places

# Every kind of phrase the importers wrote before the fields were kept, with the fields it holds.
PHRASES = [
    ("chapter 2, paragraphs 4–7", MemoryPlace(chapter=2, paragraphs=Span(first=4, last=7))),
    ("chapter 1, pages 12–13, paragraphs 4–7", MemoryPlace(chapter=1, pages=Span(first=12, last=13), paragraphs=Span(first=4, last=7))),
    ("page 3, paragraph 9", MemoryPlace(pages=Span(first=3, last=3), paragraphs=Span(first=9, last=9))),
    ("paragraphs 1–2", MemoryPlace(paragraphs=Span(first=1, last=2))),
    ("letter 3", MemoryPlace(letter=3)),
    ("letter 2, dated Whitby, 3rd June 1944", MemoryPlace(letter=2, date="Whitby, 3rd June 1944")),
    ("letter 4, dated 12 May 1944 (part 2)", MemoryPlace(letter=4, date="12 May 1944", part=2)),
    ("messages 3–9, 4/5/21", MemoryPlace(messages=Span(first=3, last=9), date="4/5/21")),
    ("message 6", MemoryPlace(messages=Span(first=6, last=6))),
    ("recording 0:58–1:50", MemoryPlace(recording_s=Span(first=58, last=110))),
    ("recording 59:30–1:02:05", MemoryPlace(recording_s=Span(first=3570, last=3725))),
]


@pytest.mark.parametrize("phrase, place", PHRASES, ids=[p for p, _ in PHRASES])
def test_an_older_databases_phrase_is_read_as_its_fields_and_worded_back_the_same(phrase, place):
    assert memory_places.read(phrase) == place
    assert memory_places.english(place) == phrase


@pytest.mark.parametrize("phrase, place", PHRASES, ids=[p for p, _ in PHRASES])
def test_a_place_is_stored_as_its_fields_not_as_words(phrase, place):
    column = memory_places.stored(place)
    assert column.startswith("{") and "chapter 2" not in column and "dated" not in column
    assert memory_places.read(column) == place


def test_nothing_stored_is_no_place_and_a_phrase_of_no_known_form_is_no_fields():
    assert memory_places.read(None) is None and memory_places.read("  ") is None
    assert memory_places.stored(None) is None and memory_places.stored(MemoryPlace()) is None
    assert memory_places.read("somewhere in the attic") is None
    assert memory_places.read('{"chapter": "two"}') is None  # a damaged value is no place, not an error
