from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from shared.api import ConsentCreate, ConsentOut, MouthPoint, Persona, PersonaCreate, PersonaUpdate
from server.deps import CaregiverDep, DbDep, PrincipalDep, StateDep, owned_persona
from server.errors import ApiError, not_found
from server.portrait import check_image
from server.storage import personas

router = APIRouter(tags=["personas"])

MAX_PORTRAIT_BYTES = 10 * 1024 * 1024


@router.post("/v1/personas", status_code=201, response_model=Persona)
def create_persona(body: PersonaCreate, caregiver: CaregiverDep, db: DbDep) -> Persona:
    return personas.create(db, caregiver.household_id, body)


@router.get("/v1/personas", response_model=list[Persona])
def list_personas(principal: PrincipalDep, db: DbDep) -> list[Persona]:
    return personas.list_all(db, principal.household_id)


@router.get("/v1/personas/{persona_id}", response_model=Persona)
def get_persona(persona_id: str, principal: PrincipalDep, db: DbDep) -> Persona:
    return owned_persona(db, principal, persona_id)


@router.patch("/v1/personas/{persona_id}", response_model=Persona)
def update_persona(persona_id: str, body: PersonaUpdate, caregiver: CaregiverDep, db: DbDep) -> Persona:
    persona = owned_persona(db, caregiver, persona_id)
    if body.mode == "generative" and persona.consent and persona.consent.scope == "own_words":
        raise ApiError(409, "consent_scope", "The consent given covers the person's own words only, so generative mode is not allowed.")
    return personas.update(db, caregiver.household_id, persona_id, body)


@router.delete("/v1/personas/{persona_id}", status_code=204)
def delete_persona(persona_id: str, caregiver: CaregiverDep, state: StateDep) -> Response:
    owned_persona(state.db, caregiver, persona_id)
    personas.delete(state.db, caregiver.household_id, persona_id)
    state.media.delete_for_persona(persona_id)
    return Response(status_code=204)


@router.post("/v1/personas/{persona_id}/consent", status_code=201, response_model=ConsentOut)
def give_consent(persona_id: str, body: ConsentCreate, caregiver: CaregiverDep, db: DbDep) -> ConsentOut:
    persona = owned_persona(db, caregiver, persona_id)
    if body.scope == "own_words" and persona.mode == "generative":
        raise ApiError(
            409,
            "consent_scope",
            "This persona is in generative mode; consent for own words only does not allow that. Switch it to story mode first.",
        )
    return personas.add_consent(db, caregiver.household_id, persona_id, body)


@router.get("/v1/personas/{persona_id}/portrait", responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def get_portrait(persona_id: str, principal: PrincipalDep, state: StateDep) -> FileResponse:
    owned_persona(state.db, principal, persona_id)
    media_id = personas.portrait_media_id(state.db, principal.household_id, persona_id)
    media = state.media.get(media_id) if media_id else None
    if media is None:
        raise not_found("Portrait")
    return FileResponse(media.path, media_type=media.mime)


@router.put("/v1/personas/{persona_id}/portrait", response_model=Persona)
async def put_portrait(persona_id: str, request: Request, caregiver: CaregiverDep, state: StateDep) -> Persona:
    """Upload the portrait as the raw body (image/png or image/jpeg). Optional ?mouth_x=&mouth_y= mark the mouth."""
    owned_persona(state.db, caregiver, persona_id)
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime not in ("image/png", "image/jpeg"):
        raise ApiError(415, "unsupported_media_type", "Send the portrait as image/png or image/jpeg.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PORTRAIT_BYTES:
            raise ApiError(413, "too_large", "The portrait is larger than 10 MB.")
    check_image(bytes(data))
    mouth = None
    q = request.query_params
    if "mouth_x" in q and "mouth_y" in q:
        try:
            mouth = MouthPoint(x=float(q["mouth_x"]), y=float(q["mouth_y"]))
        except ValueError:
            raise ApiError(422, "invalid_request", "mouth_x and mouth_y must be numbers between 0 and 1.") from None
    media = state.media.put(caregiver.household_id, bytes(data), mime, "portrait", persona_id=persona_id)
    personas.set_portrait(state.db, caregiver.household_id, persona_id, media.id, mouth)
    return personas.get(state.db, caregiver.household_id, persona_id)
