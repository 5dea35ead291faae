"""The one small interface every microphone implements, and the PCM machinery most share.

A microphone is started with a callback and reports, from its own thread,
``("level", dB)`` about 30 times a second and the voice activity events
``("start", 0)``, ``("end", 0)`` (about a second of quiet after speech) and
``("timeout", 0)`` (nobody spoke). ``stop(folder)`` ends the recording and
returns it as a file ready to send, or None when nothing was recorded.

A microphone that has the samples themselves (``streams_pcm``) also hands
every chunk, as 16 kHz 16-bit mono PCM, to ``on_pcm`` when one is given: the
tablet streams them to the server while the relative is still speaking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from client.audio import MIC_RATE, level_dbfs, resample, write_wav
from client.vad import Vad

MicCallback = Callable[[str, float], None]
PcmCallback = Callable[[bytes], None]


@dataclass
class Recording:
    path: Path
    mime: str
    duration_s: float
    heard_speech: bool


class Mic:
    name = "none"
    streams_pcm = False  # True: start() takes on_pcm and calls it with every chunk recorded

    def start(self, on_event: MicCallback) -> None:
        raise NotImplementedError

    def stop(self, folder: Path) -> Recording | None:
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop and throw the audio away (the app is closing, or the relative backed out)."""
        raise NotImplementedError


class PcmMic(Mic):
    """A microphone that delivers 16-bit PCM chunks; subclasses only open and close their source."""

    source_rate = MIC_RATE
    streams_pcm = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._pending = np.zeros(0, np.int16)
        self._vad = Vad()
        self._on_event: MicCallback | None = None
        self._on_pcm: PcmCallback | None = None
        self._started_at = 0.0
        self._keep: int | None = None  # samples kept at most (None: the whole recording)

    # subclasses
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def start(self, on_event: MicCallback, on_pcm: PcmCallback | None = None, keep_s: float | None = None) -> None:
        """``keep_s``: keep only the last this-many seconds (listening over an answer, when only the
        moment the relative cut in may become a recording)."""
        with self._lock:
            self._chunks, self._pending = [], np.zeros(0, np.int16)
            self._vad = Vad()
            self._on_event = on_event
            self._on_pcm = on_pcm
            self._started_at = time.monotonic()
            self._keep = None if keep_s is None else int(keep_s * MIC_RATE)
        self._open()

    def retarget(self, on_event: MicCallback, on_pcm: PcmCallback | None) -> None:
        """Go on recording for new listeners without closing the source: the relative is in the
        middle of a word (they spoke over the answer). The recording starts again from what was
        kept, with the pause detector afresh."""
        with self._lock:
            kept = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            if self._keep is not None:
                kept = kept[-self._keep :]
            # The detector hears what was kept first, so its times are the recording's own (the
            # server has that audio already: nothing of it is sent again).
            self._vad = Vad()
            frame = int(MIC_RATE * self._vad.c.frame_s)
            whole = len(kept) - len(kept) % frame
            for i in range(0, whole, frame):
                self._vad.feed(level_dbfs(kept[i : i + frame]))
            self._chunks, self._pending = [kept], kept[whole:]
            self._on_event, self._on_pcm = on_event, on_pcm
            self._started_at = time.monotonic()
            self._keep = None

    def _feed(self, pcm: np.ndarray) -> None:
        """Called from the audio thread with a chunk of mono int16 samples."""
        if self.source_rate != MIC_RATE:
            pcm = (resample(pcm.astype(np.float32), self.source_rate, MIC_RATE)).astype(np.int16)
        events = []
        with self._lock:
            if self._on_event is None:
                return
            self._chunks.append(pcm)
            if self._keep is not None and len(self._chunks) > 64:
                self._chunks = [np.concatenate(self._chunks)[-self._keep :]]
            frame = int(MIC_RATE * self._vad.c.frame_s)
            self._pending = np.concatenate([self._pending, pcm])
            while len(self._pending) >= frame:
                level = level_dbfs(self._pending[:frame])
                self._pending = self._pending[frame:]
                events.append(("level", level))
                result = self._vad.feed(level)
                if result:
                    events.append((result, 0.0))
            callback, on_pcm = self._on_event, self._on_pcm
        if on_pcm is not None:  # before the events: an "end" finishes the upload, with this chunk in it
            on_pcm(pcm.astype("<i2").tobytes())
        for kind, value in events:  # outside the lock: the callback may call stop()
            callback(kind, value)

    def stop(self, folder: Path) -> Recording | None:
        self._close()
        with self._lock:
            self._on_event = self._on_pcm = None
            audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            bounds = self._vad.speech_bounds_s()
            self._chunks = []
        if bounds:  # send only the speech (and a little air around it): less to upload and to recognise
            start, end = (int(b * MIC_RATE) for b in bounds)
            audio = audio[start:end]
        if len(audio) < MIC_RATE // 5:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{int(time.time() * 1000) % 1000:03d}.wav"
        write_wav(path, audio, MIC_RATE)
        return Recording(path, "audio/wav", len(audio) / MIC_RATE, bounds is not None)

    def cancel(self) -> None:
        self._close()
        with self._lock:
            self._on_event = self._on_pcm = None
            self._chunks = []
