"""Is what the microphone hears the persona's own voice coming back from the loudspeaker?

The server knows the audio it sent (each sentence of the answer) and, from the tablet's
``playback`` reports, when each sentence began to play. The microphone's last ``window_ms`` are
compared with the played audio wherever it could be heard now: after a loudspeaker-to-microphone
delay of 0 to ``max_delay_ms``, at a level ``loudest_echo_db`` or more below what was played.

It is the persona's voice when either
- the microphone's sound matches the played audio (normalised cross-correlation at the best
  delay of at least ``correlation``: a voice on top of the echo pulls it down), or
- the microphone is no louder than the loudest echo the played audio could make there (a
  relative who speaks over the persona is louder than its echo).

Both work on one clock: samples at 16 kHz since the socket's ``start`` (the turn detector's
windows). This is no echo canceller: Android's VOICE_COMMUNICATION source cancels the echo in
hardware first; on a desktop the guard is all there is (README, "Echo").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RATE = 16_000
_STEP = 2  # compared at 8 kHz: speech's energy is below 4 kHz, and it halves the work


@dataclass(frozen=True)
class EchoConfig:
    # Loudspeaker to microphone: the tablet's output and input buffers plus the air (0-300 ms).
    max_delay_ms: float = 300.0
    # A ``playback`` report crosses the network after the sentence began: it may be this late.
    report_slack_ms: float = 150.0
    # Without a report, a sentence begins at most this long after it was sent (the tablet fetches it).
    start_slack_ms: float = 1500.0
    # The room rings on after the last sentence.
    tail_ms: float = 300.0
    # The microphone audio compared, ending at the window being judged.
    window_ms: float = 256.0
    correlation: float = 0.5
    loudest_echo_db: float = -6.0
    margin_db: float = 3.0


@dataclass
class _Sentence:
    audio: np.ndarray  # 16 kHz mono float32, as played
    sent_at: int  # the sample at which the server sent it: it cannot begin earlier
    reported_at: int | None = None  # the sample at which the tablet said it began
    known: bool = True  # False: its audio could not be read, so anything heard meanwhile may be it


@dataclass
class EchoGuard:
    config: EchoConfig = field(default_factory=EchoConfig)

    def __post_init__(self) -> None:
        self.turn_id: str | None = None
        self._sentences: list[_Sentence] = []
        self._reported = -1  # the last sentence the tablet said it began
        self._stopped = True
        self._mic = np.zeros(self._ms(self.config.window_ms), np.float32)
        self._mic_end = 0  # the sample after the last one heard

    @staticmethod
    def _ms(ms: float) -> int:
        return int(round(ms * RATE / 1000))

    # What is played -------------------------------------------------------------
    def new_answer(self) -> None:
        self.turn_id = None
        self._sentences = []
        self._reported = -1
        self._stopped = False

    def sent(self, audio: np.ndarray, at: int, known: bool = True) -> None:
        """The server sent the next sentence of the answer at sample ``at`` (``known`` False: only
        its length is known, and while it may play nothing interrupts)."""
        self._sentences.append(_Sentence(np.asarray(audio, np.float32).reshape(-1), at, known=known))

    def answered(self, turn_id: str) -> None:
        self.turn_id = turn_id

    def report(self, index: int, at: int, playing: bool) -> None:
        """The tablet began sentence ``index`` (playing) or stopped playing, heard at sample ``at``."""
        if not playing:
            self._stopped = True
        elif 0 <= index < len(self._sentences):
            self._sentences[index].reported_at = at
            self._reported = max(self._reported, index)

    def stop(self) -> None:
        self._stopped = True

    def _bounds(self) -> list[tuple[int, int]]:
        """The earliest and latest sample at which each sentence can have begun to play."""
        c = self.config
        out: list[tuple[int, int]] = []
        for s in self._sentences:
            if s.reported_at is not None:
                lo, hi = s.reported_at - self._ms(c.report_slack_ms), s.reported_at
            else:
                lo, hi = s.sent_at, s.sent_at + self._ms(c.start_slack_ms)
            if out:  # one after another: a sentence begins once the one before has played
                prev_lo, prev_hi = out[-1]
                length = len(self._sentences[len(out) - 1].audio)
                lo = max(lo, prev_lo + length)
                if s.reported_at is None:
                    hi = max(hi, prev_hi + length)
            out.append((lo, max(lo, hi)))
        return out

    def active(self, at: int) -> bool:
        """Can the microphone hear the answer at sample ``at``?"""
        if self._stopped or self.turn_id is None or not self._sentences:
            return False
        lo, hi = self._bounds()[-1]
        end = hi + len(self._sentences[-1].audio) + self._ms(self.config.max_delay_ms + self.config.tail_ms)
        return at <= end

    def sentences_played(self, at: int) -> int:
        """How many sentences had been played whole by sample ``at``: what the tablet said, or
        else the sentences that must have ended by then (the latest each could have begun)."""
        played = max(0, self._reported)
        for k, (_, hi) in enumerate(self._bounds()):
            if k >= played and hi + len(self._sentences[k].audio) <= at:
                played = k + 1
        return played

    # What is heard ---------------------------------------------------------------
    def heard(self, samples: np.ndarray, end: int) -> None:
        """Microphone audio (16 kHz) whose last sample is ``end - 1``."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        size = self._mic.size
        self._mic = np.concatenate([self._mic, samples])[-size:]
        self._mic_end = end

    def is_echo(self) -> bool:
        """Is the microphone's last window explained by the answer being played?"""
        c = self.config
        mic = self._mic[: self._mic.size - self._mic.size % _STEP].reshape(-1, _STEP).mean(axis=1)
        mic_energy = float(np.dot(mic, mic))
        if mic_energy <= 1e-9:
            return True  # silence interrupts nobody
        start = self._mic_end - self._mic.size  # the window's first sample
        delay = self._ms(c.max_delay_ms)
        best_corr, loudest = 0.0, 0.0
        for sentence, (lo, hi) in zip(self._sentences, self._bounds(), strict=True):
            # Where in the sentence the window's first sample can be: begun at lo..hi, heard 0..delay later.
            q_min, q_max = start - hi - delay, start - lo
            if q_max + self._mic.size <= 0 or q_min >= sentence.audio.size:
                continue
            if not sentence.known:
                return True
            corr, level = _match(mic, sentence.audio, q_min, q_max)
            best_corr, loudest = max(best_corr, corr), max(loudest, level)
        if best_corr >= c.correlation:
            return True
        mic_rms = np.sqrt(mic_energy / mic.size)
        return bool(mic_rms <= loudest * 10 ** ((c.loudest_echo_db + c.margin_db) / 20))


