"""Hooks that let the UI tests watch and steer the real app running in another process.

Off unless the environment asks for them:

- ``KEEPSAKE_TEST_EVENTS=path``: the app appends one JSON object a line
  (state changes, captions, mouth values while audio plays, audio played).
- ``KEEPSAKE_TEST_CONTROL=path``: the app reads commands, one JSON object a
  line: ``{"cmd": "screenshot", "path": ...}``, ``{"cmd": "layout"}`` (report
  where the controls are, for taps), ``{"cmd": "hold_blink", "shut": 0.5}`` (every portrait's
  eyelids held that far shut, for a photograph; a negative value lets them blink again),
  ``{"cmd": "quit"}``.

Touches in the tests come through the X server (xdotool), like a real finger;
these hooks only observe and take pictures. ``watch(app)`` binds them to the app's
properties and events from outside (the state, the screen and whether it takes touches,
the crisis card, the caregiver's sign-in) and to every event the app, the conversation and the
screens' widgets announce (client/happenings.py), one line each with the event's data; what only
the tests need lives here, not in the app's code.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from client.happenings import announced

_events_path = os.environ.get("KEEPSAKE_TEST_EVENTS")
_control_path = os.environ.get("KEEPSAKE_TEST_CONTROL")
_lock = threading.Lock()
_t0 = time.monotonic()

enabled = bool(_events_path)
_control: Control | None = None


def emit(kind: str, **data: object) -> None:
    if not _events_path:
        return
    line = json.dumps(
        {"t": round(time.monotonic() - _t0, 3), "wall": round(time.time(), 3), "kind": kind, **data}, ensure_ascii=False, default=str
    )
    with _lock, open(_events_path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def watch(app) -> None:
    """Report what the app shows as it changes, and take the tests' commands (nothing when hooks are off)."""
    if not enabled:
        return
    from kivy.core.window import Window

    app.bind(
        state=lambda _app, state: emit("state", state=state),
        crisis_open=lambda _app, shown: _crisis(app, shown),
        caregiver=lambda _app, client: (
            emit("caregiver_signed_in", email=client.email) if client is not None else emit("caregiver_signed_out")
        ),
        on_resume=lambda _app: emit("resumed", state=app.state),
    )
    conversation = app.conversation
    emit("platform", mic=conversation.mic.name, audio=conversation.player.name)
    emit("state", state=app.state)
    report(app)
    report(conversation)
    for widget in _held(app.root):  # the screens and what they hold (the portrait on the talk screen and in the studio)
        report(widget)
    app.root.bind(current=lambda _sm, name: emit("screen", name=name))
    for screen in app.root.screens:
        # the fade is over: a touch now counts (the screen manager ignores touches during a fade)
        screen.bind(active=lambda screen, active: emit("screen_ready", name=screen.name) if active else None)
    # every touch the window gets, so a test can tell "not delivered" from "delivered, ignored"
    Window.bind(
        on_touch_down=lambda _w, t: emit("touch", phase="down", pos=[round(v) for v in t.pos]),
        on_touch_up=lambda _w, t: emit("touch", phase="up", pos=[round(v) for v in t.pos]),
    )
    global _control
    _control = Control(app)  # kept here: Kivy's clock holds its callbacks weakly
    _control.start()


# events whose line in the events file keeps the shorter name the tests have always read
_KINDS = {"talk_pressed": "tap", "caption_shown": "caption", "mouth_moved": "mouth", "pin_checked": "pin", "row_mode_changed": "row_mode"}
# a memory's or a fact's row: the line is named after the kind of row ("fact_saved", "memory_deleted")
_ROW_KINDS = {"row_saved": "saved", "row_save_failed": "save_failed", "row_deleted": "deleted"}


def report(dispatcher) -> None:
    """Write down every event the object announces (client/happenings.py), one line each, with its data."""
    for name in announced(dispatcher):
        dispatcher.fbind(f"on_{name}", lambda _dispatcher, *_args, _name=name, **data: _write(_name, data))


def _held(widget):
    """The widget and all it holds, with the pages of a screen manager that are not showing now."""
    from kivy.uix.screenmanager import ScreenManager

    yield widget
    children = widget.screens if isinstance(widget, ScreenManager) else widget.children
    for child in children:
        yield from _held(child)


def _write(name: str, data: dict) -> None:
    if name in _ROW_KINDS:
        data = dict(data)
        emit(f"{data.pop('row')}_{_ROW_KINDS[name]}", **data)
    else:
        emit(_KINDS.get(name, name), **data)


def _crisis(app, shown: bool) -> None:
    if shown:
        emit("crisis", shown=True, about=app.crisis_kind, name=app.crisis_name, phone=app.crisis_phone, emergency=app.crisis_emergency)
    else:
        emit("crisis", shown=False)


class Control:
    """Polls the control file from the UI thread (commands must touch widgets)."""

    def __init__(self, app) -> None:
        self.app = app
        self.offset = 0

    def start(self) -> None:
        if not _control_path:
            return
        from kivy.clock import Clock

        Path(_control_path).touch()
        Clock.schedule_interval(self._poll, 0.1)

    def _poll(self, _dt: float) -> None:
        assert _control_path is not None  # polled only once start() found the control file named
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
            from client.screenshot import save_screenshot

            emit("screenshot", path=save_screenshot(command["path"]))
        elif cmd == "layout":
            emit("layout", widgets=layout_report(self.app.root.current_screen))
        elif cmd == "hold_blink":
            from client.uix.portrait import Portrait

            held = [w for w in _held(self.app.root) if isinstance(w, Portrait)]
            for portrait in held:
                portrait.held_blink = float(command.get("shut", 1.0))
            emit("blink_held", shut=float(command.get("shut", 1.0)), portraits=len(held))
        elif cmd == "quit":
            self.app.stop()


def layout_report(screen) -> dict:
    """Where the controls are, in window pixels from the top-left (what xdotool needs)."""
    from kivy.core.window import Window
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    found, typed, shown, focused = {}, {}, {}, ""
    named = dict(screen.ids)
    for widget in list(named.values()):  # and the ids inside a screen's own widgets (the crisis card's)
        named.update({k: v for k, v in widget.ids.items() if k not in named})
    for wid_name, widget in named.items():
        x, y = widget.to_window(*widget.pos)
        w, h = widget.size
        found[wid_name] = [round(x), round(Window.height - y - h), round(w), round(h)]
        if isinstance(widget, TextInput) and widget.focus:
            focused = wid_name  # the keys typed now go there
        if isinstance(widget, TextInput) and not widget.password:
            typed[wid_name] = widget.text
        elif isinstance(widget, Label):
            shown[wid_name] = widget.text
    return {"screen": screen.name, "size": list(Window.size), "widgets": found, "typed": typed, "shown": shown, "focused": focused}
