import asyncio

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import FileResponse

from shared.api import ConsentCreate, ConsentOut, MouthPoint, Persona, PersonaCreate, PersonaUpdate, RetireRequest
from server import face_correction, portrait
from server.api.routes.media import file_response
from server.deps import EditorDep, PrincipalDep, StateDep, owned_persona
from server.erase import erase_persona
from server.errors import ApiError, not_found
from server.export import write_archive
from server.importers import photo
from server.pipeline import speak_ahead
from server.portrait import check_image
from server.state import AppState
from server.storage import audit, personas

router = APIRouter(tags=["personas"])

MAX_PORTRAIT_BYTES = 10 * 1024 * 1024


def _cloned_voice_needed(voice_id: str | None, name: str) -> None:
    """Her cloned voice can be chosen only once it is made (409: nothing changes)."""
    if not voice_id:
        raise ApiError(409, "no_cloned_voice", f"No voice has been made from {name}'s recordings yet: record samples and make one first.")


@router.post("/v1/personas", status_code=201, response_model=Persona)
def create_persona(body: PersonaCreate, editor: EditorDep, state: StateDep) -> Persona:
    if body.voice_choice == "cloned":
        _cloned_voice_needed(body.voice_id, body.display_name)
    persona = personas.create(state.db, editor.household_id, body)
    audit.record(state.db, editor, "create_persona", persona.id, persona.display_name)
    speak_ahead.request(state, persona.id)
    return state.with_voice_fit(persona)


@router.get("/v1/personas", response_model=list[Persona])
def list_personas(principal: PrincipalDep, state: StateDep) -> list[Persona]:
    return [state.with_voice_fit(p) for p in personas.list_all(state.db, principal.household_id)]


@router.get("/v1/personas/{persona_id}", response_model=Persona)
def get_persona(persona_id: str, principal: PrincipalDep, state: StateDep) -> Persona:
    return state.with_voice_fit(owned_persona(state.db, principal, persona_id))


@router.patch("/v1/personas/{persona_id}", response_model=Persona)
def update_persona(persona_id: str, body: PersonaUpdate, editor: EditorDep, state: StateDep) -> Persona:
    db = state.db
    persona = owned_persona(db, editor, persona_id)
    if body.mode == "generative" and persona.consent and persona.consent.scope == "own_words":
        raise ApiError(409, "consent_scope", "The consent given covers the person's own words only, so generative mode is not allowed.")
    if body.voice_choice == "cloned":
        _cloned_voice_needed(body.voice_id if "voice_id" in body.model_fields_set else persona.voice_id, persona.display_name)
    face = face_correction.corrected(persona.face, body.face, _portrait_aspect(state, persona)) if body.face else None
    updated = personas.update(db, editor.household_id, persona_id, body, face=face)
    audit.record(db, editor, "update_persona", persona_id, ",".join(sorted(body.model_fields_set)))
    speak_ahead.request(state, persona_id)  # the greeting follows the name, language and disclosure
    assert updated is not None  # owned a moment ago, in this request
    return state.with_voice_fit(updated)


def _portrait_aspect(state: AppState, persona: Persona) -> float:
    """The portrait's width over its height, to fit a correction of its face in; 1 when it cannot be
    read (gone, or the store not answering): a face turned by the correction then comes out a little
    out of shape, but the caregiver's own points are kept as placed."""
    media_id = personas.portrait_media_id(state.db, persona.household_id, persona.id)
    media = state.media.get(media_id) if media_id else None
    try:
        found = portrait.aspect(state.media.read_bytes(media)) if media else None
    except OSError:
        found = None
    return found or 1.0


@router.delete("/v1/personas/{persona_id}", status_code=204)
async def delete_persona(persona_id: str, editor: EditorDep, state: StateDep) -> Response:
    """Erase the persona: every memory, source, recording, transcript, media file and remote voice."""
    persona = owned_persona(state.db, editor, persona_id)
    await erase_persona(state, editor, persona)  # records who erased it
    return Response(status_code=204)


