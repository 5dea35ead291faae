"""Playback through Kivy's SoundLoader, for platforms without PortAudio (Android, iOS).

Each sentence becomes a small WAV file that is loaded as soon as it arrives,
so the next one starts the moment the current one ends (a gap of a frame or
two, not a reload). Position comes from the sound itself, so the mouth follows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kivy.core.audio import Sound, SoundLoader

from client.audio import to_int16, write_wav
from client.player import PLAYER_RATE, Player, Position, Segment


class KivyPlayer(Player):
    name = "kivy"

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="keepsake-audio-"))
        self._queue: list[tuple[Segment, Sound]] = []  # (segment, kivy Sound), first one playing
        self._count = 0
        self.volume = 0.8

    def enqueue(self, segment: Segment) -> None:
        self._count += 1
        path = self._folder / f"s{self._count}.wav"
        write_wav(path, to_int16(segment.samples), PLAYER_RATE)
        sound = SoundLoader.load(str(path))
        if sound is None:
            return
        sound.volume = self.volume
        sound.bind(on_stop=self._on_stop)
        self._queue.append((segment, sound))
        if len(self._queue) == 1:
            sound.play()

    def _on_stop(self, sound) -> None:
        if self._queue and self._queue[0][1] is sound:
            self._queue.pop(0)
            sound.unload()
            if self._queue:
                nxt = self._queue[0][1]
                nxt.volume = self.volume
                nxt.play()

    def stop(self) -> None:
        queue, self._queue = self._queue, []
        for _, sound in queue:
            sound.unbind(on_stop=self._on_stop)
            sound.stop()
            sound.unload()

    def position(self) -> Position:
        if not self._queue:
            return Position(None)
        segment, sound = self._queue[0]
        return Position(segment, max(0.0, float(sound.get_pos() or 0.0)))

    def busy(self) -> bool:
        return bool(self._queue)
