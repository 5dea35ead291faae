"""Long work (imports) taken from the database's queue and done on this process's job thread.

Parsing a book or cutting up a recording is CPU work: on the event loop it would freeze
every conversation on this server. Each process runs one job at a time on one dedicated
thread (of two cores, one stays free for conversations); ``server.job_runner`` claims the
jobs from the queue in the database (``server.storage.jobs``) and holds their leases.

Here: what a job's work sees (``Job``: progress, the way back to the event loop, the files it
stores) and how one attempt is run (``run_claimed``). A job is rebuilt from its row alone
(``Rebuild``), so any process can run it. An attempt whose process died added nothing: the
work saves its results in one transaction with the job's "done" (``Job.finish_in``), and
writes down each file before storing it (``Job.will_store``), so the next attempt removes
those first. A job taken up more than ``max_attempts`` times fails with a plain message.

A job that needs an async service (speech to text) hands the coroutine back to the
server's event loop with ``Job.run_async`` and waits for it there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from server.storage import jobs as job_store
from server.storage.db import Connection, Database
from server.storage.jobs import Claimed
from server.storage.media import MediaStore

log = logging.getLogger("keepsake.jobs")

T = TypeVar("T")

# Progress is written at most this often: each write takes the database's write lock.
PROGRESS_EVERY_S = 0.25

FAULT = "The file could not be imported because of a fault on the server. Nothing was added."
TOO_MANY_ATTEMPTS = "The server stopped several times while importing this file. Nothing was added; please upload it again."


class JobFailed(Exception):
    """Work that cannot be done, with messages a caregiver can act on."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class LeaseLost(Exception):
    """This attempt no longer holds its job (it was too slow to renew, another process took it up)."""


class Stopping(Exception):
    """The server is stopping: the job goes back to the queue, to be done from the start by the next process."""


class Job:
    """What a running job's work sees: progress reporting, the way back to the event loop, its files."""

    def __init__(
        self,
        db: Database,
        claimed: Claimed,
        loop: asyncio.AbstractEventLoop | None,
        lease_s: float,
        stopping: threading.Event | None = None,
    ):
        self.db = db
        self.stopping = stopping or threading.Event()
        self.claimed = claimed
        self.id = claimed.id
        self.loop = loop
        self.lease_s = lease_s
        self.counts: dict[str, int] = {}
        self.made: list[dict[str, str]] = []  # files this attempt stored: {"id", "key"}
        self.finished = False
        self.lost = False
        self._last_write = 0.0
        self._last_percent = -1.0

    def progress(self, percent: float, stage: str | None = None, *, force: bool = False) -> None:
        """Report ``percent`` (0-100) done; cheap to call often, written a few times a second. It renews the lease."""
        clock = time.monotonic()
        if not force and clock - self._last_write < PROGRESS_EVERY_S and percent - self._last_percent < 10:
            return
        self._last_write, self._last_percent = clock, percent
        if not job_store.progress(self.db, self.claimed, self.lease_s, percent, stage, self.counts):
            self.lost = True  # the work goes on to its end, where it cannot finish (finish_in)

    def keep_going(self) -> None:
        """Between two long steps (a recording's parts): end now if the server is stopping, or if the job was taken up elsewhere."""
        if self.stopping.is_set():
            raise Stopping(self.id)
        if self.lost:
            raise LeaseLost(self.id)

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    def will_store(self, media_id: str, key: str) -> None:
        """Write down a file before storing it, so that if this process dies the next attempt removes it."""
        self.made.append({"id": media_id, "key": key})
        if not job_store.keep_media(self.db, self.claimed, self.made):
            raise LeaseLost(self.id)

    def finish_in(self, conn: Connection) -> None:
        """Mark the job done inside the transaction that saves its results: both happen, or neither."""
        if not job_store.finish(conn, self.claimed, dict(self.counts)):
            raise LeaseLost(self.id)
        self.finished = True

    def run_async(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 600) -> T:
        """Run ``coroutine`` on the server's event loop and wait for its result here."""
        if self.loop is None:
            return asyncio.run(coroutine)
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)


class Work(Protocol):
    """One job's work, rebuilt from its row."""

    def run(self, job: Job) -> dict[str, Any] | None:
        """Do it; return the final counts (None: the job's own) or raise (``JobFailed`` for plain words)."""

    def undo(self) -> None:
        """After a failure: leave nothing behind (what the job was given, and what it made)."""


Rebuild = Callable[[Claimed], Work]


@dataclass
class Runs:
    """What every attempt on this process needs besides its job."""

    db: Database
    media: MediaStore
    rebuild: dict[str, Rebuild]  # by the job's kind
    lease_s: float
    max_attempts: int
    stopping: threading.Event
    loop: asyncio.AbstractEventLoop | None = None


def run_claimed(runs: Runs, claimed: Claimed) -> None:
    """One attempt at a claimed job, on the job thread; it always ends the attempt (done, failed, released, lost)."""
    job = Job(runs.db, claimed, runs.loop, runs.lease_s, runs.stopping)
    work: Work | None = None
    try:
        if claimed.left_media:  # an earlier attempt died while storing these
            _forget(runs.media, claimed.left_media)
            job_store.keep_media(runs.db, claimed, [])
        work = runs.rebuild[claimed.kind](claimed)
        if claimed.attempt > runs.max_attempts:
            raise JobFailed(TOO_MANY_ATTEMPTS)
        job.progress(0, "starting", force=True)
        counts = work.run(job)
        if not job.finished and not job_store.finish(runs.db, claimed, counts if counts is not None else job.counts):
            raise LeaseLost(claimed.id)
    except LeaseLost:
        log.warning("job %s (attempt %d) was taken up by another process; dropping this attempt", claimed.id, claimed.attempt)
        _forget(runs.media, job.made)
    except Exception as exc:  # noqa: BLE001 - every failure must end the job, never a silent thread death
        _forget(runs.media, job.made)
        if runs.stopping.is_set():  # the server is stopping (its reading was cut off): the next claim starts it again
            job_store.release(runs.db, claimed)
            return
        if isinstance(exc, JobFailed):
            messages = exc.messages
        else:
            log.exception("job %s failed", claimed.id)
            # The log has the details; the caregiver gets words, never the server's insides.
            messages = [FAULT]
        _fail(runs, claimed, work, messages, job.counts)


def _fail(runs: Runs, claimed: Claimed, work: Work | None, messages: list[str], counts: dict[str, Any]) -> None:
    try:
        if not job_store.fail(runs.db, claimed, messages, counts):
            return  # another process holds it now: what the job was given is its to use
    except Exception:  # noqa: BLE001 - the database itself may be gone (server shutting down)
        log.exception("could not record the failure of job %s", claimed.id)
        return
    if work is not None:
        try:
            work.undo()
        except Exception:  # noqa: BLE001
            log.exception("cleaning up after job %s failed", claimed.id)


def _forget(media: MediaStore, made: list[dict[str, str]]) -> None:
    for stored in made:
        try:
            media.forget(stored["id"], stored["key"])
        except Exception:  # noqa: BLE001 - the store is down: the next attempt (or erasure) removes it
            log.exception("could not remove file %s of an abandoned import", stored["id"])
