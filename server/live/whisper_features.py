"""Whisper's log-mel features, numpy only, as Smart Turn v3 was trained on them.

The same arithmetic as Pipecat's ``pipecat/audio/turn/smart_turn/_whisper_features.py`` (BSD-2,
itself from Hugging Face's WhisperFeatureExtractor, Apache-2.0): an 8 s window at 16 kHz,
400-point FFT, hop 160, 80 Slaney mel bands, the waveform normalised first.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RATE = 16_000
WINDOW_S = 8
_N_FFT = 400
_HOP = 160
_N_MELS = 80


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    freq = np.atleast_1d(np.asarray(freq, dtype=np.float64))
    mels = 3.0 * freq / 200.0
    high = freq >= 1000.0
    mels[high] = 15.0 + np.log(freq[high] / 1000.0) * (27.0 / np.log(6.4))
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.atleast_1d(np.asarray(mels, dtype=np.float64))
    freq = 200.0 * mels / 3.0
    high = mels >= 15.0
    freq[high] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mels[high] - 15.0))
    return freq


def _mel_filters() -> np.ndarray:
    bins = _N_FFT // 2 + 1
    mel_freqs = np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([RATE / 2]))[0], _N_MELS + 2)
    edges = _mel_to_hz(mel_freqs)
    fft_freqs = np.linspace(0, RATE // 2, bins)
    diff = np.diff(edges)
    slopes = edges[None, :] - fft_freqs[:, None]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    filters = np.maximum(0.0, np.minimum(down, up))
    filters *= (2.0 / (edges[2 : _N_MELS + 2] - edges[:_N_MELS]))[None, :]
    return filters  # (bins, mels)


_HANN = np.hanning(_N_FFT + 1)[:-1]  # periodic, as torch.hann_window
_FILTERS_T = _mel_filters().T


def last_window(samples: np.ndarray) -> np.ndarray:
    """The last 8 s of 16 kHz audio, zero-padded in front when shorter (as Smart Turn is fed)."""
    n = RATE * WINDOW_S
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size >= n:
        return samples[-n:]
    return np.pad(samples, (n - samples.size, 0))


def log_mel(window: np.ndarray) -> np.ndarray:
    """(80, 800) float32 features of exactly 8 s of 16 kHz audio."""
    x = np.asarray(window, dtype=np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), (_N_FFT // 2, _N_FFT // 2), mode="reflect")
    frames = sliding_window_view(padded, _N_FFT)[::_HOP]
    power = (np.abs(np.fft.rfft(frames * _HANN, axis=-1)) ** 2).T
    spec = np.log10(np.maximum(1e-10, _FILTERS_T @ power))[:, :-1]
    spec = np.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).astype(np.float32)
