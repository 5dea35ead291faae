"""The caregiver's PIN pad. Five wrong tries lock it for a minute (a curious grandchild gives up)."""

from __future__ import annotations

import time

from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.properties import StringProperty

from client.happenings import announces
from client.uix.screens import KeepsakeScreen

MAX_TRIES, LOCK_S = 5, 60


class PinScreen(announces("pin_checked"), KeepsakeScreen):  # type: ignore[misc]  # see announces
    entered = StringProperty("")
    message = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._failures = 0
        self._locked_until = 0.0
        self._back_event: ClockEvent | None = None

    def on_pre_enter(self, *_args) -> None:
        self.entered, self.message = "", ""
        # nobody touching it for a while: back to the face, so the relative is never stranded here
        self._back_event = Clock.schedule_once(lambda _dt: self.cancel(), 45)

    def on_deactivate(self) -> None:
        if self._back_event is not None:
            self._back_event.cancel()

    def press(self, key: str) -> None:
        if key == "clear":
            self.entered = ""
        elif key == "ok":
            self.submit()
        elif len(self.entered) < 8:
            self.entered += key
            self.message = ""

    def submit(self) -> None:
        app = App.get_running_app()
        if time.monotonic() < self._locked_until:
            self.message = app.t("locked_out", seconds=int(self._locked_until - time.monotonic()) + 1)
            self.entered = ""
            return
        if app.store.check_pin(self.entered):
            self._failures = 0
            self.dispatch("on_pin_checked", ok=True)
            self.entered = ""
            app.root.current = "caregiver"
            return
        self._failures += 1
        self.dispatch("on_pin_checked", ok=False)
        self.entered = ""
        if self._failures >= MAX_TRIES:
            self._failures = 0
            self._locked_until = time.monotonic() + LOCK_S
            self.message = app.t("locked_out", seconds=LOCK_S)
        else:
            self.message = app.t("wrong_pin")

    def cancel(self) -> None:
        App.get_running_app().root.current = "talk"
