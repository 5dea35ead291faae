"""The relative's screen: the face, the captions, one big talk control, "say that again" and volume."""

from __future__ import annotations

import math
import time

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, RoundedRectangle
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from client.i18n import wrap_cjk
from client.uix.screens import KeepsakeScreen

LONG_PRESS_S = 1.5


class TalkScreen(KeepsakeScreen):
    pass


class TalkButton(ButtonBehavior, BoxLayout):
    """The one control that matters: big, high-contrast, labelled in words for every state.

    It acts on touch-down (a shaky finger that slides off still counts) and on
    release only in hold-to-talk mode.
    """

    pulse = NumericProperty(0.0)  # 0..1, a slow glow while listening or thinking
    fill = ListProperty([0.13, 0.5, 0.27, 1])

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.always_release = True
        Clock.schedule_interval(self._breathe, 1 / 15)  # a slow glow needs no more
        self._t = 0.0

    def _breathe(self, dt: float) -> None:
        app = App.get_running_app()
        if app and app.state in ("listening", "thinking"):
            self._t += dt
            self.pulse = 0.5 - 0.5 * math.cos(self._t * 2.4)
        elif self.pulse:
            self._t, self.pulse = 0.0, 0.0

    def on_press(self) -> None:
        App.get_running_app().talk_down()

    def on_release(self) -> None:
        App.get_running_app().talk_up()


class HiddenCorner(Widget):
    """An invisible patch in the top-left corner: a long press opens the caregiver's PIN pad."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._event = None

    def on_touch_down(self, touch) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        self._event = Clock.schedule_once(lambda _dt: App.get_running_app().open_caregiver(), LONG_PRESS_S)
        touch.grab(self)
        return True

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            if self._event is not None:
                self._event.cancel()
                self._event = None
            return True
        return False


class CaptionLabel(Label):
    """The answer in very large type. When it does not fit, the oldest sentences give way to the
    newest; a single sentence too long for the space is set a little smaller (never below 32 sp)."""

    full_text = StringProperty("")
    room = NumericProperty(0)  # the height it may use
    base_font_size = NumericProperty(40)  # the caregiver's choice; font_size may go a little below it
    min_font_size = NumericProperty(32)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._refit = Clock.create_trigger(self._fit)  # once per frame, after the layout settled
        self.bind(full_text=self._refit, width=self._refit, room=self._refit, base_font_size=self._refit)

    def _fit(self, *_args) -> None:
        self.font_size = self.base_font_size
        self.text_size = (self.width, None)
        if not self.full_text or self.room < 10 or self.width < 10:
            self.text = self.full_text
            return
        sentences = _split_sentences(self.full_text)
        shown = self.full_text
        self._show(shown)
        while self.texture_size[1] > self.room and len(sentences) > 1:
            sentences = sentences[1:]
            shown = "… " + "".join(sentences).strip()
            self._show(shown)
        floor = max(self.min_font_size, self.base_font_size * 0.7)
        while self.texture_size[1] > self.room and self.font_size > floor:
            self.font_size = max(floor, self.font_size * 0.92)
            self._show(shown)

    def _show(self, text: str) -> None:
        self.text = wrap_cjk(text, self.width, lambda t: self._label.get_extents(t)[0])
        self.texture_update()


class WrapLabel(Label):
    """A label that breaks Chinese lines between hanzi (Kivy alone breaks only at spaces)."""

    full_text = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rewrap = Clock.create_trigger(self._wrap)
        self.bind(full_text=self._rewrap, width=self._rewrap, font_size=self._rewrap)

    def _wrap(self, *_args) -> None:
        self.text_size = (self.width, None)
        self.text = wrap_cjk(self.full_text, self.width, lambda t: self._label.get_extents(t)[0]) if self.width > 10 else self.full_text


class CrisisCard(BoxLayout):
    """Whom to call, over the whole screen, when the relative speaks of wanting to die, of hurting
    themselves, or of an emergency. Calm colours, very large numbers, and it stays until touched
    (a touch in its first moment is taken as meant for what was there before, and kept from it)."""

    GUARD_S = 1.0
    shown = BooleanProperty(False)  # bound to app.crisis_open in talk.kv
    has_contact = BooleanProperty(False)  # a name or a phone number to show, not only the plain advice
    opened_at = NumericProperty(0.0)

    def on_shown(self, _card, shown: bool) -> None:
        if shown:
            self.opened_at = time.monotonic()

    def on_touch_down(self, touch) -> bool:
        app = App.get_running_app()
        if not app.crisis_open:
            return False  # closed: invisible and out of the way
        if time.monotonic() - self.opened_at >= self.GUARD_S:
            touch.grab(self)
        return True  # nothing underneath may see this touch

    def on_touch_move(self, touch) -> bool:
        return App.get_running_app().crisis_open or touch.grab_current is self

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            App.get_running_app().close_crisis()
            return True
        return App.get_running_app().crisis_open


def _split_sentences(text: str) -> list[str]:
    parts, current = [], ""
    for char in text:
        current += char
        if char in ".!?。！？":
            parts.append(current)
            current = ""
    if current:
        parts.append(current)
    return parts


class MicIcon(Widget):
    """A microphone drawn with lines (no icon font needed); it fills up with the voice while listening."""

    level = NumericProperty(0.0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, level=self._draw)

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        side = min(self.width, self.height * 0.8)
        cx, cy = self.center_x, self.center_y + side * 0.12
        w, h = side * 0.34, side * 0.56
        line = max(dp(3), side * 0.06)
        with self.canvas:
            Color(1, 1, 1, 0.22)
            Ellipse(pos=(self.center_x - side * 0.62, self.center_y - side * 0.62), size=(side * 1.24, side * 1.24))
            Color(1, 1, 1, 1)
            RoundedRectangle(pos=(cx - w / 2, cy - h / 2), size=(w, h), radius=[w / 2])
            if self.level > 0.05:  # how loud the relative is, as a rising blue inside the capsule
                Color(0.11, 0.38, 0.72, 1)
                fill = (h - line) * min(1.0, self.level)
                RoundedRectangle(pos=(cx - w / 2 + line / 2, cy - h / 2 + line / 2), size=(w - line, fill), radius=[(w - line) / 2])
            Color(1, 1, 1, 1)
            Line(ellipse=(cx - w * 0.95, cy - h * 0.72, w * 1.9, h * 1.05, 90, 270), width=line / 2)
            Line(points=[cx, cy - h * 0.72, cx, cy - h * 0.95], width=line / 2)
            Line(points=[cx - w * 0.55, cy - h * 0.95, cx + w * 0.55, cy - h * 0.95], width=line / 2)


class VolumeBars(Widget):
    """Ten bars, as many lit as the volume: loudness you can see without reading a number."""

    level = NumericProperty(0.8)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, level=self._draw)

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        bars, gap = 10, dp(3)
        bar_w = (self.width - gap * (bars - 1)) / bars
        lit = round(self.level * bars)
        with self.canvas:
            for i in range(bars):
                Color(*((1.0, 0.87, 0.62, 1) if i < lit else (0.3, 0.29, 0.27, 1)))
                h = self.height * (0.3 + 0.6 * (i + 1) / bars)
                RoundedRectangle(pos=(self.x + i * (bar_w + gap), self.center_y - self.height * 0.45), size=(bar_w, h), radius=[dp(2)])