@router.post("/v1/personas/{persona_id}/retire", response_model=Persona)
def retire_persona(persona_id: str, body: RetireRequest, editor: EditorDep, state: StateDep) -> Persona:
    """One last farewell conversation; then the persona is archived (kept, silent) or erased."""
    db = state.db
    persona = owned_persona(db, editor, persona_id)
    if persona.status == "archived":
        raise ApiError(409, "persona_archived", "This persona is already archived.")
    personas.set_status(db, editor.household_id, persona_id, "retiring", retire_to=body.then, farewell=body.farewell)
    audit.record(db, editor, "retire_persona", persona_id, body.then)
    speak_ahead.request(state, persona_id)  # the farewell it will open the last talk with
    retiring = personas.get(db, editor.household_id, persona_id)
    assert retiring is not None  # owned a moment ago, in this request
    return state.with_voice_fit(retiring)


@router.get("/v1/personas/{persona_id}/export", response_class=FileResponse, responses={200: {"content": {"application/zip": {}}}})
async def export_persona(persona_id: str, editor: EditorDep, state: StateDep, background: BackgroundTasks) -> FileResponse:
    """One archive with the persona's data as JSON and all its media."""
    persona = owned_persona(state.db, editor, persona_id)
    path = await asyncio.to_thread(write_archive, state, editor.household_id, [persona_id])
    background.add_task(path.unlink, missing_ok=True)
    audit.record(state.db, editor, "export_persona", persona_id)
    return FileResponse(path, media_type="application/zip", filename=f"keepsake-{persona.display_name}.zip")


@router.post("/v1/personas/{persona_id}/consent", status_code=201, response_model=ConsentOut)
def give_consent(persona_id: str, body: ConsentCreate, editor: EditorDep, state: StateDep) -> ConsentOut:
    db = state.db
    persona = owned_persona(db, editor, persona_id)
    if body.scope == "own_words" and persona.mode == "generative":
        raise ApiError(
            409,
            "consent_scope",
            "This persona is in generative mode; consent for own words only does not allow that. Switch it to story mode first.",
        )
    consent = personas.add_consent(db, editor.household_id, persona_id, body)
    audit.record(db, editor, "record_consent", persona_id, f"{body.scope} by {body.given_by} ({body.relation})")
    speak_ahead.request(state, persona_id)  # it can talk now: make its greetings and phrases
    return consent


@router.get("/v1/personas/{persona_id}/portrait", responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def get_portrait(persona_id: str, request: Request, principal: PrincipalDep, state: StateDep) -> Response:
    owned_persona(state.db, principal, persona_id)
    media_id = personas.portrait_media_id(state.db, principal.household_id, persona_id)
    media = state.media.get(media_id) if media_id else None
    if media is None:
        raise not_found("Portrait")
    return file_response(state, media, request, {}, "Portrait")


@router.put("/v1/personas/{persona_id}/portrait", response_model=Persona)
async def put_portrait(persona_id: str, request: Request, editor: EditorDep, state: StateDep) -> Persona:
    """Upload the portrait as the raw body (image/png or image/jpeg). The face is found on it (``face``:
    eyes, mouth, chin; null when none is). Optional ?mouth_x=&mouth_y= mark the mouth by hand."""
    owned_persona(state.db, editor, persona_id)
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime not in ("image/png", "image/jpeg"):
        raise ApiError(415, "unsupported_media_type", "Send the portrait as image/png or image/jpeg.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PORTRAIT_BYTES:
            raise ApiError(413, "too_large", "The portrait is larger than 10 MB.")
    await asyncio.to_thread(check_image, bytes(data))
    mouth = None
    q = request.query_params
    if "mouth_x" in q or "mouth_y" in q:
        try:
            mouth = MouthPoint(x=float(q.get("mouth_x", "")), y=float(q.get("mouth_y", "")))
        except ValueError:
            raise ApiError(422, "invalid_request", "mouth_x and mouth_y must both be numbers between 0 and 1.") from None
    # The face's eyes, mouth and chin, found off the event loop (a few tens of milliseconds).
    face = await asyncio.to_thread(photo.face_on, bytes(data))
    media = state.media.put(editor.household_id, bytes(data), mime, "portrait", persona_id=persona_id)
    personas.set_portrait(state.db, editor.household_id, persona_id, media.id, mouth, face)
    audit.record(state.db, editor, "set_portrait", persona_id)
    pictured = personas.get(state.db, editor.household_id, persona_id)
    assert pictured is not None  # owned a moment ago, in this request
    return state.with_voice_fit(pictured)
