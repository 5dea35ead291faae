"""What a fallback tells: a ``FallbackEvent``, collected for the turn being served.

Every fallback is reported as a ``FallbackEvent``: to the wrapper's ``on_fallback`` callback
(logging, metrics) and to the list of the turn that is being served, which the pipeline opens
with ``collect_fallbacks()`` and turns into ``notice`` events::

    with collect_fallbacks() as fallbacks:
        transcript = await services.asr.transcribe(audio)
        for event in drain(fallbacks):
            yield notice(event.code, event.message)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class FallbackEvent:
    stage: str  # "asr" | "llm" | "tts" | "face"
    code: str  # the notice code: asr_fallback, llm_fallback, llm_interrupted, tts_fallback, face_fallback
    message: str  # short and plain, fit for a notice
    reason: str  # what went wrong with the primary (for logs and the caregiver)
    primary: str
    fallback: str | None


OnFallback = Callable[[FallbackEvent], None]

_turn_fallbacks: ContextVar[list[FallbackEvent] | None] = ContextVar("keepsake_turn_fallbacks", default=None)


@contextmanager
def collect_fallbacks() -> Iterator[list[FallbackEvent]]:
    """Collect the fallbacks that happen in this context (tasks started inside share the list)."""
    events: list[FallbackEvent] = []
    token = _turn_fallbacks.set(events)
    try:
        yield events
    finally:
        _turn_fallbacks.reset(token)


def start_collecting() -> list[FallbackEvent]:
    """Collect this task's fallbacks from here on, without a context manager.

    For async generators (a streamed turn): their last frame may run in another
    context, where resetting a ContextVar token would fail. Each request runs in
    its own task, so the list never leaks into another turn.
    """
    events: list[FallbackEvent] = []
    _turn_fallbacks.set(events)
    return events


def drain(events: list[FallbackEvent]) -> list[FallbackEvent]:
    """Take the events collected so far, leaving the list empty."""
    taken = list(events)
    del events[: len(taken)]
    return taken


def record(event: FallbackEvent) -> None:
    """Add ``event`` to the list of the turn being served, if one is collecting."""
    collected = _turn_fallbacks.get()
    if collected is not None:
        collected.append(event)
