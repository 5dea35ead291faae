"""Voice activity detection: when did the relative start talking, and when did they stop?

Energy-based with an adaptive noise floor. It works on a loudness level per
short frame, so every microphone can feed it: the PCM ones compute the level
from samples, Android's recorder reports its own amplitude.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class VadConfig:
    frame_s: float = 0.03
    end_silence_s: float = 1.0  # about a second of quiet ends the utterance
    start_speech_s: float = 0.12  # this much voice in a row starts it (a cough is shorter)
    calibrate_s: float = 0.24  # the first moments measure the room (speech here still gets recorded)
    no_speech_timeout_s: float = 8.0  # nobody spoke: give up gently
    max_utterance_s: float = 45.0
    min_level_db: float = -45.0  # quieter than this is never speech
    above_noise_db: float = 12.0  # speech is this much louder than the room


class Vad:
    """Feed one level per frame; returns "start", "end", "timeout" once each, else None."""

    def __init__(self, config: VadConfig | None = None) -> None:
        self.c = config or VadConfig()
        self.noise_db = -60.0
        self.frames = 0
        self.speaking = False
        self.ended = False
        self.voiced_run = 0
        self.silent_run = 0
        self.speech_start_frame: int | None = None
        self.last_voiced_frame: int | None = None

    def _frames(self, seconds: float) -> int:
        return max(1, round(seconds / self.c.frame_s))

    def feed(self, level_db: float) -> str | None:
        self.frames += 1
        if self.ended:
            # Reported already; on the live socket the server decides and the recording goes on,
            # so the speech's end still follows a relative who carried on after a long pause.
            if self.speaking and level_db > max(self.c.min_level_db, self.noise_db + self.c.above_noise_db):
                self.last_voiced_frame = self.frames
            return None
        level_db = max(level_db, -80.0)
        if self.frames <= self._frames(self.c.calibrate_s):
            # the quietest moment of the first quarter second is the room
            self.noise_db = level_db if self.frames == 1 else min(self.noise_db, level_db)
            return None
        threshold = max(self.c.min_level_db, self.noise_db + self.c.above_noise_db)
        voiced = level_db > threshold
        if not voiced:
            # follow the room on quiet frames only (so speech never raises the floor): down fast, up slowly
            rate = 0.3 if level_db < self.noise_db else 0.05
            self.noise_db += rate * (level_db - self.noise_db)
        if voiced:
            self.voiced_run += 1
            self.silent_run = 0
            self.last_voiced_frame = self.frames
        else:
            self.voiced_run = 0
            self.silent_run += 1

        if not self.speaking:
            if self.voiced_run >= self._frames(self.c.start_speech_s):
                self.speaking = True
                self.speech_start_frame = self.frames - self.voiced_run
                return "start"
            if self.frames >= self._frames(self.c.no_speech_timeout_s):
                self.ended = True
                return "timeout"
            return None
        if self.silent_run >= self._frames(self.c.end_silence_s) or self.frames >= self._frames(self.c.max_utterance_s):
            self.ended = True
            return "end"
        return None

    def speech_bounds_s(self, pad_s: float = 0.35) -> tuple[float, float] | None:
        """Start and end of the speech in seconds from the start of recording, padded a little."""
        if self.speech_start_frame is None or self.last_voiced_frame is None:
            return None
        start = max(0.0, self.speech_start_frame * self.c.frame_s - pad_s)
        end = self.last_voiced_frame * self.c.frame_s + pad_s
        return start, end
