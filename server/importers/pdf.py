"""PDF files with pypdf: the text of each page, mended back into paragraphs, page numbers kept.

A PDF knows only lines on pages. pypdf's layout mode keeps where they were
(a blank line for a gap, spaces for an indent), and paragraphs are rebuilt
from that: a gap, an indented first line, or a short line that ends a
sentence marks a paragraph's edge; a paragraph that runs over a page break is
joined up. Page numbers and running headers (the same line at the top or
bottom of page after page) are dropped.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.importers.blocks import (
    BREAK,
    Block,
    heading,
    is_chapter_label,
    is_scene_break,
    join_lines,
    looks_like_heading,
    merge_chapter_labels,
    names_labelled_chapter,
    para,
)
from server.importers.errors import ImportRejected, damaged, too_large

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_PAGES = 3000
# Real page trees are a few levels deep (pypdf's own limit is far higher); a loop goes on forever.
_MAX_TREE_DEPTH = 64
# Pages looked at before deciding that a PDF holds only pictures of pages.
SAMPLE_PAGES = 12
# "12", "- 12 -", "Page 3 of 200", "iv": matched on the stripped line, with no two runs of spaces that
# can trade characters (the old pattern, with \s* on both sides of an optional dash, was cubic on a
# line that starts with thousands of spaces, which pypdf's layout mode makes of an indented line).
_PAGE_NUMBER = re.compile(r"(?:page\s+)?(?:[-–]\s*)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*[-–])?(?:\s*of\s+\d+)?", re.IGNORECASE)
_DAMAGED = "This PDF could not be read; it may be damaged. Save or print it to PDF again and try once more."
_SENTENCE_END = tuple('.!?:;"”’)。！？；…')

log = logging.getLogger("keepsake.importers")
logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every small flaw of real-world files


def _reader(path: Path) -> tuple[PdfReader, int]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImportRejected(422, "encrypted_file", "The PDF is password-protected. Save a copy without a password and try again.")
        pages = count_pages(reader)
        if pages > MAX_PAGES:
            raise too_large(f"This PDF has more than {MAX_PAGES} pages; at most that many can be imported at once. Split it into parts.")
        return reader, len(reader.pages)  # pypdf builds its page list only now that its size is known
    except ImportRejected:
        raise
    except LimitReachedError as exc:  # pypdf's own guards (huge arrays, deep trees): too big, not damaged
        log.warning("PDF refused by pypdf's limits: %s", exc)
        raise too_large("This PDF is too large or too complex to import at once. Split it into parts.") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError) as exc:
        raise damaged(_DAMAGED, detail=exc) from None
    except Exception as exc:  # pypdf raises many kinds on broken files; any of them means the same
        raise damaged(_DAMAGED, detail=exc) from None


def count_pages(reader: PdfReader, limit: int = MAX_PAGES) -> int:
    """Pages in the document's page tree, counted without building them; stops a little past ``limit``.

    ``len(reader.pages)`` builds an object for every page first, so a small file with a huge page
    tree (or one that names the same branch again and again) would cost memory before it could be
    refused. Here the tree is walked: a branch with more children than the limit, a tree deeper
    than any real one, or more visits than the limit allows, ends the count at once.
    """
    from pypdf.generic import ArrayObject, DictionaryObject

    root: Any = reader.trailer["/Root"].get_object()  # pypdf types it loosely; a broken one fails below
    tree = root.get("/Pages")
    tree = tree.get_object() if tree is not None else None
    if not isinstance(tree, DictionaryObject):
        raise damaged(_DAMAGED, detail="no page tree")
    declared = tree.get("/Count")
    if isinstance(declared, int) and declared > limit:
        return int(declared)
    pages = visits = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        visits += 1
        if depth > _MAX_TREE_DEPTH or visits > 4 * limit + 16:
            return limit + 1  # a loop in the tree, or a tree built to be walked forever
        kids = node.get("/Kids")
        kind = node.get("/Type")
        if kind == "/Page" or (kids is None and kind != "/Pages"):  # as pypdf tells a page from a branch
            pages += 1
            if pages > limit:
                return pages
            continue
        kids = kids.get_object() if kids is not None else None
        if not isinstance(kids, ArrayObject):
            continue
        if len(kids) > limit:
            return len(kids)
        for kid in reversed(kids):
            kid = kid.get_object()
            if isinstance(kid, DictionaryObject) and kid:
                stack.append((kid, depth + 1))
    return pages


def _page_text(reader: PdfReader, index: int, *, layout: bool = False) -> str:
    page = reader.pages[index]
    try:
        return (page.extract_text(extraction_mode="layout") if layout else page.extract_text()) or ""
    except Exception:  # layout mode trips on some odd fonts; the plain text is still worth having
        if layout:
            return _page_text(reader, index)
        return ""  # one broken page should not lose the book


def check(path: Path) -> None:
    reader, pages = _reader(path)  # refuses more than MAX_PAGES before any page is built
    if pages == 0:
        raise damaged("This PDF has no pages.")
    if not any(_page_text(reader, i).strip() for i in range(min(pages, SAMPLE_PAGES))):
        raise ImportRejected(
            422,
            "no_text",
            "This PDF holds pictures of pages, not text (it was probably scanned). "
            "Use a PDF made from the original document, or type the text in.",
        )


def is_page_number(line: str) -> bool:
    return _PAGE_NUMBER.fullmatch(line.strip()) is not None


def _signature(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Headers and footers: the same first or last line (numbers aside) on many pages."""
    if len(pages) < 4:
        return set()
    edges: Counter[str] = Counter()
    on_page: list[set[str]] = []
    for lines in pages:
        signatures = {_signature(line) for line in (*lines[:1], *lines[-1:])}
        on_page.append(signatures)
        edges.update(signatures)
    frequent = {sig for sig, count in edges.items() if count >= max(3, len(pages) // 3)}
    # A running header is on page after page; "Chapter 7" opening a page now and then is not.
    return {sig for sig in frequent if any(sig in a and sig in b and sig in c for a, b, c in zip(on_page, on_page[1:], on_page[2:]))}


def _typical_length(lines: list[str]) -> float:
    long_lines = sorted(len(line) for line in lines if len(line) > 20)
    return long_lines[len(long_lines) // 2] if long_lines else 60.0


def blocks(path: Path, progress: Callable[[float], None] | None = None) -> list[Block]:
    reader, count = _reader(path)
    pages: list[list[str]] = []
    for index in range(count):
        pages.append(page_lines(_page_text(reader, index, layout=True)))
        if progress is not None:
            progress((index + 1) / count)
    return blocks_from_pages(pages)


def page_lines(text: str) -> list[str]:
    """A page's lines, without the blank ones above and below (found by index: popping the front is quadratic)."""
    lines = [line.rstrip() for line in text.replace("\r", "\n").split("\n")]
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    return lines[start:end]


def blocks_from_pages(pages: list[list[str]]) -> list[Block]:
    """Paragraphs, headings and breaks from each page's lines as layout mode laid them out."""
    running = _running_lines([[line for line in page if line.strip()] for page in pages])

    out: list[Block] = []
    current: list[str] = []
    current_page = 1

    def flush() -> None:
        nonlocal current
        if current:
            text = _join(current)
            if text:
                out.append(para(text, current_page))
        current = []

    for number, lines in enumerate(pages, start=1):
        lines = [line for line in lines if not (line.strip() and (is_page_number(line) or _signature(line) in running))]
        typical = _typical_length([line.strip() for line in lines])
        margin = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
        for i, line in enumerate(lines):
            stripped = line.strip()
            if not stripped:
                flush()
                continue
            if current and len(line) - len(line.lstrip()) >= margin + 2:
                flush()  # an indented first line starts a paragraph
            if is_scene_break(stripped):
                flush()
                out.append(BREAK)
                continue
            if is_chapter_label(stripped) or (not current and names_labelled_chapter(out, stripped)):
                flush()  # "Chapter 3" starts a chapter even right under the last line of a paragraph
                out.append(heading(stripped, 1, number))
                continue
            if not current and len(stripped) <= 60 and looks_like_heading(stripped, _following_text(lines, i)):
                out.append(heading(stripped, 1, number))
                continue
            if not current:
                current_page = number
            current.append(stripped)
            if len(stripped) < 0.75 * typical and stripped.endswith(_SENTENCE_END):
                flush()
        # A page that ends mid-sentence continues on the next page; one that ends a sentence ends its paragraph.
        if current and current[-1].endswith(_SENTENCE_END) and len(current[-1]) < 0.9 * typical:
            flush()
    flush()
    return merge_chapter_labels(out)


def _following_text(lines: list[str], index: int) -> str:
    """The next few lines, to judge whether a short line is a heading."""
    return " ".join(line.strip() for line in lines[index + 1 : index + 6] if line.strip())


def _join(lines: list[str]) -> str:
    return join_lines([" ".join(line.split()) for line in lines])  # layout mode pads with spaces
