"""End of speech: when did the relative start talking, and when are they done?

Fed with audio as it streams in (16 kHz mono float32, any chunk size), the
detector says once when speech started and once when it ended. It works on
the loudness of 20 ms frames against the room's own noise, numpy only:

- the noise floor is the quietest frame of the last few seconds (minimum
  statistics): gaps between words keep it at the room's level while someone
  talks, and it follows the room when the noise changes;
- a frame is voiced when it is ``margin_db`` above that floor (and never
  below ``min_level_dbfs``, so digital silence does not turn hiss into speech);
- speech starts after ``min_speech_ms`` of voiced frames in a row (a tap or a
  click is shorter), dated back to the first of them;
- speech ends only after ``hang_ms`` without a voiced frame. Older people
  pause mid-sentence to find a word: any pause shorter than the hang time
  never ends the utterance. The hang time is the silence we wait for, and it
  is all the delay the detector adds: the end is dated at the last voiced frame.

Known limit: a noise that jumps up by more than ``margin_db`` (a fan, a
kettle) counts as speech until it has lasted ``noise_window_s``; the
utterance then ends normally after the hang time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

_FLOOR_DBFS = -120.0
_FLOOR_RMS = 10 ** (_FLOOR_DBFS / 20)


@dataclass(frozen=True)
class EndpointConfig:
    sample_rate: int = 16000
    frame_ms: float = 20.0
    # Silence that ends the utterance: long enough for a slow speaker's pause
    # to find a word, short enough that the answer still follows a real end soon.
    hang_ms: float = 800.0
    min_speech_ms: float = 100.0
    margin_db: float = 10.0
    min_level_dbfs: float = -55.0  # quieter than this is never speech (room noise of a tablet is -60..-50)
    noise_window_s: float = 3.0
    max_utterance_s: float = 120.0  # a stuck microphone or a television must end some time

    @property
    def frame_len(self) -> int:
        return max(1, round(self.sample_rate * self.frame_ms / 1000))


@dataclass(frozen=True)
class SpeechEvent:
    kind: str  # "start" or "end"
    at_s: float  # where in the stream: the first voiced frame (start), or just after the last one (end)
    decided_s: float  # how much audio had been fed when this was decided

    @property
    def waited_s(self) -> float:
        """For an end: the silence the detector waited for before deciding."""
        return self.decided_s - self.at_s


def frame_levels(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """dBFS of each whole frame, with each frame's DC offset taken off (cheap microphones have one)."""
    frames = samples[: samples.size - samples.size % frame_len].reshape(-1, frame_len).astype(np.float64)
    # sum / n rather than np.mean: the same numbers (mean is that sum and division), without
    # np.mean's Python overhead, which was most of the cost on a 0.1 s chunk of 5 frames.
    frames -= frames.sum(axis=1, keepdims=True) / frame_len
    rms = np.sqrt((frames * frames).sum(axis=1) / frame_len)
    return 20.0 * np.log10(np.maximum(rms, _FLOOR_RMS))


class _RunningMin:
    """Minimum of the last ``size`` values, O(1) per value (monotonic deque)."""

    def __init__(self, size: int):
        self.size = size
        self.count = 0
        self._q: deque[tuple[int, float]] = deque()

    def push(self, value: float) -> float:
        while self._q and self._q[-1][1] >= value:
            self._q.pop()
        self._q.append((self.count, value))
        if self._q[0][0] <= self.count - self.size:
            self._q.popleft()
        self.count += 1
        return self._q[0][1]


class EndOfSpeech:
    """Incremental detector: ``feed`` chunks, get at most one start and one end event."""

    def __init__(self, config: EndpointConfig | None = None):
        self.config = c = config or EndpointConfig()
        self._frame_s = c.frame_len / c.sample_rate
        self._noise = _RunningMin(max(1, round(c.noise_window_s / self._frame_s)))
        self._start_frames = max(1, round(c.min_speech_ms / 1000 / self._frame_s))
        self._hang_frames = max(1, round(c.hang_ms / 1000 / self._frame_s))
        self._max_frames = max(1, round(c.max_utterance_s / self._frame_s))
        self._start_frame = 0  # the first voiced frame of the speech, once it started
        self._pending = np.zeros(0, dtype=np.float32)
        self._frame = 0  # index of the next frame
        self._run = 0  # voiced frames in a row, before speech started
        self._last_voiced: int | None = None
        self.start: SpeechEvent | None = None
        self.end: SpeechEvent | None = None
        self.noise_dbfs = _FLOOR_DBFS

    @property
    def speaking(self) -> bool:
        return self.start is not None and self.end is None

    @property
    def ended(self) -> bool:
        return self.end is not None

    @property
    def last_voiced_s(self) -> float | None:
        """Where the last voiced frame so far ends, in seconds from the start; None before speech."""
        return None if self._last_voiced is None else (self._last_voiced + 1) * self._frame_s

    def feed(self, samples: np.ndarray) -> list[SpeechEvent]:
        """Add audio; return the events it completed (in order)."""
        if self.end is not None:
            return []
        data = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self._pending.size:
            data = np.concatenate([self._pending, data])
        n = self.config.frame_len
        whole = data.size - data.size % n
        # A copy: ``data`` may be the caller's own array.
        self._pending = data[whole:].copy()
        events: list[SpeechEvent] = []
        for level in frame_levels(data[:whole], n).tolist():
            event = self._step(level)
            if event is not None:
                events.append(event)
                if event.kind == "end":
                    break
        return events

    def _step(self, level: float) -> SpeechEvent | None:
        c = self.config
        frame = self._frame
        self._frame += 1
        self.noise_dbfs = self._noise.push(level)
        voiced = level >= max(self.noise_dbfs + c.margin_db, c.min_level_dbfs)
        if self.start is None:
            self._run = self._run + 1 if voiced else 0
            if self._run >= self._start_frames:
                first = frame - self._run + 1
                self._start_frame = first
                self._last_voiced = frame
                self.start = SpeechEvent("start", first * self._frame_s, self._frame * self._frame_s)
                return self.start
            return None
        if voiced:
            self._last_voiced = frame
        assert self._last_voiced is not None
        silent_frames = frame - self._last_voiced
        too_long = frame - self._start_frame + 1 >= self._max_frames
        if silent_frames >= self._hang_frames or too_long:
            self.end = SpeechEvent("end", (self._last_voiced + 1) * self._frame_s, self._frame * self._frame_s)
            return self.end
        return None


def find_speech(samples: np.ndarray, config: EndpointConfig | None = None) -> tuple[SpeechEvent | None, SpeechEvent | None]:
    """Run the detector over a whole recording: (start, end); either may be None."""
    detector = EndOfSpeech(config)
    detector.feed(samples)
    return detector.start, detector.end
