from fastapi import APIRouter

from shared.api import Fact, Memory, MemoryCreate
from server.deps import CaregiverDep, DbDep, EditorDep, StateDep, owned_persona
from server.pipeline import speak_ahead
from server.storage import audit, memories

router = APIRouter(tags=["memories"])


@router.post("/v1/personas/{persona_id}/memories", status_code=201, response_model=Memory)
def add_memory(persona_id: str, body: MemoryCreate, editor: EditorDep, state: StateDep) -> Memory:
    owned_persona(state.db, editor, persona_id)
    memory = memories.add(state.db, editor.household_id, persona_id, body.text, title=body.title)
    audit.record(state.db, editor, "add_memory", memory.id)
    speak_ahead.request(state, persona_id)
    return memory


@router.get("/v1/personas/{persona_id}/memories", response_model=list[Memory])
def list_memories(persona_id: str, caregiver: CaregiverDep, db: DbDep) -> list[Memory]:
    owned_persona(db, caregiver, persona_id)
    return memories.list_for(db, persona_id)


@router.get("/v1/personas/{persona_id}/facts", response_model=list[Fact])
def list_facts(persona_id: str, caregiver: CaregiverDep, db: DbDep) -> list[Fact]:
    """What the relatives have told this persona, who told each, and whether it is shared with every tablet."""
    owned_persona(db, caregiver, persona_id)
    return memories.list_facts(db, persona_id)
