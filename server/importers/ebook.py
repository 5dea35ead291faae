"""E-books (.epub) with ebooklib: the chapters in reading order, each titled by its heading or the table of contents."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from posixpath import normpath
from typing import Any

from server.importers import counts, safezip
from server.importers.blocks import BREAK, Block, heading, html_blocks, merge_chapter_labels
from server.importers.errors import damaged
from server.importers.textfile import decode

# A long book has a few hundred chapter files and a few megabytes of text in markup.
MAX_SPINE_ITEMS = 10_000
MAX_MARKUP_BYTES = 64 * 1024 * 1024
_MARKUP_SUFFIXES = (".xhtml", ".html", ".htm", ".xml", ".opf", ".ncx")


def check(path: Path) -> None:
    """Safe to unpack (ebooklib reads every file inside), of a sane size inside, and a readable book with chapters."""
    safezip.verify_members(path)
    check_counts(path)
    book = _open(path)
    if not _chapters(book):
        raise damaged("This e-book has no chapters to read.")


def check_counts(path: Path) -> None:
    """Chapters in the reading order, markup bytes and paragraphs, counted before ebooklib reads the book.

    The zip's directory gives every file's size without inflating it; the reading order (the
    package file's spine) and the paragraph tags are counted as the files stream by.
    """
    with safezip.open_checked(path) as archive:
        markup = [entry for entry in archive.infolist() if entry.filename.lower().endswith(_MARKUP_SUFFIXES)]
    if sum(entry.file_size for entry in markup) > MAX_MARKUP_BYTES:
        raise counts.too_many("megabytes of text and markup", MAX_MARKUP_BYTES // (1024 * 1024))
    names = {entry.filename for entry in markup}
    found = {"spine": 0, "paragraphs": 0, "elements": 0}

    def count(name: str, chunks: Iterable[bytes]) -> None:
        if name not in names:
            return
        patterns = counts.TAG_PATTERNS + counts.start_tag_patterns(b"", b"p") + _ITEMREF
        counted = counts.StreamCount(patterns)
        for chunk in chunks:
            counted.feed(chunk)
        found["spine"] += sum(counted[p] for p in _ITEMREF)
        found["paragraphs"] += sum(counted[p] for p in counted.counts if p not in counts.TAG_PATTERNS and p not in _ITEMREF)
        found["elements"] += counts.start_tags(counted)
        if found["spine"] > MAX_SPINE_ITEMS:
            raise counts.too_many("chapters", MAX_SPINE_ITEMS)
        if found["paragraphs"] > counts.MAX_PARAGRAPHS:
            raise counts.too_many("paragraphs", counts.MAX_PARAGRAPHS)
        if found["elements"] > counts.MAX_ELEMENTS:
            raise counts.too_many("pieces of formatting", counts.MAX_ELEMENTS)

    safezip.stream_members(path, count)


# <itemref idref="..."/> in the package file's spine, with or without a prefix.
_ITEMREF = (b"<itemref", b":itemref")


def _open(path: Path) -> Any:  # an ebooklib EpubBook (ebooklib is untyped)
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about options it will change in future versions
            return epub.read_epub(str(path), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises plain exceptions, KeyError or lxml errors on broken books
        raise damaged("This e-book could not be read; it may be damaged. Try another copy of it.", detail=exc) from None


def _chapters(book: Any) -> list[Any]:
    import ebooklib

    chapters = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None and item.get_type() == ebooklib.ITEM_DOCUMENT and not isinstance(item, _nav_types()):
            chapters.append(item)
    return chapters


def _nav_types() -> tuple[Any, ...]:
    from ebooklib import epub

    return (epub.EpubNav,)


def _toc_titles(book: Any) -> dict[str, str]:
    """File name -> its title in the table of contents (first entry wins)."""
    titles: dict[str, str] = {}

    def walk(entries: Iterable[Any]) -> None:
        for entry in entries:
            if isinstance(entry, (list, tuple)):
                section, children = (entry[0], entry[1]) if len(entry) == 2 else (None, entry)
                if section is not None:
                    walk([section])
                walk(children)
                continue
            href = getattr(entry, "href", None)
            title = getattr(entry, "title", None)
            if href and title:
                titles.setdefault(normpath(href.split("#", 1)[0]), title.strip())

    walk(book.toc)
    return titles


def blocks(path: Path, progress: Callable[[float], None] | None = None) -> list[Block]:
    check_counts(path)  # again: the job may be handed a file no upload check saw
    book = _open(path)
    titles = _toc_titles(book)
    chapters = _chapters(book)
    out: list[Block] = []
    for index, item in enumerate(chapters):
        chapter = html_blocks(decode(item.get_content()))
        if not any(b.kind == "para" for b in chapter):
            continue  # covers, title pages, blank pages
        if chapter[0].kind != "heading":
            title = titles.get(normpath(item.get_name()))
            if title:
                chapter.insert(0, heading(title, 1))
            elif out:
                out.append(BREAK)  # a new file is at least a new section
        out.extend(chapter)
        if len(out) > counts.MAX_PARAGRAPHS:
            raise counts.too_many("paragraphs", counts.MAX_PARAGRAPHS)
        if progress is not None:
            progress((index + 1) / len(chapters))
    return merge_chapter_labels(out)
