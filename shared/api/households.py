"""A household, its caregivers and their sign-in, its settings, its audit log and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from shared.api.base import NAME_MAX, Strict, _not_blank

Role = Literal["owner", "caregiver", "viewer"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


class HouseholdCreate(Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    caregiver_email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=8, max_length=256)

    _strip = field_validator("name")(_not_blank)


class HouseholdCreated(BaseModel):
    household_id: str
    token: str


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    token: str


class HouseholdSettings(Strict):
    """Who the tablet shows and the server alerts when the relative is in trouble."""

    crisis_contact_name: str | None = Field(default=None, max_length=NAME_MAX)
    crisis_contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+() .\-]{3,40}$")
    emergency_number: str | None = Field(default=None, max_length=16, pattern=r"^[0-9+]{2,16}$")
    webhook_url: str | None = Field(default=None, max_length=2_000, pattern=r"^https?://[^\s]+$")


class HouseholdOut(BaseModel):
    id: str
    name: str
    settings: HouseholdSettings
    created_at: datetime


class InvitationCreate(Strict):
    role: Literal["caregiver", "viewer"] = "caregiver"


class InvitationOut(BaseModel):
    code: str
    role: Role
    expires_at: datetime


class InvitationAccept(Strict):
    code: str = Field(min_length=4, max_length=32)
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=8, max_length=256)


class CaregiverOut(BaseModel):
    id: str
    email: str
    role: Role
    created_at: datetime


class JoinedOut(BaseModel):
    household_id: str
    token: str
    role: Role


class AuditEntry(BaseModel):
    id: str
    actor_kind: str
    actor_id: str
    action: str
    target: str | None = None
    detail: str | None = None
    created_at: datetime


class Alert(BaseModel):
    id: str
    kind: str
    message: str
    persona_id: str | None = None
    session_id: str | None = None
    created_at: datetime
