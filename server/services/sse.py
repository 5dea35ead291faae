"""Incremental server-sent-events parser (the WHATWG "text/event-stream" rules).

Bytes arrive in arbitrary pieces: a line, a UTF-8 character or a "\\r\\n" may
be split between two chunks. The parser keeps what it has not finished and
returns each event once its blank line arrives.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""  # the unfinished last line
        self._after_cr = False  # last chunk ended in "\r": a "\n" that follows is the same line end
        self._at_start = True  # a byte-order mark may open the stream
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None  # persists across events, as the spec says
        self._retry: int | None = None

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Add a piece of the stream; return the events it completed."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if self._at_start and text:
            self._at_start = False
            text = text.removeprefix("\ufeff")
        if not text:
            return []
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the "\n" of a "\r\n" cut in two
        self._after_cr = text.endswith("\r")

        events: list[SSEEvent] = []
        lines = (self._line + text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._line = lines.pop()  # after the last line end: not complete yet
        for line in lines:
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[SSEEvent]:
        """End of stream. Lenient: dispatch an event whose closing blank line never came."""
        tail = self._decoder.decode(b"", final=True)
        events = self.feed(tail) if tail else []
        if self._line:
            self._process_line(self._line)
            self._line = ""
        event = self._process_line("")
        if event is not None:
            events.append(event)
        return events

    def _process_line(self, line: str) -> SSEEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (often a keep-alive)
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\x00" not in value:
                self._id = value
        elif field == "retry":  # noqa: SIM102 (one branch per field name, as the spec lists them)
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # Any other field name is malformed: ignored, as the spec says.
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, event_type = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SSEEvent(data="\n".join(data), event=event_type or "message", id=self._id, retry=self._retry)


async def iter_sse_events(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """The events of a streaming httpx response (opened with ``client.stream`` / ``send(stream=True)``)."""
    parser = SSEParser()
    async for chunk in response.aiter_bytes():
        for event in parser.feed(chunk):
            yield event
    for event in parser.flush():
        yield event
