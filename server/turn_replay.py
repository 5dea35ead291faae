"""Idempotent turns: a recording the tablet sends again is the same turn, never a second one.

The tablet keeps each recording in its outbox until the server has its words, and sends it again
when the answer never came (a dropped connection, a server process killed after it stored the
recording). Each recording carries one key (the ``Idempotency-Key`` header), the same on every
try, stored with its turn. A key the session has seen is answered by what that turn became:

- answered: its stored answer again (transcript, sentences, done), with no generation service asked;
- stored but left unanswered (its process died, the tablet went away, it failed): this request
  takes that turn up and answers it, reusing its recording and any words recognised already;
- being answered by another request right now: 409, and nothing changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import Request
from fastapi.responses import StreamingResponse

from shared.api import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IDEMPOTENT_REPLAYED_HEADER,
    DoneEvent,
    SentenceEvent,
    TranscriptEvent,
    event_line,
    idempotency_key_ok,
)
from server.errors import ApiError
from server.state import AppState
from server.storage import sessions
from server.storage.db import Row, iso, now
from server.storage.sessions import SessionRow

_MEDIA_ID = re.compile(r"/v1/media/([A-Za-z0-9_-]+)")
# Answers stored before the whole sentence event was kept have its words and audio only:
# the tablet then opens the mouth by nothing, and plays the sound.
_OLDER_ROWS = {"duration_ms": 0, "mouth": {"fps": 25, "values": []}}


def key_of(request: Request) -> str | None:
    """The request's idempotency key, None when it sent none; 400 when it is not one we keep."""
    key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is None:
        return None
    if not idempotency_key_ok(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"The {IDEMPOTENCY_KEY_HEADER} header must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters.",
        )
    return key


def being_answered() -> ApiError:
    return ApiError(
        409, "turn_in_progress", "This recording is being answered on another request right now; send it again once that one is over."
    )


def stale_before(state: AppState) -> str:
    """A turn begun before this and still unfinished was cut off (the recovery loop's measure too)."""
    return iso(now() - timedelta(seconds=state.settings.turn_stale_s))


def answered(turn: Row) -> bool:
    return turn["status"] in sessions.ANSWERED


def replay(state: AppState, session: SessionRow, turn: Row) -> StreamingResponse:
    """The answered turn's events as they were sent, from what was stored; nothing is generated."""

    async def lines() -> AsyncIterator[bytes]:
        if turn["user_audio_media_id"]:  # a spoken turn's stream begins with what was heard
            yield event_line(TranscriptEvent(text=turn["user_text"] or ""))
        for sentence in json.loads(turn["reply"] or "[]"):
            url = _still_there(state, sentence.get("audio_url") or "")
            if url is not None:  # speech since deleted (its persona erased, say) is not sent
                yield event_line(SentenceEvent.model_validate({**_OLDER_ROWS, **sentence, "audio_url": url}))
        timings = json.loads(turn["timings"] or "{}")
        yield event_line(DoneEvent(turn_id=turn["id"], timings_ms=timings, ended=session.ended_at is not None))

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Turn-Id": turn["id"], IDEMPOTENT_REPLAYED_HEADER: "true"},
    )


def _still_there(state: AppState, audio_url: str) -> str | None:
    """A fresh signed URL for a sentence's stored speech (the first one may have expired), if it is still kept."""
    match = _MEDIA_ID.search(audio_url)
    if match is None or state.media.get(match.group(1)) is None:
        return None
    return state.media.signed_path(match.group(1), state.settings.media_url_ttl_s)
