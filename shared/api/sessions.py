"""Conversations: starting one (with its greeting), a typed turn, what the tablet played, the transcripts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from shared.api.base import Strict, _not_blank
from shared.api.events import SentenceEvent
from shared.api.personas import Persona


class SessionCreate(Strict):
    persona_id: str = Field(min_length=1, max_length=64)
    # The caregiver's test of the speaker: only the greeting. It is not the relative's talk, so it
    # never undoes their "stop", never asks the first-time question and takes no turns.
    test: bool = False


class Greeting(BaseModel):
    text: str
    sentences: list[SentenceEvent] = []


class SessionOut(BaseModel):
    id: str
    persona: Persona
    greeting: Greeting | None = None
    ended: bool = False  # a limit or quiet hours: the greeting is a warm goodbye
    created_at: datetime


# Idempotent turns: the tablet sends one recording's key, the same on every try, with
# ``POST /v1/sessions/{id}/turns``; a session answers each key once (see shared/DESIGN.md).
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Set to "true" on the answer to a key already answered: the stored answer, sent again.
IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_MAX_LENGTH = 200


def idempotency_key_ok(key: str) -> bool:
    """1 to 200 printable ASCII characters (a UUID is 36)."""
    return 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and all(" " <= c <= "~" for c in key)


class TextTurn(Strict):
    text: str = Field(min_length=1, max_length=4_000)

    _strip = field_validator("text")(_not_blank)


class PlaybackReport(Strict):
    """Where the tablet stopped playing an answer (the relative interrupted)."""

    sentences_played: int = Field(ge=0, le=1_000)


class HistoryItem(BaseModel):
    turn_id: str
    role: Literal["relative", "persona"]
    text: str
    created_at: datetime
    status: str = "ok"
    audio_url: str | None = None


class SessionSummary(BaseModel):
    """One conversation, for the caregivers' list of transcripts (GET /v1/sessions)."""

    id: str
    persona_id: str
    device_id: str | None = None
    created_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None  # "quiet_hours", "daily_limit", "test", ... when known
    turns: int = 0


class HistoryOut(BaseModel):
    session_id: str
    persona_id: str
    items: list[HistoryItem]
