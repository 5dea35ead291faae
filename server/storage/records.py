"""The values storage reads and returns to the rest of the server: a memory found, a fact the
relative told, a persona as a conversation sees it, a line of the conversation so far.

They live here, below the services, because storage makes them; the services' interfaces
(``server/services/base.py``) pass them on and name them from there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class MemoryHit:
    id: str
    text: str
    title: str | None = None
    score: float = 0.0
    audio_media_id: str | None = None  # the person's own recording of these words, if any
    recording_text: str | None = None  # what that recording says, as transcribed at import (edits do not change it)


@dataclass(frozen=True)
class RelativeFact:
    """Something the relative told the persona in an earlier conversation, or a caregiver typed in."""

    text: str
    created_at: datetime
    # False: this relative did not say it (a caregiver typed it, or another tablet's relative told it
    # and a caregiver shared it): the persona may say it heard it, never "last time you told me".
    told_by_listener: bool = True


@dataclass(frozen=True)
class PersonaProfile:
    id: str
    display_name: str
    addressed_as: list[str]
    language: str
    biography: str
    speaking_style: str | None = None
    boundaries: list[str] = field(default_factory=list)
    kind: str = "deceased"
    mode: Literal["story", "generative"] = "story"
    voice_id: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    role: Literal["relative", "persona"]
    text: str
