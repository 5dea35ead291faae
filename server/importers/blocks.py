"""Documents as a flat list of blocks: headings, paragraphs and breaks, each with its page if known.

Every document reader (text, Markdown, HTML, Word, PDF, e-book) produces
blocks; the memoir and letter splitters work on blocks only, so they do not
care where the words came from.

Everything here reads uploaded text, so everything here takes linear time:
the regular expressions are anchored and have no two unbounded quantifiers
that can share characters, Markdown's headings, links and emphasis are found
by scanning instead (their natural patterns backtrack cubically on a line of
spaces), strings are built in lists, and HTML goes through libxml2 (Python's
own html.parser is quadratic on "<a<a<a...").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

from server.importers import counts


@dataclass(frozen=True)
class Block:
    kind: Literal["heading", "para", "break"]
    text: str = ""
    level: int = 0  # headings: 1 (chapter) to 6
    page: int | None = None  # PDF page, 1-based


def heading(text: str, level: int = 1, page: int | None = None) -> Block:
    return Block("heading", text, level, page)


def para(text: str, page: int | None = None) -> Block:
    return Block("para", text, 0, page)


BREAK = Block("break")

# --- telling a heading from a paragraph in plain text ---------------------------------

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second|third|fourth|fifth|last|final)"
)
_CHAPTER_WORD = re.compile(
    rf"^(?:chapter|part|book)\s+(?:\d{{1,3}}|[ivxlc]{{1,7}}|{_NUMBER_WORDS}(?:[-\s]{_NUMBER_WORDS})?)\b"
    r"|^(?:prologue|epilogue|preface|foreword|afterword|introduction|interlude)\b"
    r"|^第[一二三四五六七八九十百零〇两\d]{1,6}[章节回部篇卷]",
    re.IGNORECASE,
)
# "7", "7.", "IV", "7. The War Years", "IV) Home" (a number and a title need the dot: "12 Rose Street" is no heading)
_NUMBERED = re.compile(r"^(\d{1,3}|[IVXLC]{1,7})([.):]\s*\S.*|[.):]?)$")
_NUMBER_ONLY = re.compile(r"^(\d{1,3}|[IVXLC]{1,7})[.):]?$")
_SCENE_BREAK = re.compile(r"^\s*([*#~=_\-–—•·]\s*){3,}$|^\s*[*#~•]\s*$")
_END_PUNCTUATION = tuple('.!?;,:。！？；，：…"”’)')
_SENTENCE_ENDS = tuple(".!?。！？…")


def is_scene_break(line: str) -> bool:
    return bool(_SCENE_BREAK.match(line))


def looks_like_heading(line: str, next_text: str | None = None) -> bool:
    """A lone short line that names a chapter: "Chapter 3", "PART TWO", "7. The War Years", "第三章 台州"."""
    line = line.strip()
    if not line or len(line) > 80 or "\n" in line:
        return False
    if (_CHAPTER_WORD.match(line) and len(line.split()) <= 10 and not line.endswith(_END_PUNCTUATION[:3])) or _NUMBER_ONLY.match(line):
        return True
    if _NUMBERED.match(line) and len(line.split()) <= 10 and not line.endswith(_END_PUNCTUATION[:3]):
        return True
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters if c.isascii()) and any(c.isascii() for c in letters):
        return len(line.split()) <= 10  # ALL CAPS TITLE
    # A short line with no closing punctuation, in title form, followed by a long paragraph.
    if next_text is not None and len(next_text) >= 120 and len(line) <= 60 and len(line.split()) <= 8:
        if line.endswith(_END_PUNCTUATION):
            return False
        first = line[0]
        return first.isupper() or first.isdigit() or "\u4e00" <= first <= "\u9fff"
    return False


# --- plain text and Markdown -----------------------------------------------------------

_MD_HEADING_MARK = re.compile(r"(#{1,6})\s")
_MD_SETEXT = re.compile(r"^(=+|-+)\s*$")
_MD_QUOTE = re.compile(r"^\s*>\s?")
_EMPHASIS_MARKS = re.compile(r"[*_`]")


def markdown_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading ("## The War Years ##"), or None.

    What ``^(#{1,6})\\s+(.*?)\\s*#*\\s*$`` matched, without its cubic backtracking on a
    line of spaces: the marks, white space, then the text without the closing marks.
    """
    mark = _MD_HEADING_MARK.match(line)
    if mark is None:
        return None
    text = line[mark.end(1) :].strip().rstrip("#").rstrip()
    return len(mark.group(1)), text


