"""Lip shapes over time: each sentence's ``visemes``, as ``[start_ms, viseme]`` pairs.

The 15 visemes are those of the Oculus/Meta lip-sync set, so a tablet can pose
the lips from a table made for it (closed for PP, rounded for O/U, spread for
E/I, open for aa). Two ways to time them:

- the embedded voice (Piper) tells how many samples each of its phonemes
  lasted: the track follows the voice exactly (``from_alignments``);
- a remote voice gives audio only: the text's phonemes (``server.services.phonemes``)
  are spread over the audio's voiced stretches, found with the same loudness
  measure as the mouth track (``from_text``).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from server.services import face_local
from server.services.base import Audio

log = logging.getLogger(__name__)

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")

# IPA phoneme -> viseme, after the Oculus viseme reference ("Viseme Reference", Oculus Lipsync,
# developers.meta.com/horizon/documentation/native/audio-ovrlipsync-viseme-reference/):
# PP p b m, FF f v, TH th (θ ð), DD t d, kk k g, CH tS dZ S, SS s z, nn n l, RR r,
# aa A: (car), E e (bed), I ih (tip), O oh (toe), U ou (book). Sounds the reference does not
# name go to the viseme whose lips they share: Mandarin's retroflex and alveolo-palatal
# sibilants (ʂ ʐ ɕ ʑ) to CH, its ü (y) and the w glide to U, h and the back fricatives
# (x χ) and ŋ with the velars (the lips stay where the vowel left them, the jaw half open).
# Piper speaks through espeak-ng, whose phonemes are IPA codepoints (split by NFD), and
# reads Chinese as pinyin words, so English and Mandarin are both met here.
IPA_VISEMES: dict[str, str] = {
    **dict.fromkeys("pbmɓ", "PP"),
    **dict.fromkeys("fvɱʋ", "FF"),
    **dict.fromkeys("θð", "TH"),
    **dict.fromkeys("tdɾʈɖ", "DD"),
    **dict.fromkeys("kgɡqxɣχhɦŋ", "kk"),
    **dict.fromkeys("ʃʒɕʑʂʐç", "CH"),
    **dict.fromkeys("sz", "SS"),
    **dict.fromkeys("nlɲɫɭɳʎ", "nn"),
    **dict.fromkeys("rɹɻɚɝʁʀ", "RR"),
    **dict.fromkeys("aɑɒæʌɐä", "aa"),
    **dict.fromkeys("eɛəɜɘɤ", "E"),
    **dict.fromkeys("iɪjɨᵻ", "I"),
    **dict.fromkeys("oɔøœɵ", "O"),
    **dict.fromkeys("uʊwɯyʏɥ", "U"),
}
# A stop run into a sibilant is one sound with the sibilant's lips: t+ʃ (church), d+ʒ (judge), t+s.
_AFFRICATE_STOPS = set("tdʈ")
# What closes the lips and leaves them at rest: pauses, and Piper's sentence start (^) and end ($).
SILENCE = set(".,;:!?…—–-()\"'^$")
# Stress marks come before the syllable they stress: their time belongs to what follows.
_STRESS = set("ˈˌ")
# Everything else (spaces between words, length marks, tone digits, diacritics) moves no lip:
# its time goes to the sound before it.

VOWELS = {"aa", "E", "I", "O", "U"}
_MIN_GAP_MS = 150  # a quieter stretch shorter than this is a stop inside a word, not a pause
_VOICED_FPS = 100  # 10 ms frames: fine enough to place a 60 ms consonant


def viseme_of(phoneme: str) -> str | None:
    """The viseme of one IPA phoneme (one codepoint), "sil" for a pause, None for a sound with no lips of its own."""
    if phoneme in SILENCE:
        return "sil"
    return IPA_VISEMES.get(phoneme)


def _visemes_of_phonemes(phonemes: Sequence[str]) -> list[str | None]:
    """Each phoneme's viseme, with a stop run into a sibilant taking the sibilant's (tʃ is CH, ts is SS)."""
    out = [viseme_of(p) for p in phonemes]
    for i in range(len(phonemes) - 1):
        if phonemes[i] in _AFFRICATE_STOPS and out[i + 1] in ("CH", "SS"):
            out[i] = out[i + 1]
    return out


def _clean(track: Iterable[tuple[int, str]], duration_ms: int) -> list[list[Any]]:
    """Sorted, inside the duration, one entry per change of viseme (a later one wins a tie)."""
    out: list[list[Any]] = []
    for start, viseme in sorted(track, key=lambda t: t[0]):
        start = max(0, int(start))
        if start >= duration_ms:
            continue
        if out and out[-1][0] == start:
            out.pop()
        if out and out[-1][1] == viseme:
            continue
        out.append([start, viseme])
    return out


def from_alignments(alignments: Sequence[tuple[str, int]], sample_rate: int, total_samples: int) -> list[list[Any]]:
    """The track of Piper's own timing: (phoneme, samples it lasted) in the order spoken."""
    if not alignments or sample_rate <= 0:
        return []
    phonemes = [unicodedata.normalize("NFD", p) for p, _ in alignments]
    # Piper may align several codepoints as one phoneme: the first with lips of its own speaks for it.
    firsts = [next((c for c in p if viseme_of(c) is not None or c in _STRESS), p[:1]) for p in phonemes]
    visemes = _visemes_of_phonemes(firsts)
    track: list[tuple[int, str]] = []
    at = 0  # samples from the start
    stressed_from: int | None = None
    for first, viseme, (_, samples) in zip(firsts, visemes, alignments):
        if first in _STRESS:
            stressed_from = at if stressed_from is None else stressed_from
        elif viseme is not None:
            start = stressed_from if stressed_from is not None else at
            track.append((round(start * 1000 / sample_rate), viseme))
            stressed_from = None
        at += int(samples)
    duration_ms = round(total_samples * 1000 / sample_rate)
    return _clean(track, duration_ms)