def _match(mic: np.ndarray, audio: np.ndarray, q_min: int, q_max: int) -> tuple[float, float]:
    """The best normalised cross-correlation of ``mic`` (8 kHz) with the played ``audio`` (16 kHz)
    starting anywhere from ``q_min`` to ``q_max`` (16 kHz samples, may lie outside the audio),
    and the loudest RMS the played audio has over a window of the same length there."""
    n = mic.size
    a = q_min // _STEP
    b = q_max // _STEP + 1
    ref16 = audio[: audio.size - audio.size % _STEP].reshape(-1, _STEP).mean(axis=1)
    lo, hi = a, b + n  # the stretch of the reference the window can lie on
    ref = np.zeros(hi - lo, np.float32)
    src_lo, src_hi = max(lo, 0), min(hi, ref16.size)
    if src_hi > src_lo:
        ref[src_lo - lo : src_hi - lo] = ref16[src_lo:src_hi]
    size = 1 << int(np.ceil(np.log2(ref.size + n)))
    # Correlation at every offset at once, by FFT; each normalised by the reference's energy there.
    spectrum = np.fft.rfft(ref, size) * np.conj(np.fft.rfft(mic, size))
    dots = np.fft.irfft(spectrum, size)[: ref.size - n + 1]
    energy = np.concatenate([[0.0], np.cumsum(ref.astype(np.float64) ** 2)])
    window_energy = np.maximum(energy[n:] - energy[:-n], 0.0)
    mic_norm = float(np.sqrt(np.dot(mic, mic)))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(window_energy > 1e-9, dots / (np.sqrt(window_energy) * mic_norm), 0.0)
    return float(np.max(np.abs(corr))), float(np.sqrt(np.max(window_energy) / n))
