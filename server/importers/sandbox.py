"""Read uploaded files in a child process with a time limit and a memory limit, never in the server.

A caregiver's file is untrusted input for big parsers (lxml, pypdf, ebooklib,
FFmpeg, Pillow). In the server process a hostile one could hold the CPU (and
with it the GIL, so every household's conversation stalls) or eat the
memory of the process every household shares. Here the reading runs in a
child process of its own:

* a time limit: the parent waits at most that long, then kills the child
  (a pool whose worker was killed is broken, so a new one is made);
* a memory limit: the child caps its own address space (``RLIMIT_AS``), so
  a runaway allocation fails in the child with ``MemoryError`` (or kills only
  the child) instead of growing the server;
* a lower CPU priority, so a long book never slows a conversation's turn.

The child starts from a fork server that has already imported the importer
modules, so a new child is ready in milliseconds and the same child serves
import after import. Each ``Sandbox`` has one child (the server has two
cores: one stays for conversations) and runs one file at a time.

What comes back is plain data. An import's refusal (``ImportRejected``) is
sent as its status, code and message and raised again here, so the caregiver
reads the same words as before; everything else the child can do wrong ends
as one of the plain messages below, never with a path or a class name.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from server.errors import ApiError
from server.importers.errors import ImportRejected, too_large

log = logging.getLogger("keepsake.importers")

T = TypeVar("T")

TOO_SLOW = "This file took too long to read. Split it into smaller parts, or save it again from the program that made it."
TOO_BIG = "This file is too large to read. Split it into smaller parts."
CRASHED = "This file could not be read: it may be damaged, or too large. Save it again from the program that made it."

# Imported once by the fork server, so a new child has them already (milliseconds to start, not seconds).
PRELOAD = ["server.importers.parse"]
# A child that has not begun the work this long after it was asked is stuck (or the machine is): give up.
START_LIMIT_S = 60.0
# How often the waiting parent passes the child's progress on.
POLL_S = 0.25
# The child's niceness: reading a file may wait, a conversation's turn may not.
CHILD_NICENESS = 5

# Shared with the child (set by the pool's initializer): [started, progress 0..1], a ctypes
# array of two doubles in shared memory.
_shared: Any = None


class ParseCrashed(RuntimeError):
    """Our own reading code failed on this file (a bug, not the caregiver's doing); the child's traceback is logged."""


class SandboxBusy(ApiError):
    """Another file is being read in this sandbox and did not finish in time for this one to start."""

    def __init__(self) -> None:
        super().__init__(
            503, "busy", "Other files are being checked just now. Please try again in a minute.", headers={"Retry-After": "30"}
        )


def report(fraction: float) -> None:
    """Called by the reading code in the child: how far it has got (0 to 1). Does nothing elsewhere."""
    if _shared is not None:
        _shared[1] = max(0.0, min(1.0, float(fraction)))


def _address_space_now() -> int:
    """Bytes of address space this process has mapped (libraries, heap, thread stacks); 0 if unknown."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child_setup(memory_bytes: int, shared: Any) -> None:
    """The child's first act: its limits, before it touches any file."""
    global _shared
    _shared = shared
    try:
        os.nice(CHILD_NICENESS)
    except (AttributeError, OSError):
        pass
    try:
        import resource
    except ImportError:  # not a Unix: the time limit still holds
        return
    # The budget is on top of what the child already maps (the loaded libraries and their thread
    # arenas, a few hundred MB of address space that is mostly shared, never touched memory), so
    # ``import_memory_mb`` means what a file may make the child allocate. Hard limit too: nothing in
    # the child may raise it again.
    limit = _address_space_now() + memory_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _in_child(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Run the reading; answer with plain tuples only (an ApiError cannot cross a process boundary whole)."""
    if _shared is not None:
        _shared[1] = 0.0
        _shared[0] = 1.0
    try:
        return ("ok", fn(*args, **kwargs))
    except ApiError as exc:
        return ("rejected", exc.status, exc.code, exc.message, exc.details)
    except MemoryError:
        return ("memory",)
    except RecursionError:  # nesting deeper than Python's stack: a malicious document, not our bug
        return ("memory",)
    except Exception:  # noqa: BLE001 - reported to the parent, which logs it and fails plainly
        return ("crashed", traceback.format_exc(limit=30))


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)  # takes effect when the fork server starts (once per process)
        return ctx
    return multiprocessing.get_context("spawn")


class Sandbox:
    """One child process that reads files one at a time, under limits given with each call."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()  # one file at a time; the time limit counts from the child's start
        self._pool: ProcessPoolExecutor | None = None
        self._memory_mb: int | None = None
        self._shared: Any = None  # the ctypes array shared with the child (see _shared above)
        self.restarts = 0  # children replaced after a limit was hit or one died (for tests and logs)

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        time_s: float,
        memory_mb: int,
        progress: Callable[[float], None] | None = None,
        wait_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        """``fn(*args, **kwargs)`` in the child. Blocking: call it from a worker thread, never the event loop.

        ``fn`` must be a module-level function and its arguments and result plain picklable data.
        Raises ``ImportRejected`` (the file's own refusal, or too slow / too large / crashed),
        ``ParseCrashed`` (a bug in the reading code), or ``SandboxBusy`` when ``wait_s`` passed
        before the child was free.
        """
        if not self._lock.acquire(timeout=-1 if wait_s is None else max(0.0, wait_s)):
            raise SandboxBusy()
        try:
            result: T = self._call_locked(fn, args, kwargs, time_s, memory_mb, progress)
            return result
        finally:
            self._lock.release()

    def shutdown(self) -> None:
        with self._lock:
            self._discard(kill=False)

    def stop_reading(self) -> None:
        """Kill the child now, even mid-file: the server is stopping and must not wait up to the
        time limit for a reading. The call waiting on it (if any) sees the child die and ends its
        job plainly; the next call starts a new child."""
        if self._lock.acquire(blocking=False):  # no reading now: let the child go quietly
            try:
                self._discard(kill=False)
            finally:
                self._lock.release()
            return
        pool = self._pool
        for worker in list((getattr(pool, "_processes", None) or {}).values()):
            worker.kill()

    # --- the pool ------------------------------------------------------------------

    def _ready(self, memory_mb: int) -> ProcessPoolExecutor:
        if self._pool is not None and self._memory_mb != memory_mb:
            self._discard(kill=False)  # the limit is set when the child starts: a new limit needs a new child
        if self._pool is None:
            ctx = _context()
            self._shared = ctx.Array("d", 2, lock=False)
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=ctx,
                initializer=_child_setup,
                initargs=(int(memory_mb) * 1024 * 1024, self._shared),
            )
            self._memory_mb = memory_mb
        return self._pool

    def _discard(self, *, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # No public way to reach a pool's worker before Python 3.14 (``terminate_workers``); the
        # pool keeps them in ``_processes``. Killing it is the only way to stop a parse in C code.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        if kill:
            for worker in workers:
                worker.kill()
            self.restarts += 1
        pool.shutdown(wait=False, cancel_futures=True)
        if kill:
            for worker in workers:
                worker.join(5)

    # --- one call --------------------------------------------------------------------

    def _call_locked(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        time_s: float,
        memory_mb: int,
        progress: Callable[[float], None] | None,
    ) -> Any:
        pool = self._ready(memory_mb)
        shared = self._shared
        shared[0] = 0.0
        shared[1] = 0.0
        try:
            future = pool.submit(_in_child, fn, args, kwargs)
        except BrokenProcessPool:  # the child died between two files (killed from outside)
            self._discard(kill=True)
            pool, shared = self._ready(memory_mb), self._shared
            future = pool.submit(_in_child, fn, args, kwargs)
        asked = time.monotonic()
        started: float | None = None
        last_reported = -1.0
        while True:
            now = time.monotonic()
            if started is None and shared[0] >= 1.0:
                started = now
            if started is None and now - asked > START_LIMIT_S + time_s:
                self._discard(kill=True)
                raise ImportRejected(503, "busy", "The server is too busy to read this file just now. Please try again later.")
            if started is not None and now - started > time_s:
                self._discard(kill=True)
                log.warning("%s: reading a file took longer than %.0f s; the child was stopped", self.name, time_s)
                raise ImportRejected(422, "took_too_long", TOO_SLOW)
            if progress is not None and started is not None and shared[1] != last_reported:
                last_reported = shared[1]
                progress(last_reported)
            wait = POLL_S if started is None else min(POLL_S, max(0.01, started + time_s - now))
            try:
                outcome = future.result(timeout=wait)
                break
            except FutureTimeout:
                continue
            except BrokenProcessPool:
                # The child died: the kernel's out-of-memory killer, or a native parser that crashed
                # on the file (an allocation refused under the memory limit often ends this way).
                self._discard(kill=True)
                log.warning("%s: the child reading a file died", self.name)
                raise too_large(CRASHED) from None
            except MemoryError:  # the answer itself was too big to send back
                self._discard(kill=True)
                raise too_large(TOO_BIG) from None
            except BaseException:  # noqa: BLE001 - e.g. an answer that cannot be pickled, a parser that called exit()
                self._discard(kill=True)
                log.exception("%s: the child's answer could not be received", self.name)
                raise ParseCrashed("the reading's answer could not be received") from None
        return self._unwrap(outcome)

    def _unwrap(self, outcome: tuple[Any, ...]) -> Any:
        tag = outcome[0]
        if tag == "ok":
            return outcome[1]
        if tag == "rejected":
            _, status, code, message, details = outcome
            raise ImportRejected(status, code, message, details=details)
        if tag == "memory":
            # Python survived the refused allocation, but a C library in the child may not have:
            # the next file gets a fresh child.
            self._discard(kill=True)
            raise too_large(TOO_BIG)
        log.error("%s: reading a file failed in the child:\n%s", self.name, outcome[1])
        raise ParseCrashed("reading the file failed")


# One child for the import jobs (one job at a time, on the job thread) and one for the checks an
# upload waits for, so a long book never makes another household's upload wait for its answer.
jobs = Sandbox("import job")
checks = Sandbox("upload check")


def stop_reading() -> None:
    """At server exit: no reading outlives the server, and stopping never waits for one."""
    for sandbox in (jobs, checks):
        sandbox.stop_reading()
