"""The microphone on desktop Linux, through PortAudio (``sounddevice``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from client.audio import MIC_RATE
from client.platform.mic_base import PcmMic

if TYPE_CHECKING:
    from sounddevice import InputStream


class SoundDeviceMic(PcmMic):
    name = "sounddevice"

    def __init__(self) -> None:
        super().__init__()
        import sounddevice  # imported here: PortAudio missing must only disable this mic

        self._sd = sounddevice
        self._sd.query_devices(kind="input")  # raises when there is no microphone at all
        self._stream: InputStream | None = None

    def _open(self) -> None:
        def callback(indata, frames, time_info, status) -> None:
            self._feed(np.asarray(indata[:, 0], dtype=np.int16).copy())

        try:
            self.source_rate = MIC_RATE
            self._stream = self._sd.InputStream(samplerate=MIC_RATE, channels=1, dtype="int16", blocksize=480, callback=callback)
        except Exception:  # the device does not do 16 kHz: record at its own rate and resample
            self.source_rate = int(self._sd.query_devices(kind="input")["default_samplerate"])
            self._stream = self._sd.InputStream(samplerate=self.source_rate, channels=1, dtype="int16", callback=callback)
        self._stream.start()

    def _close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
