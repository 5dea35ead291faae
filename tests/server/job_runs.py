"""Helpers for the job queue's tests: work made to order, runners started on the test's event loop, waiting on rows."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from server.job_runner import JobRunner
from server.jobs import Job
from server.storage.db import Database
from server.storage.jobs import Claimed
from server.storage.media import MediaStore


class Scripted:
    """A job's work that does what its test's ``script`` says (by the job's ``task["name"]``) and counts its runs."""

    def __init__(self, script: Callable[[Job], dict[str, Any] | None]):
        self.script = script
        self.runs: list[tuple[str, int]] = []  # (runner's owner, attempt)
        self.undone = 0
        self.lock = threading.Lock()

    def rebuild(self, claimed: Claimed) -> Scripted.Attempt:
        return Scripted.Attempt(self, claimed)

    class Attempt:
        def __init__(self, scripted: Scripted, claimed: Claimed):
            self.scripted, self.claimed = scripted, claimed

        def run(self, job: Job) -> dict[str, Any] | None:
            with self.scripted.lock:
                self.scripted.runs.append((self.claimed.owner, self.claimed.attempt))
            return self.scripted.script(job)

        def undo(self) -> None:
            self.scripted.undone += 1


def runner(db: Database, media: MediaStore, work: Scripted, *, owner: str, lease_s: float = 30, poll_s: float = 0.05, attempts: int = 3):
    return JobRunner(db, media, {"test": work.rebuild}, lease_s=lease_s, poll_s=poll_s, max_attempts=attempts, owner=owner)


async def wait_until(check: Callable[[], Any], timeout_s: float = 30) -> Any:
    """Poll ``check`` (a database read) off the event loop until it answers something true."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await asyncio.to_thread(check)
        if answer:
            return answer
        assert time.monotonic() < deadline, "waited too long"
        await asyncio.sleep(0.02)
