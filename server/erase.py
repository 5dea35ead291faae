"""Erasing a persona leaves nothing behind: rows, files, the voice registered with a remote service,
and the words in the database's free pages, search index and write-ahead log. Who erased it is kept."""

from __future__ import annotations

import asyncio
import logging

from shared.api import Persona
from server.state import AppState
from server.storage import audit, personas
from server.storage.accounts import Principal
from server.storage.erasure import leave_nothing
from server.voice.clone import forget_voices

log = logging.getLogger("keepsake.erase")


async def erase_persona(state: AppState, who: Principal, persona: Persona, *, why: str | None = None) -> None:
    """Erase ``persona`` of ``who``'s household; the audit log says who did it (``why``: after a farewell...)."""
    # Only voices this server registered are deleted remotely, never a stock voice the family picked.
    failed = await forget_voices(state, persona.id)
    if failed:  # the family asked for erasure; a remote failure is logged, not fatal
        log.warning("could not delete remote voices %s of persona %s", failed, persona.id)
    detail = f"{persona.display_name} ({why})" if why else persona.display_name
    await asyncio.to_thread(_erase_local, state, who, persona.id, detail)


def _erase_local(state: AppState, who: Principal, persona_id: str, detail: str) -> None:
    household_id = who.household_id
    personas.delete(state.db, household_id, persona_id)
    state.media.delete_for_persona(persona_id)
    # Rows that point at the persona without a foreign key.
    state.db.execute("DELETE FROM alerts WHERE persona_id = ?", (persona_id,))
    state.db.execute("DELETE FROM jobs WHERE persona_id = ? AND household_id = ?", (persona_id, household_id))
    # Written by every path that erases (the caregiver's delete, the end of a farewell), not by each route.
    audit.record(state.db, who, "erase_persona", persona_id, detail)
    leave_nothing(state.db)
