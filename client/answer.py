"""What the avatar says, and a turn streaming while the relative speaks: the objects the
conversation's parts hand each other."""

from __future__ import annotations

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
    """A turn whose words go up while the relative speaks (see ``client.live_upload``).

    ``item`` is the same words in the outbox, set before the body ends: the
    request lets go of it once the server has them, and if the request fails,
    it is sent the ordinary way.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.upload = LiveUpload()
        self.item: Pending | None = None
