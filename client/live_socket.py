"""The live conversation socket, from the tablet's side (``GET /v1/sessions/{id}/live``).

The microphone's thread feeds PCM as it records and the server decides when the relative has
finished (from the pause and from how the words end), instead of the tablet's fixed second of
quiet. Synchronous, like ``client.api``: it runs on worker threads, and news goes to the UI
through ``@mainthread`` handlers. ``websockets``' sync client lets one thread send while another
reads.

A server without the socket (an older one, one without the turn-taking models, or a proxy that
drops WebSockets) raises ``LiveUnavailable`` at ``open``: the tablet keeps to the POST turn.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from shared.api import TurnEvent, parse_event
from shared.live import CLOSE_BAD_INPUT, CLOSE_UNAVAILABLE, MAX_FRAME_MS
from client.api import TIMEOUT, ApiError, Offline
from client.audio import MIC_RATE

# The relative is waiting: a server that does not answer the handshake quickly is treated as
# one without the socket this time, and the POST turn takes the words.
OPEN_TIMEOUT_S = 4.0
# Microphones deliver 10-30 ms at a time. Frames of about 40 ms keep the server's end-of-turn
# decision within a frame of the truth without a message per microphone callback.
FRAME_MS = 40
# Once the relative has finished, the answer must keep coming as a POST turn's lines would: a
# server silent this long after the end (or between two of the answer's events) is treated as
# gone, and the recording goes the ordinary way. While they speak, silence is theirs to keep.
ANSWER_QUIET_S = TIMEOUT.read or 90.0
# How often a waiting reader looks at the clock: the end can come from another thread (a tap).
_POLL_S = 0.5


class LiveUnavailable(Exception):
    """This server or the way to it has no live socket: use the POST turn."""


class _Quiet(Exception):
    """Nothing came within one look at the clock (``LiveSocket.events``)."""


class LiveEvent:
    """A message of the socket's own (``listening``, ``speech_started``, ``end_of_turn``,
    ``interrupted``...), kept as the JSON object it came as; turn events are parsed as in
    ``client.api`` instead."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.type = str(data.get("type", ""))
        self.data = data

    def __repr__(self) -> str:
        return f"LiveEvent({self.data!r})"


def live_url(base_url: str, session_id: str) -> str:
    scheme, _, rest = base_url.partition("://")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme)
    return f"{ws_scheme}://{rest.rstrip('/')}/v1/sessions/{session_id}/live"


