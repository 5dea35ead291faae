"""The turn: the relative's speech or text in, a streamed NDJSON answer out."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from shared.api import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    ErrorBody,
    Persona,
    PlaybackReport,
    TextTurn,
    TranscriptEvent,
    event_line,
)
from server import turn_replay
from server.api.turn_body import Pace, TurnBody, read_text_turn
from server.audio import AudioDecodeError, AudioTooLong, decode_audio, seal_streamed_wav
from server.deps import PrincipalDep, StateDep, owned_persona, owned_session
from server.errors import ApiError, not_found
from server.pipeline.early_asr import EarlyTranscriber, expected_language
from server.pipeline.limits import still_resting
from server.pipeline.turn import TurnInput, TurnPipeline
from server.state import AppState
from server.storage import accounts, sessions
from server.storage.accounts import Principal
from server.storage.db import Database, Row
from server.storage.sessions import SessionRow

router = APIRouter(tags=["turns"])


class GatedStreamingResponse(StreamingResponse):
    """Holds the turn's place in the gate until the stream is over, however it ends."""

    def __init__(self, content: AsyncIterator[bytes], *, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}
# Containers PyAV decodes that phones and browsers record into.
AUDIO_TYPES = {
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
    "audio/opus",
    "audio/webm",
    "audio/3gpp",
    "audio/amr",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "audio/flac",
    "audio/x-flac",
    "video/webm",
    "video/mp4",
    "video/3gpp",
    "application/ogg",
}

TURN_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": TextTurn.model_json_schema()},
        **{
            mime: {"schema": {"type": "string", "format": "binary"}}
            for mime in ("audio/wav", "audio/mpeg", "audio/ogg", "audio/webm", "audio/3gpp", "audio/mp4")
        },
    },
}

TURN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "One JSON event a line: transcript, sentence..., notice, done.", "content": {"application/x-ndjson": {}}},
    408: {"model": ErrorBody, "description": "the body stopped arriving"},
    409: {"model": ErrorBody, "description": "the session ended, or this Idempotency-Key's turn is being answered right now"},
}


def _only_its_tablet(principal: Principal, session: SessionRow) -> None:
    """A relative's conversation is theirs: caregivers read it, but no one speaks into it from the app
    (their words would become the relative's turns and facts). Caregivers talk in their own sessions."""
    if principal.kind != "device" and session.device_id is not None:
        raise ApiError(403, "forbidden", "Only the tablet holding this conversation can speak in it.")


def _after_hours(db: Database, principal: Principal, session: SessionRow) -> bool:
    """Quiet hours or the day's minutes closed this session, and still hold: the relative's words
    are taken all the same (crisis words are answered with care, anything else with a goodnight)."""
    if principal.kind != "device":
        return False
    device = accounts.get_device(db, principal.household_id, principal.subject_id)
    # The limits read the row by column name.
    return device is not None and still_resting(db, asdict(session), device.id, device.settings)


def may_speak(state: AppState, principal: Principal, session_id: str) -> tuple[SessionRow, Persona]:
    """(session, persona) if this caller may speak a turn in this session now; ApiError otherwise.
    Asked again before every turn of a live socket: consent or a session may end while it is open."""
    db = state.db
    session = owned_session(db, principal, session_id)
    _only_its_tablet(principal, session)
    if session.ended_at is not None and not _after_hours(db, principal, session):
        raise ApiError(409, "session_ended", "This conversation has ended. Start a new session.")
    persona = owned_persona(db, principal, session.persona_id)
    if persona.consent is None:
        raise ApiError(409, "consent_required", "Consent for this persona is no longer recorded.")
    if persona.status == "archived":
        raise ApiError(409, "persona_archived", "This persona has been retired and no longer talks.")
    return session, persona


TURN_KEY = {
    "name": IDEMPOTENCY_KEY_HEADER,
    "in": "header",
    "required": False,
    "description": "One recording's key, the same on every send of it: a session answers each key once (server.turn_replay).",
    "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
}


@router.post(
    "/v1/sessions/{session_id}/turns", openapi_extra={"requestBody": TURN_BODY, "parameters": [TURN_KEY]}, responses=TURN_RESPONSES
)
async def take_turn(session_id: str, request: Request, principal: PrincipalDep, state: StateDep) -> StreamingResponse:
    key = turn_replay.key_of(request)
    earlier = None
    if key is not None:
        # Sent again: an answer already given is given again, even once the conversation ended
        # (the goodbye's answer may be the one that never arrived); another request's turn is its own.
        session = owned_session(state.db, principal, session_id)
        _only_its_tablet(principal, session)
        earlier = sessions.turn_with_key(state.db, session.id, key)
        if earlier is not None and turn_replay.answered(earlier):
            return turn_replay.replay(state, session, earlier)
    session, persona = may_speak(state, principal, session_id)

    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime != "application/json" and mime not in AUDIO_TYPES:
        raise ApiError(
            415, "unsupported_media_type", 'Send the relative\'s speech as audio (e.g. audio/wav) or application/json {"text": ...}.'
        )
    pace = Pace.of(state.settings)
    # A place in the gate only once the body starts to arrive, so a connection that sends nothing
    # holds none. "busy" is still answered before anything is stored: the tablet keeps the
    # recording and sends it again.
    body: str | bytes | None
    if mime == "application/json":
        body = await read_text_turn(request, pace)  # small: read whole, and parsed, before the gate
    else:
        limit = state.settings.max_upload_bytes
        audio = TurnBody(request, pace, limit, f"The body is larger than the limit of {limit // (1024 * 1024)} MB.")
        body = await audio.first()
    if not body:
        raise ApiError(400, "empty_body", "The turn has no speech and no text.")
    release = await state.gate.acquire(principal.household_id, principal.subject_id if principal.kind == "device" else None)
    early = EarlyTranscriber(state.services.asr, expected_language(persona.language)) if mime in WAV_TYPES else None
    try:
        if mime != "application/json":
            assert isinstance(body, bytes)  # read by TurnBody above, not as JSON text
            if early is not None:
                early.feed(body)  # recognition starts while the relative's words are still arriving
            body += await audio.rest(early.feed if early is not None else None)
        received_at = time.perf_counter()
        if earlier is not None:
            if not sessions.take_up_turn(state.db, earlier["id"], stale_before=turn_replay.stale_before(state)):
                raise turn_replay.being_answered()
            earlier = sessions.turn_with_key(state.db, session.id, earlier["idempotency_key"])  # as it is now: words heard meanwhile
        return await _start_turn(principal, state, session, persona, mime, body, received_at, release, early, key, earlier)
    except BaseException:
        if early is not None:
            early.cancel()
        release()
        raise


