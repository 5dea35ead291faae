"""How much a document holds, counted before anything is built from it.

A file's size says little about what reading it costs: 17 MB of empty Word
paragraphs, stored uncompressed (so no zip-bomb check sees it), made the
server build three million paragraph objects and grow by 2 GB. So paragraphs,
pages and markup elements are counted first, in a stream of the file's bytes
that keeps only one chunk in memory, and a document far beyond any memoir is
refused before the library that would build it is called.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.importers.errors import ImportRejected, too_large

# A long memoir has a few thousand paragraphs; a lifetime of letters, some tens of thousands.
MAX_PARAGRAPHS = 200_000
# Markup elements (tags) in a Word document's text: a paragraph of a richly formatted document has
# about ten (runs, properties, fonts); libxml2 keeps each in memory while the document is open.
MAX_ELEMENTS = 3_000_000
# Lines of a text file: it is split into them before paragraphs are found (hard-wrapped text has many).
MAX_LINES = 2_000_000


def too_many(what: str, limit: int) -> ImportRejected:
    return too_large(
        f"This document holds more than {limit:,} {what}, far more than any memoir, so it was not opened. Split it into smaller files."
    )


class StreamCount:
    """Occurrences of byte strings in a stream fed chunk by chunk, including ones cut in two by a chunk's edge.

    Each pattern is counted within every chunk, and again in the few bytes around each edge
    (the previous chunk's last ``len - 1`` bytes and this one's first ``len - 1``): a match
    there must cross the edge, as it is longer than either side, so nothing is counted twice.
    """

    def __init__(self, patterns: Iterable[bytes]):
        self.counts: dict[bytes, int] = dict.fromkeys(patterns, 0)
        self._longest = max((len(p) for p in self.counts), default=1)
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        for pattern in self.counts:
            self.counts[pattern] += chunk.count(pattern)
            reach = len(pattern) - 1
            if reach and self._tail:
                edge = self._tail[-reach:] + chunk[:reach]
                self.counts[pattern] += edge.count(pattern)
        # Short chunks: the tail must still hold the last bytes of the whole stream so far.
        keep = self._longest - 1
        self._tail = (self._tail + chunk[-keep:])[-keep:] if keep else b""

    def __getitem__(self, pattern: bytes) -> int:
        return self.counts[pattern]


# Start tags: every "<" that does not begin an end tag, a comment, a declaration or an instruction.
TAG_PATTERNS = (b"<", b"</", b"<!", b"<?")


def start_tags(counted: StreamCount) -> int:
    return counted[b"<"] - counted[b"</"] - counted[b"<!"] - counted[b"<?"]


def start_tag_patterns(prefix: bytes, name: bytes) -> tuple[bytes, ...]:
    """The ways a start tag ``<prefix:name`` can end its name: ``>``, ``/>`` or whitespace before attributes."""
    opening = b"<" + (prefix + b":" if prefix else b"") + name
    return tuple(opening + end for end in (b">", b"/", b" ", b"\t", b"\n", b"\r"))
