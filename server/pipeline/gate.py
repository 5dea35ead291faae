"""How many turns this process works on at once, and how many of them one household may hold.

This is per process on purpose: it guards this machine's CPU, which the
embedded engines share. A second process brings its own CPU and its own gate.
When a deployment's limit is set (``max_concurrent_turns``), each turn also takes a place in the
database
(``SharedPlaces``), so the limit and the shares hold across all of them: a place
is a row with a lease, renewed while held, so a killed process's places free
themselves when the lease runs out. A turn waiting for a place there looks
again when this process gives one back, and every ``POLL_S`` for the others.

Fairness: no household may hold more than half the places (rounded down, at
least one), so another family's relative is heard however many connections
one household opens; and no tablet more than half of its household's share,
so one broken or stolen tablet cannot silence the household's other tablets.
A turn over its share waits like any other (and hears "busy" after
``wait_s``) while other households' turns still take the free places.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import Callable

from server.config import Settings
from server.errors import ApiError
from server.storage import shared_places
from server.storage.db import Database
from server.storage.off_loop import in_thread

log = logging.getLogger("keepsake.gate")

LEASE_S = 30.0  # a place outlives a dead process by at most this; renewed every third of it
POLL_S = 0.1  # how often a waiting turn looks whether another process gave a place back


def capacity_for(settings: Settings) -> int:
    if settings.max_concurrent_turns:
        return settings.max_concurrent_turns
    local = any(getattr(settings, stage).provider == "local" for stage in ("asr", "tts"))
    # Embedded speech engines are CPU-bound: a few turns per core keep every answer timely.
    return 3 * (os.cpu_count() or 2) if local else 512


def share_of(places: int) -> int:
    """Half, rounded down, at least one: never all of them when there are two or more."""
    return max(1, places // 2)


def shared_across_processes(settings: Settings) -> bool:
    """Whether turns take places in the database too: only when a limit was set for the whole
    deployment. Without one, each process's own limit is for its machine's CPU (a few turns a core
    with the embedded engines), which is no total for many machines: shared, it would hold a whole
    deployment on PostgreSQL to what one machine can do."""
    return bool(settings.max_concurrent_turns)


class SharedPlaces:
    """The gate's places in the database, held by this process (``process_id``) under a lease."""

    def __init__(self, db: Database, process_id: str, *, lease_s: float = LEASE_S, poll_s: float = POLL_S):
        self.db = db
        self.process_id = process_id
        self.lease_s = lease_s
        self.poll_s = poll_s
        self._renewing: asyncio.Task[None] | None = None

    def take(self, gate: TurnGate, household: str | None, device: str | None) -> str | None:
        return shared_places.take_turn_place(
            self.db,
            self.process_id,
            household,
            device,
            capacity=gate.capacity,
            household_share=gate.household_share,
            device_share=gate.device_share,
            lease_s=self.lease_s,
        )

    def start(self) -> None:
        self._renewing = asyncio.get_running_loop().create_task(self._renew(), name="turn-places")

    async def stop(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
            self._renewing = None
        await in_thread(shared_places.give_back_all_turn_places, self.db, self.process_id)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)  # a period, not a wait for something: leases are renewed on time
            try:
                await in_thread(shared_places.renew_turn_places, self.db, self.process_id, self.lease_s)
            except Exception:  # the database is away a moment: try again next time, the lease has two more
                log.warning("renewing this process's turn places failed", exc_info=True)


class TurnGate:
    def __init__(self, capacity: int, wait_s: float, shared: SharedPlaces | None = None):
        self.capacity = capacity
        self.shared = shared
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
        self._returning: set[asyncio.Future[None]] = set()  # places being deleted from the database

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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        place: str | None = None
        while True:
            if self._fits(household, device):
                self._take(household, device, +1)  # held while the database is asked, so no one here takes it meanwhile
                if self.shared is None:
                    break
                try:
                    place = await in_thread(self.shared.take, self, household, device)
                except BaseException:
                    self._take(household, device, -1)
                    raise
                if place is not None:
                    break
                # Not given back with a wake-up: the others waiting here would only find it full too
                # (and wake each other in turn); they look again within ``poll_s`` anyway.
                self._take(household, device, -1)
            left = deadline - loop.time()
            if left <= 0:
                raise ApiError(
                    503, "busy", "Many people are talking right now. Please try again in a moment.", headers={"Retry-After": "5"}
                )
            # Woken when this process gives a place back; other processes' are seen by looking again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), min(left, self.shared.poll_s) if self.shared else left)
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._give_back(household, device)
                if place is not None and self.shared is not None:
                    self._give_back_shared(place, loop)

        return release

    def _give_back(self, household: str | None, device: str | None) -> None:
        self._take(household, device, -1)
        self._released.set()
        self._released.clear()

    def _give_back_shared(self, place: str, loop: asyncio.AbstractEventLoop) -> None:
        assert self.shared is not None
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:  # given back from another thread (a test's): deleted on the gate's loop
            loop.call_soon_threadsafe(self._give_back_shared, place, loop)
            return
        done = asyncio.ensure_future(in_thread(shared_places.give_back_turn_place, self.shared.db, place))
        self._returning.add(done)

        def returned(task: asyncio.Future[None]) -> None:
            self._returning.discard(task)
            if not task.cancelled() and task.exception() is not None:  # its lease frees it later
                log.warning("giving back turn place %s failed: %s", place, task.exception())
            self._released.set()  # whoever waits here may now find the place free in the database too
            self._released.clear()

        done.add_done_callback(returned)

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
