"""Reading documents into blocks and cutting them into memories: chapters, pages, natural boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.importers import ebook, memoir, pdf, textfile, word
from server.importers.blocks import html_blocks, text_blocks
from server.importers.memoir import MAX_WEIGHT, MIN_WEIGHT, weight
from tests.server.importers import makers


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def titles(blocks) -> list[str]:
    return [b.text for b in blocks if b.kind == "heading"]


def test_plain_text_chapters_are_found_and_named():
    blocks = text_blocks(makers.memoir_text())
    assert titles(blocks) == ["Chapter 1: The Seaside", "Chapter 2: The Bakery", "Chapter 3: Our Wedding"]
    made = memoir.memories(blocks)
    assert [m.title for m in made] == titles(blocks)
    assert made[0].position == "chapter 1, paragraphs 1–2" and made[0].source == "memoir"


def test_markdown_headings_emphasis_and_links():
    blocks = text_blocks("# My Life\n\nSome *very* **dear** [memories](http://x).\n\nSecond\n======\n\nText here.", markdown=True)
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "My Life"),
        ("para", "Some very dear memories."),
        ("heading", "Second"),
        ("para", "Text here."),
    ]


def test_hard_wrapped_text_and_hyphenation_are_mended():
    blocks = text_blocks("We walked along the har-\nbour wall and\nwatched the boats.\n\nNext paragraph.")
    assert blocks[0].text == "We walked along the harbour wall and watched the boats."


def test_one_paragraph_per_line_without_blank_lines():
    blocks = text_blocks("First memory line.\nSecond memory line.\nThird.")
    assert [b.text for b in blocks] == ["First memory line.", "Second memory line.", "Third."]


def test_scene_breaks_and_long_paragraphs_are_boundaries():
    long = " ".join(f"Sentence number {i} tells a little more of the story." for i in range(80))
    blocks = text_blocks(f"{long}\n\n* * *\n\nAfter the break we moved house, and everything changed for all of us that year.")
    made = memoir.memories(blocks)
    assert len(made) >= 3
    assert all(weight(m.text) <= MAX_WEIGHT * 1.3 for m in made)
    assert all(m.text.endswith(".") for m in made)  # cut between sentences, never inside one
    assert made[-1].text.startswith("After the break") or "After the break" in made[-1].text


def test_memories_are_a_few_sentences_to_a_few_paragraphs():
    made = memoir.memories(text_blocks(makers.book_text(pages=20, chapters=4)))
    sizes = [weight(m.text) for m in made]
    assert min(sizes) >= MIN_WEIGHT * 0.5 and max(sizes) <= MAX_WEIGHT * 1.3
    assert len({m.title for m in made}) == 4


def test_chinese_memoir():
    text = (
        "第一章 台州\n\n"
        + "我小时候住在台州，城墙很高，我们每天傍晚都去城墙上散步。" * 8
        + "\n\n第二章 上海\n\n"
        + "后来我们搬到了上海。" * 5
    )
    made = memoir.memories(text_blocks(text))
    assert [m.title for m in made] == ["第一章 台州", "第二章 上海"]


def test_legacy_encodings_are_read(tmp_path):
    path = write(tmp_path, "old.txt", "Caf\xe9 on the pier, 1952 \u2013 we had tea.".encode("cp1252"))
    assert "Café" in textfile.read_text(path)
    path = write(tmp_path, "bom.txt", "\ufeffHello".encode("utf-16"))
    assert textfile.read_text(path) == "Hello"


def test_docx_headings_tables_and_page_breaks(tmp_path):
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.add_heading("The War", 1)
    document.add_paragraph("We slept in the shelter most nights that winter.")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Ration book"
    table.rows[0].cells[1].text = "1941"
    path = tmp_path / "war.docx"
    document.save(path)
    blocks = word.blocks(path)
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "The War"),
        ("para", "We slept in the shelter most nights that winter."),
        ("break", ""),
        ("para", "Ration book | 1941"),
    ]


def test_pdf_pages_paragraphs_and_running_headers(tmp_path):
    pages = [
        [f"My Life · {n}", f"Chapter {n}: Part {n}", *[f"Paragraph {n}.{i} " + "words " * 40 + "end." for i in range(2)]]
        for n in range(1, 6)
    ]
    blocks = pdf.blocks(write(tmp_path, "life.pdf", makers.pdf_bytes(pages)))
    assert titles(blocks) == [f"Chapter {n}: Part {n}" for n in range(1, 6)]
    paragraphs = [b for b in blocks if b.kind == "para"]
    assert len(paragraphs) == 10 and paragraphs[0].page == 1 and paragraphs[-1].page == 5
    assert not any("My Life" in b.text for b in blocks)  # the running header is gone


def test_pdf_paragraph_running_over_a_page_is_joined(tmp_path):
    first = "This sentence starts on the first page and " + "goes on " * 30
    second = "and ends on the second page."
    data = makers.pdf_bytes([[first.strip()], [second]])
    paragraphs = [b for b in pdf.blocks(write(tmp_path, "x.pdf", data)) if b.kind == "para"]
    assert len(paragraphs) == 1 and paragraphs[0].text.endswith("second page.") and paragraphs[0].page == 1


def test_epub_chapters_in_reading_order(tmp_path):
    blocks = ebook.blocks(write(tmp_path, "b.epub", makers.epub_bytes()))
    assert titles(blocks) == ["The Seaside", "The Bakery", "Our Wedding"]


def test_html_blocks_skip_scripts_and_keep_headings():
    blocks = html_blocks(
        "<html><head><title>x</title><script>var a=1</script></head><body><h2>Home</h2><p>One &amp; two.</p><hr><p>Three</p></body></html>"
    )
    assert [(b.kind, b.text) for b in blocks] == [("heading", "Home"), ("para", "One & two."), ("break", ""), ("para", "Three")]


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_no_text_makes_no_memories(data):
    assert memoir.memories(text_blocks(data.decode())) == []
