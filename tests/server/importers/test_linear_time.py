"""Every importer reads a file in time proportional to its size, whatever the file holds.

An uploaded file is untrusted: a run of spaces, '#', '*', '[' or '<a' that makes a parser
backtrack or rebuild a string again and again would hold the interpreter for seconds to
minutes. Each importer's parse function is fed the pathological texts of
tests/server/test_text_linear_time.py, and shapes that only files have (lines, blank lines,
indents, headings, letters, chat lines), at 10 KB and 100 KB; the same measurement
applies (CPU time of the parse call only, best of a few runs, ratios between sizes).
A file's preparation (writing the .docx or .epub) is not timed.
"""

from __future__ import annotations

import gc
import io
import tempfile
import zipfile
from itertools import cycle, islice
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from server.importers import chat, ebook, letters, memoir, pdf, word
from server.importers.blocks import html_blocks, text_blocks
from tests.server.importers import makers
from tests.server.test_text_linear_time import MAX_GROWTH, PATHOLOGICAL, _cpu_time

# From 10 KB: below a few KB, a memoir is one memory and a paragraph is not cut, so smaller sizes
# measure a different path. Ten times the file may take at most MAX_GROWTH times as long.
SIZES = (10_000, 100_000)
# CPU seconds at 10 KB past which the 100 KB run is not tried: it would take minutes if quadratic.
SMALL_BUDGET_S = 0.5


def _repeat(piece: str, size: int) -> str:
    return "".join(islice(cycle(piece), size))


