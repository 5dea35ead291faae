"""A turn's body, read so that no connection holds a place in the turn gate without sending.

A turn takes its place in the gate only once its body starts to arrive
(routes/turns.py), and from then on the body must keep coming:

- the first bytes within ``turn_body_start_s``: a client that sends its headers and then
  nothing is answered 408 and never held a place;
- no pause longer than ``turn_body_idle_s``: a tablet on poor Wi-Fi stalls for a few seconds,
  one gone off Wi-Fi without closing its connection stalls for ever;
- on average at least ``turn_body_min_rate`` bytes a second, with one pause's worth of slack:
  a byte every few seconds never looks idle, but would hold a place for minutes. The tablet's
  live upload (16 kHz 16-bit mono WAV while the relative speaks, client.live_upload) sends
  32 KB a second, a recording sent whole far more;
- all of it within the longest recording taken plus one pause.

A text turn's JSON is small (4,000 characters), so it has its own limit, is read whole
before the gate, and is parsed off the event loop: a 20 MB body of 1.75 million keys once
held every household's turns for 3 s while it was parsed.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from starlette.requests import Request

from shared.api import TextTurn
from server.config import Settings
from server.errors import ApiError

TEXT_TURN_MAX = 64 * 1024

STOPPED = "The recording stopped arriving before it was complete. Please try again."


@dataclass(frozen=True)
class Pace:
    start_s: float
    idle_s: float
    min_rate: float  # bytes a second; 0: no minimum
    longest_s: float

    @classmethod
    def of(cls, settings: Settings) -> Pace:
        return cls(settings.turn_body_start_s, settings.turn_body_idle_s, settings.turn_body_min_rate, settings.max_audio_s)


class TurnBody:
    """The body in two steps: ``first`` (before the gate) and ``rest`` (holding a place)."""

    def __init__(self, request: Request, pace: Pace, limit: int, too_large: str) -> None:
        self._request = request
        self._chunks = request.stream()
        self._pace = pace
        self._limit = limit
        self._too_large = too_large
        self._ended = False
        self.size = 0

    async def first(self) -> bytes:
        """The first part that arrives (empty when the body is)."""
        declared = self._request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit:
            raise ApiError(413, "too_large", self._too_large)  # refused before a byte is read
        return await self._next(asyncio.get_running_loop().time() + self._pace.start_s)

    async def rest(self, on_part: Callable[[bytes], None] | None = None) -> bytes:
        """Everything after the first part; the pace is counted from now."""
        pace = self._pace
        loop = asyncio.get_running_loop()
        started = last = loop.time()
        give_up_at = started + pace.longest_s + pace.idle_s
        parts: list[bytes] = []
        received = 0
        while not self._ended:
            # The moment this body would be more than one pause behind the slowest pace allowed.
            behind_at = started + pace.idle_s + received / pace.min_rate if pace.min_rate else math.inf
            part = await self._next(min(last + pace.idle_s, behind_at, give_up_at))
            if part:
                last = loop.time()
                received += len(part)
                parts.append(part)
                if on_part is not None:
                    on_part(part)
        return b"".join(parts)

    async def _next(self, deadline: float) -> bytes:
        if self._ended:
            return b""
        try:
            async with asyncio.timeout_at(deadline):
                part = await anext(self._chunks, b"")
        except TimeoutError:
            raise ApiError(408, "request_timeout", STOPPED) from None
        if not part:
            self._ended = True  # Starlette's stream skips empty parts: an empty one is the end
        self.size += len(part)
        if self.size > self._limit:
            raise ApiError(413, "too_large", self._too_large)
        return part


async def read_text_turn(request: Request, pace: Pace) -> str | None:
    """The words of a JSON turn ``{"text": ...}``; None when the body is empty."""
    body = TurnBody(request, pace, TEXT_TURN_MAX, f"A text turn can be at most {TEXT_TURN_MAX // 1024} KB.")
    raw = await body.first()
    raw += await body.rest()
    if not raw:
        return None
    return await asyncio.to_thread(_parse_text_turn, raw)


def _parse_text_turn(raw: bytes) -> str:
    try:
        return TextTurn.model_validate(json.loads(raw)).text
    except (ValueError, ValidationError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ApiError(422, "invalid_request", 'The body must be JSON like {"text": "Hello"} with 1 to 4000 characters.') from None
