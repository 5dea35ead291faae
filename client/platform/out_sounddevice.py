"""Sound through PortAudio (``sounddevice``): one output stream that never stops, so sentences join without gaps."""

from __future__ import annotations

import numpy as np


class SoundDeviceOutput:
    name = "sounddevice"

    def __init__(self, pull, rate: int) -> None:
        import sounddevice

        sounddevice.query_devices(kind="output")  # raises when there is no output device
        self._pull = pull
        self.frames_played = 0
        self.peak = 0.0

        def callback(outdata, frames, time_info, status) -> None:
            samples = self._pull(frames)
            if np.any(samples):
                self.frames_played += frames
                self.peak = max(self.peak, float(np.max(np.abs(samples))))
            outdata[:, 0] = samples

        self._stream = sounddevice.OutputStream(samplerate=rate, channels=1, dtype="float32", callback=callback, latency="low")
        self._latency = int(float(self._stream.latency) * rate)
        self._stream.start()

    def latency_frames(self) -> int:
        return self._latency  # samples pulled but not yet out of the speaker

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()