# Shapes only files have: many lines, and the marks importers look for at a line's start.
FILE_SHAPES = {
    "lines": lambda n: _repeat("a\n", n),
    "blank_lines": lambda n: "a" + "\n" * (n - 2) + "b",
    "leading_blank_lines": lambda n: " \n" * (n // 2 - 1) + "b",
    "paragraphs": lambda n: _repeat("A short paragraph.\n\n", n),
    "indented_lines": lambda n: _repeat(" " * 300 + "x\n", n),
    "spaces_then_text": lambda n: " " * (n - 10) + "and then\n",
    "heading_lines": lambda n: _repeat("# a\n", n),
    "spaced_heading": lambda n: "# a" + " " * (n - 5) + "b\n",
    "setext": lambda n: _repeat("Title\n=====\n", n),
    "quotes": lambda n: _repeat("> ", n) + "x",
    "page_numbers": lambda n: _repeat("12\n\n", n),
    "chapter_lines": lambda n: _repeat("Chapter 1\n\n", n),
    "scene_breaks": lambda n: _repeat("* * *\n\n", n),
    "letter_marks": lambda n: _repeat("Dear Arthur,\n\nAll my love,\nRose\n\n", n),
    "chat_lines": lambda n: _repeat("12/31/21, 9:41 PM - Rose: hello\n", n),
    "chat_continuations": lambda n: "12/31/21, 9:41 PM - Rose: hello\n" + _repeat("and more\n", n),
    "plain_chat_lines": lambda n: _repeat("Rose: hello there\n", n),
    "edited_marks": lambda n: "12/31/21, 9:41 PM - Rose: " + _repeat("<this message was edited> ", n),
}
SHAPES = {**PATHOLOGICAL, **FILE_SHAPES}


# --- each importer's parse function, and what it is given ------------------------------------------


def _as_chat_message(text: str) -> str:
    """The text as what one person wrote in a WhatsApp export (its lines as continuation lines)."""
    return "12/31/21, 9:40 PM - Anne: Morning Mum\n12/31/21, 9:41 PM - Rose: " + text + "\n12/31/21, 9:42 PM - Anne: x\n"


def _chat(text: str):
    parsed = chat.parse(text)
    if parsed is not None and parsed.messages:
        return chat.memories(parsed, parsed.messages[0].sender)
    return None


def _pdf_pages(text: str) -> list[str]:
    """The text cut into pages of 60 lines, as pypdf's layout mode gives a page: one string."""
    lines = text.split("\n")
    return ["\n".join(lines[start : start + 60]) for start in range(0, len(lines), 60)]


def _pdf_lines(pages: list[str]):
    return pdf.blocks_from_pages([pdf.page_lines(page) for page in pages])


# Removed when the test process ends; each file is written over by the next of its kind (one is measured at a time).
_TEMPORARY = tempfile.TemporaryDirectory(prefix="keepsake-linear-")
_FOLDER = Path(_TEMPORARY.name)


def _docx(text: str) -> Path:
    """A Word document with the text in paragraphs, one per line (the way Word keeps them)."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in text.split("\n"))
    base = zipfile.ZipFile(io.BytesIO(_docx_template()))
    members = {entry.filename: base.read(entry.filename) for entry in base.infolist()}
    document = members["word/document.xml"]
    start = document.index(b"<w:body>") + len(b"<w:body>")
    members["word/document.xml"] = document[:start] + body.encode() + document[start:]
    path = _FOLDER / "measured.docx"
    # Stored: a repetitive document deflates past the zip-bomb ratio, which is not what is measured here.
    path.write_bytes(makers.zip_bytes(members, compression=zipfile.ZIP_STORED))
    return path


_TEMPLATE: list[bytes] = []


def _docx_template() -> bytes:
    if not _TEMPLATE:
        _TEMPLATE.append(makers.docx_bytes([]))
    return _TEMPLATE[0]


def _html(text: str) -> str:
    return "<html><body>" + "".join(f"<p>{escape(line)}</p>" for line in text.split("\n")) + "</body></html>"


def _epub(text: str) -> Path:
    """An e-book of the text as HTML (also raw, unescaped: the markup in the shapes is then markup)."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("keepsake-linear")
    book.set_title("Linear")
    book.set_language("en")
    escaped = epub.EpubHtml(title="One", file_name="one.xhtml", lang="en")
    escaped.content = _html(text)
    raw = epub.EpubHtml(title="Two", file_name="two.xhtml", lang="en")
    raw.content = "<html><body><p>" + text + "</p></body></html>"
    for item in (escaped, raw):
        book.add_item(item)
    book.toc = [escaped, raw]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", escaped, raw]
    path = _FOLDER / "measured.epub"
    epub.write_epub(str(path), book)
    return path


def _same(text: str) -> str:
    return text


# name -> (prepare: text -> what the parser takes, untimed; parse: timed)
IMPORTERS = {
    "memoir.txt": (_same, lambda text: memoir.memories(text_blocks(text))),
    "memoir.md": (_same, lambda text: memoir.memories(text_blocks(text, markdown=True))),
    "letters": (text_blocks, letters.memories),
    "chat": (_same, _chat),
    "chat.one_message": (_as_chat_message, _chat),
    "pdf.lines": (_pdf_pages, _pdf_lines),
    "pdf.one_page": (lambda text: [text], _pdf_lines),  # all of it on one page: blank lines, indents, one long line
    "html": (_same, lambda text: memoir.memories(html_blocks(text))),
    "html.escaped": (_html, html_blocks),
    "docx": (_docx, word.blocks),
    "epub": (_epub, ebook.blocks),
}

# Every importer gets these; each also gets the shapes its own patterns could trip on.
COMMON = ("spaces", "hashes", "stars", "brackets", "tags", "digits", "cjk", "mixed")
LINES = ("lines", "blank_lines", "leading_blank_lines")
EXTRA = {
    "memoir.txt": LINES
    + (
        "paragraphs",
        "indented_lines",
        "spaces_then_text",
        "chapter_lines",
        "scene_breaks",
        "page_numbers",
        "repeated_sentences",
        "stops",
        "dots_then_word",
        "one_long_word",
        "spaced_cjk",
    ),
    "memoir.md": LINES
    + (
        "heading_lines",
        "spaced_heading",
        "setext",
        "quotes",
        "spaces_after_a_word",
        "letters_and_symbols",
        "apostrophes",
        "single_letters",
    ),
    "letters": LINES + ("letter_marks", "paragraphs", "spaced_digits", "chapter_lines", "repeated_words"),
    "chat": LINES + ("chat_lines", "chat_continuations", "plain_chat_lines", "edited_marks", "spaced_digits"),
    "chat.one_message": LINES + ("spaces_after_a_word", "stops", "edited_marks", "letters_and_hyphens"),
    "pdf.lines": LINES
    + (
        "indented_lines",
        "spaces_then_text",
        "page_numbers",
        "chapter_lines",
        "scene_breaks",
        "paragraphs",
        "spaced_digits",
        "repeated_sentences",
    ),
    "pdf.one_page": LINES + ("indented_lines", "spaces_then_text", "page_numbers"),
    "html": (),  # the markup in the shapes as markup; html.escaped takes the lines
    "html.escaped": LINES + ("paragraphs",),
    "epub": LINES + ("paragraphs",),
    # A paragraph per line: python-docx takes ~40 µs for each, so tens of thousands of one-letter
    # lines would take the file's whole time budget; the line shapes are measured on the others.
    "docx": ("paragraphs",),
}


def growth(prepare, parse, make) -> float | None:
    """How much longer the larger size took than the smaller (None: the smaller was already too slow).

    Measured as in test_text_linear_time, with the input prepared, untimed, before each size.
    """
    took = []
    for size in SIZES:
        prepared = prepare(make(size))
        parse(prepared)  # once untimed: a first call's one-time costs (imports, compiled patterns, fresh memory) are not growth
        # The cyclic collector off while timing: its sweeps cost what the whole test process holds,
        # not what this parse does, and one landing in a run is noise (reference counting still frees).
        gc.collect()
        gc.disable()
        try:
            took.append(_cpu_time(lambda _variant, prepared=prepared: parse(prepared), "", least_runs=2))
        finally:
            gc.enable()
        if took[0] > SMALL_BUDGET_S:
            return None
    return took[1] / took[0]


CASES = [pytest.param(name, shape, id=f"{name}-{shape}") for name in IMPORTERS for shape in dict.fromkeys(COMMON + EXTRA[name])]


@pytest.mark.parametrize(("name", "shape"), CASES)
def test_importer_takes_linear_time(name: str, shape: str):
    prepare, parse = IMPORTERS[name]
    ratio = growth(prepare, parse, SHAPES[shape])
    assert ratio is not None, f"{name} on {shape}: 10 KB already took more than {SMALL_BUDGET_S} s"
    assert ratio <= MAX_GROWTH, f"{name} on {shape}: a ten times larger file took {ratio:.0f}x as long"
