"""The two turn-taking models, run with onnxruntime on the CPU.

Both ship inside the ``pipecat-ai`` wheel, which is installed without its dependencies
(Makefile): Keepsake needs its two ONNX files (11 MB), not Pipecat's pipeline, and the
package's import pulls in loguru and more. So the files are found where pip put them,
without importing the package.

- Silero VAD v5 (MIT): is this 32 ms of 16 kHz audio speech?
- Smart Turn v3.2 (BSD-2, Daily): from the last 8 s of the utterance's sound (its pitch,
  its pace, how the voice falls), has the speaker finished their turn?
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

from server.live.whisper_features import last_window, log_mel

VAD_WINDOW = 512  # samples at 16 kHz: the only window Silero v5 takes at this rate
_VAD_CONTEXT = 64


class ModelMissing(RuntimeError):
    pass


def _pipecat_file(*parts: str) -> Path:
    spec = importlib.util.find_spec("pipecat")  # finds the package without running its __init__
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root).joinpath(*parts)
        if path.is_file():
            return path
    raise ModelMissing("the turn-taking models are not installed (pip install --no-deps pipecat-ai)")


def _session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    # One thread each: the machine's cores are shared with every other turn and household.
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=1)
def _vad_session() -> ort.InferenceSession:
    return _session(_pipecat_file("audio", "vad", "data", "silero_vad.onnx"))


@lru_cache(maxsize=1)
def _smart_turn_session() -> ort.InferenceSession:
    return _session(_pipecat_file("audio", "turn", "smart_turn", "data", "smart-turn-v3.2-cpu.onnx"))


def available() -> bool:
    try:
        _vad_session()
        _smart_turn_session()
    except ModelMissing:
        return False
    return True


class SileroVad:
    """Speech probability of each 32 ms window; keeps the model's state between windows (one per stream)."""

    def __init__(self) -> None:
        self._session = _vad_session()
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, _VAD_CONTEXT), dtype=np.float32)

    def __call__(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, np.asarray(window, dtype=np.float32).reshape(1, VAD_WINDOW)], axis=1)
        out, self._state = self._session.run(None, {"input": x, "state": self._state, "sr": np.array(16000, dtype=np.int64)})
        self._context = x[:, -_VAD_CONTEXT:]
        return float(out[0][0])


_smart_turn_lock = threading.Lock()


def finished_probability(samples_16k: np.ndarray) -> float:
    """Smart Turn's probability that the speaker has finished, from the utterance so far."""
    features = log_mel(last_window(samples_16k))[None, ...]
    session = _smart_turn_session()
    with _smart_turn_lock:  # one inference at a time: it is a few tens of ms, and the cores are shared
        out = session.run(None, {"input_features": features})
    return float(np.asarray(out[0]).reshape(-1)[0])
