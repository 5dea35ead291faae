"""Memories (what the persona knows of its life), where each came from, and facts (what the relative told it since)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool, field_validator

from shared.api.base import NAME_MAX, TEXT_MAX, Strict, _not_blank


class MemoryCreate(Strict):
    title: str | None = Field(default=None, max_length=NAME_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)

    _strip = field_validator("text")(_not_blank)


class Memory(BaseModel):
    id: str
    persona_id: str
    title: str | None = None
    text: str
    source: str = "typed"
    hidden: bool = False
    created_at: datetime


class Span(BaseModel):
    """From one numbered thing to another, both included (paragraphs 4 to 7); one thing when they are equal."""

    first: int = Field(ge=0)
    last: int = Field(ge=0)


class MemoryPlace(BaseModel):
    """Where in its file a memory is, as numbers and the source's own date: each tablet words it in its language."""

    chapter: int | None = None
    pages: Span | None = None
    paragraphs: Span | None = None
    letter: int | None = None  # the letter's number in the file
    messages: Span | None = None  # a chat's message numbers
    recording_s: Span | None = None  # seconds from the start of a recording
    date: str | None = None  # as the source wrote it ("Whitby, 3rd June 1944", "12/31/21"): words, not a date read
    part: int | None = None  # a long letter is kept in parts


class MemoryOrigin(MemoryPlace):
    kind: str  # typed, memoir, letters, chat, voice_memo...
    source_id: str | None = None
    filename: str | None = None
    # The place in English words ("chapter 2, pages 12–13, paragraphs 4–7", "letter 3, dated 12 May 1944",
    # "recording 0:58–1:50"), for tablets that do not word the fields above themselves.
    position: str | None = None


class MemoryOut(BaseModel):
    """A memory as the caregiver reviews it: with where it came from and the person's own recording, if any."""

    id: str
    persona_id: str
    title: str | None = None
    text: str
    source: str
    hidden: bool
    created_at: str
    origin: MemoryOrigin
    audio_url: str | None = None  # the person's own recording of these words (a signed URL)


class MemoryPatch(Strict):
    title: str | None = Field(default=None, max_length=NAME_MAX)
    text: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX)
    hidden: bool | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value.strip() if value is not None else None


class Dictation(BaseModel):
    """A caregiver's spoken words as text, to check and save as a memory; nothing of the recording is kept."""

    text: str
    language: str | None = None


class FactTeller(BaseModel):
    """Who told the persona a fact: a tablet (its relative), or a caregiver."""

    kind: Literal["device", "caregiver"]
    # None: a caregiver's, from before Keepsake kept which caregiver told what.
    id: str | None = None
    name: str | None = None  # the tablet's name or the caregiver's e-mail, while they exist


class Fact(BaseModel):
    """Something the relative told the persona, kept for later conversations.

    It is heard again only on the tablet of the relative who told it, unless a
    caregiver marks it ``shared``: then every tablet of the household may hear it.
    """

    id: str
    persona_id: str
    session_id: str | None = None
    text: str
    hidden: bool = False
    shared: bool = False
    told_by: FactTeller
    created_at: datetime


class FactPatch(Strict):
    text: str | None = Field(default=None, min_length=1, max_length=4_000)
    # Strict: "yes" or 1 must not share a relative's words by accident.
    hidden: StrictBool | None = None
    shared: StrictBool | None = None


class FactCreate(Strict):
    """Something a caregiver tells the persona ("Tom started at the bakery"), for the tablets' greetings."""

    text: str = Field(min_length=1, max_length=4_000)
    # Shared by default: a fact no tablet hears is no use. False keeps it from every tablet until shared.
    shared: StrictBool = True

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
