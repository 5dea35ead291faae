"""A retiring persona has one farewell conversation, then is archived or erased as the family chose."""

from __future__ import annotations

from server.erase import erase_persona
from server.state import AppState
from server.storage import personas


async def finish_farewell(state: AppState, household_id: str, persona_id: str) -> None:
    persona = personas.get(state.db, household_id, persona_id)
    if persona is None or persona.status != "retiring":
        return
    then, _ = personas.retirement(state.db, persona_id)
    if then == "erase":
        await erase_persona(state, household_id, persona)
    else:
        personas.set_status(state.db, household_id, persona_id, "archived")
