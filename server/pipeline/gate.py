"""How many turns this process works on at once; the rest wait a little, then hear "busy".

This is per process on purpose: it guards this machine's CPU, which the
embedded engines share. A second process brings its own CPU and its own gate.
"""

from __future__ import annotations

import asyncio
import os

from server.config import Settings
from server.errors import ApiError


def capacity_for(settings: Settings) -> int:
    if settings.max_concurrent_turns:
        return settings.max_concurrent_turns
    local = any(getattr(settings, stage).provider == "local" for stage in ("asr", "tts"))
    # Embedded speech engines are CPU-bound: a few turns per core keep every answer timely.
    return 3 * (os.cpu_count() or 2) if local else 512


class TurnGate:
    def __init__(self, capacity: int, wait_s: float):
        self.capacity = capacity
        self.wait_s = wait_s
        self._slots = asyncio.Semaphore(capacity)
        # Turns holding a place now; background work (speaking ahead) waits for none.
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        return self._active > 0

    async def wait_idle(self) -> None:
        """Return once no turn holds a place (at once if none does)."""
        while self._active:
            await self._idle.wait()

    async def acquire(self):
        """Wait for a place; returns the function that gives it back (safe to call twice)."""
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
        except TimeoutError:
            raise ApiError(
                503, "busy", "Many people are talking right now. Please try again in a moment.", headers={"Retry-After": "5"}
            ) from None
        self._active += 1
        self._idle.clear()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._slots.release()
                self._active -= 1
                if not self._active:
                    self._idle.set()

        return release
