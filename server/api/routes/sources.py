"""The persona studio's imports: upload material, watch the job, list and remove what was imported, pick the portrait."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from shared.api import FaceLandmarks, ImportStarted, JobOut, MouthPoint, Persona, PortraitChoice, SourceOut
from server.deps import CaregiverDep, DbDep, EditorDep, StateDep, owned_persona
from server.errors import ApiError, not_found
from server.importers import parse, sandbox
from server.importers.run import ImportTask
from server.importers.upload import receive_form, source_limit_bytes
from server.storage import audit, personas, sources
from server.storage import jobs as job_store
from server.storage.db import Database
from server.storage.erasure import leave_nothing

router = APIRouter(tags=["studio"])


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The memoir, letters, chat export, voice memo or photo."},
                    "kind": {
                        "type": "string",
                        "enum": ["memoir", "letters", "chat", "voice_memo", "photo"],
                        "description": "Force what the file is read as; detected from its content when left out.",
                    },
                    "self_name": {"type": "string", "description": "Chats: the persona's name as it appears in the chat."},
                },
            }
        }
    },
}


def _with_job(db: Database, source: dict[str, Any]) -> SourceOut:
    job = job_store.for_source(db, source["id"])
    return SourceOut(**source, job=JobOut.model_validate(job) if job is not None else None)


@router.post(
    "/v1/personas/{persona_id}/sources",
    status_code=202,
    response_model=ImportStarted,
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def add_source(persona_id: str, request: Request, caregiver: EditorDep, state: StateDep) -> ImportStarted:
    """Upload one file (multipart field ``file``); it is checked now and imported in the background. Poll ``job_url``."""
    persona = owned_persona(state.db, caregiver, persona_id)
    upload = await receive_form(request, state.settings.data_dir / "uploads", source_limit_bytes(state.settings))
    try:
        # The check reads the caregiver's file (a zip's list, a PDF's first pages, a whole chat): in the
        # sandbox's child, under limits, so no upload can hold this process; it waits at most about one
        # check for another household's before answering "busy".
        settings = state.settings
        plan = await asyncio.to_thread(
            sandbox.checks.call,
            parse.check_upload,
            upload.path,
            upload.filename,
            kind=upload.fields.get("kind"),
            self_name=upload.fields.get("self_name") or None,
            persona_names=[persona.display_name, *persona.addressed_as],
            time_s=settings.import_check_time_s,
            memory_mb=settings.import_memory_mb,
            wait_s=settings.import_check_time_s,
        )
        file_type = plan.file_type
        stored = await asyncio.to_thread(
            sources.store_file,
            state.media,
            caregiver.household_id,
            persona_id,
            upload.path,
            mime=file_type.mime,
            kind="source",
            extension=file_type.extension,
        )
    except BaseException:
        upload.discard()
        raise
    details = {"format": file_type.format, "size": upload.size}
    if plan.self_sender:
        details["self_name"] = plan.self_sender
    # The source and its queued job in one transaction: no source is ever left without its job.
    with state.db.transaction():
        source = sources.create(state.db, caregiver.household_id, persona_id, plan.kind or "document", upload.filename, stored.id, details)
        task = ImportTask(
            state=state,
            household_id=caregiver.household_id,
            persona_id=persona_id,
            language=persona.language,
            source_id=source["id"],
            original=stored,
            filename=upload.filename,
            plan=plan,
        )
        # Queued in the database: this process's runner takes it at once, or any other process if this one dies.
        job_id = job_store.create(
            state.db, caregiver.household_id, "import", persona_id=persona_id, source_id=source["id"], task=task.task_json()
        )
    if state.job_runner is not None:
        state.job_runner.wake()
    audit.record(state.db, caregiver, "import_source", source["id"], upload.filename)
    return ImportStarted(job_id=job_id, source_id=source["id"], kind=source["kind"], job_url=f"/v1/jobs/{job_id}")


@router.get("/v1/personas/{persona_id}/sources", response_model=list[SourceOut])
def list_sources(persona_id: str, caregiver: CaregiverDep, db: DbDep) -> list[SourceOut]:
    owned_persona(db, caregiver, persona_id)
    return [_with_job(db, s) for s in sources.list_for(db, caregiver.household_id, persona_id)]


@router.get("/v1/personas/{persona_id}/sources/{source_id}", response_model=SourceOut)
def get_source(persona_id: str, source_id: str, caregiver: CaregiverDep, db: DbDep) -> SourceOut:
    owned_persona(db, caregiver, persona_id)
    source = sources.get(db, caregiver.household_id, persona_id, source_id)
    if source is None:
        raise not_found("Source")
    counted = db.one("SELECT COUNT(*) FROM memories WHERE source_id = ?", (source_id,))
    assert counted is not None  # COUNT(*) always answers one row
    count = counted[0]
    return _with_job(db, source | {"memory_count": count})


@router.delete("/v1/personas/{persona_id}/sources/{source_id}", status_code=204)
def delete_source(persona_id: str, source_id: str, caregiver: EditorDep, state: StateDep) -> Response:
    """Remove an imported file with every memory made from it."""
    owned_persona(state.db, caregiver, persona_id)
    if sources.get(state.db, caregiver.household_id, persona_id, source_id) is None:
        raise not_found("Source")
    job = job_store.for_source(state.db, source_id)
    if job is not None and job["state"] in ("queued", "running"):
        raise ApiError(409, "import_running", "This file is still being imported. Remove it when the import has finished.")
    sources.delete(state.db, state.media, source_id)
    audit.record(state.db, caregiver, "delete_source", source_id)
    leave_nothing(state.db)
    return Response(status_code=204)


@router.post("/v1/personas/{persona_id}/sources/{source_id}/portrait", response_model=Persona)
def use_as_portrait(persona_id: str, source_id: str, caregiver: EditorDep, state: StateDep, body: PortraitChoice | None = None) -> Persona:
    """Make an imported photo the portrait, with the mouth found on it (or the one given)."""
    owned_persona(state.db, caregiver, persona_id)
    source = sources.get(state.db, caregiver.household_id, persona_id, source_id)
    if source is None:
        raise not_found("Source")
    portrait_id = source["details"].get("sizes", {}).get("portrait")
    if source["kind"] != "photo" or portrait_id is None:
        raise ApiError(409, "not_a_photo", "Only an imported photo whose import has finished can be the portrait.")
    mouth = body.mouth if body is not None and body.mouth is not None else MouthPoint(**source["details"]["mouth"])
    found = source["details"].get("landmarks")  # photos imported before the face models have none
    personas.set_portrait(state.db, caregiver.household_id, persona_id, portrait_id, mouth, FaceLandmarks(**found) if found else None)
    pictured = personas.get(state.db, caregiver.household_id, persona_id)
    assert pictured is not None  # owned a moment ago, in this request
    return state.with_voice_fit(pictured)


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, caregiver: CaregiverDep, db: DbDep) -> JobOut:
    """How an import is going: state (queued, running, done, failed), percent, counts, errors."""
    job = job_store.get(db, caregiver.household_id, job_id)
    if job is None:
        raise not_found("Job")
    return JobOut(**job)
