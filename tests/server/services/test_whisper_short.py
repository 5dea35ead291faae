"""Whisper on a window as long as the clip: as right as the 30 s window, and it knows when it is not."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest
from piper import SynthesisConfig

from server.audio import resample, trim_silence
from server.services import asr_local, tts_local
from server.services.base import Audio
from server.services.whisper_short import RATE, ShortWindow, _repeats_itself, window_frames


def test_the_window_follows_the_clip_not_30_seconds():
    assert window_frames(5 * RATE) == 600  # 5 s + 1 s margin, in 10 ms frames
    assert window_frames(int(4.2 * RATE)) == 600  # rounded up to a whole second
    assert window_frames(int(5.5 * RATE)) == 700
    assert window_frames(0) == 100
    assert window_frames(60 * RATE) == 3000  # never past Whisper's own window
    assert all(window_frames(n) % 2 == 0 for n in range(0, 20 * RATE, 777))  # the encoder halves it


@pytest.mark.parametrize(
    "text, loops",
    [
        ("Are you real? Are you real?", True),
        ("Tell me about your wedding day. Tell me about your wedding day. Tell me", True),
        ("Yes. Yes.", True),
        ("No, thank you.", False),
        ("Grandma, do you remember your wedding day with Arthur? Will you tell me about the dress you wore?", False),
    ],
)
def test_text_that_says_itself_again_is_not_trusted(text, loops):
    assert _repeats_itself(text) is loops


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
def short_window():
    return ShortWindow(asr_local._load_model())


def spoken(text: str) -> np.ndarray:
    # Piper draws random noise for each synthesis; with it off, every run hears the same clip,
    # so a pass or a failure here is about the decoder, never about the draw.
    voice = tts_local._load_voice()
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    samples = np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(text, syn_config=quiet)])
    rate = int(voice.config.sample_rate)
    return trim_silence(Audio(resample(samples, rate, RATE), RATE), pad_s=0.02).samples


@pytest.mark.slow
def test_a_spoken_question_is_read_on_the_short_window(short_window):
    question = "Grandma, do you remember your wedding day with Arthur? Will you tell me about the dress you wore?"
    samples = spoken(question)
    text = short_window.transcribe(samples)
    assert text is not None  # the fast path vouched for it
    assert words(text) == words(question)


@pytest.mark.slow
def test_the_pieces_whisper_places_after_the_audio_are_dropped(short_window):
    tok = short_window.tokenizer
    at = lambda s: tok.timestamp_begin + round(s / 0.02)
    hello = tok.encode(" Hello Grandma.")
    tokens = [at(0.0), *hello, at(1.0), at(1.2), *hello, at(2.0), tok.eot]
    n = len(hello)  # each piece with the steps of its text tokens (where the last word's choices are)
    first, second = list(range(1, 1 + n)), list(range(n + 3, 2 * n + 3))
    assert short_window._pieces(tokens) == [(0.0, 1.0, " Hello Grandma.", first), (1.2, 2.0, " Hello Grandma.", second)]
    assert short_window._pieces([*hello, tok.eot]) is None  # text outside any timestamps
    unclosed = short_window._pieces([at(0.0), *hello])
    assert unclosed == [(0.0, None, " Hello Grandma.", first)]


@pytest.mark.slow
def test_it_says_what_it_weighed_for_the_last_word(short_window):
    from server.bench.speech import speak_paused

    # A hanging half ("...have the", the rest cut off for its pause): "the" and "them" sound alike.
    half, _rest = speak_paused("Do you still have the", "blue teapot?", steady=True)
    samples = np.concatenate([np.zeros(RATE // 2, np.float32), half, np.zeros(int(0.15 * RATE), np.float32)])
    decoded = short_window.transcribe_scored(samples)
    assert decoded is not None
    choices = dict(decoded.last_word)
    assert decoded.last_word[0][0] == words(decoded.text)[-1]  # the word written comes first
    assert {"the", "them"} <= choices.keys() and choices["the"] + choices["them"] > 0.8, decoded
    # Made to say a text decoded elsewhere (the 30 s path), it weighs the same last word alike.
    assert short_window.last_word_of(samples, decoded.text) == decoded.last_word
    # A whole sentence: the word written, surely.
    whole = short_window.transcribe_scored(spoken("What did you cook for Sunday dinner?"))
    assert whole is not None and whole.last_word[0][0] == "dinner" and whole.last_word[0][1] > 0.8, whole


@pytest.mark.slow
@pytest.mark.parametrize(
    "text", ["Yes.", "Are you real?", "Stop, I don't want this.", "I remember the summer we spent by the lake with the whole family."]
)
def test_short_answers_stay_right_whichever_path_reads_them(text):
    # Very short clips are where a short window tends to loop; the ordinary path must catch them.
    samples = spoken(text)
    heard = asyncio.run(asr_local.LocalSpeechToText().transcribe(Audio(samples, RATE)))
    expected = words(text)
    got = words(heard.text)
    assert len(got) <= len(expected) + 1, heard.text  # no question said twice
    assert len(set(expected) & set(got)) >= 0.7 * len(set(expected)), heard.text
