"""A microphone that "hears" a WAV file, in real time, as if someone spoke it.

Selected with ``KEEPSAKE_MIC_FILE=speech.wav``. Used by the tests and by
caregivers giving a demo without a microphone. Several files separated by the
path separator (``a.wav:b.wav``) are spoken one per recording, the last one
repeating. After the file the room goes quiet (faint noise, like a real room),
so voice activity detection ends the utterance as it would for a person.

While an answer plays the tablet may listen over it (the relative can cut in): then the room
is quiet, unless ``KEEPSAKE_MIC_OVER_FILE`` gives what the relative says over the answer (the
same list form, one file each time, the last one repeating).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from client.audio import MIC_RATE, decode_wav, resample, to_int16
from client.platform.mic_base import PcmMic

CHUNK_S = 0.03
LEAD_IN_S = 0.4  # the relative takes a breath before speaking
ROOM_NOISE = 0.0005  # about -66 dBFS: quiet, but not digitally silent


class FileMic(PcmMic):
    name = "file"

    def __init__(self, spec: str, over: str = "") -> None:
        super().__init__()
        self.files = [Path(p) for p in spec.split(os.pathsep) if p]
        self.over_files = [Path(p) for p in over.split(os.pathsep) if p]
        self._next = 0
        self._next_over = 0
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    def _load_next(self) -> np.ndarray:
        path = self.files[min(self._next, len(self.files) - 1)]
        self._next += 1
        samples, rate = decode_wav(path.read_bytes())
        return to_int16(resample(samples, rate, MIC_RATE))

    def _load_over(self) -> np.ndarray:
        if not self.over_files:
            return np.zeros(0, np.int16)  # nobody speaks over the answer: the quiet room
        path = self.over_files[min(self._next_over, len(self.over_files) - 1)]
        self._next_over += 1
        samples, rate = decode_wav(path.read_bytes())
        return to_int16(resample(samples, rate, MIC_RATE))

    def _open(self) -> None:
        speech = self._load_over() if self._keep is not None else self._load_next()
        self._running.set()
        self._thread = threading.Thread(target=self._play, args=(speech,), name="file-mic", daemon=True)
        self._thread.start()

    def _play(self, speech: np.ndarray) -> None:
        rng = np.random.default_rng(7)
        lead = np.zeros(int(LEAD_IN_S * MIC_RATE), np.int16)
        audio = np.concatenate([lead, speech])
        chunk = int(CHUNK_S * MIC_RATE)
        t0, sent = time.monotonic(), 0
        while self._running.is_set():
            if sent < len(audio):
                pcm = audio[sent : sent + chunk]
            else:
                pcm = np.zeros(0, np.int16)
            if len(pcm) < chunk:  # after the words: a quiet room
                noise = (rng.standard_normal(chunk - len(pcm)) * ROOM_NOISE * 32767).astype(np.int16)
                pcm = np.concatenate([pcm, noise])
            noisy = pcm.astype(np.int32) + (rng.standard_normal(chunk) * ROOM_NOISE * 32767).astype(np.int32)
            self._feed(np.clip(noisy, -32768, 32767).astype(np.int16))
            sent += chunk
            # real time: sleep until this chunk "would have been" spoken
            delay = t0 + sent / MIC_RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def _close(self) -> None:
        self._running.clear()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self._thread = None
