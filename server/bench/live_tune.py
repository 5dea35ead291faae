"""Tune the live socket's end-of-turn settings on the dev set, on audio alone.

``python -m server.bench.live_tune [ASR_MS ...]``: the dev utterances of ``keepsake bench --live`` (never its
test set) through the turn detector with the judge inline, for a grid of settings: how long after
the last word a complete utterance ends (audio ms, before any answer is made) and how many paused
ones are cut off. Recognition is modelled: the words of a part are there ``ASR_MS`` after a pause
of 150 ms begins (the socket's early recognition on the embedded recogniser), as written text
(a hanging part without its full stop). The socket's own figures, with real recognition and real
load, come from ``keepsake bench --live --dev``.

``python -m server.bench.live_tune --real [ASR_MS ...]``: the words are the embedded recogniser's
instead, run as the socket runs it (server.pipeline.early_asr: a pass over the audio so far once a
pause is 150 ms long) on the audio itself, its words there ``ASR_MS`` of audio after the pass began;
with the socket's settings, and what was heard where a turn was cut off. Each utterance is said
``--renderings N`` times (Piper draws new noise for each: tiny.en hears each a little differently).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import sys
from typing import Any, cast

import numpy as np

from server.bench.live import DEV_COMPLETE, DEV_HANGING, LEAD_S, PAUSES_S, TAIL_S
from server.bench.speech import speak, speak_paused
from server.bench.tablet import pcm16
from server.live import models
from server.live.turn_end import TurnEnd, TurnEndConfig, ends_sentence, may_hang
from server.live.wav import wav_header
from server.pipeline.early_asr import EarlyTranscriber
from server.services.base import Transcript

RATE = 16_000
ASR_MS = (300.0, 400.0, 600.0)  # from a 150 ms pause to the words: a quiet machine to a busy one
# A first pass over complete_pause_ms 150-250 and finished_threshold 0.3-0.7 (words after 550 ms)
# found the end held by the words, not by these two: they stay at 250 ms and Smart Turn's own 0.5.
GRID = {
    "complete_pause_ms": (200.0, 250.0),
    "words_wait_ms": (250.0, 400.0, 600.0),
    "finished_threshold": (0.5,),
}

_judged: dict[tuple[int, str], float] = {}
_finished_probability = models.finished_probability


def _judge(samples_16k: np.ndarray) -> float:
    """Smart Turn's probability, once per audio (the grid asks again and again)."""
    key = (samples_16k.size, hashlib.sha1(samples_16k.tobytes()).hexdigest())
    if key not in _judged:
        _judged[key] = _finished_probability(samples_16k)
    return _judged[key]


def _utterance(parts: list[tuple[str, np.ndarray]], pause_s: float) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The audio, and (start ms, end ms, words) of each part."""
    pieces, spans, at = [np.zeros(int(LEAD_S * RATE), np.float32)], [], int(LEAD_S * RATE)
    for k, (words, audio) in enumerate(parts):
        if k:
            pieces.append(np.zeros(int(pause_s * RATE), np.float32))
            at += int(pause_s * RATE)
        pieces.append(audio)
        spans.append((1000 * at / RATE, 1000 * (at + audio.size) / RATE, words))
        at += audio.size
    pieces.append(np.zeros(int(TAIL_S * RATE), np.float32))
    noise = 0.0005 * np.random.default_rng(len(parts)).standard_normal(sum(p.size for p in pieces)).astype(np.float32)
    return np.concatenate(pieces) + noise, spans


def _end_ms(audio: np.ndarray, spans, config: TurnEndConfig, asr_ms: float) -> float | None:
    detector = TurnEnd(config)

    def words() -> str | None:
        now = detector.heard_ms
        begun = [s for s in spans if s[0] <= now]
        if not begun or begun[-1][1] + 150 + asr_ms > now:
            return None  # the last words spoken are not recognised yet
        return " ".join(s[2] for s in begun)

    def words_coming() -> bool:
        now = detector.heard_ms
        begun = [s for s in spans if s[0] <= now]
        return bool(begun) and begun[-1][1] <= now < begun[-1][1] + 150 + asr_ms

    detector.words = words
    detector.words_coming = words_coming
    for i in range(0, audio.size, RATE // 50):
        for decision in detector.feed(audio[i : i + RATE // 50]):
            if decision.kind == "end_of_turn":
                return decision.at_ms
    return None


_recognised: dict[tuple[int, str], Transcript] = {}


def _recognise(samples: np.ndarray) -> Transcript:
    """The embedded recogniser's words for this audio, once per audio."""
    from server.services.asr_local import transcribe_now

    key = (samples.size, hashlib.sha1(samples.tobytes()).hexdigest())
    if key not in _recognised:
        _recognised[key] = transcribe_now(samples)
    return _recognised[key]


class _ClockedPass:
    """A finished recognition that the clock (audio fed so far) lets out only ``latency`` after it began."""

    def __init__(self, transcript: Transcript, ready_at: int, clock: _OfflineEarly):
        self.transcript, self.ready_at, self.clock = transcript, ready_at, clock

    def done(self) -> bool:
        return self.clock.fed >= self.ready_at

    def cancelled(self) -> bool:
        return False

    def exception(self) -> None:
        return None

    def result(self) -> Transcript:
        return self.transcript

    def cancel(self) -> None:
        pass


