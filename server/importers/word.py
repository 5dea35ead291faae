"""Word documents (.docx) with python-docx: headings by paragraph style, page breaks as breaks, tables as lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from server.importers import counts, safezip
from server.importers.blocks import BREAK, Block, heading, looks_like_heading, merge_chapter_labels, para
from server.importers.errors import damaged

if TYPE_CHECKING:
    from docx.document import Document

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# xmlns:w="...wordprocessingml/2006/main" on the part's root element (or xmlns="..." for no prefix).
_W_PREFIX = re.compile(
    rb"""xmlns(?::([A-Za-z_][\w.\-]{0,40}))?\s{0,20}=\s{0,20}["']http://schemas\.openxmlformats\.org/wordprocessingml/2006/main["']"""
)
_PREFIX_WITHIN = 64 * 1024
# python-docx's own message names the file's path on the server: it goes to the log, not here.
_DAMAGED = "This Word document could not be read; it may be damaged. Open it in Word, save it again and try once more."


def check(path: Path) -> None:
    """Safe to unpack, of a sane size inside, and really a Word document (python-docx reads every part)."""
    check_counts(path)
    _open(path)


def check_counts(path: Path) -> None:
    """Paragraphs and elements in every part, counted as the parts inflate, before python-docx builds any.

    python-docx parses every XML part when it opens a document, whatever the part is called,
    so every part is counted. The paragraph tag's prefix is whatever the part binds to
    Word's namespace (nearly always ``w``). Reading every part to its end also verifies it.
    """
    before = {"paragraphs": 0, "elements": 0}  # in the parts already read

    def count(name: str, chunks: Iterable[bytes]) -> None:
        counted = None
        for chunk in chunks:
            if counted is None:
                counted = counts.StreamCount(counts.TAG_PATTERNS + counts.start_tag_patterns(_word_prefix(chunk), b"p"))
            counted.feed(chunk)
            # Checked as the part streams: a huge part is refused at its first megabytes over the limit.
            paragraphs = before["paragraphs"] + sum(counted[p] for p in counted.counts if p not in counts.TAG_PATTERNS)
            if paragraphs > counts.MAX_PARAGRAPHS:
                raise counts.too_many("paragraphs", counts.MAX_PARAGRAPHS)
            if before["elements"] + counts.start_tags(counted) > counts.MAX_ELEMENTS:
                raise counts.too_many("pieces of formatting", counts.MAX_ELEMENTS)
        if counted is not None:
            before["paragraphs"] = paragraphs
            before["elements"] += counts.start_tags(counted)

    safezip.stream_members(path, count)


def _word_prefix(head: bytes) -> bytes:
    found = _W_PREFIX.search(head[:_PREFIX_WITHIN])
    return (found.group(1) or b"") if found else b"w"


def _open(path: Path) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise damaged(_DAMAGED, detail=exc) from None
    except Exception as exc:  # lxml errors for broken XML inside
        raise damaged(_DAMAGED, detail=exc) from None


def _heading_level(style_name: str) -> int:
    name = style_name.lower()
    if name == "title":
        return 1
    if name.startswith("heading"):
        digits = "".join(c for c in name if c.isdigit())
        return int(digits) if digits else 1
    return 0


def _paragraph_style_names(document: Document) -> tuple[dict[str, str], str]:
    """Paragraph style id -> name, and the default style's name, looked up once.

    python-docx's ``paragraph.style`` searches every style of the document for each paragraph
    (milliseconds each: minutes for a long book); a missing or unknown id means the default, as there.
    """
    from docx.enum.style import WD_STYLE_TYPE

    names = {style.style_id: style.name or "" for style in document.styles if style.type == WD_STYLE_TYPE.PARAGRAPH}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    return names, (default.name or "") if default is not None else ""


def blocks(path: Path) -> list[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_counts(path)  # again: the job may be handed a file no upload check saw
    document = _open(path)
    body = document.element.body
    style_names, default_style = _paragraph_style_names(document)
    out: list[Block] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            if any(br.get(f"{_W}type") == "page" for br in child.iter(f"{_W}br")) and out:
                out.append(BREAK)  # letters are often one per page
            if not any(t.text and t.text.strip() for t in child.iter(f"{_W}t")):
                continue  # no words at all: skips python-docx's slow text (an XPath query) for empty lines
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if not text:
                continue
            level = _heading_level(style_names.get(child.style, default_style))
            out.append(heading(text, level) if level else para(text))
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:
                cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                if cells:
                    out.append(para(" | ".join(dict.fromkeys(cells))))  # merged cells repeat their text
    # Documents typed without heading styles: short title lines still start chapters.
    if not any(b.kind == "heading" for b in out):
        out = [heading(b.text) if b.kind == "para" and looks_like_heading(b.text, _next_text(out, i)) else b for i, b in enumerate(out)]
    return merge_chapter_labels(out)


def _next_text(blocks: list[Block], index: int) -> str | None:
    return blocks[index + 1].text if index + 1 < len(blocks) else None
