"""Run long work (imports) on a worker thread and report its progress through the database.

Parsing a book or cutting up a recording is CPU work: on the event loop it
would freeze every conversation on this server. Jobs run on one dedicated
thread (of two cores, one stays free for conversations), one job at a time,
in the order they came. The job's row in the database is the only state, so
another server process can report it.

A job that needs an async service (speech to text) hands the coroutine back
to the server's event loop with ``Job.run_async`` and waits for it there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from server.storage import jobs as job_store
from server.storage.db import Database

log = logging.getLogger("keepsake.jobs")

T = TypeVar("T")

# Progress is written at most this often: each write takes the database's write lock.
PROGRESS_EVERY_S = 0.25

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keepsake-jobs")


class JobFailed(Exception):
    """Work that cannot be done, with messages a caregiver can act on."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class Job:
    """What a running job's work sees: progress reporting and the way back to the event loop."""

    def __init__(self, db: Database, job_id: str, loop: asyncio.AbstractEventLoop | None):
        self.db = db
        self.id = job_id
        self.loop = loop
        self.counts: dict[str, int] = {}
        self._last_write = 0.0
        self._last_percent = -1.0

    def progress(self, percent: float, stage: str | None = None, *, force: bool = False) -> None:
        """Report ``percent`` (0-100) done; cheap to call often, written a few times a second."""
        clock = time.monotonic()
        if not force and clock - self._last_write < PROGRESS_EVERY_S and percent - self._last_percent < 10:
            return
        self._last_write, self._last_percent = clock, percent
        job_store.progress(self.db, self.id, percent, stage, self.counts)

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    def run_async(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 600) -> T:
        """Run ``coroutine`` on the server's event loop and wait for its result here."""
        if self.loop is None:
            return asyncio.run(coroutine)
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)


Work = Callable[[Job], dict[str, Any] | None]
OnFailure = Callable[[], None]


def submit(db: Database, job_id: str, work: Work, *, on_failure: OnFailure | None = None) -> Future[None]:
    """Run ``work(job)`` in the background. It returns the final counts (or None) or raises.

    ``JobFailed`` messages reach the caregiver as they are; any other error is
    logged and reported plainly. ``on_failure`` undoes what the work left behind.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    return _executor.submit(_run, db, job_id, loop, work, on_failure)


def _run(db: Database, job_id: str, loop: asyncio.AbstractEventLoop | None, work: Work, on_failure: OnFailure | None) -> None:
    job = Job(db, job_id, loop)
    try:
        job.progress(0, "starting", force=True)
        counts = work(job)
        job_store.finish(db, job_id, counts if counts is not None else job.counts)
    except Exception as exc:  # noqa: BLE001 - every failure must end as a failed job, never a silent thread death
        if isinstance(exc, JobFailed):
            messages = exc.messages
        else:
            log.exception("job %s failed", job_id)
            # The log has the details; the caregiver gets words, never the server's insides.
            messages = ["The file could not be imported because of a fault on the server. Nothing was added."]
        if on_failure is not None:
            try:
                on_failure()
            except Exception:  # noqa: BLE001
                log.exception("cleaning up after job %s failed", job_id)
        try:
            job_store.fail(db, job_id, messages, job.counts)
        except Exception:  # noqa: BLE001 - the database itself may be gone (server shutting down)
            log.exception("could not record the failure of job %s", job_id)
