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

from client.face_shapes import lip_target  # noqa: E402
from client.uix.portrait import Portrait  # noqa: E402

SHAPES = ["sil", "aa", "O", "U", "E", "PP", "blink"]


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
        self.face._blink = 1.0 if shape == "blink" else 0.0
        self.face._lips = lip_target(None if shape == "blink" else shape, 0.0 if shape == "blink" else 0.8)
        self.face._update_mesh(force=True)
        Clock.schedule_once(self.shoot, 0.2)

    def shoot(self, _dt) -> None:
        (name, _path, _face), shape = self.jobs.pop(0)
        Window.screenshot(str(self.out / f"{name}-{shape}-{SIZE}.png"))
        Clock.schedule_interval(self.face._animate, 1 / 25)
        Clock.schedule_once(self.next_job, 0.1)


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
