"""A sound output that plays to nowhere, in real time.

For machines without a sound card (CI, a kiosk with broken audio): it pulls
samples at exactly the rate a speaker would, so positions, captions and the
moving mouth behave as they would with sound.
"""

from __future__ import annotations

import threading
import time

import numpy as np

BLOCK_S = 0.02


class NullOutput:
    name = "null"

    def __init__(self, pull, rate: int) -> None:
        self._pull = pull
        self._rate = rate
        self._running = True
        self.frames_played = 0
        self.peak = 0.0  # loudest sample seen: the tests check that real audio went through
        self._thread = threading.Thread(target=self._run, name="null-audio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        block = int(self._rate * BLOCK_S)
        t0 = time.monotonic()
        blocks = 0
        while self._running:
            samples = self._pull(block)
            if len(samples):
                self.peak = max(self.peak, float(np.max(np.abs(samples))))
                if np.any(samples):
                    self.frames_played += block
            blocks += 1
            delay = t0 + blocks * BLOCK_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.5:  # we were suspended: do not rush to catch up
                t0, blocks = time.monotonic(), 0

    def latency_frames(self) -> int:
        return 0

    def close(self) -> None:
        self._running = False
