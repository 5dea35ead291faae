"""The embeddings of the labelled example sets, made once when the examples change and shipped
beside them, so a server does not spend its start embedding them.

The safety check and the dialogue acts each compare a sentence with well over a thousand labelled
examples. Embedding them takes a few seconds on an idle machine and close to a minute on a busy
one, at every start, before the server answers anything. So their vectors are kept in
``server/text/vectors/<name>.npz`` with a fingerprint of the model and of the very texts they were
made from. A set whose texts changed since (an example added, a normalisation changed) does not
match its fingerprint and is embedded afresh at start, as before: stale vectors are never used.
``python -m server.conversation.example_sets`` writes them again; a test says when that is due.

Stored as float16: a similarity between two unit vectors moves by about 1e-4, far below any
threshold's precision (the safety check's is 0.0125).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from server.text import embedding

FOLDER = Path(__file__).with_name("vectors")


def fingerprint(texts: Sequence[str]) -> str:
    digest = hashlib.sha256(embedding.MODEL_NAME.encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()


def _shipped(name: str, texts: Sequence[str]) -> np.ndarray | None:
    try:
        with (
            resources.as_file(resources.files("server.text").joinpath(f"vectors/{name}.npz")) as path,
            np.load(path, allow_pickle=False) as stored,
        ):
            if str(stored["fingerprint"]) != fingerprint(texts) or stored["vectors"].shape[0] != len(texts):
                return None
            return stored["vectors"].astype(np.float32)
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return None


def vectors_for(name: str, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for ``texts``: the shipped ones when they were made from exactly these texts."""
    shipped = _shipped(name, texts)
    return shipped if shipped is not None else embedding.embed(list(texts))


def is_fresh(name: str, texts: Sequence[str]) -> bool:
    return _shipped(name, texts) is not None


def write(name: str, texts: Sequence[str], folder: Path = FOLDER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.npz"
    vectors = embedding.embed(list(texts)).astype(np.float16)
    np.savez_compressed(path, vectors=vectors, fingerprint=np.array(fingerprint(texts)))
    return path
