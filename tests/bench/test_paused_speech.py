"""The bench's paused utterances: one sentence said whole, cut at the word boundary for the pause."""

from __future__ import annotations

import re

import numpy as np
import pytest

from server.bench.speech import NoWordBoundary, speak_paused


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.mark.parametrize(
    "first, rest",
    [
        ("We went down to the market and", "bought some fresh bread."),
        ("I kept your old letters because", "they make me smile."),
        ("I found a photo of the", "dog we had."),
    ],
)
def test_the_cut_falls_between_the_words(first, rest):
    from server.services.asr_local import _tiny

    a, b = speak_paused(first, rest, steady=True)
    # The first half, heard alone, ends on its own last word (not half of it, nor the next one's start).
    heard_a = _words(_tiny(a)[0])
    assert heard_a[-1] == _words(first)[-1], heard_a
    # With a second's pause put in, every word is still heard: the cut broke none.
    paused = np.concatenate([a, np.zeros(16_000, np.float32), b])
    assert _words(_tiny(paused)[0]) == _words(f"{first} {rest}")
    # And the cut is a quiet moment of the sentence, not the middle of a vowel.
    edge = 160  # the 10 ms either side of the cut
    loud = np.sqrt(np.mean(np.square(np.concatenate([a, b]))))
    assert np.sqrt(np.mean(np.square(a[-edge:]))) < loud and np.sqrt(np.mean(np.square(b[:edge]))) < loud


def test_a_boundary_the_voice_does_not_keep_is_refused_not_guessed():
    # espeak says "of the" as one word: there is no boundary between them to cut at.
    with pytest.raises(NoWordBoundary):
        speak_paused("I found a photo of", "the dog we had.", steady=True)
    with pytest.raises(NoWordBoundary):  # two sentences: not one said whole
        speak_paused("Hello.", "How are you?", steady=True)
