"""The caregiver's memory review: search and list with where each memory came from, edit, hide, delete; and the same for facts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from shared.api import Fact, FactCreate, FactPatch, MemoryOut, MemoryPatch
from server.deps import CaregiverDep, DbDep, EditorDep, StateDep, owned_persona
from server.errors import ApiError, not_found
from server.pipeline import speak_ahead
from server.state import AppState
from server.storage import audit, memories, memory_admin, speech_cache
from server.storage.erasure import leave_nothing

router = APIRouter(tags=["studio"])


def _out(state: AppState, memory: dict[str, Any]) -> MemoryOut:
    media_id = memory.pop("audio_media_id")
    url = state.media.signed_path(media_id, state.settings.media_url_ttl_s) if media_id else None
    return MemoryOut(**memory, audio_url=url)


@router.get("/v1/personas/{persona_id}/memories/search", response_model=list[MemoryOut])
def search_memories(
    persona_id: str,
    caregiver: CaregiverDep,
    state: StateDep,
    q: str | None = Query(default=None, max_length=500, description="Words to look for; leave out to list every memory."),
    source_id: str | None = Query(default=None, description="Only the memories made from this imported file."),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),  # SQLite takes 64-bit integers only
) -> list[MemoryOut]:
    """Find memories the way the relative's questions do (partial names, synonyms, Chinese), hidden ones too."""
    owned_persona(state.db, caregiver, persona_id)
    if q and q.strip():
        found = memory_admin.search(state.db, persona_id, q, limit=limit + offset)[offset:]
        if source_id is not None:
            found = [m for m in found if m["origin"]["source_id"] == source_id]
    else:
        found = memory_admin.list_for(state.db, persona_id, source_id=source_id, limit=limit, offset=offset)
    return [_out(state, m) for m in found]


@router.get("/v1/personas/{persona_id}/memories/{memory_id}", response_model=MemoryOut)
def get_memory(persona_id: str, memory_id: str, caregiver: CaregiverDep, state: StateDep) -> MemoryOut:
    owned_persona(state.db, caregiver, persona_id)
    memory = memory_admin.get(state.db, persona_id, memory_id)
    if memory is None:
        raise not_found("Memory")
    return _out(state, memory)


@router.patch("/v1/personas/{persona_id}/memories/{memory_id}", response_model=MemoryOut)
def edit_memory(persona_id: str, memory_id: str, body: MemoryPatch, caregiver: EditorDep, state: StateDep) -> MemoryOut:
    """Change the title or words (retrieval follows at once), or hide it from conversations."""
    owned_persona(state.db, caregiver, persona_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise ApiError(422, "invalid_request", "Send at least one of title, text, hidden.")
    if "text" in changes and changes["text"] is None:
        raise ApiError(422, "invalid_request", "text cannot be null; hide or delete the memory instead.")
    if "hidden" in changes and changes["hidden"] is None:
        raise ApiError(422, "invalid_request", "hidden must be true or false.")
    title = changes.get("title")
    memory = memory_admin.update(
        state.db,
        persona_id,
        memory_id,
        title=title.strip() or None if title is not None else None,
        title_set="title" in changes,
        text=changes.get("text"),
        hidden=changes.get("hidden"),
    )
    if memory is None:
        raise not_found("Memory")
    audit.record(state.db, caregiver, "edit_memory", memory_id, ",".join(sorted(changes)))
    if "text" in changes or "title" in changes:
        speech_cache.forget_memory(state.db, state.media, memory_id)  # its old words must not be heard again
        leave_nothing(state.db)  # the words it had are gone from the files, not only from the row
    speak_ahead.request(state, persona_id)
    return _out(state, memory)


@router.delete("/v1/personas/{persona_id}/memories/{memory_id}", status_code=204)
def delete_memory(persona_id: str, memory_id: str, caregiver: EditorDep, state: StateDep) -> Response:
    owned_persona(state.db, caregiver, persona_id)
    if not memory_admin.delete(state.db, state.media, persona_id, memory_id):
        raise not_found("Memory")
    # Its speech goes too, now: the row first, so speech being made meanwhile is refused (speech_cache.keep).
    speech_cache.forget_memory(state.db, state.media, memory_id)
    audit.record(state.db, caregiver, "delete_memory", memory_id)
    leave_nothing(state.db)
    speak_ahead.request(state, persona_id)  # phrases said alongside it are made again
    return Response(status_code=204)


@router.post("/v1/personas/{persona_id}/facts", status_code=201, response_model=Fact)
def add_fact(persona_id: str, body: FactCreate, caregiver: EditorDep, state: StateDep) -> Fact:
    """Tell the persona something for the tablets' greetings ("Tom started at the bakery").

    It is kept as this caregiver's, never as a relative's: a greeting says it heard it, not
    "last time you told me". ``shared`` false keeps it from every tablet until it is shared."""
    db = state.db
    owned_persona(db, caregiver, persona_id)
    fact = memories.add_caregiver_fact(
        db, caregiver.household_id, persona_id, body.text, caregiver_id=caregiver.subject_id, shared=body.shared
    )
    audit.record(db, caregiver, "add_fact", fact.id, f"shared={body.shared}")
    speak_ahead.request(state, persona_id)  # the tablets' next greetings may ask after it
    return fact


@router.patch("/v1/personas/{persona_id}/facts/{fact_id}", response_model=Fact)
def edit_fact(persona_id: str, fact_id: str, body: FactPatch, caregiver: EditorDep, state: StateDep) -> Fact:
    """Correct what the persona remembers being told, hide it from conversations, or share it:
    a shared fact may be heard on every tablet of the household, not only by the relative who told it."""
    db = state.db
    owned_persona(db, caregiver, persona_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes or any(v is None for v in changes.values()):
        raise ApiError(422, "invalid_request", "Send text (not empty), hidden and/or shared (true or false).")
    text = changes.get("text")
    if text is not None and not text.strip():
        raise ApiError(422, "invalid_request", "text must not be empty; delete the fact instead.")
    fact = memory_admin.update_fact(
        db, persona_id, fact_id, text=text.strip() if text else None, hidden=changes.get("hidden"), shared=changes.get("shared")
    )
    if fact is None:
        raise not_found("Fact")
    audit.record(db, caregiver, "edit_fact", fact_id, ",".join(f"{k}={changes[k]}" if k == "shared" else k for k in sorted(changes)))
    if "text" in changes:
        leave_nothing(db)  # the old wording must not stay readable in the search index or the log
    speak_ahead.request(state, persona_id)  # the tablets' next greetings may ask after it now, or no more
    return fact


@router.delete("/v1/personas/{persona_id}/facts/{fact_id}", status_code=204)
def delete_fact(persona_id: str, fact_id: str, caregiver: EditorDep, db: DbDep) -> Response:
    owned_persona(db, caregiver, persona_id)
    if not memory_admin.delete_fact(db, persona_id, fact_id):
        raise not_found("Fact")
    audit.record(db, caregiver, "delete_fact", fact_id)
    leave_nothing(db)
    return Response(status_code=204)
