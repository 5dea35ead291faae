"""The tablet's face playing a sentence with a talking-head clip, in a process of its own (Kivy
allows one app per process): ``python -m tests.client.face_video_run CLIP_URL OUT.png WxH``.

The clip is fetched over HTTP the way the tablet fetches a sentence's media (client/face_video.py's
fetch_clip), the sentence's audio plays to the silent clock the UI tests use, and the portrait is
driven from the player's position exactly as the talk screen's is. One JSON line per observation on
stdout: the clip fetched or not, each frame of the face (whether video was shown, the colour in the
clip's band), the screenshot taken mid-sentence.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

URL, SHOT, SIZE = sys.argv[1], Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "1280x800"
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", SIZE.split("x")[0])
Config.set("graphics", "height", SIZE.split("x")[1])

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402

from client.face_video import fetch_clip  # noqa: E402
from client.platform.out_null import NullOutput  # noqa: E402
from client.player import PcmPlayer, Segment  # noqa: E402
from client.uix.portrait import Portrait  # noqa: E402
from server.demo import portrait as demo_portrait  # noqa: E402

# Long enough that frames follow the mid-sentence screenshot even when a busy machine takes a
# second or more over it (the clip, 4 s, outlasts the sentence).
SECONDS = 3.2
DEMO_FACE = {
    "left_eye": {"x": 0.4, "y": 0.43},
    "right_eye": {"x": 0.6, "y": 0.43},
    "mouth": {"x": 0.5, "y": 0.6, "width": 0.16},
    "chin": {"x": 0.5, "y": 0.7},
    "points": [],
}


def say(**data) -> None:
    print(json.dumps(data), flush=True)


class Media:
    """What fetch_clip needs of the tablet's client: ``media(url)``."""

    def media(self, url: str):
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        return response.content, response.headers.get("content-type", "")


class Run(App):
    def build(self):
        root = FloatLayout()
        self.face = Portrait(
            size_hint=(0.57, 1),
            pos_hint={"x": 0, "y": 0},
            source=str(Path(demo_portrait.__file__).with_name("portrait.png")),
            face=DEMO_FACE,
        )
        root.add_widget(self.face)
        Window.clearcolor = (0.07, 0.066, 0.06, 1)
        clip = fetch_clip(Media(), URL, "sentence 0")
        say(kind="fetched", ok=clip is not None)
        rate = 22_050
        t = np.arange(int(SECONDS * rate)) / rate
        self.segment = Segment.make(
            (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32),
            rate,
            [0.6] * int(SECONDS * 25),
            25,
            "Hello, sweetheart!",
            0,
            visemes=[[0, "sil"], [100, "aa"], [400, "O"], [700, "PP"], [800, "E"]],
            video=clip,
        )
        self.player = PcmPlayer(NullOutput)
        Clock.schedule_once(lambda _dt: self.player.enqueue(self.segment), 1.0)
        Clock.schedule_interval(self.tick, 1 / 25)
        self.shot = False
        return root

    def tick(self, _dt) -> None:
        position = self.player.position()
        # as the talk screen does (client/conversation.py)
        self.face.mouth, self.face.viseme = position.mouth, position.viseme
        self.face.video, self.face.video_seconds = getattr(position.segment, "video", None), position.seconds
        if position.segment is None:
            if self.shot and not self.player.busy():
                say(kind="done", video_shown=self.face._video_shown is not None)
                self.player.close()
                self.stop()
            return
        shown = self.face._video_shown
        band = [int(c) for c in shown[-4:, :, :].reshape(-1, 3).mean(axis=0)] if shown is not None else None
        say(kind="frame", seconds=round(position.seconds, 3), video=shown is not None, band=band)
        if not self.shot and position.seconds > 0.5:
            self.shot = True
            Window.screenshot(str(SHOT))  # Kivy numbers the file: name0001.png
            say(kind="screenshot", seconds=round(position.seconds, 3))


if __name__ == "__main__":
    Run().run()
