"""Erasing a persona leaves nothing behind: rows, files, and the voice registered with a remote service."""

from __future__ import annotations

import asyncio
import logging

from shared.api import Persona
from server.state import AppState
from server.storage import personas
from server.voice.clone import forget_voices

log = logging.getLogger("keepsake.erase")


async def erase_persona(state: AppState, household_id: str, persona: Persona) -> None:
    # Only voices this server registered are deleted remotely, never a stock voice the family picked.
    failed = await forget_voices(state, persona.id)
    if failed:  # the family asked for erasure; a remote failure is logged, not fatal
        log.warning("could not delete remote voices %s of persona %s", failed, persona.id)
    await asyncio.to_thread(_erase_local, state, household_id, persona.id)


def _erase_local(state: AppState, household_id: str, persona_id: str) -> None:
    personas.delete(state.db, household_id, persona_id)
    state.media.delete_for_persona(persona_id)
    # Rows that point at the persona without a foreign key.
    state.db.execute("DELETE FROM alerts WHERE persona_id = ?", (persona_id,))
    state.db.execute("DELETE FROM jobs WHERE persona_id = ? AND household_id = ?", (persona_id, household_id))
