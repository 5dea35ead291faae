"""Register the persona's voice with the configured cloning service, and remove it again on erasure."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from shared.api import Persona, PersonaUpdate
from server.errors import ApiError
from server.services.base import ServiceError
from server.services.cloning import VoiceCloner, VoiceSample
from server.state import AppState
from server.storage import personas
from server.voice import store
from server.voice.checks import NEEDED_CLEAN_S

log = logging.getLogger("keepsake.voice")

NO_CLONING = (
    "No voice-cloning service is set up on this server, so {name} will speak with the built-in voice. "
    "The samples are kept: once a service is set up (KEEPSAKE_TTS__PROVIDER=elevenlabs, for one), ask again."
)


def cloner_for(state: AppState) -> VoiceCloner | None:
    """The cloning service the settings describe, if any."""
    return state.services.cloner


def _read(state: AppState, samples: list[dict[str, Any]]) -> list[VoiceSample]:
    out = []
    for sample in samples:
        media = state.media.get(sample["media_id"]) if sample["media_id"] else None
        if media is None:
            continue
        try:
            data = state.media.read_bytes(media)
        except FileNotFoundError:
            continue  # as before: a sample whose file is gone is left out
        out.append(VoiceSample(sample["filename"] or media.name, data, media.mime))
    return out


async def clone_voice(state: AppState, household_id: str, persona: Persona) -> dict[str, Any]:
    """Make the voice from the usable samples and keep its id on the persona. 409/502 say what to do."""
    cloner = cloner_for(state)
    if cloner is None:
        raise ApiError(409, "no_cloning_service", NO_CLONING.format(name=persona.display_name))
    samples = [s for s in store.list_for(state.db, persona.id) if s["usable"]]
    clean = round(sum(s["clean_s"] for s in samples), 1)
    if clean < NEEDED_CLEAN_S:
        raise ApiError(
            409,
            "not_enough_voice",
            f"There are {clean:.0f} seconds of clean speech; {NEEDED_CLEAN_S:.0f} are needed. Record about {NEEDED_CLEAN_S - clean:.0f} seconds more.",
        )
    files = await asyncio.to_thread(_read, state, samples)
    try:
        voice_id = await cloner.create_voice(
            f"Keepsake {persona.display_name}"[:100],
            files,
            description=f"Keepsake persona {persona.id}; consent recorded by the family.",
        )
    except ServiceError as err:
        raise ApiError(
            502, "voice_service_failed", f"The voice service could not make the voice ({err.message}). Try again later."
        ) from None
    previous = persona.voice_id
    store.remember_voice(state.db, household_id, persona.id, cloner.name, voice_id)
    # Making her voice is choosing it: she speaks in it now, whatever was chosen before.
    personas.update(state.db, household_id, persona.id, PersonaUpdate(voice_id=voice_id, voice_choice="cloned"))
    if previous and previous != voice_id:
        await _delete_remote(state, cloner, persona.id, previous)  # the old voice is no longer used
    return {
        "voice_id": voice_id,
        "provider": cloner.name,
        "samples_used": len(files),
        "clean_s": clean,
        "message": f"{persona.display_name}'s voice is ready: answers are now spoken in it.",
    }


async def _delete_remote(state: AppState, cloner: VoiceCloner, persona_id: str, voice_id: str) -> bool:
    """Delete a voice this server made (a voice the family picked from the service's own list is left alone)."""
    ours = {v["voice_id"] for v in store.cloned_voices(state.db, persona_id) if v["provider"] == cloner.name}
    if voice_id not in ours:
        return True
    try:
        await cloner.delete_voice(voice_id)
    except ServiceError as err:
        log.warning("could not delete voice %s at %s: %s", voice_id, cloner.name, err)
        return False
    store.forget_voice(state.db, cloner.name, voice_id)
    return True


async def remove_voice(state: AppState, household_id: str, persona: Persona) -> None:
    """Stop using the cloned voice and delete it at the service; 502 (voice kept) if the service fails."""
    cloner = cloner_for(state)
    if persona.voice_id and cloner is not None and not await _delete_remote(state, cloner, persona.id, persona.voice_id):
        raise ApiError(502, "voice_service_failed", "The voice service could not delete the voice right now. Try again later.")
    # Without it, the first voice that suits her (else her own recordings and captions only).
    change = PersonaUpdate(voice_id=None, voice_choice=None) if persona.voice_choice == "cloned" else PersonaUpdate(voice_id=None)
    personas.update(state.db, household_id, persona.id, change)


async def forget_voices(state: AppState, persona_id: str) -> list[str]:
    """Erasure: delete every voice made for the persona at the service. The ids that could not be deleted."""
    cloner = cloner_for(state)
    failed = []
    for voice in store.cloned_voices(state.db, persona_id):
        if cloner is None or cloner.name != voice["provider"]:
            failed.append(voice["voice_id"])
            continue
        if not await _delete_remote(state, cloner, persona_id, voice["voice_id"]):
            failed.append(voice["voice_id"])
    return failed
