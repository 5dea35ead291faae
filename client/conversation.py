"""The conversation: listen, send, play the answer as it streams in, and keep going when the server is away.

Everything here runs on the UI thread except the ``_*_work`` methods, which
run on worker threads and only talk back through the ``@mainthread`` handlers. The screen shows
``app.state``:

    starting -> idle -> listening -> thinking -> speaking -> idle
                  \\-> resting (server away or busy; recordings wait in the outbox, retried automatically)
    ended: the conversation is over (a goodbye, a limit, quiet hours, or the relative said
           "stop"); nothing starts by itself until the relative taps the talk control
    setup: not paired, or the server no longer knows this tablet

The words go up while the relative speaks (``LiveTurn``): the turn's request
opens with the microphone and its body ends with the speech, so the server
has recognised nearly everything by then. The recording still goes to the
outbox first; if the streamed request fails, that file is sent as before.

The relative's own say: when they asked the avatar to stop, the server remembers
it for this tablet (``declined`` in /v1/devices/me) and the tablet opens no
session, says no greeting, and does not retry until they tap, even after a restart.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from kivy.clock import Clock, mainthread
from kivy.logger import Logger

from client import testhooks
from client.api import ApiError, KeepsakeClient, Offline
from client.audio import decode_audio
from client.live_upload import LiveUpload, UploadAborted
from client.outbox import Outbox, Pending
from client.platform import make_mic, make_player
from client.player import Segment
from client.states import next_state
from client.worker import background
from shared.api import DeviceSelf, NoticeEvent, SentenceEvent

RETRY_FIRST_S, RETRY_MAX_S = 3.0, 30.0


class NoPersona(Exception):
    pass


class Answer:
    """One spoken answer: the greeting, the reply to a turn, a replay or a test."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.turn_id: str | None = None
        self.segments: list[Segment] = []
        self.heard = 0  # sentences the relative began to hear
        self.done = kind != "reply"
        self.cancelled = False


