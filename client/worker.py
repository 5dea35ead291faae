"""Run slow work off the UI thread and hand the result back through Kivy's Clock.

The rule of the app: the UI thread never waits on the network or the disk
for long. Everything that could is called through ``background`` and its
outcome comes back as a callback on the UI thread, where properties may be set
(Kivy's ``mainthread``: the call waits for the next frame of the UI thread's Clock).
Methods that only worker threads call carry ``@mainthread`` themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import mainthread
from kivy.logger import Logger


def on_ui(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``fn`` on the UI thread at the next frame (safe from any thread)."""
    mainthread(fn)(*args, **kwargs)


def background(
    fn: Callable[..., Any],
    *args: Any,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    name: str = "worker",
) -> threading.Thread:
    def run() -> None:
        try:
            result = fn(*args)
        except Exception as exc:  # every failure reaches the UI as a callback, never a crash
            if on_error is not None:
                on_ui(on_error, exc)
            else:
                Logger.warning(f"Keepsake: {name} failed: {exc!r}")
        else:
            if on_result is not None:
                on_ui(on_result, result)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
