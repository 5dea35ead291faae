"""The portrait in the studio, whole, with the face marked: the points the server found, a ring on
each eye and one on the mouth. The caregiver drags a ring onto the right place when it is wrong
(or taps the photo to put the mouth there, as before).

Points mean what they mean everywhere else (shared.api.FaceLandmarks and client/uix/portrait.py): x
and y as fractions of the image's width and height from its top-left corner, the mouth's width as a
fraction of the image's width. The picture is shown whole ("contain"), not cropped like on the
relative's screen, so every part of it can be reached.
"""

from __future__ import annotations

from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Ellipse, Line, Point, Rectangle
from kivy.logger import Logger
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.widget import Widget

Rect = tuple[float, float, float, float]  # x, y (bottom-left, Kivy's way), width, height
GRAB_DP = 30  # how near a ring a finger must come down to drag it (a shaky finger needs room)


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


def clamp_to_picture(tx: float, ty: float, rect: Rect) -> tuple[float, float]:
    """Like tap_to_point, for a drag: a finger sliding off the picture keeps the ring on its edge."""
    x, y, w, h = rect
    return tap_to_point(min(max(tx, x), x + w), min(max(ty, y), y + h), rect) or (0.5, 0.5)


def point_to_pos(fx: float, fy: float, rect: Rect) -> tuple[float, float]:
    """The inverse: where on screen the point (fractions from the image's top-left) is drawn."""
    x, y, w, h = rect
    return x + fx * w, y + (1.0 - fy) * h


def nearest_mark(tx: float, ty: float, marks: dict[str, tuple[float, float]], within: float) -> str | None:
    """Which ring a finger came down on: the nearest one closer than ``within``, else None."""
    best, best_d = None, within
    for name, (mx, my) in marks.items():
        d = ((tx - mx) ** 2 + (ty - my) ** 2) ** 0.5
        if d <= best_d:
            best, best_d = name, d
    return best


class MouthPicker(Widget):
    source = StringProperty("")  # the portrait file on the tablet
    mouth_point = ListProperty([0.5, 0.6, 0.18])  # x, y, width: fractions, from the top-left
    eyes = ListProperty([])  # [left x, left y, right x, right y]: fractions; empty hides the eye rings
    points = ListProperty([])  # the face model's points, [(x, y), ...], drawn as small dots
    editable = BooleanProperty(True)
    __events__ = ("on_mouth", "on_eye")  # (x, y) once the mouth was put down; ("left"|"right", x, y) for an eye

    def __init__(self, **kwargs) -> None:
        self._image_size = (0, 0)
        self._dragging: str | None = None
        super().__init__(**kwargs)
        with self.canvas:
            self._picture_color = Color(1, 1, 1, 0)
            self._picture = Rectangle()
            self._points_color = Color(0.55, 0.95, 1.0, 0)
            self._points = Point(pointsize=dp(1.1))
            # the marks: a dark halo under a bright ring, so they show on light skin and dark hair alike
            self._halo_color = Color(0, 0, 0, 0)
            self._halo = Line(width=dp(5))
            self._eye_halos = [Line(width=dp(5)), Line(width=dp(5))]
            self._eye_color = Color(0.35, 0.75, 1.0, 0)
            self._eye_rings = [Line(width=dp(2.5)), Line(width=dp(2.5))]
            self._ring_color = Color(1.0, 0.85, 0.2, 0)
            self._ring = Line(width=dp(2.5))
            self._dot = Ellipse(size=(0, 0))
        self.bind(pos=self._redraw, size=self._redraw, mouth_point=self._redraw, eyes=self._redraw, points=self._redraw, source=self._load)

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

    def marks(self) -> dict[str, tuple[float, float]]:
        """Where the rings are on screen: the mouth, and the eyes when they are shown."""
        rect = self.picture_rect()
        found = {"mouth": point_to_pos(self.mouth_point[0], self.mouth_point[1], rect)}
        if len(self.eyes) == 4:
            found["left"] = point_to_pos(self.eyes[0], self.eyes[1], rect)
            found["right"] = point_to_pos(self.eyes[2], self.eyes[3], rect)
        return found

    def _redraw(self, *_args) -> None:
        rect = self.picture_rect()
        shown = rect[2] > 0
        self._picture.pos, self._picture.size = rect[:2], rect[2:]
        self._picture_color.a = 1 if shown else 0
        self._halo_color.a = 0.8 if shown else 0
        self._ring_color.a = 1 if shown else 0
        eyes_shown = shown and len(self.eyes) == 4
        self._eye_color.a = 1 if eyes_shown else 0
        self._points_color.a = 0.55 if shown and self.points else 0
        if not shown:
            return
        dots: list[float] = []
        for px, py in self.points:
            dots += point_to_pos(px, py, rect)
        self._points.points = dots
        marks = self.marks()
        cx, cy = marks["mouth"]
        # the ring is as wide as the mouth the animation will open, so a wrong width shows too
        # a little wider than the lips, so the mouth itself stays visible inside the ring
        rx = max(dp(14), self.mouth_point[2] * rect[2] / 2 * 1.15)
        ry = max(dp(10), rx * 0.5)
        self._halo.ellipse = (cx - rx, cy - ry, 2 * rx, 2 * ry)
        self._ring.ellipse = (cx - rx, cy - ry, 2 * rx, 2 * ry)
        r = dp(5)
        self._dot.pos, self._dot.size = (cx - r, cy - r), (2 * r, 2 * r)
        eye_r = max(dp(10), rx * 0.42)
        for i, side in enumerate(("left", "right")):
            ex, ey = marks.get(side, (-1e4, -1e4))
            self._eye_halos[i].circle = (ex, ey, eye_r)
            self._eye_rings[i].circle = (ex, ey, eye_r)

    def on_touch_down(self, touch) -> bool:
        if not self.editable or self.disabled or not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        rect = self.picture_rect()
        grabbed = nearest_mark(touch.x, touch.y, self.marks(), dp(GRAB_DP))
        if grabbed is None:
            if tap_to_point(touch.x, touch.y, rect) is None:
                return super().on_touch_down(touch)
            grabbed = "mouth"  # a tap elsewhere on the photo puts the mouth there
        self._dragging = grabbed
        touch.grab(self)
        self._move(grabbed, touch)
        return True

    def on_touch_move(self, touch) -> bool:
        if touch.grab_current is self and self._dragging:
            self._move(self._dragging, touch)
            return True
        return super().on_touch_move(touch)

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        grabbed, self._dragging = self._dragging, None
        if grabbed == "mouth":
            self.dispatch("on_mouth", self.mouth_point[0], self.mouth_point[1])
        elif grabbed in ("left", "right"):
            i = 0 if grabbed == "left" else 2
            self.dispatch("on_eye", grabbed, self.eyes[i], self.eyes[i + 1])
        return True

    def _move(self, mark: str, touch) -> None:
        fx, fy = clamp_to_picture(touch.x, touch.y, self.picture_rect())
        if mark == "mouth":
            self.mouth_point = [fx, fy, self.mouth_point[2]]
        else:
            eyes = list(self.eyes)
            i = 0 if mark == "left" else 2
            eyes[i : i + 2] = [fx, fy]
            self.eyes = eyes

    def on_mouth(self, x: float, y: float) -> None:
        pass

    def on_eye(self, side: str, x: float, y: float) -> None:
        pass
