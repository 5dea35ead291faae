"""What the avatar says, and a turn streaming while the relative speaks: the objects the
conversation's parts hand each other."""

from __future__ import annotations

import threading
import uuid

from client.live_socket import LiveSocket
from client.live_upload import LiveUpload
from client.outbox import Pending
from client.player import Segment


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
    """A turn whose words go up while the relative speaks: on the live socket, where the server
    decides when they have finished (``client.live_socket``), or as the body of a POST turn that
    the tablet's own pause detector ends (``client.live_upload``).

    ``item`` is the same words in the outbox, set once the recording stops: the
    turn lets go of it once the server has them, and if the turn fails,
    it is sent the ordinary way.
    """

    def __init__(self, answer: Answer, socket: LiveSocket | None = None) -> None:
        self.answer = answer
        self.socket = socket
        self.upload = LiveUpload()
        self.item: Pending | None = None
        # The recording's idempotency key, from its first byte sent: the outbox keeps the same one,
        # so the words a failed live turn leaves there are the same turn when sent again.
        self.key = str(uuid.uuid4())
        self.aborted = False  # nobody spoke, or the relative backed out: the server takes nothing
        self.server_ended = False  # the server said the relative has finished (the socket only)
        self.failed = False  # the socket broke while they spoke: the recording goes the ordinary way
        # The server may have the words (its transcript) before the recording reaches the outbox:
        # the socket's server ends the turn and answers at once. Whichever comes second lets go of it.
        self._lock = threading.Lock()
        self._server_has_words = False

    def server_has_words(self) -> Pending | None:
        """The reader's side: the server has the words. The recording to let go of, if it is in the outbox yet."""
        with self._lock:
            self._server_has_words = True
            return self.item

    def keep(self, item: Pending) -> bool:
        """The tablet's side: the recording is in the outbox. True: the server already has these
        words, so it leaves again at once (sent twice, they would be answered twice)."""
        with self._lock:
            self.item = item
            return self._server_has_words

    def feed(self, pcm: bytes) -> None:
        """The microphone's PCM (its own thread), to the socket or the request body."""
        if self.socket is None:
            self.upload.feed(pcm)
            return
        if self.failed or self.aborted:
            return
        try:
            self.socket.feed(pcm)
        except Exception:  # the socket broke: its reader sees it too and ends the turn
            self.failed = True
