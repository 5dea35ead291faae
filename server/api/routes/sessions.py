from fastapi import APIRouter, Query, Response

from shared.api import Greeting, HistoryOut, Persona, SessionCreate, SessionOut, SessionSummary
from server.alerts import raise_alert
from server.conversation import safety
from server.conversation.greeting import greeting_text
from server.deps import CaregiverDep, PrincipalDep, StateDep, owned_persona, owned_session
from server.errors import ApiError
from server.pipeline.limits import limit_reached
from server.pipeline.replies import reply
from server.retire import finish_farewell
from server.services.base import ServiceError
from server.state import AppState
from server.storage import accounts, memories, personas, sessions
from server.storage.accounts import Principal
from server.text.sentences import split_sentences

router = APIRouter(tags=["sessions"])


def _opening(state: AppState, principal: Principal, persona: Persona, *, test: bool) -> tuple[str, str | None]:
    """What the persona says first, and why that already ends the conversation (None: it does not)."""
    db = state.db
    device = accounts.get_device(db, principal.household_id, principal.subject_id) if principal.kind == "device" else None
    limit = limit_reached(db, device.id if device else None, device.settings if device else None)
    if limit is not None:
        return reply(limit, persona.language), limit
    if persona.status == "retiring":
        _, farewell = personas.retirement(db, persona.id)
        return farewell or reply("farewell", persona.language), None
    # It may ask after what this tablet's relative told last time; another tablet's news is not theirs to hear.
    facts = memories.facts_for(db, persona.id, device_id=device.id if device else None)
    text = greeting_text(personas.profile(persona), facts, disclose=persona.disclosure)
    if test:
        return text, None
    if device is not None and not sessions.device_has_talked(db, device.id, persona.id):
        # The relative's own say: the first time, the avatar asks whether they want this at all.
        text = f"{text} {reply('first_time', persona.language)}"
    return text, None


def _checked(state: AppState, household_id: str, persona: Persona, session_id: str, sentences: list[str]) -> list[str]:
    """The sentences as they may be spoken (their meanings read in one batch); each one replaced is reported."""
    out = []
    for sentence, verdict in zip(sentences, safety.check_many(sentences, persona.language)):
        if verdict.allowed:
            out.append(sentence)
            continue
        raise_alert(state, household_id, "blocked_sentence", f"{verdict.reason}: {sentence}", persona_id=persona.id, session_id=session_id)
        assert verdict.replacement is not None  # a refused sentence always comes with what to say instead
        out.append(verdict.replacement)
    return out


@router.post("/v1/sessions", status_code=201, response_model=SessionOut, response_model_exclude_none=True)
async def start_session(body: SessionCreate, principal: PrincipalDep, state: StateDep) -> SessionOut:
    persona = owned_persona(state.db, principal, body.persona_id)
    if persona.status == "archived":
        raise ApiError(409, "persona_archived", "This persona has been retired and no longer talks. Its memories are kept for the family.")
    if persona.consent is None:
        raise ApiError(409, "consent_required", "Consent must be recorded for this persona before anyone can talk with it.")
    device_id = principal.subject_id if principal.kind == "device" else None
    text, ended_by = _opening(state, principal, persona, test=body.test)
    if body.test:
        ended_by = "test"  # whatever the hour: a test never takes the relative's words
    farewell = persona.status == "retiring" and not body.test  # a test does not use up the last talk
    session = sessions.create(state.db, principal.household_id, persona.id, device_id, farewell=farewell)
    if ended_by is not None:
        # A limit: the greeting is a goodnight, yet the session still hears crisis words (see turns).
        # A test: the greeting only, and the relative's "stop" stays as they said it.
        sessions.end(state.db, principal.household_id, session["id"], ended_by)
    elif device_id is not None:
        accounts.set_declined(state.db, device_id, False)  # the relative chose to start this talk
    speaker = state.speaker(persona)
    # The greeting is spoken too, so it passes the same check as every answer: it may echo what the
    # relative told the persona last time, or carry a farewell someone typed.
    written = split_sentences(text)
    sentences = _checked(state, principal.household_id, persona, session["id"], written)
    if sentences != written:
        text = ("" if persona.language.lower().startswith("zh") else " ").join(sentences)
    spoken = []
    for index, sentence in enumerate(sentences):
        try:
            spoken.append(await speaker.speak(index, sentence))
        except ServiceError:
            break  # the greeting's words still show as captions
    return SessionOut(
        id=session["id"],
        persona=persona,
        greeting=Greeting(text=text, sentences=spoken),
        ended=ended_by is not None,
        created_at=session["created_at"],
    )


@router.get("/v1/sessions", response_model=list[SessionSummary])
def list_sessions(
    caregiver: CaregiverDep,
    state: StateDep,
    persona_id: str | None = Query(default=None, max_length=64, description="Only this persona's conversations."),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[SessionSummary]:
    """The household's conversations, newest first: open one's transcript with /v1/sessions/{id}/history."""
    return sessions.list_for(state.db, caregiver.household_id, persona_id, limit)


@router.get("/v1/sessions/{session_id}/history", response_model=HistoryOut)
def session_history(session_id: str, principal: PrincipalDep, state: StateDep) -> HistoryOut:
    row = owned_session(state.db, principal, session_id)
    return HistoryOut(session_id=session_id, persona_id=row.persona_id, items=sessions.history(state.db, session_id))


@router.delete("/v1/sessions/{session_id}", status_code=204)
async def end_session(session_id: str, principal: PrincipalDep, state: StateDep) -> Response:
    """End a conversation. Ending a retiring persona's farewell conversation also archives or erases the
    persona, but only when an owner or editor ends it; a viewer or a tablet ends the conversation alone."""
    row = owned_session(state.db, principal, session_id)
    if principal.is_caregiver and not principal.can_edit and row.device_id is not None:
        raise ApiError(403, "forbidden", "A viewer can read a relative's conversation but not end it.")
    sessions.end(state.db, principal.household_id, session_id)
    if row.farewell:
        await finish_farewell(state, principal, row.persona_id, session_id)
    return Response(status_code=204)
