"""Documents are counted before anything is built from them: far too many paragraphs or pages is refused at once.

The attack: a 17.6 MB .docx of three million empty paragraphs, stored without compression
(so the zip-bomb check sees nothing unusual), grew the server by 2 GB. Here such a file is
refused from a stream of its bytes; its cost is compared with reading an ordinary document
of about the same size in the same run (ratios, never absolute numbers).
"""

from __future__ import annotations

import io
import random
import re
import time
import tracemalloc
import zipfile

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.importers import chat, counts, ebook, pdf, textfile, word
from server.importers.blocks import html_blocks, text_blocks
from server.importers.errors import ImportRejected
from tests.server.api.conftest import new_household, new_persona
from tests.server.importers import makers

SENTENCE = b"We walked along the harbour wall and counted the boats coming home before the rain. "


def docx_with_body(body: bytes) -> bytes:
    """A real Word document (from python-docx) whose body starts with ``body``, stored uncompressed."""
    base = zipfile.ZipFile(io.BytesIO(makers.docx_bytes()))
    members = {entry.filename: base.read(entry.filename) for entry in base.infolist()}
    document = members["word/document.xml"]
    start = document.index(b"<w:body>") + len(b"<w:body>")
    members["word/document.xml"] = document[:start] + body + document[start:]
    return makers.zip_bytes(members, compression=zipfile.ZIP_STORED)


def _cost(read) -> tuple[float, int, ImportRejected | None]:
    """CPU seconds and the peak of Python's allocations while ``read`` runs; the refusal, if any."""
    tracemalloc.start()
    started = time.process_time()
    refused = None
    try:
        read()
    except ImportRejected as err:
        refused = err
    took = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return took, peak, refused


def assert_plain_refusal(err: ImportRejected | None, what: str) -> None:
    assert err is not None and err.status == 413, err
    assert what in err.message and "/" not in err.message and "Error" not in err.message, err.message


# --- counting across chunk edges -----------------------------------------------------------


def test_stream_count_finds_every_match_whatever_the_chunks():
    rng = random.Random(17)
    patterns = (b"<", b"</", b"<w:p>", b"<w:p/", b"<w:p ")
    for _ in range(200):
        data = bytes(rng.choice(b"<w:p/> a") for _ in range(rng.randint(0, 400)))
        counted = counts.StreamCount(patterns)
        start = 0
        while start < len(data):
            size = rng.choice((1, 2, 3, 5, 64))
            counted.feed(data[start : start + size])
            start += size
        assert counted.counts == {p: data.count(p) for p in patterns}, data


# --- Word ---------------------------------------------------------------------------------------


