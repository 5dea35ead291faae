"""The persona's face: full-height, alive, and talking.

The picture is drawn as a mesh; moving mesh points warps the picture. Where the face's parts are
comes from the persona's ``face`` (the landmarks the server found, or the eyes and mouth a
caregiver placed), or for older servers from the mouth point and the usual proportions of a face
(client/face_shapes.py). While the audio plays the lips part along the line where they meet, the
jaw drops along the jaw line, and the mouth takes the shape of each sound (the sentence's visemes,
blended with its loudness track); the eyelids close over the eyes now and then, at a human rate and
never quite regularly; the face breathes and the head moves a very little, so it never looks like a
frozen photo.

When the sentence came with a talking-head video, its frames are shown instead of the mesh, in step
with the audio; a clip that stops decoding gives the face back at once (client/face_video.py).
"""

from __future__ import annotations

import math
import random
import time

import numpy as np
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Mesh, PopMatrix, PushMatrix, Rectangle, Rotate, Scale, Translate
from kivy.graphics.texture import Texture
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.stencilview import StencilView

from client.face_shapes import face_geometry, face_mesh, lip_target, motion_weights
from client.happenings import announces

JAW_DROP = 0.3  # how far the chin drops at a fully open mouth, in mouth widths
UPPER_LIP_RISE = 0.05  # how far the upper lip rises then, in mouth widths
BLINK_S = 0.22
LIP_FOLLOW = 0.55  # each frame the lips go this far towards the sound's shape: one flows into the next


def next_blink_in() -> float:
    """Seconds to the next blink: people blink 15 to 20 times a minute, irregularly, sometimes twice."""
    if random.random() < 0.12:
        return 0.3
    return min(9.0, max(1.2, random.gammavariate(4.0, 0.9)))  # mean 3.6 s, rarely under 1.5 or over 7