def _strip_links(text: str) -> str:
    """``[words](address)`` and ``![words](picture)`` become ``words``, as ``!?\\[([^\\]]*)\\]\\([^)]*\\)`` would.

    The regular expression scans from every "[" to the next "]" again (quadratic on "[[[["):
    here the next "]" is looked up once and reused by every "[" before it.
    """
    if "[" not in text:
        return text
    out: list[str] = []
    done = 0  # text before this is already in out
    close = -1  # the first "]" at or after the current "["
    start = text.find("[")
    while start != -1:
        if close < start:
            close = text.find("]", start)
            if close == -1:
                break  # no "]" after here: no more links
        if text.startswith("(", close + 1):
            end = text.find(")", close + 2)
            if end == -1:
                break  # no ")" after here: no more links
            begin = start - 1 if start > done and text[start - 1] == "!" else start
            out += (text[done:begin], text[start + 1 : close])
            done = end + 1
            start = text.find("[", done)
        else:
            start = text.find("[", start + 1)
    out.append(text[done:])
    return "".join(out)


def _strip_emphasis(text: str) -> str:
    """``**bold**``, ``__bold__``, ``*it*``, ``_it_`` and ``code`` lose their marks, as
    ``(\\*\\*|__|\\*|_|`)(?=\\S)(.+?)(?<=\\S)\\1`` would.

    The regular expression looks for the closing mark afresh from every opening one (quadratic on
    "*a *a *a"); here each mark's possible closings (the mark after a non-space) are listed once
    and the first one past an opening is found by bisection.
    """
    if not _EMPHASIS_MARKS.search(text):
        return text
    closings: dict[str, list[int]] = {}

    def closing_after(mark: str, first: int, line_end: int) -> int | None:
        if mark not in closings:
            found, at = [], text.find(mark, 1)
            while at != -1:
                if not text[at - 1].isspace():
                    found.append(at)
                at = text.find(mark, at + 1)
            closings[mark] = found
        positions = closings[mark]
        index = bisect_left(positions, first)
        return positions[index] if index < len(positions) and positions[index] < line_end else None

    out: list[str] = []
    done = 0
    found = _EMPHASIS_MARKS.search(text)
    while found is not None:
        at, char = found.start(), found.group()
        matched = None
        for mark in (char * 2, char) if char != "`" else (char,):
            inner = at + len(mark)
            if not text.startswith(mark, at) or inner >= len(text) or text[inner].isspace():
                continue
            line_end = text.find("\n", inner)
            close = closing_after(mark, inner + 1, len(text) if line_end == -1 else line_end)
            if close is not None:
                matched = (inner, close, close + len(mark))
                break
        if matched is None:
            found = _EMPHASIS_MARKS.search(text, at + 1)
            continue
        inner, close, after = matched
        out += (text[done:at], text[inner:close])
        done = after
        found = _EMPHASIS_MARKS.search(text, after)
    out.append(text[done:])
    return "".join(out)


def _markdown_inline(text: str) -> str:
    return _strip_emphasis(_strip_links(text))


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph joined: hard-wrapped prose becomes one line, words split by a hyphen are mended.

    Built in a list (adding to one string is quadratic on a long paragraph); ``tail`` holds the
    last two characters so far, all the mending needs to see.
    """
    parts: list[str] = []
    tail = ""
    for line in lines:
        if not tail:
            piece = line
        elif tail.endswith("-") and line[:1].islower() and len(tail) > 1 and tail[-2].isalpha():
            parts[-1] = parts[-1][:-1]  # the hyphen goes: "remem-" + "ber"
            tail = tail[:-1]
            piece = line
        elif tail[-1:] >= "\u3000" and line[:1] >= "\u3000":
            piece = line  # Chinese has no spaces between lines
        else:
            piece = " " + line
        if piece:
            parts.append(piece)
            tail = (tail + piece)[-2:]
    return "".join(parts)


def _paragraph_text(lines: list[str]) -> str:
    return join_lines([line.strip() for line in lines])


def text_blocks(text: str, *, markdown: bool = False) -> list[Block]:
    """Blocks of a plain-text or Markdown document."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n\f\n\n")
    if text.count("\n") > counts.MAX_LINES:  # before the split makes a string of each
        raise counts.too_many("lines", counts.MAX_LINES)
    raw_lines = text.split("\n")
    # With no blank lines at all, every line is its own paragraph (one paragraph per line is common).
    one_per_line = sum(1 for line in raw_lines if not line.strip()) == 0

    groups: list[list[str]] = []
    current: list[str] = []
    for line in raw_lines:
        if markdown:
            line = _MD_QUOTE.sub("", line)
        if not line.strip() or line.strip() == "\f":
            if current:
                groups.append(current)
                current = []
            if line.strip() == "\f":
                groups.append(["\f"])
            continue
        if markdown and markdown_heading(line) is not None:
            if current:
                groups.append(current)
            groups.append([line])
            current = []
            continue
        if markdown and current and _MD_SETEXT.match(line) and len(current) == 1:
            groups.append(["#" * (1 if line.strip()[0] == "=" else 2) + " " + current[0]])
            current = []
            continue
        current.append(line)
        if one_per_line:
            groups.append(current)
            current = []
        if len(groups) > counts.MAX_PARAGRAPHS:
            raise counts.too_many("paragraphs", counts.MAX_PARAGRAPHS)
    if current:
        groups.append(current)

    blocks: list[Block] = []
    for index, lines in enumerate(groups):
        first = lines[0]
        if first == "\f" or (len(lines) == 1 and is_scene_break(first)):
            blocks.append(BREAK)
            continue
        found = markdown_heading(first) if markdown and len(lines) == 1 else None
        if found is not None:
            blocks.append(heading(_markdown_inline(found[1]), found[0]))
            continue
        joined = _paragraph_text(lines)
        if markdown:
            joined = _markdown_inline(joined)
        following = _paragraph_text(groups[index + 1]) if index + 1 < len(groups) else None
        if len(lines) == 1 and (looks_like_heading(joined, following) or names_labelled_chapter(blocks, joined)):
            blocks.append(heading(joined))
        else:
            blocks.append(para(joined))
    return merge_chapter_labels(blocks)


