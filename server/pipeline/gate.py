"""How many turns this process works on at once, and how many of them one household may hold.

This is per process on purpose: it guards this machine's CPU, which the
embedded engines share. A second process brings its own CPU and its own gate.

Fairness: no household may hold more than half the places (rounded down, at
least one), so another family's relative is heard however many connections
one household opens; and no tablet more than half of its household's share,
so one broken or stolen tablet cannot silence the household's other tablets.
A turn over its share waits like any other (and hears "busy" after
``wait_s``) while other households' turns still take the free places.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable

from server.config import Settings
from server.errors import ApiError


def capacity_for(settings: Settings) -> int:
    if settings.max_concurrent_turns:
        return settings.max_concurrent_turns
    local = any(getattr(settings, stage).provider == "local" for stage in ("asr", "tts"))
    # Embedded speech engines are CPU-bound: a few turns per core keep every answer timely.
    return 3 * (os.cpu_count() or 2) if local else 512


def share_of(places: int) -> int:
    """Half, rounded down, at least one: never all of them when there are two or more."""
    return max(1, places // 2)


class TurnGate:
    def __init__(self, capacity: int, wait_s: float):
        self.capacity = capacity
        self.wait_s = wait_s
        self.household_share = share_of(capacity)
        self.device_share = share_of(self.household_share)
        # Turns holding a place now; background work (speaking ahead) waits for none.
        self._active = 0
        self._by_household: Counter[str] = Counter()
        self._by_device: Counter[str] = Counter()
        self._idle = asyncio.Event()
        self._idle.set()
        # Set and cleared at once on every release: wakes whoever waits to look again.
        self._released = asyncio.Event()

    @property
    def busy(self) -> bool:
        return self._active > 0

    def held_by(self, household: str) -> int:
        return self._by_household[household]

    async def wait_idle(self) -> None:
        """Return once no turn holds a place (at once if none does)."""
        while self._active:
            await self._idle.wait()

    def _fits(self, household: str | None, device: str | None) -> bool:
        return (
            self._active < self.capacity
            and (household is None or self._by_household[household] < self.household_share)
            and (device is None or self._by_device[device] < self.device_share)
        )

    async def acquire(self, household: str | None = None, device: str | None = None) -> Callable[[], None]:
        """Wait for a place within the household's and the device's shares; returns the function
        that gives it back (safe to call twice; call it on the event loop's thread)."""
        try:
            async with asyncio.timeout(self.wait_s):
                while not self._fits(household, device):
                    await self._released.wait()
        except TimeoutError:
            raise ApiError(
                503, "busy", "Many people are talking right now. Please try again in a moment.", headers={"Retry-After": "5"}
            ) from None
        self._take(household, device, +1)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._take(household, device, -1)
                self._released.set()
                self._released.clear()

        return release

    def _take(self, household: str | None, device: str | None, step: int) -> None:
        self._active += step
        for holders, who in ((self._by_household, household), (self._by_device, device)):
            if who is not None:
                holders[who] += step
                if not holders[who]:
                    del holders[who]  # households come and go: keep only those holding a place
        if self._active:
            self._idle.clear()
        else:
            self._idle.set()