class LiveSocket:
    """One open socket for one conversation; turns follow each other on it."""

    def __init__(self, connection: ClientConnection, rate: int = MIC_RATE) -> None:
        self._ws = connection
        self.rate = rate
        self._frame_bytes = 2 * rate * FRAME_MS // 1000
        self._pending = bytearray()
        self._send_lock = threading.Lock()
        self.closed = False
        self.answer_quiet_s = ANSWER_QUIET_S
        # While an answer is owed (from the end of the turn until ``listening``): when it is overdue.
        self._answer_due: float | None = None
        # Read by one reader that stopped before it could use them: the next reader has them first.
        self._unread: deque[TurnEvent | LiveEvent] = deque()

    @classmethod
    def open(cls, base_url: str, token: str, session_id: str, rate: int = MIC_RATE, timeout_s: float = OPEN_TIMEOUT_S) -> LiveSocket:
        """Connect, say how the audio comes, and wait until the server listens."""
        try:
            connection = connect(
                live_url(base_url, session_id),
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=timeout_s,
                max_size=1 << 20,
                # The socket lives across turns and threads, not in one ``with`` block: the
                # connection itself, closed by ``close``.
                legacy=True,
            )
        except InvalidStatus as exc:  # an HTTP answer instead of the upgrade: no socket on that path
            raise LiveUnavailable(f"the server answered {exc.response.status_code}") from exc
        except (InvalidHandshake, InvalidURI) as exc:
            raise LiveUnavailable(str(exc)) from exc
        except (OSError, TimeoutError) as exc:
            raise Offline(str(exc) or type(exc).__name__) from exc
        socket = cls(connection, rate)
        try:
            socket._send_json({"type": "start", "sample_rate": rate, "format": "pcm_s16le"})
            first = socket._receive(timeout_s)
        except Exception:
            socket.close()
            raise
        if not isinstance(first, LiveEvent) or first.type != "listening":
            socket.close()
            raise LiveUnavailable(f"the server began with {first!r}")
        return socket

    # --- sending (any thread)
    def feed(self, pcm: bytes) -> None:
        """16-bit mono PCM as recorded; sent in frames of about ``FRAME_MS`` (never over the protocol's 200 ms)."""
        if self.closed or not pcm:
            return
        with self._send_lock:
            self._pending += pcm
            largest = 2 * self.rate * MAX_FRAME_MS // 1000
            while len(self._pending) >= self._frame_bytes:
                size = min(len(self._pending) - len(self._pending) % 2, largest)
                frame, self._pending = bytes(self._pending[:size]), self._pending[size:]
                self._send(frame)

    def tap_end(self) -> None:
        """The relative tapped: they are done, whatever the pause. What is still buffered goes first."""
        with self._send_lock:
            if self._pending:
                frame, self._pending = bytes(self._pending[: len(self._pending) - len(self._pending) % 2]), bytearray()
                if frame:
                    self._send(frame)
        self._expect_answer()
        self._send_json({"type": "end_of_turn"})

    def _expect_answer(self) -> None:
        self._answer_due = time.monotonic() + self.answer_quiet_s

    def playback(self, turn_id: str, sentences_played: int, playing: bool = False) -> None:
        """Where playback of an answer stopped (only the sentences played count as said), or with
        ``playing``, that sentence ``sentences_played`` (0-based) begins now: the server's echo
        guard then knows what the microphone may hear back."""
        message: dict[str, Any] = {"type": "playback", "turn_id": turn_id, "sentences_played": sentences_played}
        if playing:
            message["playing"] = True
        self._send_json(message)

    def _send_json(self, message: dict[str, Any]) -> None:
        self._send(json.dumps(message))

    def _send(self, data: str | bytes) -> None:
        try:
            self._ws.send(data)
        except ConnectionClosed as exc:
            self.closed = True
            raise _closed_error(exc) from exc
        except OSError as exc:
            self.closed = True
            raise Offline(str(exc) or type(exc).__name__) from exc

    # --- receiving (one thread)
    def events(self, stop: threading.Event | None = None) -> Iterator[TurnEvent | LiveEvent]:
        """Everything the server says, in order, until the socket closes (then ``Offline`` or
        ``ApiError``), or until ``stop`` is set (looked at twice a second)."""
        while True:
            if stop is not None and stop.is_set():
                return
            if self._unread:
                yield self._unread.popleft()
                continue
            due = self._answer_due
            if due is not None and time.monotonic() >= due:
                self.close()  # a new socket is opened for the next turn
                raise Offline("the server stopped answering on the live socket")
            try:
                event = self._receive(_POLL_S, quiet_ok=True)
            except _Quiet:
                continue
            if isinstance(event, LiveEvent) and event.type == "listening":
                self._answer_due = None  # the answer is whole; the relative may take their time again
            elif self._answer_due is not None or (isinstance(event, LiveEvent) and event.type == "end_of_turn"):
                self._expect_answer()
            yield event

    def unread(self, event: TurnEvent | LiveEvent) -> None:
        """Give back an event this reader will not handle: the next reader of ``events`` has it first."""
        self._unread.append(event)

    def _receive(self, timeout_s: float | None, quiet_ok: bool = False) -> TurnEvent | LiveEvent:
        try:
            message = self._ws.recv(timeout=timeout_s)
        except ConnectionClosed as exc:
            self.closed = True
            raise _closed_error(exc) from exc
        except TimeoutError as exc:
            if quiet_ok:
                raise _Quiet from exc
            raise Offline("the live socket said nothing in time") from exc
        if isinstance(message, bytes):
            raise Offline("the server sent audio on the live socket")
        data = json.loads(message)
        if data.get("type") in ("transcript", "sentence", "notice", "done"):
            try:
                return parse_event(message)
            except ValidationError as exc:
                raise Offline(f"an event the tablet cannot read: {exc}") from exc
        return LiveEvent(data)

    def close(self) -> None:
        self.closed = True
        try:
            self._ws.close()
        except OSError:
            pass


def _closed_error(exc: ConnectionClosed) -> Exception:
    """Why the socket closed, as the POST turn would have said it: a refusal, or try again later."""
    close = exc.rcvd
    if close is None:
        return Offline("the live socket dropped")
    if close.code == CLOSE_UNAVAILABLE:
        return LiveUnavailable(close.reason)
    if close.code == CLOSE_BAD_INPUT:
        return ApiError(403 if "token" in close.reason.lower() else 400, "live_refused", close.reason)
    return Offline(f"the live socket closed: {close.code} {close.reason}")
