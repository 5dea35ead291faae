"""Small widgets shared by the screens (their look is in kv/widgets.kv)."""

from __future__ import annotations

from kivy.properties import ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.label import Label

from client.uix import theme


class SoftButton(ButtonBehavior, Label):
    """A large, flat, rounded button with words on it."""

    bg = ListProperty(theme.BUTTON)


class PinKey(SoftButton):
    key = StringProperty("")


class ChoiceButton(ToggleButtonBehavior, Label):
    """One of a few choices (talk mode, language, persona); the chosen one is filled."""