class _OfflineEarly(EarlyTranscriber):
    """The socket's early recognition, its passes run at once on the real recogniser, dated by the audio."""

    def __init__(self, asr_ms: float):
        super().__init__(cast(Any, None), pause_s=0.15)  # as server.api.routes.live.WORDS_PAUSE_S
        self.latency = round(asr_ms * RATE / 1000)
        self.fed = 0
        self.transcripts: list[Transcript] = []  # each pass's, in order

    def feed(self, chunk: bytes) -> None:
        self.fed += len(chunk) // 2
        super().feed(chunk)

    def _start_pass(self) -> None:
        audio = np.concatenate(self._chunks)
        self._pass_covers_s = audio.size / RATE
        self.transcripts.append(_recognise(audio))
        self._pass = cast(Any, _ClockedPass(self.transcripts[-1], self.fed + self.latency, self))
        self.passes += 1


def _end_real(audio: np.ndarray, config: TurnEndConfig, asr_ms: float) -> tuple[float | None, str | None, list[Transcript]]:
    """Where the turn ends with the real recogniser, the words it ended on, and every pass's transcript."""
    detector = TurnEnd(config)
    early = _OfflineEarly(asr_ms)
    early.feed(wav_header(RATE))
    early.fed = 0
    detector.words = early.heard_transcript
    detector.words_coming = early.words_coming
    for i in range(0, audio.size, RATE // 50):
        chunk = audio[i : i + RATE // 50]
        early.feed(pcm16(chunk))
        for decision in detector.feed(chunk):
            if decision.kind == "end_of_turn":
                return decision.at_ms, early.heard(), early.transcripts
    return None, early.heard(), early.transcripts


def main_real(latencies: list[float], renderings: int) -> int:
    from types import SimpleNamespace

    from server.api.routes.live import turn_end_config
    from server.config import LiveSettings

    models.finished_probability = _judge
    # The socket's own settings (their defaults), judged inline: the decision depends on the audio alone.
    socket = turn_end_config(cast(Any, SimpleNamespace(settings=SimpleNamespace(live=LiveSettings()))))
    config = dataclasses.replace(socket, judge_inline=True)
    complete = [_utterance([(text, speak(text))], 0.0) for text in DEV_COMPLETE for _ in range(renderings)]
    halves = [(first, rest, speak_paused(first, rest)) for first, rest in DEV_HANGING for _ in range(renderings)]
    for asr_ms in latencies:
        waits = []
        for audio, spans in complete:
            end, words, _ = _end_real(audio, config, asr_ms)
            waits.append(end - spans[-1][1] if end is not None else float("inf"))
            if end is None or end - spans[-1][1] > 1000:
                print(f"  slow: {spans[-1][2]!r} ended {waits[-1]:.0f} ms after its last word on {words!r}")
        cut: dict[float, int] = {}
        tidied = 0  # first halves written as a whole sentence, that the recogniser says may hang
        for pause in PAUSES_S:
            cut[pause] = 0
            for first, rest, (a, b) in halves:
                audio, spans = _utterance([(first, a), (rest, b)], pause)
                end, words, passes = _end_real(audio, config, asr_ms)
                if passes and ends_sentence(passes[0].text) and may_hang(passes[0].last_word):
                    tidied += 1
                if end is not None and end < spans[1][0]:
                    cut[pause] += 1
                    said = passes[0].last_word if passes else ()
                    print(f"  cut off: {first!r} after {end - spans[0][1]:.0f} ms of its {pause:.1f} s pause, on {words!r} {said}")
        n = len(halves)
        print(
            f"words {asr_ms:g} ms after the pass began: end after last word p50 {np.median(waits):.0f} ms, max {max(waits):.0f} ms;"
            f" cut off {sum(cut.values())}/{n * len(PAUSES_S)} (" + ", ".join(f"{p:.1f} s: {c}/{n}" for p, c in cut.items()) + ");"
            f" {tidied} first halves tidied into a sentence that may hang",
            flush=True,
        )
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--real":
        rest, renderings = argv[1:], 1
        if "--renderings" in rest:
            k = rest.index("--renderings")
            renderings = int(rest[k + 1])
            rest = rest[:k] + rest[k + 2 :]
        return main_real([float(a) for a in rest] or [300.0], renderings)
    latencies = [float(a) for a in argv] or ASR_MS
    models.finished_probability = _judge  # memoised for the grid (the detector looks it up on each pause)
    complete = [_utterance([(text, speak(text))], 0.0) for text in DEV_COMPLETE]
    halves = [speak_paused(first, rest) for first, rest in DEV_HANGING]  # one sentence each, the pause put inside
    hanging = {
        pause: [_utterance([(first, a), (rest[:1].upper() + rest[1:], b)], pause) for (first, rest), (a, b) in halves] for pause in PAUSES_S
    }
    print("| words after (ms) | complete_pause_ms | words_wait_ms | finished_threshold | end after last word p50 | max | cut-offs |")
    print("|---|---|---|---|---|---|---|")
    for asr_ms, *values in itertools.product(latencies, *GRID.values()):
        config = TurnEndConfig(judge_inline=True, **dict(zip(GRID, values, strict=True)))
        waits = []
        for audio, spans in complete:
            end = _end_ms(audio, spans, config, asr_ms)
            waits.append(end - spans[-1][1] if end is not None else float("inf"))
        cut = sum(
            (end := _end_ms(audio, spans, config, asr_ms)) is not None and end < spans[1][0]
            for utterances in hanging.values()
            for audio, spans in utterances
        )
        total = sum(len(u) for u in hanging.values())
        print(
            f"| {150 + asr_ms:g} | {values[0]:g} | {values[1]:g} | {values[2]:g} | {np.median(waits):.0f} ms | {max(waits):.0f} ms | {cut}/{total} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
