"""A circuit breaker: stop calling a service that keeps failing, try it again later.

After ``failure_threshold`` failures in a row the breaker opens and callers
skip the service (going straight to their fallback) for ``cooldown_s``. Then
one trial call is let through ("half-open"): success closes the breaker, a
failure opens it for another cool-down. State lives in the process: a second
server process simply learns on its own, which is fine for a fast path skip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failure_threshold = max(1, failure_threshold)
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started: float | None = None

    @property
    def state(self) -> str:
        """ "closed" (calls go through), "open" (skipped) or "half-open" (a trial is allowed)."""
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown_s:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """May the caller use the service now? In half-open, only one trial at a time."""
        with self._lock:
            state = self._state_locked()
            if state == "closed":
                return True
            if state == "open":
                return False
            now = self._clock()
            # One trial at a time; a trial that never reported back frees the slot after a cool-down.
            if self._trial_started is not None and now - self._trial_started < self.cooldown_s:
                return False
            self._trial_started = now
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_started = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_started = None
            if self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