class LiveTurn:
    """A turn whose words go up while the relative speaks (see ``client.live_upload``).

    ``item`` is the same words in the outbox, set before the body ends: the
    request lets go of it once the server has them, and if the request fails,
    it is sent the ordinary way.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.upload = LiveUpload()
        self.item: Pending | None = None


class Conversation:
    def __init__(self, app) -> None:
        self.app = app
        self.store = app.store
        data = Path(app.data_dir)
        self.outbox = Outbox(data / "outbox")
        self.scratch = data / "recording"
        self.mic = make_mic()
        self.player = make_player()
        self.player.volume = app.volume
        self.client: KeepsakeClient | None = None
        self.session_id: str | None = None
        self.persona = None
        self.answer: Answer | None = None
        self.last_answer: Answer | None = None
        self._last_segment: Segment | None = None
        self._sending = False
        self._live: LiveTurn | None = None  # the turn streaming while the relative speaks
        self._connecting = False
        self.device: DeviceSelf | None = None  # this tablet as the server knows it (crisis contact, declined)
        # the conversation is over (goodbye, limit, quiet hours, "stop"): wait for the relative's tap
        self.over = False
        self._closed_session: str | None = None  # a session a limit closed, that still takes words
        self._retry_delay = RETRY_FIRST_S
        self._retry_event = None
        self._mouth = 0.0
        self._max_gap = 0.0  # the longest pause between frames since the last answer ended
        testhooks.emit("platform", mic=self.mic.name, audio=self.player.name)
        Clock.schedule_interval(self._tick, 1 / 30)

    # ------------------------------------------------------------------ connecting
    def connect(self) -> None:
        """(Re)open the conversation: find the persona, its portrait, a new session, the greeting."""
        token = self.store.token()
        url = self.store.settings.server_url
        if not token or not url:
            self.app.enter_setup()
            return
        if self.client is None or self.client.base_url != url:
            self.client = KeepsakeClient(url, token)
        self.client.set_token(token)
        if self._connecting:
            return
        self._connecting = True
        self._go("connect")
        background(self._connect_work, self.store.settings.persona_id, on_result=self._connected, on_error=self._connect_failed, name="connect")

    def _connect_work(self, wanted_id: str):
        me = None
        try:
            me = self.client.me()
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            Logger.info(f"Keepsake: the server does not describe this tablet ({exc})")  # an older server
        personas = self.client.personas()
        persona = next((p for p in personas if p.id == wanted_id), None) or next((p for p in personas if p.consent), None)
        if persona is None:
            raise NoPersona()
        try:
            portrait = self._keep_portrait(persona.id, self.client.portrait(persona.id))
        except (ApiError, Offline, OSError) as exc:
            Logger.info(f"Keepsake: no new portrait ({exc})")
            portrait = self._kept_portrait(persona.id)  # the last one, or the placeholder
        if me is not None and me.declined and not self.outbox.items():
            # The relative asked the avatar to stop: no session, no greeting, until they tap.
            # (Words waiting in the outbox were said after a tap: those do open a session.)
            return personas, persona, portrait, None, me
        session = self.client.start_session(persona.id)
        return personas, persona, portrait, session, me

    def _portraits(self) -> Path:
        return Path(self.app.data_dir) / "portraits"

    def _kept_portrait(self, persona_id: str) -> Path | None:
        legacy = self._portraits() / f"{persona_id}.png"  # the name tablets used before
        return next(iter(sorted(self._portraits().glob(f"{persona_id}-*.png"))), legacy if legacy.exists() else None)

    def _keep_portrait(self, persona_id: str, data: bytes) -> Path:
        """Keep the photo under a name that follows its content: a new photo is a new path, so the
        face on screen reloads (Kivy caches an image by its path). Older photos of the persona go."""
        folder = self._portraits()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{persona_id}-{hashlib.sha256(data).hexdigest()[:16]}.png"
        if not path.exists():
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(path)
        for old in [*folder.glob(f"{persona_id}-*.png"), folder / f"{persona_id}.png"]:
            if old != path:
                old.unlink(missing_ok=True)
        return path

    def refresh_face(self) -> None:
        """Show the persona's photo and mouth as the family left them (a caregiver may have just
        changed them, here or on another device) now, not at the next conversation."""
        if self.client is None or self.persona is None:
            return
        persona_id = self.persona.id

        def work():
            personas = self.client.personas()
            persona = next((p for p in personas if p.id == persona_id), None)
            if persona is None:
                return None
            try:
                portrait = self._keep_portrait(persona.id, self.client.portrait(persona.id))
            except ApiError:
                portrait = None  # the photo was removed: the placeholder it is
            return personas, persona, portrait

        def refreshed(result) -> None:
            if result is None or self.persona is None or result[1].id != self.persona.id:
                return
            personas, persona, portrait = result
            self.persona = persona
            self.app.set_persona(persona, str(portrait) if portrait else "", personas)
            testhooks.emit("face_refreshed", portrait=str(portrait or ""), mouth=list(self.app.mouth_point))

        background(work, on_result=refreshed, on_error=lambda exc: Logger.info(f"Keepsake: the face stays as it was ({exc})"),
                   name="refresh-face")

    def _connected(self, result) -> None:
        self._connecting = False
        personas, persona, portrait, session, me = result
        if me is not None:
            self.device = me
        self.persona = persona
        self.app.set_persona(persona, str(portrait) if portrait else "", personas)
        self._retry_delay = RETRY_FIRST_S
        self.app.status = ""
        if session is None:
            self.session_id = None
            self._conversation_over()
            testhooks.emit("connected", session=None, persona=persona.display_name, declined=True)
            return
        self.session_id = session.id
        recent = [session.id] + [s for s in self.store.settings.recent_sessions if s != session.id]
        self.store.update(persona_id=persona.id, session_id=session.id, recent_sessions=recent[:10])
        testhooks.emit("connected", session=session.id, persona=persona.display_name, ended=session.ended)
        if session.ended:
            # Quiet hours or the day's minutes are used up: a warm goodbye, then rest until a tap.
            if self.outbox.items():
                # The relative tapped and spoke: the words go now, not with the morning's talk. The
                # server hears crisis words at any hour (care, the crisis card, the caregivers alerted)
                # and answers anything else with a short goodnight that ends this session again.
                self.over = True
                self.session_id = self._closed_session = session.id
                self.send_next()
                return
            self.session_id = None
            self._conversation_over()
            if session.greeting and session.greeting.sentences:
                self.app.caption = session.greeting.text
                self._play_sentences(Answer("greeting"), session.greeting.sentences)
            elif session.greeting:
                self.app.caption = session.greeting.text
            return
        self.over = False
        self._go("connected")
        if session.greeting and session.greeting.sentences and not self.outbox.items():
            self.app.caption = session.greeting.text
            self._play_sentences(Answer("greeting"), session.greeting.sentences)
        self.send_next()

    def _conversation_over(self) -> None:
        """Nothing more happens by itself: no retry, no new session, until the relative taps."""
        self.over = True
        if self._retry_event is not None:
            self._retry_event.cancel()
            self._retry_event = None
        self._retry_delay = RETRY_FIRST_S
        if not self.player.busy():
            self._go("over")
        testhooks.emit("conversation_over")

    def _go(self, event: str) -> None:
        """Move the screen's state along the table in client/states.py."""
        self.app.state = next_state(self.app.state, event, self.over)

    def _connect_failed(self, exc: BaseException) -> None:
        self._connecting = False
        Logger.warning(f"Keepsake: connecting failed: {exc!r}")
        if isinstance(exc, NoPersona):
            self.app.enter_setup("no_personas")
        elif isinstance(exc, ApiError) and exc.status in (401, 403):
            self.app.enter_setup("needs_setup_again")
        else:  # offline, busy, a server error, a conflict: calm words and try again later
            self.enter_resting(getattr(exc, "retry_after", None))

    def _play_sentences(self, answer: Answer, sentences: list[SentenceEvent]) -> None:
        """Fetch and queue the audio of ready-made sentences (greeting, test) one by one."""
        self.answer = answer

        def work() -> None:
            for event in sentences:
                segment = self._fetch_segment(event, answer)
                self._on_segment(answer, segment)

        background(work, name="sentences")

    # ------------------------------------------------------------------ the talk control
    def talk_down(self) -> None:
        state = self.app.state
        testhooks.emit("tap", state=state)
        if state in ("setup", "starting"):
            return
        if state == "listening":
            if self.app.talk_mode == "tap":
                self.finish_listening()
            return
        if state == "thinking" and self._sending:
            return  # the answer is on its way; the button says so
        self.start_listening()

    def talk_up(self) -> None:
        if self.app.talk_mode == "hold" and self.app.state == "listening":
            self.finish_listening()

    def start_listening(self) -> None:
        self.interrupt()
        self.app.status = ""
        self.app.heard = ""
        self.app.caption = ""
        self.app.own_voice = False
        self.app.mic_level = 0.0
        self._go("listen")
        self._max_gap = 0.0
        live = self._start_live_turn()
        try:
            if live is not None:
                self.mic.start(self._on_mic, on_pcm=live.upload.feed)
            else:
                self.mic.start(self._on_mic)
        except Exception as exc:  # no permission yet (Android asks at first start), or the device went away
            Logger.warning(f"Keepsake: the microphone did not start: {exc!r}")
            self._drop_live_turn()
            self.app.status = self.app.t("not_heard")
            self._go("not_heard")

    def _start_live_turn(self) -> LiveTurn | None:
        """Open the turn's request now, to stream the words as they are said, when that cannot
        change the order of what reaches the server: nothing older waits to be sent."""
        if not self.mic.streams_pcm or self.client is None or self.session_id is None:
            return None
        if self._sending or self.outbox.items():
            return None
        live = self._live = LiveTurn(Answer("reply"))
        self._sending = True
        background(self._live_send_work, live, self.session_id, on_result=lambda result: self._live_sent(live, *result),
                   on_error=lambda exc: self._live_crashed(live, exc), name="live-turn")
        testhooks.emit("live_turn_started")
        return live

    def _drop_live_turn(self) -> None:
        """The words are thrown away: the request ends without a turn (the server takes nothing)."""
        live, self._live = self._live, None
        if live is not None:
            live.upload.abort()

    @mainthread  # the microphone calls from its own thread
    def _on_mic(self, kind: str, value: float) -> None:
        if self.app.state != "listening":
            return
        if kind == "level":
            self.app.mic_level = max(0.0, min(1.0, (value + 60.0) / 45.0))
        elif kind == "start":
            testhooks.emit("speech_start")
        elif self.app.talk_mode == "hold":
            return  # holding the button: the finger decides when it ends
        elif kind == "end":
            self.finish_listening()
        elif kind == "timeout":
            self.mic.cancel()
            self._drop_live_turn()
            self.app.status = self.app.t("not_heard")
            self._go("not_heard")

    def finish_listening(self) -> None:
        recording = self.mic.stop(self.scratch)
        self.app.mic_level = 0.0
        if recording is None:
            self._drop_live_turn()
            self.app.status = self.app.t("not_heard")
            self._go("not_heard")
            return
        item = self.outbox.add(recording.path, recording.mime, self.session_id or "")
        testhooks.emit("recorded", path=str(item.audio), seconds=round(recording.duration_s, 2), outbox=len(self.outbox))
        self.app.pending_count = len(self.outbox)
        self._go("recorded")
        live, self._live = self._live, None
        if live is not None:
            # The server has heard nearly all of it already: end the body, and the answer follows.
            live.item = item
            self.answer = live.answer
            live.upload.finish()
            testhooks.emit("live_turn_finished", bytes=live.upload.bytes_fed)
            return
        if self.session_id is None:
            self.connect()  # sends the outbox once connected
        else:
            self.send_next()

    def interrupt(self) -> None:
        """Stop the avatar at once; tell the server how much of the answer was really heard."""
        answer = self.answer
        self.player.stop()
        self._last_segment = None
        if answer is None or answer.kind != "reply" or answer.cancelled:
            return
        if answer.done and answer.heard >= len(answer.segments):
            return  # it had finished: nothing was cut short
        answer.cancelled = True
        testhooks.emit("interrupted", heard=answer.heard)
        if answer.turn_id:
            self._report_playback(answer)

    def _report_playback(self, answer: Answer) -> None:
        background(self.client.report_playback, self.session_id, answer.turn_id, answer.heard, name="playback-report")

    # ------------------------------------------------------------------ sending turns
    def send_next(self) -> None:
        if self._sending or self.session_id is None or self.client is None or self.app.state == "listening":
            return
        items = self.outbox.items()
        if not items:
            return
        answer = Answer("reply")
        self.answer = answer
        self._sending = True
        self._go("send")
        background(self._send_work, items[0], answer, self.session_id, on_result=lambda result: self._sent(*result),
                   on_error=self._send_crashed, name="turn")

    def _send_work(self, item: Pending, answer: Answer, session_id: str) -> tuple[str, float | None]:
        return self._turn_work(answer, lambda: item, lambda: self.client.turn(session_id, audio=item.audio, mime=item.mime))

    def _live_send_work(self, live: LiveTurn, session_id: str) -> tuple[str, float | None]:
        try:
            return self._turn_work(live.answer, lambda: live.item, lambda: self.client.turn(session_id, body=live.upload.chunks()))
        except UploadAborted:
            return "aborted", None

    def _turn_work(self, answer: Answer, outbox_item, open_turn) -> tuple[str, float | None]:
        """Send a turn and play its answer as it streams in. ``outbox_item()`` is the recording in the
        outbox (None while a live turn is still being recorded); it leaves once the server has the words."""
        acknowledged = False

        def acknowledge() -> None:
            nonlocal acknowledged
            if not acknowledged:  # the server has the words now: the outbox may let go
                acknowledged = True
                item = outbox_item()
                if item is not None:
                    self.outbox.remove(item)

        try:
            with open_turn() as events:
                for event in events:
                    if event.type == "transcript":
                        acknowledge()
                        self._on_transcript(answer, event.text)
                    elif event.type == "sentence":
                        acknowledge()
                        if not answer.cancelled:
                            self._on_segment(answer, self._fetch_segment(event, answer))
                    elif event.type == "notice":
                        self._on_notice(answer, event)
                    elif event.type == "done":
                        acknowledge()
                        answer.turn_id = event.turn_id
                        self._on_done(answer, event.ended, event.timings_ms)
            return "ok", None
        except Offline as exc:
            # away, failing, or busy (503 with Retry-After): the recording stays in the outbox
            Logger.info(f"Keepsake: turn failed, server away or busy: {exc}")
            return ("broken" if acknowledged else "offline"), exc.retry_after
        except ApiError as exc:
            Logger.warning(f"Keepsake: turn refused: {exc}")
            if exc.status in (401, 403):
                return "unauthorized", None
            if not acknowledged and (exc.status == 404 or (exc.status == 409 and exc.code == "session_ended")):
                return "session_gone", None  # a new session takes the same words
            item = outbox_item()
            if not acknowledged and item is not None:
                self.outbox.remove(item)  # the server will never take this one: do not retry it forever
            return "rejected", None

    def _fetch_segment(self, event: SentenceEvent, answer: Answer) -> Segment:
        """The sentence's audio, decoded; a silent stand-in of the right length if it cannot be had."""
        import numpy as np

        try:
            data, mime = self.client.media(event.audio_url)
            samples, rate = decode_audio(data, event.audio_mime or mime)
            mouth = event.mouth.values
        except (ApiError, Offline, ValueError, OSError) as exc:
            Logger.warning(f"Keepsake: sentence {event.index} audio unavailable: {exc}")
            rate, samples, mouth = 16_000, np.zeros(int(16 * max(event.duration_ms, 1500)), np.float32), []
        return Segment.make(samples, rate, mouth, event.mouth.fps, event.text, event.index, answer, original=event.original)

    @mainthread  # the turn's stream is read on a worker thread
    def _on_transcript(self, answer: Answer, text: str) -> None:
        self.app.pending_count = len(self.outbox)
        if answer is self.answer:
            self.app.heard = text
        testhooks.emit("transcript", text=text)

    @mainthread
    def _on_segment(self, answer: Answer, segment: Segment) -> None:
        if answer is not self.answer or answer.cancelled:
            return
        answer.segments.append(segment)
        self.last_answer = answer
        self.app.can_say_again = True
        self.player.enqueue(segment)
        testhooks.emit("sentence", index=segment.index, text=segment.text, seconds=round(segment.duration_s, 2))

    @mainthread
    def _on_notice(self, answer: Answer, event: NoticeEvent) -> None:
        testhooks.emit("notice", code=event.code, message=event.message, data=event.data)
        if event.code == "crisis":
            # whom to call: what the server says now, else what it said when we connected
            self.app.show_crisis(event.data or {}, self.device)
        elif event.code == "relative_declined" and self.device is not None:
            self.device.declined = True

    @mainthread
    def _on_done(self, answer: Answer, ended: bool, timings: dict) -> None:
        answer.done = True
        testhooks.emit("done", turn_id=answer.turn_id, timings=timings, ended=ended)
        if answer.cancelled:
            self._report_playback(answer)
        if ended:  # goodbye, a limit, quiet hours, or "stop": the next tap starts a new session
            self.session_id = None
            self.over = True

    def _sent(self, outcome: str, retry_after: float | None = None) -> None:
        self._sending = False
        self.app.pending_count = len(self.outbox)
        testhooks.emit("turn_outcome", outcome=outcome, outbox=len(self.outbox), retry_after=retry_after)
        if outcome == "ok":
            self._retry_delay = RETRY_FIRST_S
            if self.session_id is not None:
                self.send_next()
            elif self.outbox.items():
                self.connect()  # the relative spoke again while the goodbye played: those words open a new talk
            else:
                self._conversation_over()
            if not self._sending and not self.player.busy() and self.answer_finished():
                self._go("answered")  # the answer ended with nothing left to play
        elif outcome in ("offline", "broken"):
            if self.app.state != "listening":
                self.enter_resting(retry_after)
        elif outcome == "session_gone":
            closed = self.session_id is not None and self.session_id == self._closed_session
            self.session_id = None
            if closed:  # the server would not take words after hours: they wait for the next talk
                self._conversation_over()
            else:
                self.connect()
        elif outcome == "unauthorized":
            self.app.enter_setup("needs_setup_again")
        elif self.app.state != "listening":  # rejected: the server could not use the recording
            self.app.status = self.app.t("not_heard")
            self._go("rejected")

    def answer_finished(self) -> bool:
        answer = self.answer
        return answer is None or answer.done or answer.cancelled

    def _live_sent(self, live: LiveTurn, outcome: str, retry_after: float | None = None) -> None:
        if self._live is live:  # it failed while the relative was still speaking:
            self._live = None  # the recording goes the ordinary way when they are done
        testhooks.emit("live_turn_outcome", outcome=outcome)
        if outcome == "aborted":
            self._sending = False
            return
        self._sent(outcome, retry_after)

    def _live_crashed(self, live: LiveTurn, exc: BaseException) -> None:
        Logger.exception(f"Keepsake: live turn crashed: {exc!r}")
        self._live_sent(live, "offline")

    def _send_crashed(self, exc: BaseException) -> None:
        Logger.exception(f"Keepsake: turn crashed: {exc!r}")
        self._sent("offline")

    # ------------------------------------------------------------------ the server is away, or busy
    def enter_resting(self, retry_after: float | None = None) -> None:
        """Calm words, the recording kept on disk, and a retry: after the server's Retry-After
        when it said it was busy, else after a delay that doubles up to half a minute."""
        self._go("away")
        self.app.status = self.app.t("resting", name=self.app.persona_name)
        if self.outbox.items():
            self.app.status += " " + self.app.t("resting_kept")
        if retry_after is not None:
            if self._retry_event is not None:
                self._retry_event.cancel()
            delay = max(1.0, retry_after)
            self._retry_event = Clock.schedule_once(self._retry, delay)
            testhooks.emit("retry_scheduled", seconds=delay, busy=True)
        elif self._retry_event is None:
            self._retry_event = Clock.schedule_once(self._retry, self._retry_delay)
            testhooks.emit("retry_scheduled", seconds=self._retry_delay, busy=False)
            self._retry_delay = min(self._retry_delay * 2, RETRY_MAX_S)

    def retry_now(self) -> None:
        if self._retry_event is not None:
            self._retry_event.cancel()
        self._retry(0)

    def _retry(self, _dt: float) -> None:
        self._retry_event = None
        if self.client is None:
            self.connect()
            return
        background(self.client.health, on_result=self._health_checked, name="health")

    def _health_checked(self, healthy: bool) -> None:
        testhooks.emit("health", ok=healthy)
        if not healthy:
            if self.app.state == "resting":
                self.enter_resting()
            else:
                self._retry_event = Clock.schedule_once(self._retry, self._retry_delay)
            return
        self._retry_delay = RETRY_FIRST_S
        if self.app.state == "resting":
            self.app.status = ""
            self._go("back")
        if self.session_id is None:
            if self.over and not self.outbox.items():
                return  # the talk had ended: only the relative's tap starts another
            self.connect()
        else:
            self.send_next()

    # ------------------------------------------------------------------ say that again, tests
    def say_again(self) -> None:
        previous = self.last_answer
        if previous is None or not previous.segments or self.app.state in ("listening", "thinking"):
            return  # never cut off an answer that is still on its way
        self.interrupt()
        replay = Answer("replay")
        self.answer = replay
        for segment in previous.segments:
            copy = dataclasses.replace(segment, answer=replay)
            replay.segments.append(copy)
            self.player.enqueue(copy)
        self.last_answer = replay
        testhooks.emit("say_again", sentences=len(replay.segments))

    def play_test(self, on_result, on_error) -> None:
        """The caregiver's test: a fresh session's greeting, spoken through this tablet's speaker."""
        if self.client is None or self.persona is None:
            on_error(Offline("not connected"))
            return

        def work():
            # A test session: the greeting only, and it never undoes the relative's "stop".
            session = self.client.start_session(self.persona.id, test=True)
            return session.greeting.sentences if session.greeting else []

        def done(sentences) -> None:
            self.interrupt()
            self._play_sentences(Answer("test"), sentences)
            on_result(len(sentences))

        background(work, on_result=done, on_error=on_error, name="test")

    def set_volume(self, volume: float) -> None:
        self.player.volume = volume

    # ------------------------------------------------------------------ 30 times a second
    def _tick(self, dt: float) -> None:
        self._max_gap = max(self._max_gap, dt)
        if dt > 0.1:
            testhooks.emit("slow_frame", ms=round(dt * 1000), state=self.app.state)
        position = self.player.position()
        segment = position.segment
        app = self.app
        if segment is not None:
            answer = segment.answer
            if segment is not self._last_segment:
                self._last_segment = segment
                if isinstance(answer, Answer):
                    order = answer.segments.index(segment) if segment in answer.segments else 0
                    answer.heard = max(answer.heard, order + 1)
                    app.caption = " ".join(s.text for s in answer.segments[: order + 1]) if answer.kind != "test" else segment.text
                app.own_voice = segment.original  # her own recorded voice, not a recreation: say so
                self._go("playing")
                testhooks.emit("caption", text=app.caption, own_voice=segment.original)
            target = position.mouth
        else:
            self._last_segment = None
            target = 0.0
            if app.state == "speaking" and not self.player.busy():
                answer = self.answer
                if answer is None or answer.done or answer.cancelled:
                    self._go("played")
                    out = getattr(self.player, "output", None)
                    testhooks.emit("played", frames=getattr(out, "frames_played", None), peak=getattr(out, "peak", None),
                                   max_frame_gap_ms=round(self._max_gap * 1000))
                    self._max_gap = 0.0
                else:
                    self._go("between_sentences")  # the next sentence is still on its way
        # a little smoothing: a mouth that snaps open and shut frame by frame looks mechanical
        self._mouth += (target - self._mouth) * 0.6
        if abs(self._mouth) < 0.01:
            self._mouth = 0.0
        if self._mouth != app.mouth:
            app.mouth = self._mouth
            if segment is not None:
                testhooks.emit("mouth", value=round(self._mouth, 3), sentence=segment.index)

    def close(self) -> None:
        self.mic.cancel()
        self._drop_live_turn()
        self.player.close()
        if self.client is not None:
            self.client.close()
