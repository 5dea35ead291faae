"""Platform pieces behind small interfaces: pick the microphone and the sound output for this device.

- microphone: ``KEEPSAKE_MIC_FILE`` (a WAV spoken into the app) wins; then on
  Android ``AudioRecord`` from the VOICE_COMMUNICATION source (the device's echo
  canceller on, the samples streamed to the live socket), plyer's recorder if it
  cannot open; plyer on Windows and macOS; sounddevice on desktop Linux (and as a
  second choice elsewhere); with none available the talk button still works
  but nothing is heard, and the app says so.
- sound: ``KEEPSAKE_AUDIO=null|sounddevice|kivy`` forces one; otherwise Kivy's
  SoundLoader on Android/iOS, PortAudio where it finds an output device, and
  a null sink that keeps real time everywhere else (no sound card).
"""

from __future__ import annotations

import logging
import os

from client.platform.mic_base import Mic, Recording
from client.player import PcmPlayer, Player

log = logging.getLogger("keepsake")


class NoMic(Mic):
    name = "none"

    def start(self, on_event) -> None:
        on_event("timeout", 0.0)

    def stop(self, folder):
        return None

    def cancel(self) -> None:
        pass


def make_mic() -> Mic:
    from kivy.utils import platform

    spec = os.environ.get("KEEPSAKE_MIC_FILE")
    if spec:
        from client.platform.mic_file import FileMic

        return FileMic(spec, os.environ.get("KEEPSAKE_MIC_OVER_FILE", ""))
    if platform == "android":
        order = ["android", "plyer"]
    else:
        order = ["plyer", "sounddevice"] if platform in ("win", "macosx") else ["sounddevice", "plyer"]
    for name in order:
        try:
            if name == "android":
                from client.platform.mic_android import AndroidMic

                return AndroidMic()
            if name == "plyer":
                from client.platform.mic_plyer import PlyerMic

                return PlyerMic()
            from client.platform.mic_sounddevice import SoundDeviceMic

            return SoundDeviceMic()
        except Exception as exc:  # each platform fails differently: a missing library, no device
            log.info("microphone %s unavailable: %s", name, exc)
    log.warning("no microphone found; the talk button will not hear anything")
    return NoMic()


def make_player() -> Player:
    from kivy.utils import platform

    choice = os.environ.get("KEEPSAKE_AUDIO", "").lower()
    if not choice:
        choice = "kivy" if platform in ("android", "ios") else "sounddevice"
    if choice == "kivy":
        from client.platform.out_kivy import KivyPlayer

        return KivyPlayer()
    if choice == "sounddevice":
        try:
            from client.platform.out_sounddevice import SoundDeviceOutput

            return PcmPlayer(SoundDeviceOutput)
        except Exception as exc:
            log.info("no sound device (%s); playing to a silent clock", exc)
    from client.platform.out_null import NullOutput

    return PcmPlayer(NullOutput)


__all__ = ["Mic", "Recording", "make_mic", "make_player"]
