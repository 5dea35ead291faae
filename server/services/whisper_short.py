"""Whisper on a window as long as the clip, not 30 s: the encoder's cost follows the speech.

faster-whisper pads every input to Whisper's 30 s window, so a 5 s question
costs as much to encode as a 30 s one (most of the recognition time on a
tablet-sized CPU). CTranslate2's Whisper takes shorter inputs, and the encoder
then costs a fraction (about 25 ms instead of 200 ms for 5 s of speech with
tiny.en on two cores).

Whisper was trained on 30 s windows, so on a short window it sometimes says
the question again and again to fill the space. Decoding with timestamps
shows where it puts each piece of text; text it places after the end of the
audio is not in the audio. Anything that still looks wrong (a piece never
closed, an end past the audio, a repetitive or unsure text, more words than
anyone says in that time, a sentence said twice) returns None, and the caller runs faster-whisper's
ordinary 30 s decoding instead: this path only ever saves time, never
accuracy.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16_000
HOP = 160  # samples per mel frame (10 ms)
MAX_CLIP_S = 25.0  # longer clips take the ordinary path (room is needed for the margin)
MARGIN_S = 1.0  # at least this much padding after the audio: Whisper needs room to see the end
STEP_S = 1.0  # windows come in whole seconds, so a few shapes are reused
WORDS_PER_S = 4.5  # faster than anyone speaks: repeated text
CHARS_PER_S = 8.0  # the same for Chinese, where a character is a syllable (brisk Mandarin is about 5 a second)
_CJK = re.compile(r"[\u3400-\u9fff]")
# The same one to four characters four times in a row: Whisper's loop in Chinese ("树树树树", "我们我们我们我们").
_LOOPS_IN_CHINESE = re.compile(r"([\u3400-\u9fff]{1,4})\1{3,}")
BEYOND_END_S = 0.1  # a piece that starts this close to the end has no words in it
# faster-whisper's own thresholds for a decoding to retry (compression_ratio_threshold, log_prob_threshold).
MAX_COMPRESSION = 2.4
MIN_AVG_LOGPROB = -1.0
NO_SPEECH_PROB = 0.6


def _repeats_itself(text: str) -> bool:
    """A sentence said twice, or three words in a row twice: the filling-the-window loop (or a real
    repetition, which the ordinary path then transcribes: only time is lost)."""
    # A sentence is its words, or its characters in Chinese (which has no spaces to split on).
    sentences = [" ".join(re.findall(r"[a-z0-9']+", s.lower())) + "".join(_CJK.findall(s)) for s in re.split(r"[.?!。？！]+", text)]
    sentences = [s for s in sentences if s]
    words = re.findall(r"[a-z0-9']+", text.lower())
    triples = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return len(set(sentences)) < len(sentences) or len(set(triples)) < len(triples)


def _too_much_for_the_time(text: str, content_s: float) -> bool:
    """More words (or, in Chinese, characters) than anyone says in that time: repeated text."""
    chinese = len(_CJK.findall(text))
    return len(text.split()) > WORDS_PER_S * content_s + 1 or chinese > CHARS_PER_S * content_s + 2


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def window_frames(n_samples: int) -> int:
    """Mel frames of the window for a clip: the clip, a margin, rounded up to a whole step (even for the encoder)."""
    step = int(STEP_S * RATE)
    samples = math.ceil((n_samples + MARGIN_S * RATE) / step) * step
    return min(3000, samples // HOP)


LAST_WORD_CHOICES = 12  # how many of the recogniser's choices for the last word are kept
_WORD_START = re.compile(r"^ [A-Za-z]")  # a token that begins an English word: a space, then a letter


@dataclass(frozen=True)
class Decoded:
    text: str
    avg_logprob: float  # Whisper's average log-probability for the text
    # The words the recogniser weighed where it wrote the text's last word, with their probabilities,
    # most likely first (the one written among them): "them" 0.93, "the" 0.05 says the sentence may
    # hang on "the" though the text reads whole. Empty when there is no such word (Chinese, no text).
    last_word: tuple[tuple[str, float], ...] = ()


def _softmax(logits: Any) -> np.ndarray:
    x = np.asarray(logits, np.float64)
    e = np.exp(x - x.max())
    p: np.ndarray = e / e.sum()
    return p


class ShortWindow:
    """Transcribes short clips with a model loaded by faster-whisper (``WhisperModel``)."""

    def __init__(self, model: Any, language: str = "en"):
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        tok = self.tokenizer
        # The tokens faster-whisper suppresses by default (suppress_tokens=[-1]).
        self.suppress = sorted(
            set(tok.non_speech_tokens) | {tok.transcribe, tok.translate, tok.sot, tok.sot_prev, tok.sot_lm, tok.no_speech}
        )
        self.prompt = list(tok.sot_sequence)  # with timestamps: they tell where the text sits in the window

    def transcribe(self, samples: np.ndarray) -> str | None:
        """The text of a 16 kHz mono clip, or None when this path cannot vouch for it."""
        scored = self.transcribe_scored(samples)
        return None if scored is None else scored.text

    def transcribe_scored(self, samples: np.ndarray) -> Decoded | None:
        """The text, Whisper's average log-probability for it and its choices for the last word, or
        None when this path cannot vouch for the text.

        The score lets the caller tell speech it heard well from speech it could
        only guess at (tiny.en given Chinese guesses English words)."""
        import ctranslate2

        if samples.size > MAX_CLIP_S * RATE:
            return None
        content_s = samples.size / RATE
        frames = window_frames(samples.size)
        mel = self.model.feature_extractor(samples)[:, :frames]
        window = np.zeros((mel.shape[0], frames), np.float32)  # padded with zeros, as faster-whisper pads its 30 s
        window[:, : mel.shape[1]] = mel
        max_length = min(448, len(self.prompt) + 20 + int(12 * content_s))
        result = self.model.model.generate(
            ctranslate2.StorageView.from_array(window[None]),
            [self.prompt],
            beam_size=1,
            max_length=max_length,
            return_scores=True,
            return_logits_vocab=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self.suppress,
            max_initial_timestamp_index=50,
        )[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < MIN_AVG_LOGPROB:
            return Decoded("", avg_logprob)  # Whisper's own "nobody spoke", as faster-whisper applies it
        pieces = self._pieces(tokens)
        if pieces is None:
            return None
        kept = [(start, end, text) for start, end, text, _steps in pieces if start < content_s - BEYOND_END_S]
        if any(end is None or end > frames * HOP / RATE for _start, end, _text in kept):
            return None  # a piece never closed (ran on to the length limit), or ends outside the window
        text = " ".join(t.strip() for _s, _e, t in kept if t.strip())
        if (
            _compression_ratio(text) > MAX_COMPRESSION
            or avg_logprob < MIN_AVG_LOGPROB
            or _too_much_for_the_time(text, content_s)
            or _repeats_itself(text)
            or _LOOPS_IN_CHINESE.search(text) is not None
        ):
            return None
        steps = [k for _s, _e, _t, ks in pieces if _s < content_s - BEYOND_END_S for k in ks]
        return Decoded(text, avg_logprob, self._last_word(tokens, steps, result.logits[0]))

    def last_word_of(self, samples: np.ndarray, text: str) -> tuple[tuple[str, float], ...]:
        """``Decoded.last_word`` for a text another decoding wrote (faster-whisper's 30 s one): the
        choices where this model, made to say the text up to it, says its last word; the written
        word first. Empty when the text has no such word or the clip is too long for this path."""
        import ctranslate2

        tok = self.tokenizer
        tokens = tok.encode(" " + text.strip())
        begins = [k for k, t in enumerate(tokens) if _WORD_START.match(tok.decode([t]))]
        if not begins or samples.size > MAX_CLIP_S * RATE:
            return ()
        k = begins[-1]
        prompt = [*self.prompt, tok.timestamp_begin, *tokens[:k]]  # from the window's start, as decoded
        frames = window_frames(samples.size)
        mel = self.model.feature_extractor(samples)[:, :frames]
        window = np.zeros((mel.shape[0], frames), np.float32)
        window[:, : mel.shape[1]] = mel
        # The text after the start of transcript comes back as decoded, with its scores (then a few
        # more tokens: the length counts more than the prompt, so it is given room to spare).
        result = self.model.model.generate(
            ctranslate2.StorageView.from_array(window[None]),
            [prompt],
            beam_size=1,
            max_length=2 * len(prompt) + 4,
            return_logits_vocab=True,
            suppress_blank=False,
            suppress_tokens=self.suppress,
        )[0]
        said, logits = result.sequences_ids[0], result.logits[0]
        if said[: k + 1] != [tok.timestamp_begin, *tokens[:k]] or len(logits) <= k + 1:
            return ()  # not the text it was made to say: nothing to weigh
        p = _softmax(logits[k + 1])
        written = tok.decode([tokens[k]]).strip()
        choices = [(written, round(float(p[tokens[k]]), 4))]
        for t in np.argsort(-p)[:LAST_WORD_CHOICES]:
            if t < tok.eot and t != tokens[k] and _WORD_START.match(word := tok.decode([int(t)])):
                choices.append((word.strip(), round(float(p[t]), 4)))
        return tuple(choices)

    def _last_word(self, tokens: list[int], steps: list[int], logits: list[Any]) -> tuple[tuple[str, float], ...]:
        """The choices at the step that began the text's last word (see ``Decoded.last_word``)."""
        tok = self.tokenizer
        begins = [k for k in steps if _WORD_START.match(tok.decode([tokens[k]]))]
        if not begins or begins[-1] >= len(logits):
            return ()
        p = _softmax(logits[begins[-1]])
        choices = []
        for t in np.argsort(-p)[:LAST_WORD_CHOICES]:
            if t < tok.eot and _WORD_START.match(word := tok.decode([int(t)])):
                choices.append((word.strip(), round(float(p[t]), 4)))
        return tuple(choices)

    def _pieces(self, tokens: list[int]) -> list[tuple[float, float | None, str, list[int]]] | None:
        """(start s, end s or None, text, the steps of its text tokens) of each timestamped piece; None
        if the tokens are not in that form."""
        tok = self.tokenizer
        pieces: list[tuple[float, float | None, str, list[int]]] = []
        start: float | None = None
        text: list[int] = []
        steps: list[int] = []
        for k, t in enumerate(tokens):
            if t == tok.eot:
                break
            if t >= tok.timestamp_begin:
                at = (t - tok.timestamp_begin) * 0.02
                if start is None:
                    start = at
                else:
                    pieces.append((start, at, tok.decode(text), steps))
                    start, text, steps = None, [], []
            elif start is None:
                return None  # text outside any piece
            else:
                text.append(t)
                steps.append(k)
        if start is not None and text:  # a start with nothing after it says nothing
            pieces.append((start, None, tok.decode(text), steps))
        return pieces
