"""Speak ahead: while no one is talking, make the speech a persona will surely need.

A story-mode answer is an opener phrase, a memory and a question; a session
opens with a greeting. All of these can be known before anyone asks, so they
are synthesized in the background (``likely_sentences``) into the same speech
cache a turn reads, through the same ``Speaker``: the first sentence of such
an answer is then fetched, not synthesized, on the hot path.

One worker per process, one persona at a time. Before each sentence it waits
until no turn holds a place in the turn gate, so it never competes with a
live conversation for more than the one sentence it is already making (the
embedded voice runs on its own thread, off the event loop). A persona is
asked for again after its consent, an edit, a new or changed memory and an
import; at start every persona that can talk is looked at, and only the
sentences missing from the cache are made.

Only a voice worth keeping is kept: when a fallback voice answers (the
persona's own voice service is down), the persona rests for ``STAND_IN_REST_S``:
requests meanwhile (a consent, an edit) are kept for after the rest, not tried
against the same outage at once, and one look is made when it ends.
A persona erased meanwhile keeps nothing: ``Speaker.make_ahead`` stores a
row only while the persona exists, and removes its file otherwise.

Several server processes on one database: each persona's work is done by one of them. The
worker claims it in the database with a lease (``server.storage.shared_places``) before making
anything, renews the lease before each sentence, and lets go after; a process that finds it
claimed leaves it, and the holder looks at the persona again once done if that was asked after it
began reading what to make. A holder that died frees it when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.api import Persona
from server.pipeline.gate import TurnGate
from server.pipeline.likely_sentences import MemoryWords, likely_sentences, memory_origins
from server.pipeline.speech import Speaker
from server.services.base import RelativeFact, ServiceError
from server.storage import memories, personas, shared_places, speech_cache
from server.storage.db import Database, iso
from server.storage.off_loop import in_thread

if TYPE_CHECKING:  # only for ``request``'s signature: the state builds speakers, it does not know this worker
    from server.state import AppState

log = logging.getLogger("keepsake.speak_ahead")

# At most this many sentences per persona: every greeting and phrase (about 200 in
# English), then memories' first sentences (seven each: told, and told again in six
# wordings), for the demo persona's 38 all of it; a whole book imported as thousands
# of memories does not keep the machine busy for hours.
MAX_SENTENCES = 500
# A claim on a persona's work outlives a dead process by at most this; renewed before each sentence
# (a sentence takes seconds, but the worker may wait for the turns of a busy evening between two).
CLAIM_LEASE_S = 300.0
# After a stand-in voice answered for a persona, its own voice is not asked again before this: an
# outage lasts minutes, and every edit of a busy evening would otherwise try the voice once more.
STAND_IN_REST_S = 300.0


class SpeakAhead:
    """The background worker; ``request`` may be called from any thread.

    ``speaker_for`` builds a persona's speaker exactly as a turn does (``AppState.speaker``), so the
    sentences made here are found by the turn's cache keys.
    """

    def __init__(
        self,
        db: Database,
        gate: TurnGate,
        speaker_for: Callable[[Persona], Speaker],
        *,
        max_sentences: int = MAX_SENTENCES,
        process_id: str | None = None,
        claim_lease_s: float = CLAIM_LEASE_S,
        stand_in_rest_s: float = STAND_IN_REST_S,
    ):
        self.db = db
        self.process_id = process_id or shared_places.new_process_id()
        self.claim_lease_s = claim_lease_s
        self.stand_in_rest_s = stand_in_rest_s
        self._resting: dict[str, asyncio.TimerHandle] = {}  # persona id -> the look at the end of its voice's rest
        self.gate = gate
        self.speaker_for = speaker_for
        self.max_sentences = max_sentences
        self._pending: dict[str, None] = {}  # persona ids, oldest request first, each once
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._working = False
        self.made = 0  # sentences made since start

    @property
    def settled(self) -> bool:
        """Nothing asked for is left to do (tests and the benchmark wait for this)."""
        return not self._pending and not self._working

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()  # bound to this loop (an app may be started again, as tests do)
        if self._pending:
            self._wake.set()
        self._task = self._loop.create_task(self._run(), name="speak-ahead")

    async def stop(self) -> None:
        for handle in self._resting.values():
            handle.cancel()
        self._resting.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._loop = self._task = None

    def request(self, persona_id: str) -> None:
        """Look at this persona again soon (after what is already asked for)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the server is stopping
            loop.call_soon_threadsafe(self._add, persona_id)

    def request_all(self) -> None:
        """Every persona that can talk: consent recorded and not archived."""
        rows = self.db.all(
            "SELECT p.id FROM personas p WHERE p.status != 'archived'"
            " AND EXISTS (SELECT 1 FROM consents c WHERE c.persona_id = p.id) ORDER BY p.created_at"
        )
        for row in rows:
            self.request(row["id"])

    def _add(self, persona_id: str) -> None:
        self._pending[persona_id] = None
        self._wake.set()

    async def _run(self) -> None:
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            persona_id = next(iter(self._pending))
            del self._pending[persona_id]
            if self._rests(persona_id):
                continue
            self._working = True
            try:
                await self._speak_for(persona_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # one persona's trouble must not end the worker
                log.exception("speaking ahead for persona %s failed", persona_id)
            finally:
                self._working = False

    def _rests(self, persona_id: str) -> bool:
        """Is this persona's voice resting after a stand-in answered? Then the request is covered by
        the one look the rest's end makes (``_rest``), however many came meanwhile."""
        return persona_id in self._resting

    def _rest(self, persona_id: str) -> None:
        assert self._loop is not None  # only the running worker finds a stand-in
        handle = self._loop.call_later(self.stand_in_rest_s, self._after_rest, persona_id)
        self._resting[persona_id] = handle

    def _after_rest(self, persona_id: str) -> None:
        del self._resting[persona_id]
        self._add(persona_id)

    async def _speak_for(self, persona_id: str) -> None:
        if not await _in_thread(shared_places.claim_speak_ahead, self.db, persona_id, self.process_id, self.claim_lease_s):
            return  # another process is making them, and will look again for what was asked meanwhile
        looked_at = iso()  # the plan is read after this: what was asked before it is in the plan
        try:
            await self._make_for(persona_id)
        finally:
            asked_at = await _in_thread(shared_places.release_speak_ahead, self.db, persona_id, self.process_id)
            if asked_at is not None and asked_at >= looked_at:
                self._add(persona_id)

    async def _make_for(self, persona_id: str) -> None:
        persona = await _in_thread(_talking_persona, self.db, persona_id)
        if persona is None:
            return
        texts = await _in_thread(plan, self.db, persona, self.max_sentences)
        speaker = self.speaker_for(persona)
        by_key = {speaker.cache_key(text): text for text in texts}
        todo = [by_key[k] for k in await _in_thread(speech_cache.missing, self.db, list(by_key))]
        # Which memories' words each sentence says (worked out only when there is something to make).
        origins = await _in_thread(said_from, self.db, persona, self.max_sentences) if todo else {}
        made = 0
        for text in todo:
            await self.gate.wait_idle()
            if not await _in_thread(shared_places.renew_speak_ahead, self.db, persona_id, self.process_id, self.claim_lease_s):
                log.info("speaking ahead for persona %s left to another process (this one's claim ran out)", persona_id)
                return
            try:
                outcome = await speaker.make_ahead(text, origins.get(text, ()))
            except ServiceError as err:
                log.warning("speaking ahead for persona %s stopped: %s", persona_id, err)
                return
            if outcome == "stand_in":
                log.info("speaking ahead for persona %s stopped: its voice is not available, a stand-in answered", persona_id)
                self._rest(persona_id)
                return
            if outcome == "gone":
                return
            if outcome == "made":
                made += 1
                self.made += 1
        if made:
            log.info("spoke ahead %d sentences for persona %s (%d were made before)", made, persona_id, len(texts) - len(todo))


def _memory_words(db: Database, persona: Persona) -> list[tuple[str, MemoryWords]]:
    """The memories story mode may tell, as (id, words), in the order they were made."""
    generated = persona.mode == "generative" and persona.consent is not None and persona.consent.scope == "generated"
    # A generative persona words its memories afresh each time: only story mode says them as written.
    rows = (
        []
        if generated
        else db.all("SELECT id, text, audio_media_id FROM memories WHERE persona_id = ? AND hidden = 0 ORDER BY created_at", (persona.id,))
    )
    return [(r["id"], MemoryWords(r["text"], r["audio_media_id"] is not None)) for r in rows]


def said_from(db: Database, persona: Persona, limit: int = MAX_SENTENCES) -> dict[str, list[str]]:
    """For each memory sentence ``plan`` may hold, the ids of the memories it says the words of."""
    return memory_origins(persona, _memory_words(db, persona)[:limit])


def plan(db: Database, persona: Persona, limit: int = MAX_SENTENCES) -> list[str]:
    """The sentences to have ahead for this persona, most worth first."""
    words = [w for _, w in _memory_words(db, persona)]
    _, farewell = personas.retirement(db, persona.id)
    return likely_sentences(persona, listeners(db, persona), words, farewell=farewell, limit=limit)


def listeners(db: Database, persona: Persona) -> list[list[RelativeFact]]:
    """What each greeting may ask after: each tablet's relative's own facts (with the shared ones),
    then the shared ones alone (a newly paired tablet, a caregiver's test). One tablet's news is
    never made into speech for another's greeting."""
    devices = db.all("SELECT id FROM devices WHERE household_id = ? AND revoked_at IS NULL ORDER BY created_at", (persona.household_id,))
    return [memories.facts_for(db, persona.id, device_id=d["id"]) for d in devices] + [memories.facts_for(db, persona.id, device_id=None)]


def still_to_make(db: Database, persona: Persona, *, tts_name: str, voice: str | None, limit: int = MAX_SENTENCES) -> int:
    """How many of the persona's sentences are not in the cache yet (the benchmark waits for none)."""
    keys = [speech_cache.key(persona.id, tts_name, voice, persona.language, text) for text in plan(db, persona, limit)]
    return len(speech_cache.missing(db, keys))


_in_thread = in_thread  # finished even when cancelled: the server closes the database right after stopping this worker


def _talking_persona(db: Database, persona_id: str) -> Persona | None:
    """The persona, if it still exists and can be talked with."""
    row = db.one("SELECT household_id FROM personas WHERE id = ?", (persona_id,))
    persona = personas.get(db, row["household_id"], persona_id) if row else None
    if persona is None or persona.consent is None or persona.status == "archived":
        return None
    return persona


def request(state: AppState, persona_id: str) -> None:
    """Ask the server's speak-ahead worker to look at this persona; nothing if it is turned off. Any thread."""
    state.ask_ahead(persona_id)