class Portrait(announces("face_video"), StencilView):  # type: ignore[misc]  # see announces
    source = StringProperty("")
    mouth = NumericProperty(0.0)  # the loudness track: how much voice there is now, 0..1
    viseme = StringProperty("")  # the sound's lip shape now; "" when the server sent no visemes
    mouth_point = ListProperty([0.5, 0.62, 0.17])
    face = ObjectProperty(None, allownone=True)  # the persona's face (dict), None from older servers
    video = ObjectProperty(None, allownone=True)  # the talking-head clip of the sentence playing
    video_seconds = NumericProperty(0.0)  # how far into that sentence's audio we are
    animated = BooleanProperty(True)  # False for the placeholder picture: it has no face to move
    background = ListProperty([0.07, 0.066, 0.06, 1])
    fade_right = NumericProperty(0.14)  # fraction of the width that fades into the background
    held_blink = NumericProperty(-1.0)  # 0..1: the lids held that far shut (for photographs); below 0 they blink on their own

    def __init__(self, **kwargs) -> None:
        self._texture: Texture | None = None
        self._image_size = (1, 1)
        self._base: dict | None = None  # the mesh at rest, laid out (see _relayout)
        self._blink_at = time.monotonic() + 1.5
        self._blink = 0.0
        self._lips: tuple[float, ...] = (0.0, 0.0, 1.0)  # jaw, part, width: where the lips are now
        self._drawn: tuple[float, ...] | None = None
        self._last_sway = 0.0
        self._video_texture: Texture | None = None
        self._video_shown: np.ndarray | None = None  # the frame on screen
        self._indices: list[int] = []
        self._pixels: np.ndarray | None = None
        super().__init__(**kwargs)
        with self.canvas:
            PushMatrix()
            self._translate = Translate(0, 0)
            self._rotate = Rotate(angle=0)
            self._scale = Scale(1, 1, 1)
            Color(1, 1, 1, 1)
            self._mesh = Mesh(mode="triangles")
            self._mouth_color_outer = Color(0.2, 0.07, 0.07, 0)
            self._mouth_outer = Mesh(mode="triangle_fan")
            self._mouth_color = Color(0.17, 0.06, 0.055, 0)
            self._mouth_inner = Mesh(mode="triangle_fan")
            PopMatrix()
            self._video_color = Color(1, 1, 1, 0)
            self._video_rect = Rectangle(size=(0, 0))
            Color(1, 1, 1, 1)
            self._fade = Rectangle(size=(0, 0))
        self.bind(
            pos=self._relayout,
            size=self._relayout,
            mouth_point=self._relayout,
            face=self._relayout,
            source=self._load,
            background=self._make_fade,
            video=self._show_video,
            video_seconds=self._show_video,
            held_blink=lambda *_: self._update_mesh(),
        )
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
        self._pixels = None  # read when the face is placed
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

    def _focus(self) -> tuple[float, float]:
        """The point of the picture to keep in view: between the eyes and the mouth."""
        face = self.face
        if face:
            try:
                return float(face["mouth"]["x"]), (float(face["left_eye"]["y"]) + float(face["right_eye"]["y"])) / 2
            except (KeyError, TypeError, ValueError):
                pass  # unreadable (an old or damaged copy): the mouth point will do
        return self.mouth_point[0], self.mouth_point[1] - 0.14

    def _cover(self, image_w: float, image_h: float, width: float, height: float):
        """Where a picture sits in the widget: covering it, the face centred, eyes a little above the middle."""
        scale = max(width / image_w, height / image_h)
        dw, dh = image_w * scale, image_h * scale
        fx, fy = self._focus()
        left = min(0.0, max(width - dw, width / 2 - fx * dw))
        top = min(0.0, max(height - dh, height * 0.52 - fy * dh))
        return left, top, dw, dh

    def _relayout(self, *_args) -> None:
        width, height = self.size
        if self._texture is None or width < 2 or height < 2:
            return
        left, top, dw, dh = self._cover(*self._image_size, width, height)

        def to_screen(fx, fy):
            return left + np.asarray(fx) * dw, height - (top + np.asarray(fy) * dh)

        look = self._looker(left, top, dw, dh, height)
        try:
            geo = face_geometry(self.face, list(self.mouth_point), to_screen, look)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a face we cannot read: the mouth point will do
            Logger.warning(f"Keepsake: the face's landmarks are unusable ({exc!r}); placing it from the mouth")
            geo = face_geometry(None, list(self.mouth_point), to_screen, look)
        bx, by, indices = face_mesh(geo, width, height)

        # texture coordinates: image fractions mapped through the texture's corners (Kivy flips some textures)
        fx = (bx - left) / dw
        fb = 1.0 - (height - by - top) / dh  # from the bottom of the image
        t = self._texture.tex_coords
        u = t[0] * (1 - fx) * (1 - fb) + t[2] * fx * (1 - fb) + t[4] * fx * fb + t[6] * (1 - fx) * fb
        v = t[1] * (1 - fx) * (1 - fb) + t[3] * fx * (1 - fb) + t[5] * fx * fb + t[7] * (1 - fx) * fb

        weights = motion_weights(geo, bx, by)

        # the opening between the lips: a fan over the line where they meet, from corner to corner
        lip_x = np.linspace(geo.lip_xs[0], geo.lip_xs[-1], 15)[1:-1]
        lip_y = geo.lip_y(lip_x)
        lip_w = motion_weights(
            geo, np.concatenate([lip_x, lip_x]), np.concatenate([lip_y - 0.06 * geo.mouth_width, lip_y + 0.03 * geo.mouth_width])
        )
        self._base = {
            "x": bx + self.x,
            "y": by + self.y,
            "u": u,
            "v": v,
            "w": weights,
            "mouth": (geo.mouth[0] + self.x, geo.mouth[1] + self.y),
            "mw": geo.mouth_width,
            "lip_x": lip_x + self.x,
            "lip_y": lip_y + self.y,
            "lip_jaw": lip_w.jaw[: len(lip_x)],
            "lip_up": lip_w.upper_lip[len(lip_x) :],
            "lip_spread": lip_w.spread[: len(lip_x)],
            "corners": (geo.lip_xs[0] + self.x, geo.lip_xs[-1] + self.x),
        }
        self._indices = indices.tolist()
        self._mesh.indices = [] if self._video_shown is not None else self._indices
        self._fade.pos = (self.right - self.fade_right * width, self.y)
        self._fade.size = (self.fade_right * width + 1, height)
        self._scale.origin = self._rotate.origin = (geo.mouth[0] + self.x, geo.mouth[1] + self.y)
        self._drawn = None
        self._update_mesh(force=True)
        self._show_video()

    def _looker(self, left: float, top: float, dw: float, dh: float, height: float):
        """The picture's colour at widget pixels, for fitting the eyes' outlines (None if unreadable)."""
        if self._pixels is None:
            texture = self._texture
            if texture is None:  # no picture yet: nothing to fit the eyes to
                return None
            try:
                w, h = texture.size
                pixels = np.frombuffer(texture.pixels, dtype=np.uint8).reshape(h, w, 4)[:, :, :3]
            except Exception as exc:  # a picture we cannot read back: the landmarks alone will do
                Logger.warning(f"Keepsake: cannot read the portrait's pixels ({exc!r}); eyelids from the landmarks alone")
                return None
            t = texture.tex_coords
            self._pixels = pixels[::-1] if t[1] < t[5] else pixels  # the picture's top row first
        pixels = self._pixels
        rows, cols = pixels.shape[:2]

        def look(x, y):
            ix = np.clip(((np.asarray(x) - left) / dw * cols).astype(int), 0, cols - 1)
            iy = np.clip(((height - np.asarray(y) - top) / dh * rows).astype(int), 0, rows - 1)
            return pixels[iy, ix]

        return look

    def _update_mesh(self, force: bool = False) -> None:
        base = self._base
        if base is None or self._video_shown is not None:  # the clip covers the face: nothing to move
            return
        jaw_open, part, width = self._lips if self.animated else (0.0, 0.0, 1.0)
        blink = (self.held_blink if self.held_blink >= 0 else self._blink) if self.animated else 0.0
        key = (round(jaw_open, 3), round(part, 3), round(width, 3), round(blink, 3))
        if not force and self._drawn == key:
            return
        self._drawn = key
        w, mw = base["w"], base["mw"]
        mx, _my = base["mouth"]
        drop = jaw_open * JAW_DROP * mw
        rise = part * UPPER_LIP_RISE * mw
        x = base["x"] + (width - 1.0) * (base["x"] - mx) * w.spread
        y = base["y"] - drop * w.jaw + rise * w.upper_lip + w.lids.offsets(blink)
        self._mesh.vertices = np.column_stack([x, y, base["u"], base["v"]]).ravel().tolist()

        # the dark of the open mouth, between the risen upper lip and the dropped lower lip
        lip_x = base["lip_x"] + (width - 1.0) * (base["lip_x"] - mx) * base["lip_spread"]
        gap = np.minimum(1.0, part / max(jaw_open, 0.05))  # lips can part (a little) with the jaw barely open
        top = base["lip_y"] + rise * base["lip_up"]
        bottom = base["lip_y"] - drop * base["lip_jaw"] * gap
        depth = top - bottom
        left_c, right_c = ((c - mx) * width + mx for c in base["corners"])
        outline_x = np.concatenate([[left_c], lip_x, [right_c], lip_x[::-1]])
        outline_y = np.concatenate([[base["lip_y"][0]], top - depth * 0.08, [base["lip_y"][-1]], (bottom + depth * 0.1)[::-1]])
        cx, cy = float(np.mean(lip_x)), float(np.mean((top + bottom) / 2))
        fan = [cx, cy, 0, 0] + np.column_stack([outline_x, outline_y, np.zeros_like(outline_x), np.zeros_like(outline_x)]).ravel().tolist()
        fan += fan[4:8]
        self._mouth_inner.vertices = fan
        self._mouth_inner.indices = list(range(len(fan) // 4))
        grown = [cx, cy, 0, 0]
        for i in range(1, len(fan) // 4):
            px, py = fan[4 * i], fan[4 * i + 1]
            grown += [cx + (px - cx) * 1.1, cy + (py - cy) * 1.25, 0, 0]
        self._mouth_outer.vertices = grown
        self._mouth_outer.indices = list(range(len(grown) // 4))
        opening = float(np.max(depth)) / max(1.0, 0.1 * mw)
        self._mouth_color.a = min(0.86, opening * 0.86)
        self._mouth_color_outer.a = min(0.3, opening * 0.3)

    # ------------------------------------------------------------------ video
    def _show_video(self, *_args) -> None:
        """The clip's frame for this moment of the sentence, or the face again when there is none."""
        clip = self.video
        frame = None
        if clip is not None and self.width > 2:
            frame = clip.frame_at(self.video_seconds)  # None past its end, or once it failed (it logs why)
        if frame is None:
            if self._video_shown is not None:
                self.dispatch("on_face_video", shown=False)
                self._video_shown = None
                self._video_color.a = 0
                self._mesh.indices = self._indices
                self._mouth_color.a = self._mouth_color_outer.a = 0
                self._drawn = None
            return
        h, w = frame.shape[:2]
        texture = self._video_texture
        if texture is None or texture.size != (w, h):
            texture = self._video_texture = Texture.create(size=(w, h), colorfmt="rgb")
            texture.flip_vertical()  # decoded frames run top to bottom; textures bottom to top
        if self._video_shown is None:
            self.dispatch("on_face_video", shown=True, clip=clip.label)
        if self._video_shown is not frame:
            texture.blit_buffer(frame.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
            self._video_shown = frame
        left, top, dw, dh = self._cover(w, h, self.width, self.height)
        self._video_rect.texture = texture
        self._video_rect.pos = (self.x + left, self.y + self.height - top - dh)
        self._video_rect.size = (dw, dh)
        self._video_color.a = 1
        self._mesh.indices = []  # not drawn at all while the clip plays: every frame costs (software GL)
        self._mouth_color.a = self._mouth_color_outer.a = 0

    # ------------------------------------------------------------------ life
    def _animate(self, _dt: float) -> None:
        now = time.monotonic()
        if self.animated:
            # breathing, a slow sway and the least tilt of the head: a few pixels, never enough to notice
            # as "movement"; ten steps a second are smooth enough, and every redraw costs (software GL)
            if now - self._last_sway >= 0.1:
                self._last_sway = now
                self._translate.x = 1.6 * math.sin(now * 0.45) + 0.8 * math.sin(now * 0.17)
                self._translate.y = 2.2 * math.sin(now * 0.8)  # about a breath every 8 seconds
                self._rotate.angle = 0.35 * math.sin(now * 0.23) + 0.15 * math.sin(now * 0.61)
                s = 1.02 + 0.004 * math.sin(now * 0.8)
                self._scale.x = self._scale.y = s
            phase = (now - self._blink_at) / BLINK_S
            if phase >= 1.0:
                self._blink = 0.0
                self._blink_at = now + next_blink_in()
            elif phase >= 0.0:
                # the lid falls fast and rises slower, as real ones do
                self._blink = math.sin(math.pi / 2 * phase / 0.4) if phase < 0.4 else math.cos(math.pi / 2 * (phase - 0.4) / 0.6)
            else:
                self._blink = 0.0
            target = lip_target(self.viseme or None, self.mouth)
            self._lips = tuple(a + (b - a) * LIP_FOLLOW for a, b in zip(self._lips, target))
        self._update_mesh()
