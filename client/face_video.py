"""Talking-head video: a sentence's clip, checked when it arrives and decoded as it plays.

Decoded with PyAV (FFmpeg's libraries in a wheel, for Linux, Windows, macOS and Android builds
alike) rather than Kivy's video providers, which need ffpyplayer or GStreamer and play on their own
clock: here each frame is picked by the sentence audio's own position, so lips and voice cannot
drift apart, and a clip that fails is noticed in the tablet's log and the animated face takes over.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from kivy.logger import Logger

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.frame import VideoFrame

MAX_SIDE = 720  # frames bigger than this are scaled down: the face is at most 1200 pixels tall
MAX_BYTES = 40 * 1024 * 1024  # a sentence's clip is a few seconds; anything bigger is not one


class VideoClip:
    """One sentence's clip. ``frame_at`` is called on the UI thread, forward in time as the audio plays."""

    def __init__(self, data: bytes, label: str = "") -> None:
        import av  # only the tablet's video needs it

        self._av = av
        self._data = data
        self.label = label
        self.failed = False
        self._lock = threading.Lock()
        self._container: InputContainer | None = None
        self._frames: Iterator[VideoFrame] | None = None
        self._current: tuple[float, np.ndarray] | None = None  # (seconds, rgb array)
        self._upcoming: tuple[float, np.ndarray] | None = None
        # decode it all once now (on a worker): a clip that cannot be played is refused before it is due
        count, self.size, self.duration_s = 0, (0, 0), 0.0
        try:
            with av.open(io.BytesIO(data), mode="r") as container:
                if not container.streams.video:
                    raise ValueError("no video stream")
                for frame in container.decode(video=0):
                    count += 1
                    self.size = self._scaled(frame.width, frame.height)
                    if frame.time is not None:
                        self.duration_s = max(self.duration_s, float(frame.time))
        except av.FFmpegError as exc:
            raise ValueError(f"does not decode ({exc.__class__.__name__})") from None
        if count == 0:
            raise ValueError("no frames")
        self.frames = count

    @staticmethod
    def _scaled(width: int, height: int) -> tuple[int, int]:
        scale = min(1.0, MAX_SIDE / max(width, height))
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)

    def _open(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = self._av.open(io.BytesIO(self._data), mode="r")
        self._frames = self._container.decode(video=0)
        self._current, self._upcoming = None, self._next()

    def _next(self):
        assert self._frames is not None  # _open() starts them before a frame is read
        frame = next(self._frames, None)
        if frame is None:
            return None
        seconds = float(frame.time or 0.0)
        width, height = self.size
        return seconds, frame.to_ndarray(format="rgb24", width=width, height=height)

    def frame_at(self, seconds: float) -> np.ndarray | None:
        """The frame showing ``seconds`` into the sentence; None past the clip's end or once it failed."""
        if self.failed or seconds < 0:
            return None
        with self._lock:
            try:
                if self._frames is None or (self._current is not None and seconds < self._current[0] - 0.05):
                    self._open()  # the sentence is played again ("say that again"): from the start
                while self._upcoming is not None and self._upcoming[0] <= seconds:
                    self._current, self._upcoming = self._upcoming, self._next()
                if self._upcoming is None and self._current is not None and seconds > self._current[0] + 0.5:
                    return None  # the clip ended well before the sentence: the face goes on
                return self._current[1] if self._current is not None else None
            except (self._av.FFmpegError, ValueError, MemoryError) as exc:
                self.failed = True
                Logger.warning(f"Keepsake: video of {self.label} stopped decoding ({exc.__class__.__name__}); the portrait takes over")
                self.close()
                return None

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
        self._frames = None


def fetch_clip(client, url: str | None, label: str) -> VideoClip | None:
    """Runs on a worker: the sentence's clip, or None (and a line in the log) when it cannot be had."""
    if not url:
        return None
    try:
        data, _mime = client.media(url)
        if len(data) > MAX_BYTES:
            raise ValueError("too large")
        return VideoClip(data, label)
    except ImportError:
        Logger.warning("Keepsake: talking-head video needs PyAV (pip install av); showing the portrait")
    except Exception as exc:  # noqa: BLE001  whatever went wrong, the relative sees the portrait instead
        Logger.warning(f"Keepsake: video of {label} unavailable ({exc}); showing the portrait")
    return None
