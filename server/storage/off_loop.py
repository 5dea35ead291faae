"""Database work run off the event loop, and finished even when the caller is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run ``func`` on a worker thread and, if cancelled meanwhile, still wait for it to end: what
    it wrote is then known (and can be undone), and the database is not closed under it."""
    running = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await running
        raise
