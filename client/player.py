"""Playback of the answer, sentence after sentence, without gaps, with a clock the face follows.

Sentences are queued as they arrive; an output (a sound card, or a null sink
that only keeps time) pulls samples at the real-time rate. Because the
position comes from what the output has consumed, the mouth moves in step
with the sound, and it still moves when the machine has no sound card.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from client.audio import resample
from client.face_shapes import viseme_at

PLAYER_RATE = 22_050  # Piper's rate: the usual sentence needs no resampling


@dataclass(eq=False)
class Segment:
    """One spoken sentence: its samples, its mouth track and its caption."""

    samples: np.ndarray  # mono float32 at PLAYER_RATE
    mouth: list[float]
    fps: int
    text: str
    index: int
    answer: object = None  # whatever the app uses to tell answers apart
    original: bool = False  # the person's own recorded voice, not a recreation
    visemes: list | None = None  # [start_ms, viseme] pairs; None when the server sent none (an older one)
    video: object = None  # the talking-head clip (client/face_video.py), when there is one that decodes

    @classmethod
    def make(
        cls,
        samples: np.ndarray,
        rate: int,
        mouth: list[float],
        fps: int,
        text: str,
        index: int,
        answer: object = None,
        original: bool = False,
        visemes: list | None = None,
        video: object = None,
    ) -> Segment:
        return cls(
            resample(samples, rate, PLAYER_RATE),
            list(mouth),
            max(1, fps),
            text,
            index,
            answer,
            original,
            list(visemes) if visemes else None,
            video,
        )

    @property
    def duration_s(self) -> float:
        return len(self.samples) / PLAYER_RATE

    def mouth_at(self, seconds: float) -> float:
        if not self.mouth or seconds < 0:
            return 0.0
        i = int(seconds * self.fps)
        return float(self.mouth[i]) if i < len(self.mouth) else 0.0


@dataclass
class _Placed:
    segment: Segment
    start: int  # in frames of the output's clock
    end: int


@dataclass
class Position:
    segment: Segment | None
    seconds: float = 0.0

    @property
    def mouth(self) -> float:
        return self.segment.mouth_at(self.seconds) if self.segment else 0.0

    @property
    def viseme(self) -> str:
        """The lip shape sounding now; "" when the sentence has no viseme track (the face uses loudness alone)."""
        if self.segment is None or not self.segment.visemes:
            return ""
        return viseme_at(self.segment.visemes, self.seconds * 1000)


class Player:
    """What the app needs from any player. All methods are called on the UI thread."""

    name = "none"
    volume: float = 0.8

    def enqueue(self, segment: Segment) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop at once and forget the queue."""
        raise NotImplementedError

    def position(self) -> Position:
        raise NotImplementedError

    def busy(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PcmPlayer(Player):
    """A gapless queue of PCM pulled by an output running on its own thread."""

    def __init__(self, output_factory) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Placed] = []  # placed segments not yet entirely consumed, in order
        self._pulled = 0  # frames handed to the output since it started
        self.volume = 0.8
        self.output = output_factory(self._pull, PLAYER_RATE)
        self.name = self.output.name

    def enqueue(self, segment: Segment) -> None:
        with self._lock:
            start = max(self._queue[-1].end if self._queue else 0, self._pulled)
            self._queue.append(_Placed(segment, start, start + len(segment.samples)))

    def stop(self) -> None:
        with self._lock:
            self._queue = []

    def _heard_frame(self) -> int:
        with self._lock:
            pulled = self._pulled
        return pulled - self.output.latency_frames()

    def position(self) -> Position:
        heard_at = self._heard_frame()
        with self._lock:
            for placed in self._queue:
                if placed.start <= heard_at < placed.end:
                    return Position(placed.segment, (heard_at - placed.start) / PLAYER_RATE)
        return Position(None)

    def busy(self) -> bool:
        heard_at = self._heard_frame()
        with self._lock:
            return bool(self._queue) and self._queue[-1].end > heard_at

    def _pull(self, frames: int) -> np.ndarray:
        """Called by the output's thread: the next ``frames`` samples, silence where nothing plays."""
        out = np.zeros(frames, np.float32)
        gain = float(self.volume) ** 1.5  # closer to how loudness is heard than a straight line
        with self._lock:
            begin, end = self._pulled, self._pulled + frames
            for placed in self._queue:
                if placed.end <= begin or placed.start >= end:
                    continue
                lo, hi = max(begin, placed.start), min(end, placed.end)
                out[lo - begin : hi - begin] = placed.segment.samples[lo - placed.start : hi - placed.start] * gain
            self._pulled = end
            # keep consumed segments a little longer than the output's latency, for position()
            keep_after = self._pulled - 2 * PLAYER_RATE
            while self._queue and self._queue[0].end < keep_after:
                self._queue.pop(0)
        return out

    def close(self) -> None:
        self.output.close()