def is_chapter_label(text: str) -> bool:
    """ "Chapter 3", "PART TWO", "7.", "第三章": a heading that may be followed by the chapter's name."""
    text = text.strip().rstrip(".:")
    match = _CHAPTER_WORD.match(text)
    return bool((match and match.end() == len(text)) or _NUMBER_ONLY.match(text))


def names_labelled_chapter(blocks: list[Block], line: str) -> bool:
    """The short line right after "Chapter 3" is that chapter's name."""
    return (
        bool(blocks)
        and blocks[-1].kind == "heading"
        and is_chapter_label(blocks[-1].text)
        and len(line) <= 80
        and not line.endswith(_SENTENCE_ENDS)
    )


def merge_chapter_labels(blocks: list[Block]) -> list[Block]:
    """ "Chapter 3" followed by the heading "The War Years" is one title: "Chapter 3: The War Years"."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "heading" and out and out[-1].kind == "heading" and is_chapter_label(out[-1].text):
            out[-1] = heading(f"{out[-1].text}: {block.text}", out[-1].level, out[-1].page)
            continue
        out.append(block)
    return out


# --- HTML (e-book chapters, saved web pages) ---------------------------------------------

_BLOCK_TAGS = {"p", "div", "li", "blockquote", "section", "article", "tr", "dd", "dt", "pre", "figcaption", "td"}
_SKIP_TAGS = {"script", "style", "head", "title", "nav", "svg", "math", "template"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


class _HtmlBlocks:
    """Receives libxml2's parse events (start, end, data) and gathers blocks; no tree is built."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._heading_level = 0
        self._skipping = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        self._text = []
        if not text:
            return
        if self._heading_level:
            self.blocks.append(heading(text, self._heading_level))
        else:
            self.blocks.append(para(text))
        if len(self.blocks) > counts.MAX_PARAGRAPHS:
            raise counts.too_many("paragraphs", counts.MAX_PARAGRAPHS)

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _HEADINGS:
            self._flush()
            self._heading_level = _HEADINGS[tag]
        elif tag in _BLOCK_TAGS:
            self._flush()
        elif tag == "br":
            self._text.append(" ")
        elif tag == "hr":
            self._flush()
            self.blocks.append(BREAK)

    def end(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _HEADINGS:
            self._flush()
            self._heading_level = 0
        elif tag in _BLOCK_TAGS:
            self._flush()

    def data(self, data: str) -> None:
        if not self._skipping:
            self._text.append(data)

    def close(self) -> list[Block]:
        self._flush()
        return self.blocks


def html_parser(target: Any) -> etree.HTMLParser:
    """libxml2's forgiving HTML parser, sending its events to ``target``: linear time, no network, no tree."""
    return etree.HTMLParser(target=target, encoding="utf-8", no_network=True, huge_tree=True)


def html_blocks(html: str) -> list[Block]:
    # Fed as UTF-8 bytes: libxml2 refuses a str that declares its own encoding (<?xml ... encoding=...?>).
    parser = html_parser(_HtmlBlocks())
    parser.feed(html.encode("utf-8", "replace"))
    blocks: list[Block] = parser.close()  # what _HtmlBlocks.close returns
    return blocks
