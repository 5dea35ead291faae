"""The microphone through plyer, where plyer records: Android, Windows, macOS.

plyer records straight to a file (3GPP on Android, WAV elsewhere), so there
are no samples to measure. On Android the recorder still reports its peak
amplitude, which is enough for voice activity detection; elsewhere the
relative ends the utterance with a tap (or the length limit ends it).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from kivy.utils import platform

from client.platform.mic_base import Mic, MicCallback, Recording
from client.vad import Vad, VadConfig


class PlyerMic(Mic):
    name = "plyer"

    def __init__(self) -> None:
        if platform not in ("android", "win", "macosx"):
            raise RuntimeError(f"plyer does not record audio on {platform}")
        from plyer import audio

        self._audio = audio
        self._ext = ".3gp" if platform == "android" else ".wav"
        self._mime = "audio/3gpp" if platform == "android" else "audio/wav"
        self._path: Path | None = None
        self._poll: threading.Thread | None = None
        self._running = threading.Event()
        self._on_event: MicCallback | None = None
        self._vad = Vad()
        self._started = 0.0

    def start(self, on_event: MicCallback) -> None:
        from kivy.app import App

        folder = Path(App.get_running_app().user_data_dir) / "recording"
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{int(time.time() * 1000)}{self._ext}"
        self._audio.file_path = str(self._path)
        self._on_event = on_event
        # Android's peak amplitude is not an RMS level; a higher floor keeps taps and rustle out
        self._vad = Vad(VadConfig(frame_s=0.05, min_level_db=-35.0))
        self._audio.start()
        self._started = time.monotonic()
        self._running.set()
        self._poll = threading.Thread(target=self._watch, name="plyer-mic", daemon=True)
        self._poll.start()

    def _amplitude_db(self) -> float | None:
        recorder = getattr(self._audio, "_recorder", None)  # android.media.MediaRecorder
        if recorder is None:
            return None
        peak = recorder.getMaxAmplitude()  # 0..32767 since the last call
        return 20 * math.log10(peak / 32768.0) if peak > 0 else -100.0

    def _watch(self) -> None:
        while self._running.is_set():
            time.sleep(self._vad.c.frame_s)
            level = self._amplitude_db()
            callback = self._on_event
            if callback is None:
                return
            if level is None:  # no level on this platform: only the length limit ends it
                if time.monotonic() - self._started > self._vad.c.max_utterance_s:
                    callback("end", 0.0)
                    return
                continue
            callback("level", level)
            result = self._vad.feed(level)
            if result:
                callback(result, 0.0)

    def stop(self, folder: Path) -> Recording | None:
        self._running.clear()
        self._on_event = None
        duration = time.monotonic() - self._started
        try:
            self._audio.stop()
        except Exception:  # stopping a recorder that captured nothing throws on Android
            return None
        if self._path is None or not self._path.exists() or self._path.stat().st_size < 512:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self._path.name
        self._path.replace(target)
        return Recording(target, self._mime, duration, self._vad.speaking or self._vad.frames == 0)

    def cancel(self) -> None:
        self._running.clear()
        self._on_event = None
        try:
            self._audio.stop()
        except Exception:
            pass
        if self._path is not None:
            self._path.unlink(missing_ok=True)
