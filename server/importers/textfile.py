"""Plain text, Markdown and HTML files: decode whatever encoding they are in, then cut into blocks."""

from __future__ import annotations

from pathlib import Path

from server.importers.blocks import Block, html_blocks, text_blocks
from server.importers.errors import too_large

# About 60 long novels; a memoir is a few hundred thousand.
MAX_TEXT_CHARS = 30_000_000
# Control characters are never words (U+0080-U+009F are what text decoded wrongly somewhere along
# the way is left with): kept, they would become memories of invisible marks. Tabs, line and page
# breaks stay; a vertical tab (a line break in some exports) becomes one.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0E, 0x0F, *range(0x10, 0x20), *range(0x7F, 0xA0)], None) | {0x0B: "\n"}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252: what real files use."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Windows-1252; its five undefined bytes are no text in any encoding (a damaged file), so they go.
    return data.decode("cp1252", "ignore")


def read_text(path: Path) -> str:
    if path.stat().st_size > MAX_TEXT_CHARS * 2:
        raise too_large("This text file is too long to import at once. Split it into parts.")
    text = decode(path.read_bytes())
    return text.translate(_CONTROLS).lstrip("\ufeff")


def blocks(path: Path, fmt: str) -> list[Block]:
    text = read_text(path)
    if fmt == "html":
        return html_blocks(text)
    return text_blocks(text, markdown=fmt == "md")
