"""Tablets: pairing, the limits a caregiver sets on each, and what a tablet knows of itself."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from shared.api.base import NAME_MAX, Strict

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class PairingCodeOut(BaseModel):
    code: str
    expires_at: datetime


class DeviceCreate(Strict):
    pairing_code: str = Field(min_length=4, max_length=16)
    name: str = Field(default="Tablet", min_length=1, max_length=NAME_MAX)


class DeviceCreated(BaseModel):
    device_id: str
    device_token: str
    household_id: str


class DeviceSettings(Strict):
    """Limits a caregiver sets per tablet; reaching one ends the talk with a warm goodbye."""

    daily_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    quiet_hours_start: str | None = Field(default=None, pattern=HHMM)
    quiet_hours_end: str | None = Field(default=None, pattern=HHMM)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; use a name like Europe/London or Asia/Shanghai") from None
        return value


class DeviceOut(BaseModel):
    id: str
    name: str
    settings: DeviceSettings
    declined: bool = False
    created_at: datetime


class FactsMoved(BaseModel):
    """What a re-paired tablet took over from the tablet it replaces."""

    from_device_id: str
    to_device_id: str
    moved: int  # how many facts (across all the household's personas) now belong to the new tablet


class DeviceSelf(BaseModel):
    """What a tablet may know about itself and whom to show in a crisis."""

    id: str
    name: str
    household_id: str
    settings: DeviceSettings
    crisis_contact_name: str | None = None
    crisis_contact_phone: str | None = None
    emergency_number: str | None = None
    declined: bool = False
