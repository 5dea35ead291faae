"""Record a voice sample on the tablet: the person reads or talks, the caregiver taps Stop.

The app's microphones end an utterance after about a second of quiet (right
for a conversation, wrong for someone reading a page who pauses for breath).
So a sample is recorded as a run of utterances: when one ends, the microphone
starts listening again at once, and the pieces are joined into one WAV when
the caregiver taps Stop, when nobody has spoken for a while, or at the
length limit. Microphones that record straight to compressed files (plyer on
Android) give one sample per piece instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from kivy.clock import mainthread

from client.audio import MIC_RATE, decode_wav, resample, to_int16, write_wav
from client.platform.mic_base import Mic, Recording

MAX_SAMPLE_S = 90.0  # long enough for a page read aloud; the server takes up to five minutes
PAUSE_S = 0.4  # the quiet put back between joined pieces


def join_wavs(paths: list[Path], target: Path, pause_s: float = PAUSE_S) -> float:
    """Join WAV files into one 16 kHz mono WAV with a short pause between; returns its length in seconds."""
    pieces: list[np.ndarray] = []
    gap = np.zeros(int(pause_s * MIC_RATE), np.float32)
    for path in paths:
        samples, rate = decode_wav(path.read_bytes())
        if pieces:
            pieces.append(gap)
        pieces.append(resample(samples, rate, MIC_RATE))
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    write_wav(target, to_int16(audio), MIC_RATE)
    return len(audio) / MIC_RATE


class SampleRecorder:
    """Start, Stop, and ``on_done(list of files)`` on the UI thread; ``on_level(0..1)`` while it listens.

    Every callback of the microphone arrives on its own thread and is passed to the UI thread first.
    """

    def __init__(self, mic: Mic, folder: Path, on_level: Callable[[float], None], on_done: Callable[[list[Path]], None]) -> None:
        self.mic = mic
        self.folder = folder
        self.on_level = on_level
        self.on_done = on_done
        self.recording = False
        self.heard_speech = False
        self.pieces: list[Recording] = []
        self._started = 0.0

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._started if self.recording else 0.0

    def start(self) -> None:
        """Raises when the microphone cannot start (no permission, no device); nothing is recording then."""
        self.pieces, self.heard_speech = [], False
        self.recording = True
        self._started = time.monotonic()
        try:
            self._listen()
        except BaseException:
            self.recording = False
            raise

    def _listen(self) -> None:
        self.mic.start(self._on_mic)

    @mainthread  # the microphone calls from its own thread
    def _on_mic(self, kind: str, value: float) -> None:
        if not self.recording:
            return
        if kind == "level":
            self.on_level(max(0.0, min(1.0, (value + 60.0) / 45.0)))
            if self.seconds >= MAX_SAMPLE_S:
                self.stop()
        elif kind == "start":
            self.heard_speech = True
        elif kind == "end":  # a pause: keep what was said, listen on
            piece = self.mic.stop(self.folder)
            if piece is not None:
                self.pieces.append(piece)
            try:
                self._listen()
            except Exception:  # the microphone went away mid-sample: keep what was said
                self._finish()
        elif kind == "timeout":  # nobody spoke for a while: the sample is over
            self.mic.cancel()
            self._finish()

    def stop(self) -> None:
        """The caregiver's tap: keep what was said so far."""
        if not self.recording:
            return
        piece = self.mic.stop(self.folder)
        if piece is not None and (piece.heard_speech or not self.pieces):
            self.pieces.append(piece)
        self._finish()

    def cancel(self) -> None:
        if self.recording:
            self.recording = False
            self.mic.cancel()
            self._discard()

    def _discard(self) -> None:
        for piece in self.pieces:
            piece.path.unlink(missing_ok=True)
        self.pieces = []

    def _finish(self) -> None:
        self.recording = False
        self.on_level(0.0)
        pieces, self.pieces = self.pieces, []
        if not pieces:
            self.on_done([])
            return
        if all(p.mime == "audio/wav" for p in pieces):
            target = self.folder / f"sample-{time.strftime('%Y%m%d-%H%M%S')}.wav"
            join_wavs([p.path for p in pieces], target)
            for piece in pieces:
                piece.path.unlink(missing_ok=True)
            self.on_done([target])
        else:
            self.on_done([p.path for p in pieces])
