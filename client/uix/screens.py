"""The base of every screen: ``on_activate`` once it is shown and takes touches, ``on_deactivate`` once it is gone.

Kivy's screen manager ignores touches while a transition runs; ``on_enter`` comes when
the fade is over, ``on_leave`` when the next screen's fade is. Screens (as Electrum's
Kivy screens do) put what they start and stop there, and ``active`` says the same as a
property that others (the test hooks) can watch from outside.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty
from kivy.uix.screenmanager import Screen


class KeepsakeScreen(Screen):
    __events__ = ("on_activate", "on_deactivate")

    active = BooleanProperty(False)  # shown, the fade over: a touch now reaches the screen

    def on_enter(self, *_args) -> None:
        self.active = True
        self.dispatch("on_activate")

    def on_leave(self, *_args) -> None:
        self.active = False
        self.dispatch("on_deactivate")

    def on_pre_leave(self, *_args) -> None:
        self.active = False  # fading out: touches go nowhere until the next screen is in

    def on_activate(self) -> None:
        pass

    def on_deactivate(self) -> None:
        pass
