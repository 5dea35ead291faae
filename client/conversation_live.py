"""The conversation on the live socket: the server hears when the relative has finished.

A part of ``Conversation`` (client/conversation.py). Once a talk is open, a socket is opened
beside it on a worker thread; a turn that starts while it is open streams the microphone into
it, and the server's ``end_of_turn`` stops the recording instead of the tablet's fixed second
of quiet (a pause to find a word no longer cuts the relative off). Everything else is the
POST turn's: the recording goes to the outbox when it stops and leaves once the server has the
words, the answer's events are read by ``Sending._turn_work``, and any failure sends the
recording the ordinary way. A server or proxy without the socket: the POST turn, as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kivy.clock import Clock, ClockEvent, mainthread
from kivy.logger import Logger

from shared.api import DoneEvent, TurnEvent
from client.answer import Answer, LiveTurn
from client.api import ApiError, Offline
from client.conversation_state import ConversationState
from client.happenings import announces
from client.live_socket import LiveEvent, LiveSocket, LiveUnavailable
from client.worker import background

# The tablet's own pause detector ended the utterance but the server has not: it waits up to
# ~3 s for someone looking for a word (server LiveSettings.unfinished_pause_ms). Past this
# the tablet ends the turn itself, so a server that stopped deciding never leaves it listening.
SERVER_DECIDES_S = 4.5
# Listening over the answer keeps this much of the microphone: when the relative cuts in, the
# recording (the outbox's copy) begins a little before the server heard them.
OVERHEAR_KEEP_S = 1.0


class LiveSocketTurns(announces("live_socket", "live_end_of_turn", "overhearing", "barge_in"), ConversationState):  # type: ignore[misc]  # see announces
    """Turns on the live socket (see Conversation for the state it shares)."""

    _socket: LiveSocket | None = None
    _socket_session: str | None = None
    _socket_opening = False
    _socket_refused_for: str | None = None  # the session whose server has no socket: POST only
    _fallback_event: ClockEvent | None = None
    # While the answer plays, the microphone goes on to the server, which hears the relative speak
    # over it (its echo guard tells their voice from the persona's): (socket, answer, stop, stopped).
    _overhearing: tuple[LiveSocket, Answer, threading.Event, threading.Event] | None = None
    _overhear_done: threading.Event | None = None  # set once the last overhearing reader let go of the socket

    # ------------------------------------------------------------------ the socket beside the talk
    def open_socket(self) -> None:
        """Open the socket for this talk in the background; turns use it once it is open."""
        session_id = self.session_id
        if (
            os.environ.get("KEEPSAKE_LIVE_SOCKET", "1") == "0"
            or not self.mic.streams_pcm
            or self.client is None
            or session_id is None
            or self._socket_opening
            or self._socket_refused_for == session_id
        ):
            return
        if self._socket is not None and not self._socket.closed and self._socket_session == session_id:
            return
        self.close_socket()
        self._socket_opening = True
        client = self.client
        background(
            lambda: LiveSocket.open(client.base_url, client.token or "", session_id),
            on_result=lambda socket: self._socket_opened(session_id, socket),
            on_error=lambda exc: self._socket_failed(session_id, exc),
            name="live-socket",
        )

    def _socket_opened(self, session_id: str, socket: LiveSocket) -> None:
        self._socket_opening = False
        if session_id != self.session_id:  # the talk changed while it opened
            background(socket.close, name="live-socket-close")
            return
        self._socket, self._socket_session = socket, session_id
        self.dispatch("on_live_socket", open=True)

    def _socket_failed(self, session_id: str, exc: BaseException) -> None:
        self._socket_opening = False
        if isinstance(exc, LiveUnavailable):
            self._socket_refused_for = session_id  # not again for this talk: the POST turn it is
        Logger.info(f"Keepsake: no live socket, turns go as requests: {exc!r}")
        self.dispatch("on_live_socket", open=False, why=type(exc).__name__)

    def _ready_socket(self) -> LiveSocket | None:
        socket = self._socket
        if socket is not None and not socket.closed and self._socket_session == self.session_id:
            return socket
        self.open_socket()  # for the next turn: this one goes as a request
        return None

    def close_socket(self) -> None:
        self.stop_overhearing()
        socket, self._socket = self._socket, None
        if socket is not None:
            background(socket.close, name="live-socket-close")

    # ------------------------------------------------------------------ listening over the answer
    def overhear(self, live: LiveTurn) -> None:
        """The socket turn's answer is whole and still playing: the microphone goes on to the server,
        so that the relative can speak over the persona (the server says ``interrupted``)."""
        socket, answer = live.socket, live.answer
        if (
            os.environ.get("KEEPSAKE_BARGE_IN", "1") == "0"
            or socket is None
            or socket.closed
            or socket is not self._socket
            or answer is not self.answer
            or answer.cancelled
            or answer.turn_id is None
            or self.over
            or self._overhearing is not None
            or self._sending
            or self.app.state not in ("speaking", "thinking")
            or self.outbox.items()
        ):
            return
        stop, stopped = threading.Event(), threading.Event()

        def feed(pcm: bytes) -> None:
            try:
                socket.feed(pcm)
            except Exception:  # the socket broke: its reader sees it too, and overhearing ends
                stop.set()

        try:
            self.mic.start(lambda _kind, _value: None, on_pcm=feed, keep_s=OVERHEAR_KEEP_S)
        except Exception as exc:  # the microphone is busy or gone: the answer plays on, a tap still cuts in
            Logger.info(f"Keepsake: not listening over the answer: {exc!r}")
            return
        self._overhearing = (socket, answer, stop, stopped)
        self._overhear_done = stopped
        background(
            self._overhear_work,
            socket,
            stop,
            stopped,
            on_error=lambda exc: self._overhearing_failed(stop, exc),
            name="live-overhear",
        )
        self.dispatch("on_overhearing", on=True)

    def _overhear_work(self, socket: LiveSocket, stop: threading.Event, stopped: threading.Event) -> None:
        try:
            for event in socket.events(stop):
                heard_them = isinstance(event, LiveEvent) and event.type in ("interrupted", "speech_started")
                if stop.is_set():
                    # Overhearing ended meanwhile (a tap, or the answer ended): the next turn's reader
                    # has what this one read; an interruption of the answer already stopped is news to no one.
                    if not (isinstance(event, LiveEvent) and event.type == "interrupted"):
                        socket.unread(event)
                    return
                if heard_them:
                    self._server_heard_them(socket, stop)  # this reader reads nothing after this
                    return
        finally:
            stopped.set()

    @mainthread
    def _server_heard_them(self, socket: LiveSocket, stop: threading.Event) -> None:
        """The relative spoke over the answer (or right after it): stop the persona and listen to
        them, on the turn the server has already begun; the microphone never closes meanwhile."""
        overhearing = self._overhearing
        if overhearing is None or overhearing[2] is not stop or stop.is_set():
            return  # they tapped, or the answer ended, meanwhile: that path has the socket now
        self._overhearing = None
        stop.set()
        self.dispatch("on_barge_in", state=self.app.state)
        self.interrupt()
        app = self.app
        app.status, app.heard, app.caption, app.own_voice, app.mic_level = "", "", "", False, 0.0
        self._go("listen")
        self._max_gap = 0.0
        live = self._start_socket_turn(socket)
        self.mic.retarget(self._on_mic, live.feed)

    @mainthread
    def _overhearing_failed(self, stop: threading.Event, exc: BaseException) -> None:
        Logger.info(f"Keepsake: listening over the answer ended: {exc!r}")
        overhearing = self._overhearing
        if overhearing is not None and overhearing[2] is stop:
            self.stop_overhearing()

    def stop_overhearing(self) -> None:
        """The answer has been heard, or the relative tapped: the microphone closes (or is theirs)."""
        overhearing, self._overhearing = self._overhearing, None
        if overhearing is None:
            return
        socket, answer, stop, _stopped = overhearing
        stop.set()
        self.mic.cancel()
        turn_id, heard = answer.turn_id, answer.heard
        if turn_id is not None:
            # The server's echo guard stops too: the relative's next words are theirs, not an interruption.
            def report() -> None:
                try:
                    socket.playback(turn_id, heard)
                except (Offline, ApiError):
                    pass

            background(report, name="live-playback")
        self.dispatch("on_overhearing", on=False)

    def report_sentence_playing(self, answer: Answer, index: int) -> None:
        """While overhearing: sentence ``index`` begins now (the server's echo guard anchors on it)."""
        overhearing = self._overhearing
        if overhearing is None or overhearing[1] is not answer or answer.turn_id is None:
            return
        socket, turn_id = overhearing[0], answer.turn_id

        def report() -> None:
            try:
                socket.playback(turn_id, index, playing=True)
            except (Offline, ApiError):
                pass  # the reader sees the socket break too

        background(report, name="live-playback")

    # ------------------------------------------------------------------ one turn on it
    def _start_socket_turn(self, socket: LiveSocket) -> LiveTurn:
        live = self._live = LiveTurn(Answer("reply"), socket=socket)
        self._sending = True
        background(
            self._socket_send_work,
            live,
            self._overhear_done,
            on_result=lambda result: self._live_sent(live, *result),
            on_error=lambda exc: self._live_crashed(live, exc),
            name="live-socket-turn",
        )
        self.dispatch("on_live_turn_started", socket=True)
        return live

    def _socket_send_work(self, live: LiveTurn, overheard: threading.Event | None = None) -> tuple[str, float | None]:
        if overheard is not None:
            overheard.wait(2.0)  # one reader at a time: the overhearing one lets go within half a second
        socket = live.socket
        assert socket is not None  # a socket turn
        outcome = self._turn_work(live.answer, lambda: live.item, lambda: self._socket_events(live), live)
        if live.aborted:
            return "aborted", None
        if outcome[0] != "ok":
            live.failed = True
            socket.close()  # a new one is opened for the next turn
        return outcome

    @contextmanager
    def _socket_events(self, live: LiveTurn) -> Iterator[Iterator[TurnEvent]]:
        socket = live.socket
        assert socket is not None  # a socket turn

        def events() -> Iterator[TurnEvent]:
            answered = False
            stream = socket.events()
            while True:
                try:
                    event = next(stream)
                except (Offline, ApiError):
                    if answered:  # the answer was whole (a goodbye closes the talk and its socket)
                        return
                    raise
                if isinstance(event, DoneEvent):
                    answered = True
                if not isinstance(event, LiveEvent):
                    yield event
                elif event.type == "end_of_turn":
                    live.server_ended = True
                    self._server_heard_end(live, event.data.get("by", "pause"), event.data.get("at_ms"))
                elif event.type == "interrupted":
                    self._server_heard_interruption(event.data.get("turn_id"))
                elif event.type == "listening" and live.server_ended:
                    return  # the answer is over; the socket waits for the next turn

        yield events()

    @mainthread  # the socket is read on a worker thread
    def _server_heard_end(self, live: LiveTurn, by: str, at_ms: object) -> None:
        self.dispatch("on_live_end_of_turn", by=by, at_ms=at_ms)
        if self._live is live and self.app.state == "listening":
            self.finish_listening()

    @mainthread
    def _server_heard_interruption(self, turn_id: object) -> None:
        """Only the answer it names stops: never the one just asked for (whose turn has no id yet)."""
        answer = self.answer
        if answer is not None and answer.turn_id is not None and answer.turn_id == turn_id:
            self.interrupt()

    def _arm_socket_fallback(self, live: LiveTurn) -> None:
        """The tablet heard the end of speech; the server decides, unless it stays silent too long."""
        if self._fallback_event is not None:
            self._fallback_event.cancel()

        def fallback(_dt: float) -> None:
            # (no live turn any more: the socket broke while they spoke, and the recording goes as a request)
            if self._live in (live, None) and not live.server_ended and self.app.state == "listening":
                Logger.info("Keepsake: the server did not end the turn; ending it here")
                self.finish_listening()

        self._fallback_event = Clock.schedule_once(fallback, SERVER_DECIDES_S)

    def _end_socket_turn(self, live: LiveTurn) -> None:
        """The recording stopped (the server's end, or a tap): make sure the server ends it too."""
        if self._fallback_event is not None:
            self._fallback_event.cancel()
            self._fallback_event = None
        if not live.server_ended:
            assert live.socket is not None  # a socket turn
            background(live.socket.tap_end, name="live-socket-tap")

    def _abort_socket_turn(self, live: LiveTurn) -> None:
        """Nobody spoke, or they backed out: this socket's turn ends unsent (a new socket follows)."""
        live.aborted = True
        assert live.socket is not None  # a socket turn
        if self._socket is live.socket:
            self._socket = None
        background(live.socket.close, name="live-socket-close")
