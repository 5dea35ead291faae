"""One turn: what the relative said in, the persona's spoken answer out, as a stream of events.

Each stage starts as soon as its input exists: the answer is split into
sentences while it streams, each sentence goes to speech at once, and sentence
n+1 is synthesized while sentence n is on its way to the tablet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.api import DeviceSettings, DoneEvent, NoticeEvent, Persona, SentenceEvent, TranscriptEvent
from shared.api import event_line as _line
from server.alerts import raise_alert
from server.audio import is_silent
from server.conversation import safety
from server.conversation.intent import CrisisKind
from server.conversation.policy import Move, decide
from server.conversation.understanding import understand
from server.pipeline.early_asr import EarlyTranscriber, expected_language
from server.pipeline.limits import limit_reached
from server.pipeline.replies import reply
from server.pipeline.spoken_check import SpokenCheck
from server.retire import finish_farewell
from server.services.base import Audio, Conversation, ConversationContext, Recording, ServiceError, ServiceFailure
from server.services.fallback_events import FallbackEvent, drain, start_collecting
from server.services.fallbacks import TTS_CAPTIONS_MESSAGE
from server.state import AppState
from server.storage import accounts, households, memories, personas, sessions
from server.storage.accounts import Principal
from server.text.sentences import SentenceSplitter

log = logging.getLogger("keepsake.turn")

# How many sentences may be synthesized ahead of the one being delivered.
LOOKAHEAD = 2


def _kept(event: SentenceEvent) -> dict[str, Any]:
    """A sentence as the turn's stored reply keeps it: the whole event, so a recording sent again
    with the same idempotency key is answered with it as it was (server.turn_replay)."""
    return event.model_dump(mode="json", exclude_none=True, exclude={"type"})


@dataclass
class TurnInput:
    household_id: str
    session_id: str
    turn_id: str
    persona: Persona
    received_at: float  # perf_counter when the relative's upload ended: the clock starts here
    text: str | None = None
    audio: Audio | None = None
    device_id: str | None = None
    device_settings: DeviceSettings | None = None
    farewell: bool = False
    caller: Principal | None = None  # who holds the conversation: only an owner or editor's goodbye ends a retirement
    early: EarlyTranscriber | None = None  # recognition already under way on the streamed upload
    taken_up: bool = False  # a stored turn answered again (sent again with its idempotency key)


@dataclass
class TurnRecord:
    sentences: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    status: str = "answering"
    ended: bool = False


class TurnPipeline:
    def __init__(self, state: AppState, turn: TurnInput):
        self.state = state
        self.turn = turn
        self.persona = turn.persona
        self.language = turn.persona.language
        self.record = TurnRecord()
        self.speaker = state.speaker(turn.persona)
        self._notices: list[NoticeEvent] = []
        self._noticed: set[tuple[str, str]] = set()  # each fallback told once a turn, not once a sentence
        self._fallbacks: list[FallbackEvent] = []
        self.check = SpokenCheck(state, turn.household_id, turn.persona.id, turn.session_id, self.language, self.notice)

    def _ms(self) -> float:
        return round((time.perf_counter() - self.turn.received_at) * 1000, 1)

    def notice(self, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        self._notices.append(NoticeEvent(code=code, message=message, data=data))

    def _drain_notices(self) -> list[bytes]:
        for fallback in drain(self._fallbacks):
            # A voice service that is down fails every sentence of the answer: the tablet hears it once.
            # (Each sentence replaced for safety is still told apart: each is its own alert.)
            if (fallback.code, fallback.stage) in self._noticed:
                continue
            self._noticed.add((fallback.code, fallback.stage))
            captioned = fallback.code == "tts_fallback" and not self.speaker.stand_in_fits  # no stand-in voice: captions
            self.notice(fallback.code, TTS_CAPTIONS_MESSAGE if captioned else fallback.message, {"stage": fallback.stage})
        lines = [_line(n) for n in self._notices]
        self._notices.clear()
        return lines

    async def run(self) -> AsyncGenerator[bytes]:
        """The NDJSON lines of this turn. Always ends with ``done``, whatever fails."""
        self._fallbacks = start_collecting()
        try:
            async for line in self._run():
                yield line
            if self.record.status == "answering":
                self.record.status = "answered"
        except asyncio.CancelledError:
            self.record.status = "interrupted"  # the tablet went away; what was said is kept
            raise
        except Exception:
            log.exception("turn %s failed", self.turn.turn_id)
            self.record.status = "failed"
            for line in self._drain_notices():
                yield line
            yield _line(NoticeEvent(code="turn_failed", message="Something went wrong; what the relative said is kept."))
        finally:
            self.speaker.drop_prepared()
            self.record.timings["total"] = self._ms()
            sessions.touch(self.state.db, self.turn.session_id)
            sessions.finish_turn(
                self.state.db,
                self.turn.turn_id,
                status=self.record.status,
                reply=self.record.sentences,
                timings=self.record.timings,
            )
        if self.record.ended and self.turn.farewell and self.turn.caller is not None:
            await finish_farewell(self.state, self.turn.caller, self.persona.id, self.turn.session_id)
        yield _line(DoneEvent(turn_id=self.turn.turn_id, timings_ms=self.record.timings, ended=self.record.ended))

    async def _run(self) -> AsyncIterator[bytes]:
        text = self.turn.text
        if self.turn.audio is not None:
            text = await self._transcribe(self.turn.audio)
            yield _line(TranscriptEvent(text=text or "", language=self._heard_language))
            for line in self._drain_notices():
                yield line
            if not text:
                # Recognition that failed (not silence) is tried again later by the recovery loop.
                self.record.status = "asr_failed" if self._asr_failed else "unclear"
                async for line in self._speak_all([reply("unclear", self.language)]):
                    yield line
                return
        assert text is not None
        async for line in self._answer(text):
            yield line

    _heard_language: str | None = None
    _asr_failed = False

    async def _transcribe(self, audio: Audio) -> str:
        # Shielded: if the tablet goes away mid-recognition, the words are still saved.
        return await asyncio.shield(asyncio.ensure_future(self._recognise(audio)))

    async def _recognise(self, audio: Audio) -> str:
        started = time.perf_counter()
        try:
            if is_silent(audio):
                if self.turn.early is not None:
                    self.turn.early.cancel()
                return ""
            if self.turn.early is not None:
                transcript = await self.turn.early.finish()
            else:
                transcript = await self.state.services.asr.transcribe(audio, language=expected_language(self.language))
        except ServiceError as err:
            log.warning("speech to text failed: %s", err)
            self._asr_failed = True
            self.notice("asr_failed", "The speech could not be understood right now; the recording is kept.")
            return ""
        finally:
            self.record.timings["asr"] = round((time.perf_counter() - started) * 1000, 1)
        text = transcript.text.strip()
        self._heard_language = transcript.language
        if text:
            sessions.set_transcript(self.state.db, self.turn.turn_id, text)
        return text

    async def _answer(self, text: str) -> AsyncIterator[bytes]:
        """Understand the words once, let the policy decide, and carry the decision out."""
        db, turn, persona = self.state.db, self.turn, self.persona
        profile = personas.profile(persona)
        history = sessions.recent_lines(db, persona.id, device_id=turn.device_id, session_id=turn.session_id)
        # "No, thank you" to "would you like to talk with me?" is their say too.
        device_id = turn.device_id
        first_ask = (lambda: sessions.answers_first_ask(db, device_id, persona.id)) if device_id else None
        understood = understand(db, profile, text, history, answering_first_ask=first_ask)
        decision = decide(understood, limit=limit_reached(db, turn.device_id, turn.device_settings))

        if decision.move is Move.LIMIT:
            assert decision.end_reason is not None  # a limit always says which one was reached
            self._end_conversation(decision.end_reason)
            self.notice(decision.end_reason, "A limit the caregivers set was reached; the conversation ends for now.")
            async for line in self._speak_all([reply(decision.end_reason, self.language)]):
                yield line
            return
        # A turn taken up again may have raised its alert before its first try was cut off.
        if decision.alert is not None and not (turn.taken_up and sessions.alert_raised(db, turn.session_id, decision.alert, text)):
            raise_alert(self.state, turn.household_id, decision.alert, text, persona_id=persona.id, session_id=turn.session_id)
        if decision.move is Move.ALERT:
            contact = households.settings(db, turn.household_id)
            self.notice(
                "crisis",
                "The caregivers have been alerted.",
                {
                    "kind": (understood.crisis or CrisisKind.SELF_HARM).value,
                    "contact_name": contact.crisis_contact_name,
                    "contact_phone": contact.crisis_contact_phone,
                    "emergency_number": contact.emergency_number,
                },
            )
        elif decision.move is Move.STOP and turn.device_id:
            accounts.set_declined(db, turn.device_id, True)
        if decision.ends:
            self._end_conversation(decision.end_reason)
        if decision.move is Move.STOP:
            self.notice("relative_declined", "The relative asked to stop; the caregivers have been told. Do not restart by yourself.")
        if decision.fact and turn.device_id is not None:
            # Kept as this tablet's relative's. A caregiver trying the persona out tells it nothing to keep.
            memories.add_fact(db, turn.household_id, persona.id, turn.session_id, decision.fact, device_id=turn.device_id)
            self.state.ask_ahead(persona.id)  # the next greeting asks after it

        ctx = ConversationContext(
            persona=profile,
            user_text=text,
            memories=list(understood.memories),
            # Only what this tablet's relative said (and facts a caregiver shared): never another's.
            facts=memories.facts_for(db, persona.id, device_id=turn.device_id),
            history=history,
            language=self.language,
            just_told=understood.just_told,
            told_next=understood.told_next,
            understanding=understood,
        )
        # The careful answers (crisis, stop, "are you real?", requests, the family's boundaries) are
        # story mode's fixed words whatever the persona's mode: no model improvises there.
        conversation = self.state.services.story if decision.fixed_words else self._conversation()
        # Every sentence of the answer may say the words of the memories it was given: deleting one deletes that speech.
        async for line in self._speak_stream(self._sentences(conversation, ctx), memory_ids=[m.id for m in ctx.memories]):
            yield line

    def _end_conversation(self, reason: str | None = None) -> None:
        self.record.ended = True
        sessions.end(self.state.db, self.turn.household_id, self.turn.session_id, reason)

    def _conversation(self) -> Conversation:
        """Generative mode only with consent for generated answers; otherwise the person's own words."""
        persona = self.persona
        generated_ok = persona.consent is not None and persona.consent.scope == "generated"
        if persona.mode == "generative" and generated_ok:
            return self.state.services.llm
        return self.state.services.story

    async def _sentences(self, conversation: Conversation, ctx: ConversationContext) -> AsyncIterator[str | Recording]:
        splitter = SentenceSplitter()
        produced = False
        cut_off = False
        guessed: str | None = None
        # The naive baseline of the benchmark waits for the whole answer anyway.
        guessing = self.state.settings.pipeline != "naive"
        async for piece in conversation.reply(ctx):
            if isinstance(piece, ServiceFailure):
                # The fallback wrapper has already told the tablet; the half sentence is dropped.
                log.warning("conversation failed: %s", piece.error)
                cut_off = True
                break
            if isinstance(piece, Recording):
                for sentence in splitter.flush():
                    yield sentence
                produced = True
                yield piece
                continue
            for sentence in splitter.feed(piece):
                produced = True
                yield sentence
            if guessing and not produced:
                # Only the first sentence is worth guessing: the later ones are made while earlier ones play.
                guess = splitter.guess()
                if guess != guessed:
                    self.speaker.drop_prepared()
                    if guess is not None and safety.check_outgoing(guess, self.language).allowed:
                        self.speaker.prepare(guess)
                    guessed = guess
        if not cut_off:
            for sentence in splitter.flush():
                produced = True
                yield sentence
        if not produced:
            yield reply("trouble", self.language)

    async def _speak_all(self, texts: list[str]) -> AsyncIterator[bytes]:
        async def gen() -> AsyncIterator[str]:
            for t in texts:
                yield t

        async for line in self._speak_stream(gen()):
            yield line

    async def _speak_stream(self, sentences: AsyncIterator[str | Recording], memory_ids: Sequence[str] = ()) -> AsyncIterator[bytes]:
        """Synthesize up to LOOKAHEAD sentences ahead and deliver them strictly in order."""
        if self.state.settings.pipeline == "naive":
            # The naive baseline takes text only: it is the benchmark's, which times generated answers.
            async for line in self._speak_naive(sentences, memory_ids):
                yield line
            return
        queue: asyncio.Queue[asyncio.Task[SentenceEvent] | None] = asyncio.Queue(maxsize=LOOKAHEAD)

        async def produce() -> None:
            index = 0
            try:
                async for sentence in sentences:
                    if "first_text" not in self.record.timings:
                        self.record.timings["first_text"] = self._ms()
                    if isinstance(sentence, Recording):
                        safe_line = self.check.recording_blocked(sentence)
                        speaking = (
                            self.speaker.play_recording(index, sentence, memory_ids)
                            if safe_line is None
                            else self.speaker.speak(index, safe_line, memory_ids)
                        )
                    else:
                        speaking = self.speaker.speak(index, self.check.sentence(sentence), memory_ids)
                    await queue.put(asyncio.create_task(speaking))
                    index += 1
            finally:
                await queue.put(None)

        producer = asyncio.create_task(produce())
        try:
            while True:
                task = await queue.get()
                if task is None:
                    break
                try:
                    event: SentenceEvent = await task
                except ServiceError as err:
                    log.warning("speech failed for a sentence: %s", err)
                    self.notice("tts_failed", "A sentence could not be spoken.")
                    continue
                if "first_audio" not in self.record.timings:
                    self.record.timings["first_audio"] = self._ms()
                self.record.sentences.append(_kept(event))
                for line in self._drain_notices():
                    yield line
                yield _line(event)
            await producer  # re-raises what went wrong in the conversation stage
            for line in self._drain_notices():
                yield line
        finally:
            if not producer.done():
                producer.cancel()
            while not queue.empty():
                task = queue.get_nowait()
                if task is not None:
                    task.cancel()

    async def _speak_naive(self, sentences: AsyncIterator[str | Recording], memory_ids: Sequence[str] = ()) -> AsyncIterator[bytes]:
        """The benchmark's baseline only: whole answer, then speech for every sentence, then send.

        Her own recordings are spoken from their words here: the baseline measures synthesis."""
        texts = [self.check.sentence(sentence.text if isinstance(sentence, Recording) else sentence) async for sentence in sentences]
        self.record.timings["first_text"] = self._ms()
        events: list[SentenceEvent] = []
        for index, text in enumerate(texts):
            try:
                events.append(await self.speaker.speak(index, text, memory_ids))
            except ServiceError as err:
                log.warning("speech failed for a sentence: %s", err)
                self.notice("tts_failed", "A sentence could not be spoken.")
        self.record.timings["first_audio"] = self._ms()
        for line in self._drain_notices():
            yield line
        for event in events:
            self.record.sentences.append(_kept(event))
            yield _line(event)
