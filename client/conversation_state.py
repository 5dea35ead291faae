"""What a conversation holds, declared once for the parts it is made of (``Connecting``,
``Sending``, ``LiveSocketTurns``); ``Conversation.__init__`` (client/conversation.py) sets it up.
Declarations only: nothing here runs."""

from __future__ import annotations

from kivy.clock import ClockEvent

from shared.api import DeviceSelf, Persona
from client.answer import Answer, LiveTurn
from client.api import KeepsakeClient


class ConversationState:
    client: KeepsakeClient | None  # made at the first connect
    session_id: str | None
    persona: Persona | None
    device: DeviceSelf | None  # this tablet as the server knows it (crisis contact, declined)
    answer: Answer | None
    last_answer: Answer | None
    over: bool  # goodbye, a limit, quiet hours, "stop": the relative's tap starts again
    _sending: bool  # a turn is at the server
    _live: LiveTurn | None  # the turn streaming while the relative speaks
    _connecting: bool
    _closed_session: str | None  # a session a limit closed, that still takes words
    _retry_delay: float
    _retry_event: ClockEvent | None
