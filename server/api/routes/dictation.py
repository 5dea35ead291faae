"""Dictation: a caregiver's spoken words turned into text, and nothing kept.

The caregiver reviews the words and saves them as a typed memory. The recording
is not imported as a voice memo: that would keep the caregiver's voice as the
person's own.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from shared.api import Dictation
from server.audio import AudioDecodeError, AudioTooLong, decode_audio, is_silent
from server.deps import EditorDep, StateDep, owned_persona
from server.errors import ApiError
from server.importers.upload import RECORDING_BODY, Upload, receive_recording
from server.services.base import Audio, ServiceError
from server.storage import audit

router = APIRouter(tags=["memories"])

NO_WORDS = "No words were heard in the recording. Speak close to the tablet and try again."


def _decode(upload: Upload, max_s: float) -> Audio:
    too_long = ApiError(413, "audio_too_long", f"A dictation can be at most {max_s:.0f} seconds long; say it in shorter pieces.")
    try:
        audio = decode_audio(upload.path.read_bytes(), max_duration_s=max_s)
    except AudioTooLong:
        raise too_long from None
    except AudioDecodeError:
        raise ApiError(422, "invalid_audio", "This is not a recording we can play. Record again, or send a WAV, MP3 or M4A file.") from None
    if audio.duration_s > max_s:
        raise too_long
    return audio


@router.post(
    "/v1/personas/{persona_id}/dictation",
    response_model=Dictation,
    openapi_extra={"requestBody": RECORDING_BODY},
)
async def dictate(persona_id: str, request: Request, caregiver: EditorDep, state: StateDep) -> Dictation:
    """The words of a caregiver's recording, for them to check and save as a memory. Nothing is stored.

    422 ``no_words`` when no speech is heard, 422 ``invalid_audio`` when it is not audio, 413 past
    ``max_audio_s`` seconds or the upload limit.
    """
    # Who and which persona before a byte is read: another household gets 404, a viewer 403.
    persona = owned_persona(state.db, caregiver, persona_id)
    # the same size limit as a turn
    upload = await receive_recording(request, state.settings.data_dir / "uploads", state.settings.max_upload_bytes, "dictation")
    try:
        audio = await asyncio.to_thread(_decode, upload, state.settings.max_audio_s)
    finally:
        upload.discard()
    if is_silent(audio):
        raise ApiError(422, "no_words", NO_WORDS)
    # A place in the turns' gate: the embedded speech-to-text shares this machine's CPU with the
    # relatives' turns, and many dictations at once must not make a relative wait.
    release = await state.gate.acquire(caregiver.household_id)
    try:
        # The same speech-to-text a turn uses, so a failing remote service falls back to the embedded one.
        transcript = await state.services.asr.transcribe(audio, language=persona.language)
    except ServiceError:
        raise ApiError(503, "speech_unavailable", "The words could not be made out right now. Please try again in a moment.") from None
    finally:
        release()
    text = transcript.text.strip()
    if not text:
        raise ApiError(422, "no_words", NO_WORDS)
    audit.record(state.db, caregiver, "dictate", persona_id, f"{audio.duration_s:.0f} s")
    return Dictation(text=text, language=transcript.language or persona.language)
