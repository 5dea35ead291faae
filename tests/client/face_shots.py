"""Photographs of the talking face, to look at: ``python -m tests.client.face_shots OUT_DIR [WxH]``.

Each portrait (astronaut.png, the demo portrait, a face drawn here) is set up the way the tablet
shows it, with the landmarks the server finds on it, and photographed mid-word on several lip
shapes and mid-blink. Runs under X (DISPLAY); one window size per run (Kivy's window is set once).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZE = sys.argv[2] if len(sys.argv) > 2 else "1280x800"
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", SIZE.split("x")[0])
Config.set("graphics", "height", SIZE.split("x")[1])
Config.set("graphics", "resizable", "0")

import numpy as np  # noqa: E402
from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from client.face_shapes import face_geometry, lip_target  # noqa: E402
from client.screenshot import save_screenshot  # noqa: E402
from client.uix.portrait import Portrait  # noqa: E402

SHAPES = ["sil", "aa", "O", "U", "E", "PP", "blink-open", "blink-half", "blink"]
BLINKS = {"blink-open": 0.0, "blink-half": 0.5, "blink": 1.0}  # how far shut the lids are held


def drawn_face(path: Path) -> Path:
    """A face painted with shapes: skin, hair, eyes with whites and irises, brows, nose, lips."""
    img = Image.new("RGB", (900, 1100), (92, 110, 128))
    d = ImageDraw.Draw(img)
    d.ellipse((190, 120, 710, 820), fill=(70, 48, 36))  # hair behind
    d.rectangle((370, 780, 530, 1100), fill=(214, 170, 140))  # neck
    d.polygon([(150, 1100), (300, 930), (600, 930), (750, 1100)], fill=(60, 80, 120))  # shoulders
    d.ellipse((250, 220, 650, 820), fill=(226, 184, 152))  # face
    for cx in (370, 530):
        d.ellipse((cx - 42, 450, cx + 42, 482), fill=(250, 248, 244))  # an eye a fifth of the face wide
        d.ellipse((cx - 16, 450, cx + 16, 482), fill=(80, 60, 40))
        d.ellipse((cx - 7, 459, cx + 7, 473), fill=(15, 10, 10))
        d.arc((cx - 44, 446, cx + 44, 486), 195, 345, fill=(120, 80, 60), width=4)
        d.line((cx - 58, 400, cx + 58, 392), fill=(80, 55, 40), width=9)
    d.line((450, 480, 435, 590), fill=(190, 140, 115), width=5)
    d.arc((415, 570, 485, 615), 10, 170, fill=(170, 120, 100), width=4)
    d.chord((385, 650, 515, 705), 180, 360, fill=(180, 90, 90))  # upper lip
    d.chord((385, 640, 515, 720), 0, 180, fill=(195, 100, 100))  # lower lip
    d.line((388, 678, 512, 678), fill=(120, 50, 50), width=3)
    img.filter(ImageFilter.GaussianBlur(1.2)).save(path)
    return path


def find_face(path: Path) -> dict | None:
    from server.importers import landmarks

    found = landmarks.find(np.asarray(Image.open(path).convert("RGB")))
    return found.as_face() if found else None


class Shots(App):
    def __init__(self, portraits: list[tuple[str, Path, dict | None]], out: Path) -> None:
        super().__init__()
        self.portraits, self.out = portraits, out
        self.jobs = [(p, s) for p in portraits for s in SHAPES]
        self.eyes: dict[str, dict[str, str]] = {}

    def build(self):
        root = FloatLayout()
        self.face = Portrait(size_hint=(0.57, 1), pos_hint={"x": 0, "y": 0})
        root.add_widget(self.face)
        Window.clearcolor = (0.07, 0.066, 0.06, 1)
        Clock.schedule_once(self.next_job, 0.5)
        return root

    def next_job(self, _dt) -> None:
        if not self.jobs:
            self.stop()
            return
        (name, path, face), shape = self.jobs[0]
        if self.face.source != str(path):
            self.face.face, self.face.source = face, str(path)
            if face:
                self.face.mouth_point = [face["mouth"]["x"], face["mouth"]["y"], face["mouth"]["width"]]
        Clock.schedule_once(self.pose, 0.3)

    def pose(self, _dt) -> None:
        (name, _path, _face), shape = self.jobs[0]
        Clock.unschedule(self.face._animate)  # hold the pose still for the photograph
        face = self.face
        face._translate.x = face._translate.y = face._rotate.angle = 0  # no sway: shots line up pixel for pixel
        face._scale.x = face._scale.y = 1.0
        blink = BLINKS.get(shape)
        face.held_blink = -1.0 if blink is None else blink
        face._lips = lip_target(None, 0.0) if blink is not None else lip_target(shape, 0.8)
        face._update_mesh(force=True)
        Clock.schedule_once(self.shoot, 0.2)

    def shoot(self, _dt) -> None:
        (name, _path, _face), shape = self.jobs.pop(0)
        path = save_screenshot(str(self.out / f"{name}-{shape}-{SIZE}.png"))
        if shape in BLINKS:
            self.eyes.setdefault(name, {})[shape] = path
        if len(self.eyes.get(name, {})) == len(BLINKS):
            eye_sheet(self.eyes.pop(name), eye_box(self.face), self.out / f"eyes-{name}-{SIZE}.png")
        self.face.held_blink = -1.0
        Clock.schedule_interval(self.face._animate, 1 / 25)
        Clock.schedule_once(self.next_job, 0.1)


def eye_box(portrait: Portrait) -> tuple[int, int, int, int]:
    """Both eyes and the brows above them, in window pixels from the top-left (the picture's rows)."""
    left, top, dw, dh = portrait._cover(*portrait._image_size, portrait.width, portrait.height)

    def to_screen(fx, fy):
        return left + np.asarray(fx) * dw, portrait.height - (top + np.asarray(fy) * dh)

    geo = face_geometry(portrait.face, list(portrait.mouth_point), to_screen)
    xs = [v for ex, _ey, rx, _ry in geo.eyes for v in (ex - 2.2 * rx, ex + 2.2 * rx)]
    ys = [v for _ex, ey, rx, _ry in geo.eyes for v in (ey - 1.3 * rx, ey + 2.0 * rx)]
    x0, x1 = portrait.x + min(xs), portrait.x + max(xs)
    y0, y1 = Window.height - (portrait.y + max(ys)), Window.height - (portrait.y + min(ys))
    return int(max(0, x0)), int(max(0, y0)), int(x1), int(y1)


def eye_sheet(shots: dict[str, str], box: tuple[int, int, int, int], path: Path) -> None:
    """The eyes open, half shut and shut, one above the other, zoomed so a pixel's worth shows."""
    crops = [Image.open(shots[shape]).convert("RGB").crop(box) for shape in BLINKS]
    w, h = crops[0].size
    zoom = max(1, min(6, 1500 // max(1, w)))
    sheet = Image.new("RGB", (w * zoom, 3 * h * zoom + 8), (255, 0, 255))
    for i, crop in enumerate(crops):
        sheet.paste(crop.resize((w * zoom, h * zoom), Image.Resampling.NEAREST), (0, i * (h * zoom + 4)))
    sheet.save(path)
    print(path, flush=True)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    import skimage

    from server.demo import portrait as demo_portrait

    pictures = [
        ("astronaut", Path(skimage.__file__).parent / "data" / "astronaut.png"),
        ("demo", Path(demo_portrait.__file__).with_name("portrait.png")),
        ("drawn", drawn_face(out / "drawn-face.png")),
    ]
    portraits = []
    for name, path in pictures:
        face = find_face(path)
        print(name, "face found" if face else "no face found", flush=True)
        portraits.append((name, path, face))
    Shots(portraits, out).run()


if __name__ == "__main__":
    main()
