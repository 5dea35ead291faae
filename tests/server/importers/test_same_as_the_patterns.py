"""The linear-time scanners in the importers give exactly what the regular expressions they replace gave.

The old patterns are kept here as the reference: on short strings their
backtracking does not matter, and any string where the two disagree is a
change in how real files are read.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from server.importers import blocks, chat, pdf

OLD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
OLD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
OLD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
OLD_EDITED = re.compile(r"\s*<this message was edited>\s*$", re.IGNORECASE)
OLD_PAGE_NUMBER = re.compile(r"^\s*(page\s+)?[-–]?\s*(\d{1,4}|[ivxlc]{1,6})\s*[-–]?\s*(of\s+\d+)?\s*$", re.IGNORECASE)


def old_paragraph_text(lines: list[str]) -> str:
    out = ""
    for line in lines:
        line = line.strip()
        if not out:
            out = line
        elif out.endswith("-") and line[:1].islower() and len(out) > 1 and out[-2].isalpha():
            out = out[:-1] + line
        elif out[-1:] >= "\u3000" and line[:1] >= "\u3000":
            out += line
        else:
            out += " " + line
    return out


# Few characters, chosen to hit every branch: marks, brackets, spaces of several kinds, a newline, CJK.
MARKDOWN = st.text(alphabet="#*_`[]()!ab \t\u3000\n-字", max_size=40)
LINE_PARTS = st.lists(st.text(alphabet="ab-A -字\u3000", max_size=6), max_size=6)
PAGE_LINES = st.text(alphabet=" \t-–pagePAGEof0123456789ivxlcIVXz", max_size=30)
CHAT_TEXT = st.text(alphabet=" \t\nab<>", max_size=20).map(lambda s: s.replace("<>", "<this message was edited>"))


def old_heading(line: str):
    match = OLD_HEADING.match(line)
    return (len(match.group(1)), match.group(2)) if match else None


@settings(max_examples=3000, deadline=None)
@given(MARKDOWN)
def test_markdown_headings(line):
    line = line.replace("\n", " ")  # a heading is one line
    assert blocks.markdown_heading(line) == old_heading(line)


@settings(max_examples=3000, deadline=None)
@given(MARKDOWN)
def test_markdown_links(text):
    assert blocks._strip_links(text) == OLD_LINK.sub(r"\1", text)


@settings(max_examples=3000, deadline=None)
@given(MARKDOWN)
def test_markdown_emphasis(text):
    assert blocks._strip_emphasis(text) == OLD_EMPHASIS.sub(r"\2", text)


@settings(max_examples=2000, deadline=None)
@given(LINE_PARTS)
def test_paragraph_lines_joined(lines):
    assert blocks._paragraph_text(lines) == old_paragraph_text(lines)


@settings(max_examples=2000, deadline=None)
@given(PAGE_LINES)
def test_page_numbers(line):
    assert pdf.is_page_number(line) == bool(OLD_PAGE_NUMBER.match(line))


@settings(max_examples=2000, deadline=None)
@given(CHAT_TEXT)
def test_edited_marks(text):
    assert chat.without_edited_mark(text) == OLD_EDITED.sub("", text)


def test_examples_from_real_files():
    assert blocks.markdown_heading("## The War Years ##") == (2, "The War Years")
    assert blocks.markdown_heading("#hashtag") is None
    assert blocks._strip_links("See ![the pier](pier.jpg) and [our house](http://x/y).") == "See the pier and our house."
    assert blocks._strip_emphasis("It was **so** cold, _ever_ so `cold`.") == "It was so cold, ever so cold."
    assert blocks._paragraph_text(["We remem-", "bered it", "all."]) == "We remembered it all."
    assert pdf.is_page_number("  - 12 -  ") and pdf.is_page_number("Page 3 of 200") and not pdf.is_page_number("12 Rose Street")
    assert chat.without_edited_mark("See you soon <This message was edited>") == "See you soon"


def old_pieces(messages):
    from server.importers.memoir import MAX_WEIGHT, TARGET_WEIGHT, weight

    runs = [[]]
    for message in messages:
        size = sum(weight(m.text) for m in runs[-1])
        if runs[-1] and size + weight(message.text) > MAX_WEIGHT:
            runs.append([])
        runs[-1].append(message)
        if size + weight(message.text) >= TARGET_WEIGHT * 1.5:
            runs.append([])
    return [run for run in runs if run]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=1700), max_size=40))
def test_chat_runs(sizes):
    messages = [chat.Message(sender="Rose", text="a" * size, number=n) for n, size in enumerate(sizes, start=1)]
    assert [[m.number for m in run] for run in chat._pieces(messages)] == [[m.number for m in run] for run in old_pieces(messages)]