def test_empty_paragraph_docx_is_refused_before_it_is_built(tmp_path):
    """Twice the limit of empty paragraphs (2.4 MB, stored) against an ordinary document a little larger."""
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_with_body(b"<w:p/>" * (2 * counts.MAX_PARAGRAPHS)))
    paragraph = b"<w:p><w:r><w:t>" + SENTENCE * 8 + b"</w:t></w:r></w:p>"
    normal = tmp_path / "normal.docx"
    normal.write_bytes(docx_with_body(paragraph * (bomb.stat().st_size // len(paragraph) + 1)))
    assert normal.stat().st_size >= bomb.stat().st_size

    word.check(normal)  # warm: imports and caches are not what is compared
    normal_s, normal_peak, refused = _cost(lambda: (word.check(normal), word.blocks(normal)))
    assert refused is None
    bomb_s, bomb_peak, refused = _cost(lambda: word.check(bomb))
    assert_plain_refusal(refused, "paragraphs")
    # Refusing streams the file a chunk at a time: far less than reading an ordinary document of the same size.
    print(
        f"\nrefused {bomb.stat().st_size // 1024} KB of empty paragraphs: {bomb_s * 1000:.0f} ms, peak {bomb_peak // 1024} KB; "
        f"read {normal.stat().st_size // 1024} KB of text: {normal_s * 1000:.0f} ms, peak {normal_peak // 1024} KB"
    )
    assert bomb_peak < normal_peak / 3
    assert bomb_s < normal_s / 5
    # The job checks again before reading (it may be handed a file no upload check saw).
    with pytest.raises(ImportRejected):
        word.blocks(bomb)


def test_paragraphs_are_counted_with_any_prefix_and_any_way_of_closing(tmp_path, monkeypatch):
    monkeypatch.setattr(counts, "MAX_PARAGRAPHS", 50)
    base = docx_with_body(b"")
    ok = tmp_path / "ok.docx"
    ok.write_bytes(docx_with_body(b"<w:p></w:p>" * 20))
    word.check(ok)
    for body in (b"<w:p></w:p>" * 60, b'<w:p w:rsidR="00A1"/>' * 60, b"<w:p\n/>" * 60):
        path = tmp_path / "many.docx"
        path.write_bytes(docx_with_body(body))
        with pytest.raises(ImportRejected) as err:
            word.check(path)
        assert_plain_refusal(err.value, "paragraphs")
    # Word's namespace bound to another prefix: still paragraphs.
    archive = zipfile.ZipFile(io.BytesIO(base))
    members = {entry.filename: archive.read(entry.filename) for entry in archive.infolist()}
    renamed = re.sub(rb"(</?)w:", rb"\1x:", members["word/document.xml"]).replace(b"xmlns:w=", b"xmlns:x=")
    start = renamed.index(b"<x:body>") + len(b"<x:body>")
    members["word/document.xml"] = renamed[:start] + b"<x:p/>" * 60 + renamed[start:]
    path = tmp_path / "prefixed.docx"
    path.write_bytes(makers.zip_bytes(members))
    with pytest.raises(ImportRejected) as err:
        word.check(path)
    assert_plain_refusal(err.value, "paragraphs")


def test_too_much_formatting_is_refused(tmp_path, monkeypatch):
    """Paragraph-free markup (three million empty runs in one paragraph) is the same attack by other means."""
    monkeypatch.setattr(counts, "MAX_ELEMENTS", 5_000)
    path = tmp_path / "runs.docx"
    path.write_bytes(docx_with_body(b"<w:p>" + b"<w:r/>" * 6_000 + b"</w:p>"))
    with pytest.raises(ImportRejected) as err:
        word.check(path)
    assert_plain_refusal(err.value, "formatting")


def test_refused_through_the_api_with_nothing_kept(data_dir):
    app = create_app(Settings(data_dir=data_dir, preload_engines=False))
    with TestClient(app) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, memories=False)
        data = docx_with_body(b"<w:p/>" * (counts.MAX_PARAGRAPHS + 10))
        r = client.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("memoir.docx", data)}, headers=hh["headers"])
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text
        assert "paragraphs" in r.json()["error"]["message"]
        assert client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json() == []
        assert not list((data_dir / "uploads").glob("*"))


# --- PDF ------------------------------------------------------------------------------------------


