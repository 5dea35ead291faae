"""Tune the live socket's end-of-turn settings on the dev set, on audio alone.

``python -m server.bench.live_tune [ASR_MS ...]``: the dev utterances of ``keepsake bench --live`` (never its
test set) through the turn detector with the judge inline, for a grid of settings: how long after
the last word a complete utterance ends (audio ms, before any answer is made) and how many paused
ones are cut off. Recognition is modelled: the words of a part are there ``ASR_MS`` after a pause
of 150 ms begins (the socket's early recognition on the embedded recogniser), as written text
(a hanging part without its full stop). The socket's own figures, with real recognition and real
load, come from ``keepsake bench --live --dev``.
"""

from __future__ import annotations

import hashlib
import itertools
import sys

import numpy as np

from server.bench.live import DEV_COMPLETE, DEV_HANGING, LEAD_S, PAUSES_S, TAIL_S
from server.bench.speech import speak, speak_paused
from server.live import models
from server.live.turn_end import TurnEnd, TurnEndConfig

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


def main(argv: list[str]) -> int:
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
