"""The portrait in the studio, whole, with the mouth marked; a tap on the face moves the mark there.

The point means what it means everywhere else (shared.api.MouthPoint and
client/uix/portrait.py): x and y as fractions of the image's width and height
from its top-left corner, and the width of the mouth as a fraction of the
image's width. The picture is shown whole ("contain"), not cropped like on the
relative's screen, so every part of it can be tapped.
"""

from __future__ import annotations

from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.logger import Logger
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.widget import Widget

Rect = tuple[float, float, float, float]  # x, y (bottom-left, Kivy's way), width, height


def fit_rect(image_w: float, image_h: float, box: Rect) -> Rect:
    """Where a picture of ``image_w`` x ``image_h`` is drawn, whole and centred, inside ``box``."""
    bx, by, bw, bh = box
    if image_w <= 0 or image_h <= 0 or bw <= 0 or bh <= 0:
        return bx, by, 0.0, 0.0
    scale = min(bw / image_w, bh / image_h)
    w, h = image_w * scale, image_h * scale
    return bx + (bw - w) / 2, by + (bh - h) / 2, w, h


def tap_to_point(tx: float, ty: float, rect: Rect) -> tuple[float, float] | None:
    """A tap in window coordinates -> (x, y) fractions of the image from its top-left; None off the picture."""
    x, y, w, h = rect
    if w <= 0 or h <= 0 or not (x <= tx <= x + w and y <= ty <= y + h):
        return None
    return round((tx - x) / w, 4), round(1.0 - (ty - y) / h, 4)


def point_to_pos(fx: float, fy: float, rect: Rect) -> tuple[float, float]:
    """The inverse: where on screen the point (fractions from the image's top-left) is drawn."""
    x, y, w, h = rect
    return x + fx * w, y + (1.0 - fy) * h


class MouthPicker(Widget):
    source = StringProperty("")  # the portrait file on the tablet
    mouth_point = ListProperty([0.5, 0.6, 0.18])  # x, y, width: fractions, from the top-left
    editable = BooleanProperty(True)
    __events__ = ("on_mouth",)  # (x, y) after the caregiver tapped the face

    def __init__(self, **kwargs) -> None:
        self._image_size = (0, 0)
        super().__init__(**kwargs)
        with self.canvas:
            self._picture_color = Color(1, 1, 1, 0)
            self._picture = Rectangle()
            # the mark: a dark halo under a bright ring, so it shows on light skin and dark hair alike
            self._halo_color = Color(0, 0, 0, 0)
            self._halo = Line(width=dp(5))
            self._ring_color = Color(1.0, 0.85, 0.2, 0)
            self._ring = Line(width=dp(2.5))
            self._dot = Ellipse(size=(0, 0))
        self.bind(pos=self._redraw, size=self._redraw, mouth_point=self._redraw, source=self._load)

    def _load(self, *_args) -> None:
        self._image_size = (0, 0)
        self._picture.texture = None
        if self.source:
            try:
                # nocache: the same path gets a new picture when the caregiver picks another photo
                texture = CoreImage(self.source, nocache=True).texture
            except Exception as exc:  # a broken file must not take the screen down
                Logger.warning(f"Keepsake: cannot show portrait {self.source}: {exc!r}")
            else:
                self._picture.texture = texture
                self._image_size = texture.size
        self._redraw()

    def picture_rect(self) -> Rect:
        return fit_rect(self._image_size[0], self._image_size[1], (self.x, self.y, self.width, self.height))

    def _redraw(self, *_args) -> None:
        rect = self.picture_rect()
        shown = rect[2] > 0
        self._picture.pos, self._picture.size = rect[:2], rect[2:]
        self._picture_color.a = 1 if shown else 0
        self._halo_color.a = 0.8 if shown else 0
        self._ring_color.a = 1 if shown else 0
        if not shown:
            return
        fx, fy, fw = self.mouth_point
        cx, cy = point_to_pos(fx, fy, rect)
        # the ring is as wide as the mouth the animation will open, so a wrong width shows too
        # a little wider than the lips, so the mouth itself stays visible inside the ring
        rx = max(dp(14), fw * rect[2] / 2 * 1.15)
        ry = max(dp(10), rx * 0.5)
        self._halo.ellipse = (cx - rx, cy - ry, 2 * rx, 2 * ry)
        self._ring.ellipse = (cx - rx, cy - ry, 2 * rx, 2 * ry)
        r = dp(5)
        self._dot.pos, self._dot.size = (cx - r, cy - r), (2 * r, 2 * r)

    def on_touch_down(self, touch) -> bool:
        if not self.editable or self.disabled or not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        point = tap_to_point(touch.x, touch.y, self.picture_rect())
        if point is None:
            return super().on_touch_down(touch)
        self.mouth_point = [point[0], point[1], self.mouth_point[2]]
        self.dispatch("on_mouth", point[0], point[1])
        return True

    def on_mouth(self, x: float, y: float) -> None:
        pass