def voiced_stretches(audio: Audio) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of each stretch of speech: frames the mouth track opens for, with short
    quiet gaps (the hold of a p or a k) counted as speech."""
    voiced = face_local.voiced_frames(audio, _VOICED_FPS)
    frame_ms = 1000 / _VOICED_FPS
    # Edges of each run of voiced frames, then runs closer than a pause joined.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], voiced.astype(np.int8), [0])))).tolist()
    runs: list[list[int]] = []
    for first, stop in zip(edges[::2], edges[1::2]):
        start, end = round(first * frame_ms), round(stop * frame_ms)
        if runs and start - runs[-1][1] < _MIN_GAP_MS:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    duration_ms = round(audio.duration_s * 1000)
    return [(s, min(e, duration_ms)) for s, e in runs if s < duration_ms]


def _weight(viseme: str) -> float:
    return 1.6 if viseme in VOWELS else 1.0  # a vowel lasts longer than a consonant


def _clauses(visemes: Sequence[str | None], phonemes: Sequence[str]) -> list[list[tuple[str, float]]]:
    """The text's visemes with their weights, in clauses split at pauses."""
    clauses: list[list[tuple[str, float]]] = [[]]
    for phoneme, viseme in zip(phonemes, visemes):
        if viseme == "sil":
            if clauses[-1]:
                clauses.append([])
        elif viseme is not None:
            clauses[-1].append((viseme, _weight(viseme)))
        elif phoneme == "ː" and clauses[-1]:  # a long sound lasts longer
            v, w = clauses[-1][-1]
            clauses[-1][-1] = (v, w + 0.6)
    return [c for c in clauses if c]


def _spread(units: list[tuple[str, float]], stretches: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Lay the units end to end over the stretches' speaking time, in proportion to their weights."""
    spans = [(s, e) for s, e in stretches if e > s]
    total_ms = sum(e - s for s, e in spans)
    total_w = sum(w for _, w in units)
    if not spans or total_w <= 0:
        return []
    # Voiced time (from 0 to total_ms) -> time in the clip.
    offsets = list(itertools.accumulate((e - s for s, e in spans), initial=0))
    track = []
    done = 0.0
    for viseme, weight in units:
        t = done / total_w * total_ms
        k = min(bisect.bisect_right(offsets, t) - 1, len(spans) - 1)
        track.append((round(spans[k][0] + (t - offsets[k])), viseme))
        done += weight
    return track


def from_text(phonemes: Sequence[str], audio: Audio) -> list[list[Any]]:
    """The track of a voice that gives no timing: the text's phonemes spread over the voiced stretches.

    When the text has as many clauses as the audio has stretches, each clause is
    laid on its own stretch (the comma is where the voice paused); else all the
    phonemes are spread over all the speaking time. Every pause is ``sil``.
    """
    duration_ms = round(audio.duration_s * 1000)
    stretches = voiced_stretches(audio)
    clauses = _clauses(_visemes_of_phonemes(phonemes), phonemes)
    if not stretches or not clauses:
        return [[0, "sil"]] if duration_ms > 0 else []
    track: list[tuple[int, str]] = [(0, "sil")]
    if len(clauses) == len(stretches):
        for clause, stretch in zip(clauses, stretches):
            track += _spread(clause, [stretch])
    else:
        track += _spread([u for c in clauses for u in c], stretches)
    track += [(end, "sil") for _, end in stretches]
    # A pause's sil must not cut the next stretch's first sound: sort keeps its order, _clean a tie.
    track.sort(key=lambda t: (t[0], t[1] != "sil"))
    return _clean(track, duration_ms)


def for_speech(text: str, audio: Audio, language: str = "en") -> list[list[Any]]:
    """The sentence's track: from the voice's own timing when it gave one, else from its text.

    Never fails the sentence: lips that only open and close (an empty track) are
    better than no answer, so anything that goes wrong here is logged and gives [].
    """
    from server.services.phonemes import text_phonemes

    try:
        if audio.phonemes:
            return from_alignments(audio.phonemes, audio.sample_rate, len(audio.samples))
        return from_text(text_phonemes(text, language), audio)
    except Exception:  # espeak or pypinyin missing or failing on odd text
        log.warning("no viseme track for a sentence", exc_info=True)
        return []
