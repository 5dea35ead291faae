"""Small audio helpers: WAV in and out, resampling, loudness. numpy only."""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path

import numpy as np

MIC_RATE = 16_000  # what we record and send: plenty for speech, small to upload


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate of a PCM WAV."""
    with wave.open(io.BytesIO(data), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 2:
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 4:
        samples = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    else:
        raise ValueError(f"unsupported sample width {width}")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def decode_audio(data: bytes, mime: str) -> tuple[np.ndarray, int]:
    """Decode a sentence's audio. WAV always works; other formats need PyAV if installed."""
    if data[:4] == b"RIFF" or "wav" in mime:
        return decode_wav(data)
    try:
        import av  # optional on the tablet: only remote TTS services send compressed audio
    except ImportError as exc:
        raise ValueError(f"cannot decode {mime} without PyAV") from exc
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate or 24_000)
        chunks = [f.to_ndarray().reshape(-1) for frame in container.decode(stream) for f in resampler.resample(frame)]
        return (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)), resampler.rate


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear resampling: good enough for speech, and needs nothing but numpy."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    n_out = int(round(len(samples) * dst_rate / src_rate))
    x_out = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    return np.interp(x_out, np.arange(len(samples)), samples).astype(np.float32)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")


def write_wav(path: Path, pcm16: np.ndarray, rate: int = MIC_RATE) -> None:
    tmp = Path(str(path) + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16.astype("<i2").tobytes())
    tmp.replace(path)  # a half-written recording never looks like a whole one


def level_dbfs(pcm16: np.ndarray) -> float:
    """Loudness of a frame in dB relative to full scale (-100 for digital silence)."""
    if len(pcm16) == 0:
        return -100.0
    rms = math.sqrt(float(np.mean(np.square(pcm16.astype(np.float64) / 32768.0))))
    return 20 * math.log10(rms) if rms > 1e-5 else -100.0
