"""Daily minutes and quiet hours per tablet: when one is reached, the talk ends with a warm goodbye."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.api import DeviceSettings
from server.storage.db import Database, now, parse_time


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(settings: DeviceSettings, moment: datetime | None = None) -> bool:
    if not settings.quiet_hours_start or not settings.quiet_hours_end:
        return False
    local = (moment or now()).astimezone(ZoneInfo(settings.timezone)).time()
    start, end = _hhmm(settings.quiet_hours_start), _hhmm(settings.quiet_hours_end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # e.g. 21:00 to 07:00 spans midnight


def minutes_today(db: Database, device_id: str, settings: DeviceSettings, moment: datetime | None = None) -> float:
    """Minutes this tablet has spent in conversation since local midnight."""
    moment = moment or now()
    zone = ZoneInfo(settings.timezone)
    midnight = datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone)
    rows = db.all(
        "SELECT created_at, COALESCE(ended_at, last_activity_at, created_at) AS last FROM sessions WHERE device_id = ? AND created_at >= ?",
        (device_id, (midnight - timedelta(days=1)).isoformat()),
    )
    total = 0.0
    for row in rows:
        start, end = max(parse_time(row["created_at"]), midnight), parse_time(row["last"])
        if end > start:
            total += (end - start).total_seconds() / 60
    return total


def limit_reached(db: Database, device_id: str | None, settings: DeviceSettings | None) -> str | None:
    """ "quiet_hours", "daily_limit" or None."""
    if device_id is None or settings is None:
        return None
    if in_quiet_hours(settings):
        return "quiet_hours"
    if settings.daily_minutes is not None and minutes_today(db, device_id, settings) >= settings.daily_minutes:
        return "daily_limit"
    return None


LIMITS = ("quiet_hours", "daily_limit")


def still_resting(db: Database, session: Mapping[str, Any], device_id: str | None, settings: DeviceSettings | None) -> bool:
    """A session that a limit closed still takes what its own tablet's relative says while the limit
    lasts: crisis words at night must reach the caregivers at once, not with the morning's talk.
    (The turn itself is answered with care, or with a short goodnight.)"""
    return (
        session["ended_by"] in LIMITS
        and device_id is not None
        and session["device_id"] == device_id
        and limit_reached(db, device_id, settings) is not None
    )
