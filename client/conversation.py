"""The conversation: listen, send, play the answer as it streams in, and keep going when the server is away.

Everything here runs on the UI thread except the ``_*_work`` methods, which
run on worker threads and only talk back through the ``@mainthread`` handlers. The screen shows
``app.state``:

    starting -> idle -> listening -> thinking -> speaking -> idle
                  \\-> resting (server away or busy; recordings wait in the outbox, retried automatically)
    ended: the conversation is over (a goodbye, a limit, quiet hours, or the relative said
           "stop"); nothing starts by itself until the relative taps the talk control
    setup: not paired, or the server no longer knows this tablet

The words go up while the relative speaks (``LiveTurn``): on the live socket when the server
offers one, and the server hears when they have finished (client/conversation_live.py);
otherwise the turn's request opens with the microphone and its body ends with the speech
the tablet hears end. Either way the server has recognised nearly everything by then. The
recording still goes to the outbox first; if the streamed turn fails, that file is sent as before.

The relative's own say: when they asked the avatar to stop, the server remembers
it for this tablet (``declined`` in /v1/devices/me) and the tablet opens no
session, says no greeting, and does not retry until they tap, even after a restart.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kivy.clock import Clock, mainthread
from kivy.event import EventDispatcher
from kivy.logger import Logger

from shared.api import DeviceSelf, SentenceEvent
from client.answer import Answer, LiveTurn
from client.api import KeepsakeClient, Offline
from client.conversation_connect import RETRY_FIRST_S, Connecting
from client.conversation_live import LiveSocketTurns
from client.conversation_turns import Sending
from client.happenings import announces
from client.outbox import Outbox
from client.platform import make_mic, make_player
from client.platform.mic_base import PcmMic
from client.player import Segment
from client.states import next_state
from client.worker import background


class Conversation(
    Connecting,
    Sending,
    LiveSocketTurns,
    announces(  # type: ignore[misc]  # see announces
        "talk_pressed",
        "live_turn_started",
        "speech_start",
        "recorded",
        "live_turn_finished",
        "interrupted",
        "say_again",
        "slow_frame",
        "caption_shown",
        "played",
        "mouth_moved",
    ),
    EventDispatcher,
):
    """The talk itself; its Kivy events (client/happenings.py) say what happened, for any listener."""

    def __init__(self, app) -> None:
        super().__init__()
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
        Clock.schedule_interval(self._tick, 1 / 30)

    def _go(self, event: str) -> None:
        """Move the screen's state along the table in client/states.py."""
        self.app.state = next_state(self.app.state, event, self.over)

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
        self.dispatch("on_talk_pressed", state=state)
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
                assert isinstance(self.mic, PcmMic)  # a live turn starts only on a microphone that streams_pcm
                self.mic.start(self._on_mic, on_pcm=live.feed)
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
        socket = self._ready_socket()
        if socket is not None:
            return self._start_socket_turn(socket)
        live = self._live = LiveTurn(Answer("reply"))
        self._sending = True
        background(
            self._live_send_work,
            live,
            self.session_id,
            on_result=lambda result: self._live_sent(live, *result),
            on_error=lambda exc: self._live_crashed(live, exc),
            name="live-turn",
        )
        self.dispatch("on_live_turn_started")
        return live

    def _drop_live_turn(self) -> None:
        """The words are thrown away: the request ends without a turn (the server takes nothing)."""
        live, self._live = self._live, None
        if live is not None and live.socket is not None:
            self._abort_socket_turn(live)
        elif live is not None:
            live.upload.abort()

    @mainthread  # the microphone calls from its own thread
    def _on_mic(self, kind: str, value: float) -> None:
        if self.app.state != "listening":
            return
        if kind == "level":
            self.app.mic_level = max(0.0, min(1.0, (value + 60.0) / 45.0))
        elif kind == "start":
            self.dispatch("on_speech_start")
        elif self.app.talk_mode == "hold":
            return  # holding the button: the finger decides when it ends
        elif kind == "end":
            live = self._live
            if live is not None and live.socket is not None and not live.failed:
                self._arm_socket_fallback(live)  # the server hears when they have finished
            else:
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
            live = self._live
            if live is not None and live.socket is not None and live.server_ended:
                # the server heard words the tablet's own detector did not: its answer follows
                self._live, self.answer = None, live.answer
                self._go("recorded")
                return
            self._drop_live_turn()
            self.app.status = self.app.t("not_heard")
            self._go("not_heard")
            return
        live_key = self._live.key if self._live is not None else None
        item = self.outbox.add(recording.path, recording.mime, self.session_id or "", key=live_key)
        self.dispatch("on_recorded", path=str(item.audio), seconds=round(recording.duration_s, 2), outbox=len(self.outbox))
        self.app.pending_count = len(self.outbox)
        self._go("recorded")
        live, self._live = self._live, None
        if live is not None and live.socket is not None:
            if live.keep(item):
                self.outbox.remove(item)
                self.app.pending_count = len(self.outbox)
            self.answer = live.answer
            self._end_socket_turn(live)
            self.dispatch("on_live_turn_finished", socket=True)
            return
        if live is not None:
            # The server has heard nearly all of it already: end the body, and the answer follows.
            if live.keep(item):
                self.outbox.remove(item)
                self.app.pending_count = len(self.outbox)
            self.answer = live.answer
            live.upload.finish()
            self.dispatch("on_live_turn_finished", bytes=live.upload.bytes_fed)
            return
        if self.session_id is None:
            self.connect()  # sends the outbox once connected
        else:
            self.send_next()

    def interrupt(self) -> None:
        """Stop the avatar at once; tell the server how much of the answer was really heard."""
        answer = self.answer
        self.stop_overhearing()
        self.player.stop()
        self._last_segment = None
        if answer is None or answer.kind != "reply" or answer.cancelled:
            return
        if answer.done and answer.heard >= len(answer.segments):
            return  # it had finished: nothing was cut short
        answer.cancelled = True
        self.dispatch("on_interrupted", heard=answer.heard)
        if answer.turn_id:
            self._report_playback(answer)

    def _report_playback(self, answer: Answer) -> None:
        assert self.client is not None  # an answer with a turn id came through the client
        background(self.client.report_playback, self.session_id, answer.turn_id, answer.heard, name="playback-report")

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
        self.dispatch("on_say_again", sentences=len(replay.segments))

    def play_test(self, on_result, on_error) -> None:
        """The caregiver's test: a fresh session's greeting, spoken through this tablet's speaker."""
        if self.client is None or self.persona is None:
            on_error(Offline("not connected"))
            return
        client, persona_id = self.client, self.persona.id

        def work():
            # A test session: the greeting only, and it never undoes the relative's "stop".
            session = client.start_session(persona_id, test=True)
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
            self.dispatch("on_slow_frame", ms=round(dt * 1000), state=self.app.state)
        position = self.player.position()
        segment = position.segment
        app = self.app
        app.viseme, app.face_video, app.face_seconds = position.viseme, getattr(segment, "video", None), position.seconds
        if segment is not None:
            answer = segment.answer
            if segment is not self._last_segment:
                self._last_segment = segment
                if isinstance(answer, Answer):
                    order = answer.segments.index(segment) if segment in answer.segments else 0
                    answer.heard = max(answer.heard, order + 1)
                    self.report_sentence_playing(answer, order)
                    app.caption = " ".join(s.text for s in answer.segments[: order + 1]) if answer.kind != "test" else segment.text
                app.own_voice = segment.original  # her own recorded voice, not a recreation: say so
                self._go("playing")
                self.dispatch("on_caption_shown", text=app.caption, own_voice=segment.original)
            target = position.mouth
        else:
            self._last_segment = None
            target = 0.0
            if app.state == "speaking" and not self.player.busy():
                answer = self.answer
                if answer is None or answer.done or answer.cancelled:
                    self.stop_overhearing()
                    self._go("played")
                    out = getattr(self.player, "output", None)
                    self.dispatch(
                        "on_played",
                        frames=getattr(out, "frames_played", None),
                        peak=getattr(out, "peak", None),
                        max_frame_gap_ms=round(self._max_gap * 1000),
                    )
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
                self.dispatch("on_mouth_moved", value=round(self._mouth, 3), sentence=segment.index)

    def close(self) -> None:
        self.mic.cancel()
        self._drop_live_turn()
        self.close_socket()
        self.player.close()
        if self.client is not None:
            self.client.close()
