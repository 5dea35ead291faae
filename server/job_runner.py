"""Each server process's job runner: claims jobs from the database's queue, one at a time, and holds their leases.

Any process can queue a job (an upload) and any can run it. The runner claims the oldest
job waiting (``server.storage.jobs.claim``): at once when this process queues one
(``wake``), and every ``poll_s`` for jobs queued by other processes or left by a dead one
(its lease ran out). The work runs on this process's one job thread (``server.jobs``); while
it runs, the runner renews the lease every third of ``lease_s`` (the work's progress renews
it too), so only a process that stopped renewing (dead, or frozen) loses its job. The next
claimer starts it from the beginning; after ``max_attempts`` it fails plainly.

When the server stops, the runner claims nothing more; a job cut off by the stop (its reading
is killed) goes back to the queue for the next process, without counting as an attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from server.jobs import Rebuild, Runs, run_claimed
from server.storage import jobs as job_store
from server.storage.db import Database
from server.storage.jobs import Claimed
from server.storage.media import MediaStore

log = logging.getLogger("keepsake.jobs")


class JobRunner:
    def __init__(
        self,
        db: Database,
        media: MediaStore,
        rebuild: dict[str, Rebuild],
        *,
        lease_s: float,
        poll_s: float,
        max_attempts: int,
        owner: str | None = None,
    ):
        # Who holds a lease, as an operator would want to read it in the jobs table.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.poll_s = poll_s
        self._runs = Runs(db, media, rebuild, lease_s, max_attempts, threading.Event())
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keepsake-jobs")
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start claiming, on the running event loop."""
        self._loop = self._runs.loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._claim_forever(), name="keepsake-job-runner")

    def wake(self) -> None:
        """A job was queued: claim now rather than at the next poll. Any thread."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def stop_claiming(self) -> None:
        """Claim nothing more; a job cut off from now on goes back to the queue instead of failing."""
        self._runs.stopping.set()
        self.wake()

    async def stop(self, wait_s: float = 30) -> None:
        """Stop claiming and wait (at most ``wait_s``) for the job in hand to end: stop its reading first."""
        self.stop_claiming()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=wait_s)
            if not done:
                log.warning("the job in hand did not end within %.0f s of the server stopping", wait_s)
                self._task.cancel()
        self._executor.shutdown(wait=False)

    async def _claim_forever(self) -> None:
        assert self._wake is not None  # set by start()
        runs = self._runs
        while not runs.stopping.is_set():
            self._wake.clear()
            try:
                claimed = await asyncio.to_thread(job_store.claim, runs.db, self.owner, runs.lease_s)
            except Exception:  # noqa: BLE001 - the database is away for a moment: try again at the next poll
                log.exception("claiming a job failed")
                claimed = None
            if claimed is not None:
                await self._hold(claimed)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            except TimeoutError:
                pass

    async def _hold(self, claimed: Claimed) -> None:
        """Run the claimed job on the job thread, renewing its lease until it ends."""
        runs = self._runs
        attempt = asyncio.wrap_future(self._executor.submit(run_claimed, runs, claimed))
        while True:
            done, _ = await asyncio.wait({attempt}, timeout=runs.lease_s / 3)
            if done:
                try:
                    attempt.result()  # run_claimed ends every attempt itself; this only surfaces a bug
                except Exception:  # noqa: BLE001 - the runner goes on with the next job
                    log.exception("job %s: its attempt ended abnormally", claimed.id)
                return
            try:
                if not await asyncio.to_thread(job_store.renew, runs.db, claimed, runs.lease_s):
                    log.warning("job %s: lease lost; this attempt will not be saved", claimed.id)
            except Exception:  # noqa: BLE001 - renew again at the next third of the lease
                log.exception("renewing the lease of job %s failed", claimed.id)
