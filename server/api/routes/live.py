"""The live conversation socket: the relative's voice streams in, the server decides when they
have finished (server.live.turn_end) and answers with the same turn as the POST path.

Protocol (shared.live): ``start`` text frame, binary PCM frames, then per turn ``listening``,
``speech_started``, ``end_of_turn``, the NDJSON turn's events as text frames, and ``listening``
again. While an answer plays, the relative's speech (what the VAD hears for ``barge_in_ms`` and
the echo guard does not explain as the persona's own voice) sends ``interrupted``, keeps only the
sentences heard as said, and begins the next turn. Every limit of the POST turn holds: who may speak in the session, consent, quiet hours,
the busy gate and its fair shares, the longest turn and the largest upload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from shared.api import NoticeEvent
from shared.live import (
    CLOSE_BAD_INPUT,
    CLOSE_IDLE,
    CLOSE_UNAVAILABLE,
    MAX_FRAME_MS,
    MIN_FRAME_MS,
    ClientMessage,
    EndOfTurn,
    EndOfTurnTap,
    Interrupted,
    Listening,
    Playback,
    SpeechStarted,
    Start,
)
from server.api.routes.turns import may_speak, prepare_turn
from server.audio import AudioDecodeError, decode_audio, resample
from server.errors import ApiError
from server.live import models
from server.live.echo import EchoConfig, EchoGuard
from server.live.turn_end import TurnEnd, TurnEndConfig
from server.live.wav import sealed_wav, wav_header
from server.pipeline.early_asr import EarlyTranscriber, expected_language
from server.state import AppState
from server.storage import accounts, sessions
from server.storage.accounts import Principal

router = APIRouter(tags=["turns"])
log = logging.getLogger("keepsake.live")

RATE = 16_000
# A pause this long is worth recognising at once: the words may be needed 250 ms after the last one.
WORDS_PAUSE_S = 0.15
_MEDIA_ID = re.compile(r"/v1/media/([A-Za-z0-9_-]+)")


class BadInput(Exception):
    """The client broke the protocol: the socket closes with 1008 and this reason."""


def _principal(state: AppState, websocket: WebSocket) -> Principal | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return accounts.principal_for(state.db, token.strip())


def turn_end_config(state: AppState) -> TurnEndConfig:
    live = state.settings.live
    return TurnEndConfig(
        vad_threshold=live.vad_threshold,
        complete_pause_ms=live.complete_pause_ms,
        unfinished_pause_ms=live.unfinished_pause_ms,
        words_wait_ms=live.words_wait_ms,
        words_wait_max_ms=live.words_wait_max_ms,
        sentence_pause_ms=live.sentence_pause_ms,
        finished_threshold=live.finished_threshold,
        barge_in_ms=live.barge_in_ms,
    )


def echo_config(state: AppState) -> EchoConfig:
    live = state.settings.live
    return EchoConfig(
        max_delay_ms=live.echo_max_delay_ms,
        correlation=live.echo_correlation,
        loudest_echo_db=live.echo_loudest_db,
        margin_db=live.echo_margin_db,
    )


@router.websocket("/v1/sessions/{session_id}/live")
async def live_conversation(websocket: WebSocket, session_id: str) -> None:
    state: AppState = websocket.app.state.keepsake
    principal = _principal(state, websocket)
    # Refused before the socket opens, with nothing said about whether the session exists.
    if principal is None:
        await websocket.close(CLOSE_BAD_INPUT, "A valid bearer token is required.")
        return
    try:
        may_speak(state, principal, session_id)
    except ApiError as err:
        await websocket.close(CLOSE_BAD_INPUT, err.message)
        return
    if not await asyncio.to_thread(models.available):
        # A server installed without the turn-taking models: the tablet keeps to the POST turn.
        await websocket.close(CLOSE_UNAVAILABLE, "The live conversation is not available on this server.")
        return
    await websocket.accept()
    await LiveConversation(state, websocket, principal, session_id).run()


class LiveConversation:
    def __init__(self, state: AppState, websocket: WebSocket, principal: Principal, session_id: str):
        self.state = state
        self.ws = websocket
        self.principal = principal
        self.session_id = session_id
        self.rate = RATE
        self.inbox: asyncio.Queue[tuple[str, bytes | None]] = asyncio.Queue()
        self.listening = False
        self.closed = False
        # The longest turn: as long as the POST turn's audio, and no bigger than its upload.
        self.limit_bytes = 0
        # Every sample the tablet sent since start, at 16 kHz: the clock of the turn detector and
        # of the echo guard (counted as frames arrive, so a playback report is dated where it came).
        self.received = 0
        self.guard = EchoGuard(echo_config(state))

    async def run(self) -> None:
        reader: asyncio.Task[Any] | None = None
        try:
            start = await self._start()
            if start is None:
                return
            self.rate = start.sample_rate
            settings = self.state.settings
            self.limit_bytes = min(int(settings.max_audio_s * self.rate) * 2, settings.max_upload_bytes)
            reader = asyncio.create_task(self._read())
            detector = TurnEnd(turn_end_config(self.state), guard=self.guard)
            while await self._one_turn(detector):
                pass
        except BadInput as err:
            await self._close(CLOSE_BAD_INPUT, str(err))
        except ApiError as err:  # the session ended or consent was withdrawn while the socket was open
            await self._close(CLOSE_BAD_INPUT, err.message)
        except WebSocketDisconnect:
            self.closed = True
        finally:
            if reader is not None:
                reader.cancel()

    async def _close(self, code: int, reason: str) -> None:
        if not self.closed and self.ws.application_state != WebSocketState.DISCONNECTED:
            self.closed = True
            try:
                await self.ws.close(code, reason)
            except (RuntimeError, OSError):
                pass
        self.closed = True

    async def _start(self) -> Start | None:
        try:
            message = await asyncio.wait_for(self.ws.receive(), self.state.settings.live.idle_s)
        except TimeoutError:
            await self._close(CLOSE_IDLE, "Nothing was sent; the socket is closed.")
            return None
        if message["type"] == "websocket.disconnect":
            self.closed = True
            return None
        if message.get("bytes") is not None:
            raise BadInput("Send a start message before any audio.")
        parsed = self._parse(message.get("text"))
        if not isinstance(parsed, Start):
            raise BadInput("The first message must be start.")
        return parsed

    def _parse(self, text: str | None) -> Start | Playback | EndOfTurnTap:
        try:
            data = json.loads(text or "")
        except ValueError:
            raise BadInput("Text frames must be JSON messages.") from None
        if not isinstance(data, dict):
            raise BadInput("Text frames must be JSON objects with a type.")
        try:
            return ClientMessage.validate_python(data)
        except ValidationError as err:
            kind = data.get("type")
            if kind == "start":
                raise BadInput("start takes sample_rate 8000-48000 and format pcm_s16le.") from None
            if kind in ("playback", "end_of_turn"):
                raise BadInput(f"{kind} has fields it does not take or lacks some.") from None
            raise BadInput("Unknown message type.") from err

    async def _read(self) -> None:
        """Every frame from the tablet: audio (heard in order, even while an answer is on its way: a
        relative who speaks over it interrupts it), taps, playback reports. A broken frame closes the socket."""
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    pcm = message["bytes"]
                    ms = len(pcm) / 2 * 1000 / self.rate
                    if len(pcm) % 2 or not MIN_FRAME_MS - 0.5 <= ms <= MAX_FRAME_MS + 0.5:
                        raise BadInput("Audio frames are 10 to 200 ms of 16-bit mono PCM.")
                    self.received += round(len(pcm) / 2 * RATE / self.rate)
                    self.inbox.put_nowait(("audio", pcm))
                    continue
                parsed = self._parse(message.get("text"))
                if isinstance(parsed, Start):
                    raise BadInput("start was already sent.")
                if isinstance(parsed, Playback):
                    self._played(parsed)
                elif isinstance(parsed, EndOfTurnTap) and self.listening:
                    self.inbox.put_nowait(("tap", None))
        except BadInput as err:
            await self._close(CLOSE_BAD_INPUT, str(err))
        except (WebSocketDisconnect, RuntimeError):
            pass
        self.closed = True
        self.inbox.put_nowait(("closed", None))

    def _played(self, report: Playback) -> None:
        """Only what was heard counts as said. Another session's turn id changes nothing."""
        if report.playing:
            if report.turn_id == self.guard.turn_id:  # where the answer plays: the guard's anchor
                self.guard.report(report.sentences_played, self.received, playing=True)
            return
        if sessions.get_turn(self.state.db, self.principal.household_id, self.session_id, report.turn_id) is not None:
            sessions.set_played(self.state.db, report.turn_id, report.sentences_played)
            if report.turn_id == self.guard.turn_id:
                self.guard.stop()

    async def _interrupt(self, at: int) -> None:
        """The relative spoke over the answer: the tablet stops it, and only what was heard counts as said."""
        turn_id = self.guard.turn_id
        assert turn_id is not None  # the guard is active only once the answer is done
        played = self.guard.sentences_played(at)
        self.guard.stop()
        sessions.set_played(self.state.db, turn_id, played)
        await self._send(Interrupted(turn_id=turn_id, sentences_played=played).model_dump_json())

    async def _send(self, text: str) -> None:
        if self.closed:
            raise WebSocketDisconnect(1006)
        try:
            await self.ws.send_text(text)
        except (RuntimeError, OSError) as err:
            self.closed = True
            raise WebSocketDisconnect(1006) from err

    async def _one_turn(self, detector: TurnEnd) -> bool:
        """Hear one utterance and answer it; False once the socket is over."""
        persona = may_speak(self.state, self.principal, self.session_id)[1]
        early = EarlyTranscriber(self.state.services.asr, expected_language(persona.language), pause_s=WORDS_PAUSE_S)
        early.feed(wav_header(self.rate))
        detector.next_turn()
        detector.words = early.heard_transcript
        detector.words_coming = early.words_coming
        pcm = bytearray()
        idle_s = self.state.settings.live.idle_s
        quiet_from_ms = detector.heard_ms
        self.listening = True
        await self._send(Listening().model_dump_json())
        end: EndOfTurn | None = None
        try:
            while end is None:
                try:
                    kind, data = await asyncio.wait_for(self.inbox.get(), idle_s)
                except TimeoutError:
                    if not detector.speaking:
                        await self._close(CLOSE_IDLE, f"Nothing was heard for {idle_s:.0f} s; the socket is closed.")
                        return False
                    kind, data = "tap", None  # a microphone that stopped mid-sentence: take what was said
                if kind == "closed":
                    return False  # what was said is kept below
                if kind == "tap":
                    # The relative tapped: they are done, even before the VAD was sure they spoke
                    # (a word or two, tapped off at once): the recording is the POST turn's, and is
                    # answered. A tap with no audio at all is a late one from the turn before.
                    if detector.speaking or pcm:
                        end = EndOfTurn(at_ms=detector.heard_ms, by="tap")
                    continue
                assert data is not None  # only taps and closings come without audio
                pcm += data
                early.feed(data)
                samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
                for decision in detector.feed(resample(samples, self.rate, RATE)):
                    if decision.kind == "speech_started":
                        if decision.reason == "barge_in":
                            await self._interrupt(detector.heard_samples)
                        await self._send(SpeechStarted(at_ms=decision.at_ms).model_dump_json())
                    else:
                        end = EndOfTurn(at_ms=decision.at_ms)
                if end is None and len(pcm) >= self.limit_bytes:
                    if detector.speaking:
                        end = EndOfTurn(at_ms=detector.heard_ms, by="limit")  # cut off, as the POST turn's limit
                    else:
                        pcm.clear()
                if end is None and not detector.speaking and detector.heard_ms - quiet_from_ms >= idle_s * 1000:
                    await self._close(CLOSE_IDLE, f"Nothing was heard for {idle_s:.0f} s; the socket is closed.")
                    return False
                if not detector.speaking and end is None and len(pcm) > 2 * self.rate:
                    # Before speech only the last second is worth keeping (the judge and the
                    # recogniser hear the onset); a quiet room must not fill memory.
                    del pcm[: len(pcm) - 2 * self.rate]
        finally:
            self.listening = False
            if end is None:
                early.cancel()
                if detector.speaking:
                    # The socket dropped (or the server is stopping) mid-sentence: none of it is lost.
                    # Kept here, without awaiting, so that even a cancelled handler keeps it.
                    self._keep(bytes(pcm))
        try:
            await self._send(end.model_dump_json())
        except WebSocketDisconnect:
            early.cancel()
            self._keep(bytes(pcm))
            raise
        return await self._answer(bytes(pcm), early)

    def _keep(self, pcm: bytes) -> str | None:
        """Store the relative's words as a turn to be recognised later (server.recovery)."""
        if not pcm:
            return None
        session = sessions.get(self.state.db, self.principal.household_id, self.session_id)
        persona_id = session.persona_id if session is not None else None
        stored = self.state.media.put(self.principal.household_id, sealed_wav(pcm, self.rate), "audio/wav", "relative_speech", persona_id)
        return sessions.start_turn(self.state.db, self.principal.household_id, self.session_id, text=None, audio_media_id=stored.id)

    async def _answer(self, pcm: bytes, early: EarlyTranscriber) -> bool:
        state = self.state
        try:
            session, persona = may_speak(state, self.principal, self.session_id)
        except ApiError as err:
            early.cancel()
            await self._close(CLOSE_BAD_INPUT, err.message)
            return False
        received_at = time.perf_counter()
        device = self.principal.subject_id if self.principal.kind == "device" else None
        try:
            release = await state.gate.acquire(self.principal.household_id, device)
        except ApiError as err:
            # Busy: what was said is kept, and recognised later; the relative may say it again.
            early.cancel()
            self._keep(pcm)
            await self._send(NoticeEvent(code=err.code, message=err.message).model_dump_json(exclude_none=True))
            return True
        try:
            try:
                pipeline = await prepare_turn(
                    self.principal, state, session, persona, "audio/wav", sealed_wav(pcm, self.rate), received_at, early
                )
            except ApiError as err:
                early.cancel()
                await self._send(NoticeEvent(code=err.code, message=err.message).model_dump_json(exclude_none=True))
                return True
            events = pipeline.run()  # an async generator: closed below however the socket ends
            self.guard.new_answer()
            try:
                async for line in events:
                    # A dropped socket stops the answer here; the relative's recording is already kept,
                    # and the turn left unfinished is recognised again as after a crash.
                    text = line.decode().rstrip("\n")
                    await self._send(text)
                    await self._follow(text)
            finally:
                await events.aclose()
        finally:
            release()
        return True

    async def _follow(self, event: str) -> None:
        """Tell the echo guard what the tablet will play: each sentence's audio, sent now."""
        if '"sentence"' not in event and '"done"' not in event:
            return
        data = json.loads(event)
        if data.get("type") == "done":
            self.guard.answered(data["turn_id"])
        elif data.get("type") == "sentence":
            sent_at = self.received
            match = _MEDIA_ID.search(data.get("audio_url") or "")
            media = self.state.media.get(match.group(1)) if match else None
            # A sentence whose audio cannot be read still takes its time (and its place in the count).
            if media is not None:
                try:
                    audio = await asyncio.to_thread(lambda: decode_audio(self.state.media.read_bytes(media), RATE).samples)
                    self.guard.sent(audio, sent_at)
                    return
                except (OSError, AudioDecodeError):
                    log.warning("the echo guard could not read sentence audio %s", media.id)
            self.guard.sent(np.zeros(round(float(data.get("duration_ms") or 0) * RATE / 1000), np.float32), sent_at, known=False)
