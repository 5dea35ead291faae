"""A memoir or any long text, cut into memories of a few sentences to a few paragraphs.

Cuts fall on natural boundaries: a chapter always starts a new memory, a
scene break ("* * *") ends one, and otherwise paragraphs are gathered until a
memory is long enough to tell on its own. A paragraph too long for one memory
is cut between sentences. Each memory keeps its chapter title as its title
and says where it was: chapter, page(s) and paragraph(s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.api import MemoryPlace, Span
from server.importers.blocks import Block
from server.storage.memory_admin import NewMemory
from server.text.sentences import split_sentences

# Sizes in "reading weight": characters, with a Chinese character counted as three
# (one carries about as much as half an English word).
MIN_WEIGHT = 250  # a few sentences
TARGET_WEIGHT = 900  # one to three paragraphs, about 150 words
MAX_WEIGHT = 1600  # a few paragraphs at most


def weight(text: str) -> int:
    return len(text) + 2 * sum(1 for c in text if "\u3400" <= c <= "\u9fff")


@dataclass
class _Piece:
    text: str
    paragraph: int
    page: int | None


@dataclass
class _Chapter:
    number: int = 0
    title: str | None = None
    paragraphs: int = 0


@dataclass
class _Chunker:
    source: str
    has_chapters: bool
    memories: list[NewMemory] = field(default_factory=list)
    spans: list[list[_Piece]] = field(default_factory=list)  # the pieces each memory was made of
    pieces: list[_Piece] = field(default_factory=list)
    chapter: _Chapter = field(default_factory=_Chapter)
    # The last memory made in this chapter, so a short tail can join it.
    last_in_chapter: int | None = None

    def add(self, piece: _Piece) -> None:
        size = sum(weight(p.text) for p in self.pieces)
        if self.pieces and size + weight(piece.text) > MAX_WEIGHT and size >= MIN_WEIGHT:
            self.flush()
        self.pieces.append(piece)
        if sum(weight(p.text) for p in self.pieces) >= TARGET_WEIGHT:
            self.flush()

    def flush(self, *, end_of_section: bool = False) -> None:
        if not self.pieces:
            return
        pieces, self.pieces = self.pieces, []
        text = _join(pieces)
        if (
            end_of_section
            and weight(text) < MIN_WEIGHT
            and self.last_in_chapter is not None
            and weight(self.memories[self.last_in_chapter].text) + weight(text) <= MAX_WEIGHT * 1.25
        ):
            # A short tail reads better as the end of the memory before it.
            index = self.last_in_chapter
            self.spans[index] = self.spans[index] + pieces
            self.memories[index] = self._memory(_join(self.spans[index]), self.spans[index])
            return
        self.memories.append(self._memory(text, pieces))
        self.spans.append(pieces)
        self.last_in_chapter = len(self.memories) - 1

    def _memory(self, text: str, pieces: list[_Piece]) -> NewMemory:
        pages = [p.page for p in pieces if p.page is not None]
        place = MemoryPlace(
            chapter=self.chapter.number if self.has_chapters and self.chapter.number else None,
            pages=Span(first=min(pages), last=max(pages)) if pages else None,
            paragraphs=Span(first=pieces[0].paragraph, last=pieces[-1].paragraph),
        )
        return NewMemory(text=text, title=self.chapter.title, place=place, source=self.source)

    def new_chapter(self, title: str) -> None:
        self.flush(end_of_section=True)
        if self.chapter.paragraphs == 0 and self.chapter.title is not None:
            # Two headings in a row ("My Life", then "The Seaside"): the book's or a part's title, then the chapter's.
            self.chapter = _Chapter(number=self.chapter.number, title=title[:200])
        else:
            self.chapter = _Chapter(number=self.chapter.number + 1, title=title[:200])
        self.last_in_chapter = None


def _join(pieces: list[_Piece]) -> str:
    """Pieces of one paragraph run on; different paragraphs are separated by a blank line."""
    parts: list[str] = []
    previous = None
    for piece in pieces:
        if previous is not None and piece.paragraph == previous:
            parts[-1] += " " + piece.text
        else:
            parts.append(piece.text)
        previous = piece.paragraph
    return "\n\n".join(parts)


def _cut_long(text: str) -> list[str]:
    """A paragraph longer than one memory, cut between sentences into parts of about the target size."""
    if weight(text) <= MAX_WEIGHT:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in split_sentences(text, max_chars=MAX_WEIGHT, min_weight=1):
        if current and weight(current) + weight(sentence) > TARGET_WEIGHT:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip() if current else sentence
    if current:
        parts.append(current)
    return parts


def memories(blocks: list[Block], *, source: str = "memoir") -> list[NewMemory]:
    chunker = _Chunker(source=source, has_chapters=any(b.kind == "heading" for b in blocks))
    for block in blocks:
        if block.kind == "heading":
            chunker.new_chapter(block.text)
        elif block.kind == "break":
            chunker.flush(end_of_section=True)
        elif block.text.strip():
            chunker.chapter.paragraphs += 1
            for part in _cut_long(block.text.strip()):
                chunker.add(_Piece(part, chunker.chapter.paragraphs, block.page))
    chunker.flush(end_of_section=True)
    return chunker.memories
