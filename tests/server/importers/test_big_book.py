"""A whole book: a 300-page memoir imports in well under a minute here (2 cores), as text, Word and PDF."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.server.api.conftest import new_household, new_persona
from tests.server.importers import makers

PAGES = 300
WORDS_PER_PAGE = 330


def _pages(text: str) -> list[list[str]]:
    """The book's paragraphs laid out on pages of about WORDS_PER_PAGE words, each chapter on a new page."""
    pages: list[list[str]] = [[]]
    words = 0
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("Chapter") and pages[-1]:
            pages.append([])
            words = 0
        pages[-1].append(paragraph.replace("\n", ": ").strip(": "))
        words += len(paragraph.split())
        if words >= WORDS_PER_PAGE - 30:
            pages.append([])
            words = 0
    return [p for p in pages if p]


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("Chapter"):
            document.add_heading(paragraph.replace("\n", ": ").strip(": "), 1)
        elif paragraph.strip():
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["txt", "docx", "pdf"])
def test_300_page_book_imports_in_under_a_minute(data_dir, fmt):
    text = makers.book_text(pages=PAGES, words_per_page=WORDS_PER_PAGE, chapters=30)
    data = {"txt": lambda: text.encode(), "docx": lambda: _docx(text), "pdf": lambda: makers.pdf_bytes(_pages(text))}[fmt]()
    if fmt == "pdf":
        assert len(_pages(text)) >= PAGES
    app = create_app(Settings(data_dir=data_dir, preload_engines=False))
    with TestClient(app) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, memories=False)
        started = time.perf_counter()
        r = client.post(f"/v1/personas/{persona['id']}/sources", files={"file": (f"book.{fmt}", data)}, headers=hh["headers"])
        assert r.status_code == 202, r.text
        accepted = time.perf_counter() - started
        percents = []
        while (job := client.get(r.json()["job_url"], headers=hh["headers"]).json())["state"] not in ("done", "failed"):
            percents.append(job["percent"])
            assert time.perf_counter() - started < 120
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        assert job["state"] == "done", job
        count = job["counts"]["memories"]
        print(
            f"\n300-page book as .{fmt} ({len(text.split())} words, {len(data) // 1024} KB): "
            f"accepted in {accepted:.2f} s, imported in {elapsed:.2f} s, {count} memories, {job['counts']['chapters']} chapters"
        )
        assert elapsed < 60
        assert percents == sorted(percents)  # progress only goes forward
        assert job["counts"]["chapters"] == 30 and 400 <= count <= 900
        found = client.get(f"/v1/personas/{persona['id']}/memories/search", params={"q": "harbour scones"}, headers=hh["headers"]).json()
        assert found
