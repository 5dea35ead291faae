"""What the dialogue acts and the safety check share about their labelled example sets.

Each set is a JSON-lines file shipped in this package (``read_rows``), and what a check makes of
it (the rows, their texts and their vectors) is made the first time a sentence is read or the
server warms up, by whichever thread asks first, and only once (``BuiltOnce``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def read_rows(filename: str) -> list[dict[str, Any]]:
    """The rows of an example set shipped in ``server/conversation/``, one JSON object a line."""
    text = resources.files("server.conversation").joinpath(filename).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class BuiltOnce(Generic[T]):
    """A value made by ``build`` when first asked for, and only once however many threads ask."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value
