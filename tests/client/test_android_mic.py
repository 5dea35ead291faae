"""The Android microphone's own logic, off a device: which source and effects it asks for, and how
it turns AudioRecord's bytes into the PCM the tablet streams.

Android's classes exist only on a device, so a small stand-in answers here with AudioRecord's
documented constants and behaviour (read fills the byte[] it is given and returns the count; a
negative count is an error). This checks Keepsake's side only; it was not run on a tablet.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from client.audio import MIC_RATE
from client.platform.mic_android import AndroidMic

VOICE_COMMUNICATION = 7  # MediaRecorder.AudioSource.VOICE_COMMUNICATION
CHANNEL_IN_MONO, ENCODING_PCM_16BIT, STATE_INITIALIZED = 16, 2, 1


class _Record:
    pcm = b""
    opened: list[tuple] = []

    def __init__(self, source, rate, channel, encoding, buffer_bytes) -> None:
        _Record.opened.append((source, rate, channel, encoding, buffer_bytes))
        self.pcm, self.at, self.stopped = _Record.pcm, 0, threading.Event()

    @staticmethod
    def getMinBufferSize(rate, channel, encoding) -> int:
        return 1280

    def getState(self) -> int:
        return STATE_INITIALIZED

    def getAudioSessionId(self) -> int:
        return 42

    def startRecording(self) -> None:
        pass

    def read(self, buffer: bytearray, offset: int, size: int) -> int:
        if self.at >= len(self.pcm):
            self.stopped.wait(1)
            return -3  # ERROR_INVALID_OPERATION once stopped
        piece = self.pcm[self.at : self.at + size]
        buffer[: len(piece)] = piece
        self.at += len(piece)
        return len(piece)

    def stop(self) -> None:
        self.stopped.set()

    def release(self) -> None:
        pass


class _Effect:
    made: list[tuple[str, int]] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def isAvailable(self) -> bool:
        return True

    def create(self, session: int):
        _Effect.made.append((self.name, session))
        return self

    def setEnabled(self, on: bool) -> None:
        pass

    def release(self) -> None:
        pass


def _java(name: str):
    short = name.rsplit(".", 1)[-1]
    if short == "AudioRecord":
        _Record.STATE_INITIALIZED = STATE_INITIALIZED
        return _Record
    if short == "AudioFormat":
        return type("AudioFormat", (), {"CHANNEL_IN_MONO": CHANNEL_IN_MONO, "ENCODING_PCM_16BIT": ENCODING_PCM_16BIT})
    if short == "MediaRecorder$AudioSource":
        return type("AudioSource", (), {"VOICE_COMMUNICATION": VOICE_COMMUNICATION})
    return _Effect(short)


@pytest.fixture
def spoken() -> bytes:
    t = np.arange(MIC_RATE) / MIC_RATE
    return (8000 * np.sin(2 * np.pi * 200 * t)).astype("<i2").tobytes()


def test_it_records_from_voice_communication_with_the_echo_canceller_on_and_streams_every_sample(spoken, tmp_path):
    _Record.pcm, _Record.opened, _Effect.made = spoken, [], []
    mic = AndroidMic(java=_java)
    streamed: list[bytes] = []
    got_all = threading.Event()

    def on_pcm(pcm: bytes) -> None:
        streamed.append(pcm)
        if sum(map(len, streamed)) >= len(spoken):
            got_all.set()

    mic.start(lambda kind, value: None, on_pcm=on_pcm)
    assert got_all.wait(10)
    recording = mic.stop(tmp_path)
    [(source, rate, channel, encoding, buffer_bytes)] = _Record.opened
    assert (source, rate, channel, encoding) == (VOICE_COMMUNICATION, MIC_RATE, CHANNEL_IN_MONO, ENCODING_PCM_16BIT)
    assert buffer_bytes >= 1280
    assert _Effect.made == [("AcousticEchoCanceler", 42), ("NoiseSuppressor", 42)]
    assert b"".join(streamed) == spoken  # every sample, in order, as 16-bit PCM
    assert recording is not None and recording.mime == "audio/wav"


def test_a_device_that_cannot_record_16_khz_mono_is_refused():
    class NoRecord(_Record):
        @staticmethod
        def getMinBufferSize(rate, channel, encoding) -> int:
            return -2  # ERROR_BAD_VALUE

    with pytest.raises(RuntimeError):
        AndroidMic(java=lambda name: NoRecord if name.endswith("AudioRecord") else _java(name))
