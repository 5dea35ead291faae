"""Word documents (.docx) with python-docx: headings by paragraph style, page breaks as breaks, tables as lines."""

from __future__ import annotations

from pathlib import Path

from server.importers import safezip
from server.importers.blocks import BREAK, Block, heading, looks_like_heading, merge_chapter_labels, para
from server.importers.errors import damaged

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# python-docx's own message names the file's path on the server: it goes to the log, not here.
_DAMAGED = "This Word document could not be read; it may be damaged. Open it in Word, save it again and try once more."


def check(path: Path) -> None:
    """Safe to unpack and really a Word document (the zip checks run first: python-docx reads every part)."""
    safezip.verify_members(path)
    _open(path)


def _open(path: Path):
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


def blocks(path: Path) -> list[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = _open(path)
    body = document.element.body
    out: list[Block] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            if any(br.get(f"{_W}type") == "page" for br in child.iter(f"{_W}br")) and out:
                out.append(BREAK)  # letters are often one per page
            text = paragraph.text.strip()
            if not text:
                continue
            level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
            out.append(heading(text, level) if level else para(text))
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:
                cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                if cells:
                    out.append(para(" | ".join(dict.fromkeys(cells))))  # merged cells repeat their text
    # Documents typed without heading styles: short title lines still start chapters.
    if not any(b.kind == "heading" for b in out):
        out = [
            heading(b.text) if b.kind == "para" and looks_like_heading(b.text, _next_text(out, i)) else b
            for i, b in enumerate(out)
        ]
    return merge_chapter_labels(out)


def _next_text(blocks: list[Block], index: int) -> str | None:
    return blocks[index + 1].text if index + 1 < len(blocks) else None
