"""E-books (.epub) with ebooklib: the chapters in reading order, each titled by its heading or the table of contents."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from posixpath import normpath

from server.importers import safezip
from server.importers.blocks import BREAK, Block, heading, html_blocks, merge_chapter_labels
from server.importers.errors import damaged
from server.importers.textfile import decode


def check(path: Path) -> None:
    """Safe to unpack (ebooklib reads every file inside), and a readable book with chapters."""
    safezip.verify_members(path)
    book = _open(path)
    if not _chapters(book):
        raise damaged("This e-book has no chapters to read.")


def _open(path: Path):
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about options it will change in future versions
            return epub.read_epub(str(path), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises plain exceptions, KeyError or lxml errors on broken books
        raise damaged("This e-book could not be read; it may be damaged. Try another copy of it.", detail=exc) from None


def _chapters(book) -> list:
    import ebooklib

    chapters = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None and item.get_type() == ebooklib.ITEM_DOCUMENT and not isinstance(item, _nav_types()):
            chapters.append(item)
    return chapters


def _nav_types() -> tuple:
    from ebooklib import epub

    return (epub.EpubNav,)


def _toc_titles(book) -> dict[str, str]:
    """File name -> its title in the table of contents (first entry wins)."""
    titles: dict[str, str] = {}

    def walk(entries) -> None:
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
        if progress is not None:
            progress((index + 1) / len(chapters))
    return merge_chapter_labels(out)
