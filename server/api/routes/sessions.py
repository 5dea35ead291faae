from fastapi import APIRouter, Response

from shared.api import Greeting, HistoryOut, SessionCreate, SessionOut
from server.conversation.greeting import greeting_text
from server.deps import DbDep, PrincipalDep, StateDep, owned_persona
from server.errors import ApiError, not_found
from server.pipeline.speech import Speaker
from server.services.base import ServiceError
from server.storage import memories, personas, sessions
from server.text.sentences import split_sentences

router = APIRouter(tags=["sessions"])


@router.post("/v1/sessions", status_code=201, response_model=SessionOut, response_model_exclude_none=True)
async def start_session(body: SessionCreate, principal: PrincipalDep, state: StateDep) -> SessionOut:
    persona = owned_persona(state.db, principal, body.persona_id)
    if persona.consent is None:
        raise ApiError(409, "consent_required", "Consent must be recorded for this persona before anyone can talk with it.")
    device_id = principal.subject_id if principal.kind == "device" else None
    session = sessions.create(state.db, principal.household_id, persona.id, device_id)
    text = greeting_text(personas.profile(persona), memories.facts_for(state.db, persona.id), disclose=persona.disclosure)
    speaker = Speaker(
        state,
        household_id=principal.household_id,
        persona_id=persona.id,
        persona_name=persona.display_name,
        language=persona.language,
        voice=persona.voice_id or state.settings.tts.voice,
    )
    spoken = []
    for index, sentence in enumerate(split_sentences(text)):
        try:
            spoken.append(await speaker.speak(index, sentence))
        except ServiceError:
            break  # the greeting's words still show as captions
    return SessionOut(id=session["id"], persona=persona, greeting=Greeting(text=text, sentences=spoken), created_at=session["created_at"])


@router.get("/v1/sessions/{session_id}/history", response_model=HistoryOut)
def session_history(session_id: str, principal: PrincipalDep, db: DbDep) -> HistoryOut:
    row = sessions.get(db, principal.household_id, session_id)
    if row is None:
        raise not_found("Session")
    return HistoryOut(session_id=session_id, persona_id=row["persona_id"], items=sessions.history(db, session_id))


@router.delete("/v1/sessions/{session_id}", status_code=204)
def end_session(session_id: str, principal: PrincipalDep, db: DbDep) -> Response:
    if not sessions.end(db, principal.household_id, session_id):
        raise not_found("Session")
    return Response(status_code=204)
