"""The tablet's states in one table: what the relative's screen is doing, and what moves it.

``app.state`` is one of ``STATES``; the conversation (and pairing, for ``setup``) moves it only
through ``next_state(state, event, over)``. A pair missing from ``TRANSITIONS`` leaves the state
as it is: the event does not concern that state (a tap's "connected" never cuts off listening).

``REST`` is where the screen settles when nothing is happening: ``idle`` while the talk goes on,
``ended`` once it is over (a goodbye, a limit, quiet hours, or "stop"); nothing starts by itself
from ``ended`` until the relative taps.

What the screen says in each state is here too, so a state and its words are read in one place.
"""

from __future__ import annotations

STATES = ("starting", "setup", "idle", "listening", "thinking", "speaking", "resting", "ended")
REST = "rest"  # idle or ended, whichever the talk is in (see next_state)

_ALL = STATES
_BUSY = ("listening", "thinking", "speaking")  # the relative and the avatar are in the middle of a turn


def _from(states, target: str) -> dict[str, str]:
    return {state: target for state in states}


def _except(*kept: str) -> tuple[str, ...]:
    return tuple(state for state in _ALL if state not in kept)


# event -> {state before: state after}; the events, in the order a talk meets them
_MOVES: dict[str, dict[str, str]] = {
    "connect": _from(("setup", "starting"), "starting"),  # looking for the persona and a session
    "connected": _from(_except(*_BUSY), "idle"),  # a session is open (a turn under way goes on)
    "over": _from(_except("listening", "speaking"), "ended"),  # the talk is over; nothing plays
    "listen": _from(_ALL, "listening"),  # the relative tapped: the microphone is open
    "not_heard": _from(_ALL, REST),  # no microphone, silence, nothing recorded
    "recorded": _from(_ALL, "thinking"),  # the words are in the outbox, on their way
    "send": _from(_except("speaking"), "thinking"),  # a waiting recording goes up
    "answered": _from(("thinking",), REST),  # the answer ended with nothing left to play
    "rejected": _from(_except("listening"), REST),  # the server could not use the recording
    "away": _from(_ALL, "resting"),  # the server is away or busy: calm words, a retry
    "back": _from(("resting",), REST),  # the server answers its health check again
    "playing": _from(_except("listening"), "speaking"),  # a sentence is heard
    "between_sentences": _from(("speaking",), "thinking"),  # the next one is still on its way
    "played": _from(("speaking",), REST),  # the last sentence of the answer has been heard
    "unpaired": _from(_ALL, "setup"),  # not paired, or the server no longer knows this tablet
}
EVENTS = tuple(_MOVES)
TRANSITIONS: dict[tuple[str, str], str] = {(before, event): after for event, moves in _MOVES.items() for before, after in moves.items()}


def next_state(state: str, event: str, over: bool = False) -> str:
    """The state after ``event`` in ``state``; ``over`` says whether the talk has ended (REST -> ended)."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if event not in _MOVES:
        raise ValueError(f"unknown event {event!r}")
    after = TRANSITIONS.get((state, event), state)
    if after == REST:
        return "ended" if over else "idle"
    return after


# the talk control's words: state -> (tap mode, hold mode); each a (what is happening, what to do) pair of keys
_TAP, _HOLD = ("tap_to_talk", ""), ("hold_to_talk", "")
TALK_WORDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "starting": (("one_moment", ""), ("one_moment", "")),
    "setup": (("not_set_up", "not_set_up_hint"), ("not_set_up", "not_set_up_hint")),
    "idle": (_TAP, _HOLD),
    "listening": (("listening", "listening_hint"), ("listening", "listening_hint_hold")),
    "thinking": (("thinking", ""), ("thinking", "")),
    "speaking": (("tap_to_answer", ""), _HOLD),  # tapping cuts in; holding starts a new turn
    "resting": (_TAP, _HOLD),
    "ended": (_TAP, _HOLD),  # the talk is over; it starts again only when the relative wants
}

# what the caption area says when nothing is being said and nothing is wrong
QUIET_CAPTIONS: dict[str, str] = {"idle": "idle_hint", "ended": "goodbye"}


def talk_word_keys(state: str, mode: str) -> tuple[str, str]:
    return TALK_WORDS[state][1 if mode == "hold" else 0]


def caption_source(state: str, status: str, caption: str) -> tuple[str, str]:
    """Which text the caption area shows: ("status", …), ("caption", …), ("hint", key) or ("", "")."""
    if status:
        return "status", status
    if caption:
        return "caption", caption
    key = QUIET_CAPTIONS.get(state)
    return ("hint", key) if key else ("", "")
