"""Hooks that let the UI tests watch and steer the real app running in another process.

Off unless the environment asks for them:

- ``KEEPSAKE_TEST_EVENTS=path``: the app appends one JSON object a line
  (state changes, captions, mouth values while audio plays, audio played).
- ``KEEPSAKE_TEST_CONTROL=path``: the app reads commands, one JSON object a
  line: ``{"cmd": "screenshot", "path": ...}``, ``{"cmd": "layout"}`` (report
  where the controls are, for taps), ``{"cmd": "quit"}``.

Touches in the tests come through the X server (xdotool), like a real finger;
these hooks only observe and take pictures.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

_events_path = os.environ.get("KEEPSAKE_TEST_EVENTS")
_control_path = os.environ.get("KEEPSAKE_TEST_CONTROL")
_lock = threading.Lock()
_t0 = time.monotonic()

enabled = bool(_events_path)


def emit(kind: str, **data: object) -> None:
    if not _events_path:
        return
    line = json.dumps({"t": round(time.monotonic() - _t0, 3), "wall": round(time.time(), 3), "kind": kind, **data}, ensure_ascii=False, default=str)
    with _lock, open(_events_path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


class Control:
    """Polls the control file from the UI thread (commands must touch widgets)."""

    def __init__(self, app) -> None:
        self.app = app
        self.offset = 0

    def start(self) -> None:
        if enabled:
            from kivy.core.window import Window

            # every touch the window gets, so a test can tell "not delivered" from "delivered, ignored"
            Window.bind(on_touch_down=lambda _w, t: emit("touch", phase="down", pos=[round(v) for v in t.pos]),
                        on_touch_up=lambda _w, t: emit("touch", phase="up", pos=[round(v) for v in t.pos]))
        if not _control_path:
            return
        from kivy.clock import Clock

        Path(_control_path).touch()
        Clock.schedule_interval(self._poll, 0.1)

    def _poll(self, _dt: float) -> None:
        try:
            with open(_control_path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return
        if not data.endswith(b"\n"):
            return  # a command is being written: read it whole next time
        self.offset += len(data)
        for line in data.decode("utf-8").splitlines():
            if line.strip():
                self._run(json.loads(line))

    def _run(self, command: dict) -> None:
        cmd = command.get("cmd")
        if cmd == "screenshot":
            path = self.app.save_screenshot(command["path"])
            emit("screenshot", path=path)
        elif cmd == "layout":
            emit("layout", widgets=self.app.layout_report())
        elif cmd == "quit":
            self.app.stop()
