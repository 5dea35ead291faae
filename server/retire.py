"""A retiring persona has one farewell conversation, then is archived or erased as the family chose.

Archiving or erasing is for an owner or editor only. The farewell conversation
ending by someone else (the relative's goodbye on the tablet, a viewer closing
their own talk) ends that conversation, never the persona: otherwise a viewer
could open a session on a persona being retired, close it, and erase the
persona before the relative has said goodbye. When the relative's farewell on
a tablet ends, the caregivers are told, so that one of them finishes it.
"""

from __future__ import annotations

from server.alerts import raise_alert
from server.erase import erase_persona
from server.state import AppState
from server.storage import audit, personas
from server.storage.accounts import Principal


async def finish_farewell(state: AppState, who: Principal, persona_id: str, session_id: str) -> None:
    """The farewell conversation ``session_id`` ended, by ``who``: archive or erase the persona if they may."""
    persona = personas.get(state.db, who.household_id, persona_id)
    if persona is None or persona.status != "retiring":
        return
    then, _ = personas.retirement(state.db, persona_id)
    if not who.can_edit:
        if who.kind == "device":
            raise_alert(
                state,
                who.household_id,
                "farewell_held",
                f"The farewell with {persona.display_name} has taken place. End that conversation in the caregiver app "
                f"to {'erase' if then == 'erase' else 'archive'} {persona.display_name}.",
                persona_id=persona_id,
                session_id=session_id,
            )
        return
    if then == "erase":
        await erase_persona(state, who, persona, why="after the farewell")
    else:
        personas.set_status(state.db, who.household_id, persona_id, "archived")
        audit.record(state.db, who, "archive_persona", persona_id, f"{persona.display_name} (after the farewell)")
