"""The persona's face: full-height, alive, and talking.

The picture is drawn as a mesh. Moving mesh points warps the picture: the
jaw drops with the mouth track while the audio plays (a dark opening appears
between the lips), the eyelids close now and then, and the whole face
breathes and sways very slightly, so it never looks like a frozen photo.

Only the mouth position comes from the persona (``mouth_point``: x, y and
width as fractions of the image); the eyes are placed by the usual
proportions of a face relative to the mouth.
"""

from __future__ import annotations

import math
import random
import time

import numpy as np
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Ellipse, Mesh, PopMatrix, PushMatrix, Rectangle, Scale, Translate
from kivy.graphics.texture import Texture
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.stencilview import StencilView

# face proportions, in mouth widths (an adult mouth is about as wide as the eyes are apart)
EYE_DX, EYE_DY = 0.64, 1.15  # eye centres: left/right of the mouth and above it
EYE_RX, EYE_RY = 0.28, 0.15  # half-size of an eye
JAW_DROP = 0.26  # how far the lower lip drops at a fully open mouth
BLINK_S = 0.24


def _smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _grid_lines(length: float, uniform: int, dense: list[float]) -> np.ndarray:
    lines = np.concatenate([np.linspace(0, length, uniform + 1), [d for d in dense if 0 < d < length]])
    lines = np.unique(np.round(lines, 1))
    keep = [lines[0]]
    for value in lines[1:]:
        if value - keep[-1] >= 1.0:  # points closer than a pixel only cost time
            keep.append(value)
    keep[-1] = length
    return np.array(keep)


