"""Lips that shape each sound: viseme tracks from Piper's own timing, and from text over voiced stretches."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

import numpy as np
import pytest

from server.services import visemes
from server.services.base import Audio
from server.services.face_local import mouth_track, voiced_frames
from server.services.phonemes import text_phonemes

RATE = 16000


def bursts(*spans_s: tuple[float, float], total_s: float) -> Audio:
    """A voice-like hum over each (start, end) span, silence elsewhere."""
    t = np.arange(int(total_s * RATE)) / RATE
    hum = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.7 + 0.3 * np.sin(2 * np.pi * 5 * t))
    on = np.zeros_like(t, dtype=bool)
    for start, end in spans_s:
        on |= (t >= start) & (t < end)
    return Audio(np.where(on, hum, 0.0).astype(np.float32), RATE)


def assert_well_formed(track: list[list], duration_ms: int) -> None:
    starts = [start for start, _ in track]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), track
    assert all(0 <= start < duration_ms for start in starts), track
    assert all(viseme in visemes.VISEMES for _, viseme in track), track
    assert all(a[1] != b[1] for a, b in itertools.pairwise(track)), track  # one entry per change


def sequence(track: list[list]) -> list[str]:
    return [viseme for _, viseme in track]


def test_the_table_speaks_the_fifteen_oculus_visemes():
    assert len(visemes.VISEMES) == 15
    assert set(visemes.IPA_VISEMES.values()) == set(visemes.VISEMES) - {"sil"}
    for phoneme, expected in {
        "m": "PP",
        "b": "PP",
        "f": "FF",
        "θ": "TH",
        "t": "DD",
        "k": "kk",
        "ʃ": "CH",
        "s": "SS",
        "n": "nn",
        "ɹ": "RR",
        "ɑ": "aa",
        "ɛ": "E",
        "ɪ": "I",
        "ɔ": "O",
        "ʊ": "U",
        "ʂ": "CH",
        "ɕ": "CH",
        "y": "U",
        ".": "sil",
        "ˈ": None,
        " ": None,
    }.items():
        assert visemes.viseme_of(phoneme) == expected, phoneme


def test_stress_and_affricates_from_alignments():
    # "church" as Piper aligns it: ^ tʃ ˈɜː tʃ $ (samples per phoneme at 1000 Hz: 1 sample = 1 ms)
    aligned = [("^", 50), ("t", 30), ("ʃ", 60), ("ˈ", 40), ("ɜ", 80), ("ː", 60), ("t", 30), ("ʃ", 70), ("$", 80)]
    track = visemes.from_alignments(aligned, 1000, sum(n for _, n in aligned))
    # tʃ is one CH from the t on; the stress mark's time belongs to the vowel it stresses.
    assert track == [[0, "sil"], [50, "CH"], [140, "E"], [320, "CH"], [420, "sil"]]


def test_text_is_spread_over_the_voiced_stretches_clause_by_clause():
    audio = bursts((0.10, 0.60), (0.90, 1.50), total_s=1.7)
    phonemes = text_phonemes("Hello, Rose.", "en")
    track = visemes.from_text(phonemes, audio)
    assert_well_formed(track, 1700)
    stretches = visemes.voiced_stretches(audio)
    assert len(stretches) == 2 and abs(stretches[0][0] - 100) <= 20 and abs(stretches[1][1] - 1500) <= 20
    # Every sound starts while the voice is sounding, every pause is sil.
    for start, viseme in track:
        inside = any(s <= start < e for s, e in stretches)
        assert inside == (viseme != "sil"), (start, viseme, stretches)
    # "Hello" on the first stretch, "Rose" (RR O U SS) on the second.
    second = [v for start, v in track if start >= stretches[1][0]]
    assert second[:4] == ["RR", "O", "U", "SS"], track


def test_chinese_text_gets_visemes_from_pinyin():
    phonemes = "".join(text_phonemes("你好，我是奶奶。", "zh"))
    assert phonemes == "ni xao, uo ʂi nai nai."
    audio = bursts((0.05, 0.55), (0.80, 1.70), total_s=1.85)
    track = visemes.from_text(text_phonemes("你好，我是奶奶。", "zh"), audio)
    assert_well_formed(track, 1850)
    # 你好 | 我是奶奶: n i x a o | u o ʂ i n a i n a i
    assert sequence(track) == ["sil", "nn", "I", "kk", "aa", "O", "sil", "U", "O", "CH", "I", "nn", "aa", "I", "nn", "aa", "I", "sil"]


def test_voiced_frames_are_where_the_mouth_opens():
    audio = bursts((0.2, 0.6), total_s=1.0)
    voiced = voiced_frames(audio)
    values = np.array(mouth_track(audio).values)
    assert voiced.any() and not voiced.all()
    assert (values[voiced] > 0).all()  # the track opens wherever a frame is voiced


def test_odd_text_gives_a_track_or_nothing_never_an_error():
    audio = bursts((0.1, 0.5), total_s=0.6)
    for text in ["", "…!?", "42", "🙂", "Ça va, mamie ?"]:
        track = visemes.for_speech(text, audio, "fr" if "Ça" in text else "en")
        assert_well_formed(track, 600)
    assert visemes.for_speech("Hello.", Audio(np.zeros(0, np.float32), RATE)) == []


# --- the embedded voice, for real ----------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded():
    from server.services.tts_local import LocalTextToSpeech

    tts = LocalTextToSpeech()

    def say(text: str, language: str = "en") -> Audio:
        return asyncio.run(tts.synthesize(text, language=language))

    return say


@pytest.mark.slow
def test_the_embedded_voice_closes_the_lips_on_m_b_p(embedded):
    audio = embedded("My mum bought the paper.")
    assert audio.phonemes, "Piper gave no alignments (is the onnx package installed?)"
    assert sum(n for _, n in audio.phonemes) == len(audio.samples)
    duration_ms = round(audio.duration_s * 1000)
    track = visemes.for_speech("My mum bought the paper.", audio, "en")
    assert_well_formed(track, duration_ms)
    # m(y) m(u)m+b(ought) (one closure: the lips stay shut from m to b) p(a)p(er), in order, with the
    # mouth opening between them.
    assert sequence(track) == ["sil", "PP", "aa", "I", "PP", "aa", "PP", "O", "DD", "TH", "E", "PP", "E", "I", "PP", "RR", "sil"]
    closures = [start for start, v in track if v == "PP"]
    assert len(closures) == 5 and closures[0] > 0 and closures[-1] < duration_ms - 100


@pytest.mark.slow
def test_text_timing_agrees_with_the_voice_own(embedded):
    """Without alignments (a remote voice), the same sentence's lips land close to where Piper put them."""
    audio = embedded("My mum bought the paper.")
    exact = visemes.for_speech("My mum bought the paper.", audio, "en")
    guessed = visemes.for_speech("My mum bought the paper.", replace(audio, phonemes=None), "en")
    assert sequence(guessed) == sequence(exact)
    assert max(abs(a[0] - b[0]) for a, b in zip(exact, guessed)) < 120, (exact, guessed)


@pytest.mark.slow
def test_the_embedded_voice_reading_chinese_moves_the_lips(embedded):
    audio = embedded("你好，我是奶奶。", "zh")
    track = visemes.for_speech("你好，我是奶奶。", audio, "zh")
    assert audio.phonemes and track
    assert_well_formed(track, round(audio.duration_s * 1000))
    assert {"nn", "aa", "I", "CH", "sil"} <= set(sequence(track))


def test_a_voice_without_alignments_is_timed_from_its_text():
    """Piper leaves a chunk's alignments out when the model cannot give them (no onnx, a model it
    cannot patch): then the clip has no phoneme timing at all, and the text's phonemes time the lips."""
    from types import SimpleNamespace

    from server.services.tts_local import _alignments

    timed = SimpleNamespace(phoneme_alignments=[SimpleNamespace(phoneme="m", num_samples=100)])
    untimed = SimpleNamespace(phoneme_alignments=None)
    assert _alignments([timed, timed]) == (("m", 100), ("m", 100))
    assert _alignments([timed, untimed]) is None
    audio = bursts((0.1, 0.7), total_s=0.8)
    assert "PP" in sequence(visemes.for_speech("My mum.", audio, "en"))
