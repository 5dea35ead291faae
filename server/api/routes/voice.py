"""The persona's voice: recorded samples (checked one by one), and cloning a voice from them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response

from shared.api import CloneResult, CloningInfo, ErrorBody, SampleAdded, VoiceOverview, VoiceSampleOut
from server.audio import AudioDecodeError, decode_audio
from server.deps import CaregiverDep, EditorDep, StateDep, owned_persona
from server.errors import ApiError, not_found
from server.importers.detect import HEAD_BYTES, sniff_binary
from server.importers.upload import RECORDING_BODY, receive_recording
from server.pipeline import speak_ahead
from server.storage import audit, sources
from server.storage.db import Database
from server.storage.erasure import leave_nothing
from server.voice import checks, store
from server.voice.clone import NO_CLONING, clone_voice, cloner_for, remove_voice

router = APIRouter(tags=["voice"])

MAX_SAMPLE_BYTES = 50 * 1024 * 1024
_MIMES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
    "3gp": "audio/3gpp",
    "webm": "audio/webm",
    "amr": "audio/amr",
    "aiff": "audio/aiff",
    "caf": "audio/x-caf",
    "aac": "audio/aac",
}


def _progress(db: Database, persona_id: str) -> dict[str, Any]:
    total = store.total_clean_s(db, persona_id)
    return {
        "total_clean_s": total,
        "needed_s": checks.NEEDED_CLEAN_S,
        "enough": total >= checks.NEEDED_CLEAN_S,
        "message": checks.progress_message(total),
    }


def _examine(path: Path) -> tuple[str, str, checks.SampleCheck]:
    """(mime, extension, check) of an uploaded recording; 4xx when it is not audio we can use."""
    with open(path, "rb") as fh:
        sniffed = sniff_binary(fh.read(HEAD_BYTES))
    if sniffed is None or sniffed[0] != "audio":
        raise ApiError(422, "invalid_audio", "This file is not a recording we can play. Record again, or send a WAV, MP3 or M4A file.")
    try:
        audio = decode_audio(path.read_bytes(), 16000, max_duration_s=checks.MAX_SAMPLE_S)
    except AudioDecodeError as err:
        if "longer than" in str(err):
            raise ApiError(
                413, "audio_too_long", f"A sample can be at most {checks.MAX_SAMPLE_S / 60:.0f} minutes long; record shorter pieces."
            ) from None
        raise ApiError(422, "invalid_audio", f"This recording cannot be played: {err}") from None
    return _MIMES.get(sniffed[1], "application/octet-stream"), sniffed[1], checks.check(audio)


@router.post(
    "/v1/personas/{persona_id}/voice-samples",
    status_code=201,
    response_model=SampleAdded,
    openapi_extra={"requestBody": RECORDING_BODY},
)
async def add_voice_sample(persona_id: str, request: Request, caregiver: EditorDep, state: StateDep) -> SampleAdded:
    """One recording of the person speaking: checked (length, loudness, clipping, silence, noise) and kept.

    Unusable recordings are kept too, so they can be listened to, but do not count toward the 30 seconds.
    """
    owned_persona(state.db, caregiver, persona_id)
    upload = await receive_recording(
        request, state.settings.data_dir / "uploads", MAX_SAMPLE_BYTES, request.query_params.get("filename") or "sample"
    )
    try:
        mime, extension, result = await asyncio.to_thread(_examine, upload.path)
        stored = await asyncio.to_thread(
            sources.store_file,
            state.media,
            caregiver.household_id,
            persona_id,
            upload.path,
            mime=mime,
            kind="voice_sample",
            extension=extension,
        )
    except BaseException:
        upload.discard()
        raise
    sample = store.add(state.db, caregiver.household_id, persona_id, stored.id, upload.filename, result)
    audit.record(state.db, caregiver, "add_voice_sample", sample["id"], result.verdict)
    return SampleAdded(sample=VoiceSampleOut(**sample), **_progress(state.db, persona_id))


@router.get("/v1/personas/{persona_id}/voice-samples", response_model=VoiceOverview)
def list_voice_samples(persona_id: str, caregiver: CaregiverDep, state: StateDep) -> VoiceOverview:
    """The samples, the clean seconds so far against the 30 asked for, and whether a cloning service is there;
    every voice the persona can be given (what each one is), the family's choice, and whether hers suits her."""
    persona = owned_persona(state.db, caregiver, persona_id)
    cloner = cloner_for(state)
    cloning = CloningInfo(
        available=cloner is not None,
        provider=cloner.name if cloner else None,
        message="A voice can be made from the samples." if cloner else NO_CLONING.format(name=persona.display_name),
    )
    samples = [VoiceSampleOut(**s) for s in store.list_for(state.db, persona_id)]
    voices = state.voices(persona)
    return VoiceOverview(
        samples=samples,
        voice_id=persona.voice_id,
        cloning=cloning,
        voices=voices.all(),
        choice=persona.voice_choice,
        voice_fit=voices.fit,
        **_progress(state.db, persona_id),
    )


@router.delete("/v1/personas/{persona_id}/voice-samples/{sample_id}", status_code=204)
def delete_voice_sample(persona_id: str, sample_id: str, caregiver: EditorDep, state: StateDep) -> Response:
    owned_persona(state.db, caregiver, persona_id)
    media_id = store.delete(state.db, persona_id, sample_id)
    if media_id is None:
        raise not_found("Voice sample")
    if media_id:
        state.media.delete(media_id)
    audit.record(state.db, caregiver, "delete_voice_sample", sample_id)
    leave_nothing(state.db)
    return Response(status_code=204)


_SERVICE_FAILED: dict[int | str, dict[str, Any]] = {502: {"model": ErrorBody, "description": "the voice service failed; nothing changed"}}


@router.post("/v1/personas/{persona_id}/voice/clone", response_model=CloneResult, responses=_SERVICE_FAILED)
async def make_voice(persona_id: str, caregiver: EditorDep, state: StateDep) -> CloneResult:
    """Register the person's voice from the usable samples with the cloning service; answers are then spoken in it.

    409 ``no_cloning_service`` when none is set up (the built-in voice speaks), 409 ``not_enough_voice`` under 30 s
    of clean speech, 502 when the service fails.
    """
    persona = owned_persona(state.db, caregiver, persona_id)
    result = await clone_voice(state, caregiver.household_id, persona)
    audit.record(state.db, caregiver, "clone_voice", persona_id, result["provider"])
    speak_ahead.request(state, persona_id)  # the new voice starts with an empty cache: fill it
    return CloneResult(**result)


@router.delete("/v1/personas/{persona_id}/voice", status_code=204, responses=_SERVICE_FAILED)
async def delete_voice(persona_id: str, caregiver: EditorDep, state: StateDep) -> Response:
    """Stop speaking in the cloned voice and delete it at the service (the samples stay)."""
    persona = owned_persona(state.db, caregiver, persona_id)
    await remove_voice(state, caregiver.household_id, persona)
    audit.record(state.db, caregiver, "delete_voice", persona_id)
    speak_ahead.request(state, persona_id)  # back to the built-in voice, whose sentences may not be made yet
    return Response(status_code=204)
