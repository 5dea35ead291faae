"""After a crash, or when speech to text was down: finish understanding what the relative said.

Their recording was stored before anything else, so nothing is lost; here the
words are recognised again (and crisis words in them reach the caregivers).
A turn cut off by a crash is then marked as interrupted; one whose recognition
had failed stays to be tried again at the next pass until it is understood.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from server.alerts import raise_alert
from server.audio import AudioDecodeError, decode_audio
from server.conversation.intent import crisis_kind
from server.services.base import Audio, ServiceError
from server.state import AppState
from server.storage import sessions
from server.storage.blobs import StoreUnavailable
from server.storage.db import Row, iso, now
from server.storage.media import MediaFile

log = logging.getLogger("keepsake.recovery")


async def recovery_loop(state: AppState) -> None:
    """Now and then, pick up turns left unfinished for longer than any turn takes.

    Only stale turns: another server process on the same data may be in the
    middle of a fresh one.
    """
    while True:
        try:
            await recover_cut_turns(state, older_than_s=state.settings.turn_stale_s)
        except Exception:  # never let the loop die; try again next time
            log.exception("recovery pass failed")
        await asyncio.sleep(max(state.settings.turn_stale_s, 1))


async def recover_cut_turns(state: AppState, older_than_s: float) -> int:
    cutoff = iso(now() - timedelta(seconds=older_than_s))
    rows = state.db.all(
        "SELECT t.id, t.status, t.user_text, t.user_audio_media_id, t.session_id, s.household_id, s.persona_id"
        " FROM turns t JOIN sessions s ON s.id = t.session_id"
        " WHERE t.status IN ('received', 'transcribed', 'answering', 'asr_failed') AND COALESCE(t.attempted_at, t.created_at) < ?",
        (cutoff,),
    )
    for row in rows:
        text = row["user_text"]
        unavailable = False
        if not text and row["user_audio_media_id"]:
            media = state.media.get(row["user_audio_media_id"])
            try:
                if media is None:  # deleted meanwhile: nothing to hear again
                    raise FileNotFoundError(row["user_audio_media_id"])
                audio = await asyncio.to_thread(_decoded, state, media)
                transcript = await state.services.asr.transcribe(audio)
                text = transcript.text.strip()
                if text:
                    sessions.set_transcript(state.db, row["id"], text)
            except (ServiceError, StoreUnavailable) as err:  # the store down is a service down: try again later
                unavailable = True
                log.warning("could not recognise turn %s again: %s", row["id"], err)
            except (AudioDecodeError, OSError, AttributeError) as err:
                log.warning("could not recognise turn %s again: %s", row["id"], err)
        if text:
            _alert_if_crisis(state, row, text)
        if row["status"] == "asr_failed":
            # Understood now (or never will be): done. Speech to text still down: the next pass tries again.
            status = "asr_failed" if unavailable else "recognised_later"
        else:
            status = "interrupted"
        # Unless the tablet sent the recording again meanwhile and a request took the turn up
        # (server.turn_replay): that request answers it, and says how it ended.
        state.db.execute(
            "UPDATE turns SET status = ? WHERE id = ? AND COALESCE(attempted_at, created_at) < ?",
            (status, row["id"], cutoff),
        )
    if rows:
        log.info("recovered %d turns cut off by a stop", len(rows))
    return len(rows)


def _decoded(state: AppState, media: MediaFile) -> Audio:
    return decode_audio(state.media.read_bytes(media))


def _alert_if_crisis(state: AppState, turn: Row, text: str) -> None:
    """Crisis words in a turn the crash cut off still reach the caregivers (once: the turn may
    have raised its alert just before the server went down)."""
    if crisis_kind(text) is None:
        return
    if not sessions.alert_raised(state.db, turn["session_id"], "crisis", text):
        raise_alert(state, turn["household_id"], "crisis", text, persona_id=turn["persona_id"], session_id=turn["session_id"])
