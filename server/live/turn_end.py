"""Has the relative finished? Decided from how and what they said, not from a fixed silence.

Fed the live socket's audio (16 kHz mono float32, any chunk size):

- Silero VAD says, every 32 ms, whether this is speech; speech starts after ``min_speech_ms``
  of it (a cough or a tap is shorter), dated back to its first window;
- at each pause, once it has lasted ``judge_after_ms``, Smart Turn v3.2 judges in the background
  from the sound of the utterance (its last 8 s) whether the speaker has finished;
- the words help where early recognition has them (``words``: what was heard up to the last
  word, or None while no pass covers it): a sentence left hanging on "and", "the", "because",
  "然后", "那个" is unfinished whatever the sound says. So is one the recogniser tidied into a
  whole sentence ("Do you still have them?" for "...have the") when it says it weighed a last
  word no sentence ends on too (``Transcript.last_word``: "the" at 5 % or more), or was guessing
  at its last word.

Judged finished, the turn ends after ``complete_pause_ms``; while no words are there yet, it waits
for them as long as their recognition is running (``words_coming``, up to ``words_wait_max_ms``), or
``words_wait_ms`` when none is; unfinished, only after ``unfinished_pause_ms``, or ``sentence_pause_ms`` when the
words make a whole sentence. Speech that comes back during a pause drops the judgement.

While an answer plays (``guard``, server.live.echo), speech starts only after ``barge_in_ms`` of
windows the VAD calls speech and the guard does not explain as the persona's own voice; that
start is a barge-in (its reason says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.live import models
from server.live.echo import EchoGuard
from server.services.base import Transcript

RATE = 16_000
_WINDOW_MS = models.VAD_WINDOW * 1000 / RATE  # 32 ms

# One judge for the whole process: the inference is CPU work, and the cores are shared.
_judges = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smart-turn")

# A sentence ending on one of these is left hanging, however recognition punctuates it: the speaker is
# looking for the next word ("We went to the market and." is a tidied half, not a sentence).
_NEVER_FINAL_EN = {"and", "or", "but", "because", "cause", "the", "a", "an", "my", "our", "their", "your", "than"}
_FILLERS_EN = {"um", "uh", "er", "erm"}
# These end a sentence often enough ("Can I come in?", "Where are you from?", "Who was she?", "I think so.",
# "What was it like?") that only recognition writing no full stop or question mark after them says the
# voice stayed up. A tidied "...called me and" heard as "...called me in." is left to Transcript.last_word.
_OFTEN_FINAL_EN = {
    "so", "his", "her", "to", "of", "in", "on", "at", "with", "for", "from", "that", "which", "who", "when",
    "if", "then", "like", "is", "was", "were", "we", "i", "he", "she", "they",
}  # fmt: skip
_HANGING_ZH = ("然后", "那个", "这个", "因为", "所以", "但是", "就是", "还有", "而且", "可是", "和", "跟", "的", "嗯", "呃")
_TRAILING = re.compile(r"[\s.!?。！？\"'”’]+$")
# Words no English sentence ends on. Weighed by the recogniser in place of the last word it wrote,
# they say the sentence may be left hanging, whatever its text says ("Do you still have them?", with
# "the" weighed at 15 %). The never-final words as the thresholds below were chosen with them; none of
# the often-final ones: a sentence does end on "so", "were" or "in" ("I think so."), and the recogniser
# weighs them for "sew" or "wore" alike.
_NEVER_LAST_EN = {"the", "a", "an", "and", "but", "because", "my", "your", "our", "their", "of"}
# How much of them, in place of the word written, says "may hang". Chosen on the dev set and other
# sentences (never the benchmark's test set), with live_tune --real: the dev set's tidied hanging halves
# weighed them at 7-34 %, 140 renderings of 47 whole sentences at 3.6 % at most.
HANGING_DOUBT = 0.05
# The recogniser wrote its last word with less than this probability: it was guessing there, and its
# words cannot say the sentence is whole (the dev set's "We drove to the coast and" came out "...in
# here." or "...in the air.", the last word at 9-26 %). Whole sentences' last words were written at
# 23 % ("Did you like him?", once in 140) to 99 %: so guessed, a whole sentence waits the long pause.
SURE_LAST_WORD = 0.3


def may_hang(last_word: Sequence[tuple[str, float]]) -> bool:
    """Does the recogniser say its words may stop mid-sentence though they read whole? It weighed, in
    place of the last word it wrote, one no sentence ends on ("the" for "them"), or it was guessing
    at that word. (No: it does not say.)"""
    if not last_word:
        return False
    instead = sum(p for word, p in last_word[1:] if word.lower() in _NEVER_LAST_EN)
    return instead >= HANGING_DOUBT or last_word[0][1] < SURE_LAST_WORD


def left_hanging(words: str, last_word: Sequence[tuple[str, float]] = ()) -> bool:
    """Does this transcript stop in the middle of a sentence? ``last_word``: the recogniser's choices
    for its last word, when it can say (``Transcript.last_word``)."""
    text = words.strip()
    if not text:
        return False
    if may_hang(last_word):
        return True
    if re.search(r"(,|，|、|…|\.\.\.|-|—)\s*$", text):
        return True  # recognition itself heard the voice stay up
    text = _TRAILING.sub("", text)
    if text.endswith(_HANGING_ZH):
        return True
    last = re.findall(r"[a-z']+", text.lower())
    if not last:
        return False
    if last[-1] in _NEVER_FINAL_EN or last[-1] in _FILLERS_EN:
        return True
    return last[-1] in _OFTEN_FINAL_EN and re.search(r"[.!?]\W*$", words.strip()) is None


def ends_sentence(words: str, last_word: Sequence[tuple[str, float]] = ()) -> bool:
    """A whole sentence, as recognition writes one: a full stop or a question mark, nothing hanging."""
    text = words.strip().rstrip("\"'”’")
    return bool(re.search(r"[.!?。！？]$", text)) and not text.endswith("...") and not left_hanging(text, last_word)


@dataclass(frozen=True)
class TurnEndConfig:
    vad_threshold: float = 0.5
    min_speech_ms: float = 96.0
    judge_after_ms: float = 64.0
    complete_pause_ms: float = 250.0
    unfinished_pause_ms: float = 3000.0
    words_wait_ms: float = 600.0
    words_wait_max_ms: float = 1500.0
    sentence_pause_ms: float = 1200.0
    finished_threshold: float = 0.5
    barge_in_ms: float = 192.0
    # Judge in the caller's thread: the decision then depends on the audio alone, never on how
    # busy the machine is (tests and offline measurement). The socket judges in the background.
    judge_inline: bool = False


@dataclass(frozen=True)
class Decision:
    kind: str  # "speech_started" or "end_of_turn"
    at_ms: int  # audio milliseconds since the stream began
    reason: str = ""  # for an end: "finished", "unfinished_timeout", ...; for a start: "barge_in" or ""


class TurnEnd:
    def __init__(
        self,
        config: TurnEndConfig | None = None,
        words: Callable[[], str | Transcript | None] | None = None,
        guard: EchoGuard | None = None,
        words_coming: Callable[[], bool] | None = None,
    ):
        self.config = config or TurnEndConfig()
        self.words = words or (lambda: None)
        # Is the recognition of the last word running? (None: no recogniser, words come or not by the clock.)
        self.words_coming = words_coming or (lambda: False)
        self.guard = guard
        self._vad = models.SileroVad()
        self._pending = np.zeros(0, np.float32)
        self._audio: list[np.ndarray] = []  # this utterance's audio, for the judge
        self._windows = 0  # windows seen since the stream began
        self._run = 0
        self._started_window: int | None = None
        self._last_voiced: int | None = None
        self._judgement: Future[Any] | None = None
        self._judged_window: int | None = None
        self._pause_words: Transcript | None = None
        self.probability: float | None = None  # the last judgement, for the record
        self.ended = False

    @property
    def heard_ms(self) -> int:
        return round(self._windows * _WINDOW_MS)

    @property
    def heard_samples(self) -> int:
        """Samples (16 kHz) fed since the stream began, the echo guard's clock."""
        return self._windows * models.VAD_WINDOW + self._pending.size

    @property
    def speaking(self) -> bool:
        return self._started_window is not None and not self.ended

    def next_turn(self) -> None:
        """Listen for a new utterance (the clock keeps running from the stream's start)."""
        self._vad.reset()
        self._audio.clear()
        self._run = 0
        self._started_window = self._last_voiced = self._judged_window = None
        self._judgement = None
        self._pause_words = None
        self.probability = None
        self.ended = False

    def feed(self, samples: np.ndarray) -> list[Decision]:
        """Decisions in this audio. After the end, the audio still runs the clock (and the echo
        guard's microphone), so that every sample since ``start`` keeps its date."""
        data = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        whole = data.size - data.size % models.VAD_WINDOW
        self._pending = data[whole:].copy()
        out: list[Decision] = []
        for window in data[:whole].reshape(-1, models.VAD_WINDOW):
            decision = self._step(window)
            if decision is not None:
                out.append(decision)
        return out

    def _step(self, window: np.ndarray) -> Decision | None:
        c = self.config
        index = self._windows
        self._windows += 1
        now = self._windows * models.VAD_WINDOW  # the sample after this window
        if self.guard is not None:
            self.guard.heard(window, now)
        if self.ended:
            return None
        voiced = self._vad(window) >= c.vad_threshold
        self._audio.append(window)
        if self._started_window is None:
            playing = self.guard is not None and self.guard.active(now)
            if voiced and playing:
                assert self.guard is not None  # playing says so
                voiced = not self.guard.is_echo()  # the persona's own voice coming back is nobody speaking
            self._run = self._run + 1 if voiced else 0
            if self._run * _WINDOW_MS < (c.barge_in_ms if playing else c.min_speech_ms):
                # Keep a little sound from before the speech: the judge hears its onset.
                del self._audio[: max(0, len(self._audio) - 16)]
                return None
            self._started_window = self._last_voiced = index - self._run + 1
            return Decision("speech_started", round(self._started_window * _WINDOW_MS), "barge_in" if playing else "")
        if voiced:
            self._last_voiced = index
            self._judgement = self._judged_window = None  # they went on: the pause was not the end
            self._pause_words = None
            return None
        return self._in_pause(index)

    def _in_pause(self, index: int) -> Decision | None:
        c = self.config
        assert self._last_voiced is not None  # set with _started_window, and a pause only follows speech
        pause_ms = (index - self._last_voiced) * _WINDOW_MS
        if pause_ms >= c.unfinished_pause_ms:
            return self._end("unfinished_timeout")
        if self._judgement is None and pause_ms >= c.judge_after_ms:
            audio = np.concatenate(self._audio)
            if c.judge_inline:
                self._judgement = Future()
                self._judgement.set_result(models.finished_probability(audio))
            else:
                self._judgement = _judges.submit(models.finished_probability, audio)
            self._judged_window = index
        if pause_ms < c.complete_pause_ms or self._judgement is None or not self._judgement.done():
            return None
        try:
            self.probability = self._judgement.result()
        except Exception:  # a judge that fails leaves the turn to the long pause
            return None
        # Words heard in this pause hold until the voice comes back: a pass that no longer covers
        # the last word (the relative drew breath to go on) must not turn "and" into "finished".
        heard = self.words()
        if heard is not None:
            self._pause_words = heard if isinstance(heard, Transcript) else Transcript(heard)
        words = self._pause_words
        if self.probability < c.finished_threshold:
            # The voice sounds unfinished, but the words make a whole sentence: a flat voice (a tired
            # one, a synthetic one) still gets its answer well before the long wait is over.
            if words is not None and ends_sentence(words.text, words.last_word) and pause_ms >= c.sentence_pause_ms:
                return self._end("words_complete")
            return None
        if words is None:
            # Recognition is still on its way: worth waiting for, it may hear a hanging "and" (Smart
            # Turn hears a synthetic "...and" as finished). While its pass runs, the wait follows the
            # pass (a busy machine recognises slowly), not a clock tuned on a quiet one.
            wait_ms = c.words_wait_max_ms if self.words_coming() else c.words_wait_ms
            return self._end("finished") if pause_ms >= c.complete_pause_ms + wait_ms else None
        return None if left_hanging(words.text, words.last_word) else self._end("finished")

    def _end(self, reason: str) -> Decision:
        self.ended = True
        return Decision("end_of_turn", self.heard_ms, reason)

    def utterance(self) -> np.ndarray:
        return np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
