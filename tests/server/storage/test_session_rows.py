"""A stored conversation is read back as a typed row, not a bare database row (on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.api import PersonaCreate
from server.storage import accounts, personas, sessions


@pytest.fixture
def household_and_persona(db) -> tuple[str, str]:
    household_id, _, _ = accounts.create_household(db, "Rows", "rows@keepsake.invalid", "not a real password 1")
    return household_id, personas.create(db, household_id, PersonaCreate(display_name="Eleanor")).id


def test_a_session_is_read_as_a_typed_row_with_its_times_and_its_end(db, household_and_persona):
    household_id, persona_id = household_and_persona
    made = sessions.create(db, household_id, persona_id, None, farewell=True)
    row = sessions.get(db, household_id, made["id"])
    assert isinstance(row, sessions.SessionRow)
    assert (row.id, row.household_id, row.persona_id, row.device_id) == (made["id"], household_id, persona_id, None)
    assert row.farewell is True and row.ended_at is None and row.ended_by is None
    assert isinstance(row.created_at, datetime) and row.created_at == made["created_at"]

    assert sessions.end(db, household_id, made["id"], "quiet_hours")
    ended = sessions.get(db, household_id, made["id"])
    assert isinstance(ended.ended_at, datetime) and ended.ended_by == "quiet_hours"
    with pytest.raises(AttributeError):
        ended.ended_by = "changed"  # frozen: what was read is what is stored


def test_another_households_session_is_not_read(db, household_and_persona):
    household_id, persona_id = household_and_persona
    other, _, _ = accounts.create_household(db, "Other", "other@keepsake.invalid", "not a real password 2")
    made = sessions.create(db, household_id, persona_id, None)
    assert sessions.get(db, other, made["id"]) is None
    assert sessions.get(db, household_id, "ses_missing") is None