async def _start_turn(
    principal: Principal,
    state: AppState,
    session: SessionRow,
    persona: Persona,
    mime: str,
    body: str | bytes,
    received_at: float,
    release: Callable[[], None],
    early: EarlyTranscriber | None,
    key: str | None,
    earlier: Row | None,
) -> StreamingResponse:
    pipeline = await prepare_turn(principal, state, session, persona, mime, body, received_at, early, key=key, taken_up=earlier)
    return GatedStreamingResponse(
        _heard_before(pipeline, earlier) if earlier is not None else pipeline.run(),
        release=release,
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Turn-Id": pipeline.turn.turn_id},
    )


async def prepare_turn(
    principal: Principal,
    state: AppState,
    session: SessionRow,
    persona: Persona,
    mime: str,
    body: str | bytes,
    received_at: float,
    early: EarlyTranscriber | None,
    *,
    key: str | None = None,
    taken_up: Row | None = None,
) -> TurnPipeline:
    """Check and keep what the relative said (their recording stored before any generation
    service sees it), record the turn, and return the pipeline that answers it.

    ``key``: the tablet's idempotency key for this recording, stored with the turn. ``taken_up``:
    the turn stored for that key before and claimed by this request (``sessions.take_up_turn``),
    answered now as that same turn: its recording is not stored again, and words recognised
    already are not recognised again."""
    db = state.db
    session_id = session.id

    text = audio = None
    audio_media_id = None
    if isinstance(body, str):
        text = body
    elif taken_up is not None and taken_up["user_text"]:
        text = taken_up["user_text"]  # recognised before (or by the recovery loop): the same words
        if early is not None:
            early.cancel()
        early = None
    else:
        too_long = ApiError(413, "audio_too_long", f"The recording is longer than {state.settings.max_audio_s:.0f} seconds.")
        try:
            # Decoding stops at the limit: a few MB of Opus can hold hours of sound.
            audio = await asyncio.to_thread(decode_audio, body, max_duration_s=state.settings.max_audio_s)
        except AudioTooLong:
            raise too_long from None
        except AudioDecodeError as err:
            raise ApiError(422, "invalid_audio", f"The body is not audio we can decode: {err}") from None
        if audio.duration_s > state.settings.max_audio_s:
            raise too_long
        if taken_up is None:
            # The relative's own recording is kept before any generation service sees it.
            # A tablet that streamed it did not know the length yet: the kept file says it.
            kept = seal_streamed_wav(body) if mime in WAV_TYPES else body
            stored = await asyncio.to_thread(state.media.put, principal.household_id, kept, mime, "relative_speech", persona.id)
            audio_media_id = stored.id

    device = accounts.get_device(db, principal.household_id, principal.subject_id) if principal.kind == "device" else None
    if taken_up is not None:
        turn_id: str | None = taken_up["id"]
    else:
        turn_id = sessions.start_turn(db, principal.household_id, session_id, text=text, audio_media_id=audio_media_id, key=key)
        if turn_id is None:  # the same recording, sent twice at once: the other request stored it first
            if audio_media_id is not None:
                await asyncio.to_thread(state.media.delete, audio_media_id)
            raise turn_replay.being_answered()
    assert turn_id is not None
    pipeline = TurnPipeline(
        state,
        TurnInput(
            household_id=principal.household_id,
            session_id=session_id,
            turn_id=turn_id,
            persona=persona,
            received_at=received_at,
            text=text,
            audio=audio,
            device_id=device.id if device else None,
            device_settings=device.settings if device else None,
            farewell=session.farewell,
            caller=principal,
            early=early if early is not None and early.usable else None,
            taken_up=taken_up is not None,
        ),
    )
    return pipeline


async def _heard_before(pipeline: TurnPipeline, earlier: Row) -> AsyncIterator[bytes]:
    """A spoken turn taken up with words recognised before: its stream still begins with them,
    as every spoken turn's does (the pipeline sends a transcript only when it recognises)."""
    if earlier["user_audio_media_id"] and pipeline.turn.audio is None and pipeline.turn.text:
        yield event_line(TranscriptEvent(text=pipeline.turn.text))
    async for line in pipeline.run():
        yield line


@router.post("/v1/sessions/{session_id}/turns/{turn_id}/playback", status_code=204)
def report_playback(session_id: str, turn_id: str, body: PlaybackReport, principal: PrincipalDep, state: StateDep) -> Response:
    """The relative interrupted: only the sentences played count as said."""
    _only_its_tablet(principal, owned_session(state.db, principal, session_id))
    if sessions.get_turn(state.db, principal.household_id, session_id, turn_id) is None:
        raise not_found("Turn")
    sessions.set_played(state.db, turn_id, body.sentences_played)
    return Response(status_code=204)
