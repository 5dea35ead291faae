"""The microphone on Android: ``AudioRecord`` from the ``VOICE_COMMUNICATION`` source.

That source is the one Android tunes for calls: it turns on the device's acoustic echo canceller
and noise suppressor (in hardware or the vendor's DSP on most tablets), so the persona's own voice
from the loudspeaker is mostly gone before the server hears the microphone. It also gives the
samples themselves, 16 kHz mono 16-bit, so the tablet streams them to the live socket as on a
desktop: the server hears when the relative has finished, and hears them speak over the answer.
Where the device offers them as effects, ``AcousticEchoCanceler`` and ``NoiseSuppressor`` are
switched on for the recording's session too.

Needs pyjnius (python-for-android ships it) and the RECORD_AUDIO permission (asked at start,
client/platform/android.py). Where AudioRecord cannot open, ``make_mic`` falls back to plyer's
recorder (a 3GPP file, the POST turn, no echo canceller).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from client.audio import MIC_RATE
from client.platform.mic_base import PcmMic

READ_MS = 30  # as a desktop microphone delivers: the VAD and the socket's frames follow it
BUFFER_MS = 400  # Android's own buffer: room for a slow read without losing samples


def _java(name: str) -> Any:
    from jnius import autoclass  # imported here: only an Android build has it

    return autoclass(name)


class AndroidMic(PcmMic):
    name = "android"

    def __init__(self, java=_java) -> None:
        super().__init__()
        self._java = java
        self._AudioRecord = java("android.media.AudioRecord")
        audio_format = java("android.media.AudioFormat")
        self._source = java("android.media.MediaRecorder$AudioSource").VOICE_COMMUNICATION
        self._channel = audio_format.CHANNEL_IN_MONO
        self._encoding = audio_format.ENCODING_PCM_16BIT
        least = self._AudioRecord.getMinBufferSize(MIC_RATE, self._channel, self._encoding)
        if least <= 0:  # ERROR or ERROR_BAD_VALUE: this device does not record 16 kHz mono
            raise RuntimeError(f"AudioRecord cannot record {MIC_RATE} Hz mono here ({least})")
        self._buffer_bytes = max(least, 2 * MIC_RATE * BUFFER_MS // 1000)
        self._record: Any = None
        self._effects: list[Any] = []
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    def _open(self) -> None:
        record = self._AudioRecord(self._source, MIC_RATE, self._channel, self._encoding, self._buffer_bytes)
        if record.getState() != self._AudioRecord.STATE_INITIALIZED:
            record.release()  # no permission yet, or another app holds the microphone
            raise RuntimeError("the microphone could not be opened")
        self._effects = self._switch_on_effects(record.getAudioSessionId())
        record.startRecording()
        self._record = record
        self._running.set()
        self._thread = threading.Thread(target=self._read, args=(record,), name="android-mic", daemon=True)
        self._thread.start()

    def _switch_on_effects(self, session: int) -> list[Any]:
        """The echo canceller and noise suppressor as effects, where the device has them (the
        VOICE_COMMUNICATION source already uses them on most; this makes sure on the rest)."""
        effects = []
        for name in ("AcousticEchoCanceler", "NoiseSuppressor"):
            try:
                kind = self._java(f"android.media.audiofx.{name}")
                effect = kind.create(session) if kind.isAvailable() else None
                if effect is not None:
                    effect.setEnabled(True)
                    effects.append(effect)
            except Exception:  # an effect a vendor lists but cannot make: the source's own stays
                continue
        return effects

    def _read(self, record: Any) -> None:
        size = 2 * MIC_RATE * READ_MS // 1000
        buffer = bytearray(size)  # pyjnius copies the Java byte[] back into it after each read
        while self._running.is_set():
            count = record.read(buffer, 0, size)
            if count < 0:  # ERROR_INVALID_OPERATION, ERROR_DEAD_OBJECT...: the microphone went away
                break
            if count:
                self._feed(np.frombuffer(bytes(buffer[: count - count % 2]), dtype="<i2").copy())

    def _close(self) -> None:
        self._running.clear()
        record, self._record = self._record, None
        if record is not None:
            try:
                record.stop()  # ends a read that is waiting
            except Exception:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self._thread = None
        for effect in self._effects:
            try:
                effect.release()
            except Exception:
                pass
        self._effects = []
        if record is not None:
            record.release()