def pdf_page_tree(kids_of_root: list[int], pages: dict[int, list[int] | None], declared: int) -> bytes:
    """A PDF made only of a page tree: object 2 is the root of it; each numbered node is a branch (its kids) or a page (None)."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 3: b"<< /Length 0 >>\nstream\n\nendstream"}
    refs = " ".join(f"{k} 0 R" for k in kids_of_root)
    objects[2] = f"<< /Type /Pages /Kids [{refs}] /Count {declared} >>".encode()
    for number, kids in pages.items():
        if kids is None:
            objects[number] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 3 0 R >>"
        else:
            refs = " ".join(f"{k} 0 R" for k in kids)
            objects[number] = f"<< /Type /Pages /Parent 2 0 R /Kids [{refs}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n" % size
    for number in range(size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _flat(count: int) -> bytes:
    return pdf_page_tree(list(range(10, 10 + count)), {n: None for n in range(10, 10 + count)}, declared=count)


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("too_many_pages", lambda: _flat(pdf.MAX_PAGES + 1)),
        # The page count it declares is a lie: the tree itself is counted.
        (
            "count_that_lies",
            lambda: pdf_page_tree(
                list(range(10, 10 + pdf.MAX_PAGES + 5)), {n: None for n in range(10, 10 + pdf.MAX_PAGES + 5)}, declared=1
            ),
        ),
        # One branch of 100 pages named 100 times: 10,000 pages from a file of 101 page objects.
        ("branch_repeated", lambda: pdf_page_tree([10] * 100, {10: list(range(11, 111)), **{n: None for n in range(11, 111)}}, declared=1)),
        # A branch that holds itself: a walk that never ends.
        ("loop", lambda: pdf_page_tree([10], {10: [10, 11], 11: None}, declared=1)),
    ],
)
def test_pdf_page_tree_is_counted_before_pages_are_built(tmp_path, case, make):
    from pypdf import PdfReader

    path = tmp_path / f"{case}.pdf"
    path.write_bytes(make())
    reader = PdfReader(str(path), strict=False)
    assert pdf.count_pages(reader) > pdf.MAX_PAGES
    assert reader.flattened_pages is None  # no page object was built to find that out
    with pytest.raises(ImportRejected) as err:
        pdf.check(path)
    assert err.value.status == 413 and "/" not in err.value.message and "pages" in err.value.message


def test_pdf_within_the_limit_is_counted_right(tmp_path):
    from pypdf import PdfReader

    path = tmp_path / "ok.pdf"
    path.write_bytes(_flat(120))
    assert pdf.count_pages(PdfReader(str(path), strict=False)) == 120
    path.write_bytes(makers.memoir_pdf())
    assert pdf.count_pages(PdfReader(str(path), strict=False)) == 3


# --- EPUB, HTML and text ------------------------------------------------------------------------------


def test_epub_is_counted_before_ebooklib_reads_it(tmp_path, monkeypatch):
    chapters = [(f"Chapter {n}", [f"Paragraph {i} of chapter {n}." for i in range(30)]) for n in range(1, 8)]
    path = tmp_path / "book.epub"
    path.write_bytes(makers.epub_bytes(chapters))
    ebook.check(path)  # within every limit

    monkeypatch.setattr(ebook, "MAX_SPINE_ITEMS", 5)
    with pytest.raises(ImportRejected) as err:
        ebook.check(path)
    assert_plain_refusal(err.value, "chapters")
    monkeypatch.undo()

    monkeypatch.setattr(counts, "MAX_PARAGRAPHS", 100)
    with pytest.raises(ImportRejected) as err:
        ebook.check(path)
    assert_plain_refusal(err.value, "paragraphs")
    monkeypatch.undo()

    monkeypatch.setattr(ebook, "MAX_MARKUP_BYTES", 2048)
    with pytest.raises(ImportRejected) as err:
        ebook.check(path)
    assert_plain_refusal(err.value, "markup")


def test_html_and_text_stop_at_the_paragraph_limit(monkeypatch):
    monkeypatch.setattr(counts, "MAX_PARAGRAPHS", 1_000)
    assert len(html_blocks("<p>a</p>" * 900)) == 900
    with pytest.raises(ImportRejected) as err:
        html_blocks("<p>a</p>" * 1_100)  # divs, list items, cells: anything that makes a block counts
    assert_plain_refusal(err.value, "paragraphs")
    with pytest.raises(ImportRejected) as err:
        text_blocks("a\n\n" * 1_100)
    assert_plain_refusal(err.value, "paragraphs")
    monkeypatch.setattr(counts, "MAX_LINES", 2_000)
    with pytest.raises(ImportRejected) as err:
        text_blocks("\n" * 2_500)
    assert_plain_refusal(err.value, "lines")
    # A chat export too (a text file is tried as a chat while the upload is checked).
    assert chat.parse("Rose: hello there\nAnne: hi\n" * 500) is not None
    with pytest.raises(ImportRejected) as err:
        chat.parse("Rose: hello there\r\nAnne: hi\r\n" * 1_100)
    assert_plain_refusal(err.value, "lines")


def test_text_file_refused_in_the_job_with_a_plain_message(tmp_path, monkeypatch):
    monkeypatch.setattr(counts, "MAX_PARAGRAPHS", 1_000)
    path = tmp_path / "notes.txt"
    path.write_text("A line.\n\n" * 1_500)
    with pytest.raises(ImportRejected) as err:
        textfile.blocks(path, "txt")
    assert_plain_refusal(err.value, "paragraphs")
    # Raised inside an import job, it is a failure whose message the caregiver reads as it is.
    from server.jobs import JobFailed

    assert isinstance(err.value, JobFailed) and err.value.messages == [err.value.message]
