"""The persona studio's imports: a file uploaded, the job that reads it, the sources kept, a photo made the portrait."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.api.personas import MouthPoint


class ImportStarted(BaseModel):
    job_id: str
    source_id: str
    kind: str  # memoir, letters, chat, voice_memo, photo; "document" until the job decides memoir or letters
    job_url: str


class JobOut(BaseModel):
    id: str
    kind: str
    persona_id: str | None = None
    source_id: str | None = None
    state: str  # queued, running, done, failed
    percent: float
    stage: str | None = None
    counts: dict[str, Any] = {}
    errors: list[str] = []
    created_at: str
    updated_at: str
    finished_at: str | None = None


class SourceOut(BaseModel):
    id: str
    persona_id: str
    kind: str
    filename: str
    media_id: str | None = None
    details: dict[str, Any] = {}
    memory_count: int = 0
    created_at: str
    job: JobOut | None = None


class PortraitChoice(BaseModel):
    mouth: MouthPoint | None = None  # where the caregiver says the mouth is; else the one found on the photo