class Portrait(StencilView):
    source = StringProperty("")
    mouth = NumericProperty(0.0)
    mouth_point = ListProperty([0.5, 0.62, 0.17])
    animated = BooleanProperty(True)  # False for the placeholder picture: it has no face to move
    background = ListProperty([0.07, 0.066, 0.06, 1])
    fade_right = NumericProperty(0.14)  # fraction of the width that fades into the background

    def __init__(self, **kwargs) -> None:
        self._texture = None
        self._image_size = (1, 1)
        self._base = None
        self._blink_at = time.monotonic() + 2.5
        self._blink = 0.0
        self._drawn = (None, None)
        self._last_sway = 0.0
        super().__init__(**kwargs)
        with self.canvas:
            PushMatrix()
            self._translate = Translate(0, 0)
            self._scale = Scale(1, 1, 1)
            Color(1, 1, 1, 1)
            self._mesh = Mesh(mode="triangles")
            self._mouth_color_outer = Color(0.2, 0.07, 0.07, 0)
            self._mouth_outer = Ellipse(size=(0, 0))
            self._mouth_color = Color(0.13, 0.04, 0.04, 0)
            self._mouth_inner = Ellipse(size=(0, 0))
            PopMatrix()
            Color(1, 1, 1, 1)
            self._fade = Rectangle(size=(0, 0))
        self.bind(pos=self._relayout, size=self._relayout, mouth_point=self._relayout, source=self._load, background=self._make_fade)
        self._make_fade()
        Clock.schedule_once(lambda _dt: self._load(), 0)
        Clock.schedule_interval(self._animate, 1 / 25)  # the server's mouth tracks are 25 frames a second

    # ------------------------------------------------------------------ picture and mesh
    def _load(self, *_args) -> None:
        if not self.source:
            return
        try:
            image = CoreImage(self.source)
        except Exception as exc:  # a broken download must not take the screen down
            Logger.warning(f"Keepsake: cannot load portrait {self.source}: {exc!r}")
            return
        self._texture = image.texture
        self._image_size = image.texture.size
        self._mesh.texture = self._texture
        self._relayout()

    def _make_fade(self, *_args) -> None:
        """A horizontal gradient from clear to the background colour, so the face melts into the captions."""
        width = 64
        r, g, b, _ = (int(c * 255) for c in self.background)
        buf = bytearray()
        for i in range(width):
            alpha = int(255 * (i / (width - 1)) ** 1.6)
            buf += bytes((r, g, b, alpha))
        texture = Texture.create(size=(width, 1), colorfmt="rgba")
        texture.blit_buffer(bytes(buf), colorfmt="rgba", bufferfmt="ubyte")
        self._fade.texture = texture

    def _features(self, width: float, height: float):
        """Where the picture sits in the widget (cover, face centred) and where its mouth and eyes are."""
        iw, ih = self._image_size
        scale = max(width / iw, height / ih)
        dw, dh = iw * scale, ih * scale
        mx_f, my_f, mw_f = self.mouth_point
        left = min(0.0, max(width - dw, width / 2 - mx_f * dw))
        top = min(0.0, max(height - dh, height * 0.52 - (my_f - 0.14) * dh))  # eyes a little above the middle
        mouth = (left + mx_f * dw, height - (top + my_f * dh))
        mw = mw_f * dw
        return left, top, dw, dh, mouth, mw

    def _relayout(self, *_args) -> None:
        width, height = self.size
        if self._texture is None or width < 2 or height < 2:
            return
        left, top, dw, dh, (mx, my), mw = self._features(width, height)
        eyes = [(mx - EYE_DX * mw, my + EYE_DY * mw), (mx + EYE_DX * mw, my + EYE_DY * mw)]
        rx, ry = EYE_RX * mw, EYE_RY * mw
        # fine mesh only where the face moves (mouth, jaw, eyelids), coarse elsewhere: fewer points, faster frames
        dense_x = [mx + k * mw * 0.16 for k in range(-7, 8)]
        dense_y = [my + k * mw * 0.09 for k in range(-19, 3)]
        for ex, ey in eyes:
            dense_x += [ex + k * rx / 2 for k in range(-3, 4)]
            dense_y += [ey + k * ry / 2 for k in range(-5, 6)]
        xs = _grid_lines(width, 12, dense_x)
        ys = _grid_lines(height, 12, dense_y)
        gx, gy = np.meshgrid(xs, ys)
        bx, by = gx.ravel(), gy.ravel()

        # texture coordinates: image fractions mapped through the texture's corners (Kivy flips some textures)
        fx = (bx - left) / dw
        fb = 1.0 - (height - by - top) / dh  # from the bottom of the image
        t = self._texture.tex_coords
        u = t[0] * (1 - fx) * (1 - fb) + t[2] * fx * (1 - fb) + t[4] * fx * fb + t[6] * (1 - fx) * fb
        v = t[1] * (1 - fx) * (1 - fb) + t[3] * fx * (1 - fb) + t[5] * fx * fb + t[7] * (1 - fx) * fb

        # how much each point follows the jaw: below the lips, around the chin, fading out sideways
        below = my - by
        jaw = (1 - _smoothstep(0.42 * mw, 0.95 * mw, np.abs(bx - mx))) * _smoothstep(0.0, 0.07 * mw, below)
        jaw *= 1 - _smoothstep(0.85 * mw, 1.7 * mw, below)
        # how much each point follows the eyelids: the upper lid comes down over the eye
        lid = np.zeros_like(bx)
        lid_target = np.zeros_like(bx)
        for ex, ey in eyes:
            w = (1 - _smoothstep(0.75, 1.35, np.abs(bx - ex) / rx)) * (1 - _smoothstep(0.8, 1.6, np.abs(by - ey) / ry))
            w = np.where(by >= ey, w, w * 0.55)  # the lower lid rises a little too
            stronger = w > lid
            lid = np.where(stronger, w, lid)
            lid_target = np.where(stronger, ey - 0.25 * ry, lid_target)

        cols = len(xs)
        quads = [(r * cols + c) for r in range(len(ys) - 1) for c in range(cols - 1)]
        indices = []
        for q in quads:
            indices += [q, q + 1, q + cols + 1, q, q + cols + 1, q + cols]
        self._base = {"x": bx + self.x, "y": by + self.y, "u": u, "v": v, "jaw": jaw, "lid": lid, "lid_to": lid_target + self.y,
                      "mouth": (mx + self.x, my + self.y), "mw": mw}
        self._mesh.indices = indices
        self._fade.pos = (self.right - self.fade_right * width, self.y)
        self._fade.size = (self.fade_right * width + 1, height)
        self._scale.origin = self.center
        self._drawn = (None, None)
        self._update_mesh(force=True)

    def _update_mesh(self, force: bool = False) -> None:
        base = self._base
        if base is None:
            return
        opening = max(0.0, min(1.0, float(self.mouth))) if self.animated else 0.0
        blink = self._blink if self.animated else 0.0
        if not force and self._drawn == (round(opening, 3), round(blink, 3)):
            return
        self._drawn = (round(opening, 3), round(blink, 3))
        drop = opening * JAW_DROP * base["mw"]
        y = base["y"] - drop * base["jaw"] + blink * (base["lid_to"] - base["y"]) * base["lid"]
        vertices = np.column_stack([base["x"], y, base["u"], base["v"]]).ravel()
        self._mesh.vertices = vertices.tolist()

        # the dark of the open mouth, between the upper lip and the dropped lower lip
        mx, my = base["mouth"]
        mw = base["mw"]
        height = drop * 0.95
        width = mw * (0.46 + 0.16 * opening)
        cy = my - 0.035 * mw - height / 2
        self._mouth_color.a = min(0.92, opening * 5)
        self._mouth_inner.pos = (mx - width / 2, cy - height / 2)
        self._mouth_inner.size = (width, height)
        self._mouth_color_outer.a = min(0.35, opening * 2)
        self._mouth_outer.pos = (mx - width * 0.58, cy - height * 0.62)
        self._mouth_outer.size = (width * 1.16, height * 1.24)

    # ------------------------------------------------------------------ life
    def _animate(self, _dt: float) -> None:
        now = time.monotonic()
        if self.animated:
            # breathing and a slow sway: a few pixels, never enough to notice as "movement";
            # ten steps a second are smooth enough for that, and every redraw costs (software GL)
            if now - self._last_sway >= 0.1:
                self._last_sway = now
                self._translate.x = 1.6 * math.sin(now * 0.45)
                self._translate.y = 2.2 * math.sin(now * 0.8)
                s = 1.02 + 0.004 * math.sin(now * 0.6)
                self._scale.x = self._scale.y = s
            # a blink every 2.5 to 6 seconds, sometimes a double one
            phase = (now - self._blink_at) / BLINK_S
            if phase >= 1.0:
                self._blink = 0.0
                self._blink_at = now + (0.35 if random.random() < 0.15 else random.uniform(2.5, 6.0))
            elif phase >= 0.0:
                self._blink = math.sin(math.pi * phase)
            else:
                self._blink = 0.0
        self._update_mesh()
