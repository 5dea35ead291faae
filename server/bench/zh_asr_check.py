"""How well does the embedded speech to text hear Chinese, and what does Whisper base cost English?

``python -m server.bench.zh_asr_check``: the Mandarin clips in
``tests/fixtures/zh_speech`` (see the README there for where they come from)
are heard the way a Chinese persona's turn hears them (``asr_local``, told
"zh": Whisper base) and the way an English persona's turn does (told nothing:
tiny.en first, base when tiny.en cannot place the speech). Prints each
clip's text, the character error rate over all clips, and, for one English
sentence in the embedded voice, the time tiny.en and base take on the same
clip (the reason English stays on tiny.en).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLIPS_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "zh_speech"
ENGLISH = "Grandma, do you remember your wedding day with Arthur? Will you tell me about the dress you wore?"
_NOT_SPOKEN = re.compile(r"[\W_]+")  # punctuation and spaces: Whisper's choice of them is not a hearing error


@dataclass(frozen=True)
class Clip:
    file: str
    text: str
    samples: np.ndarray


def load_clips(folder: Path = CLIPS_DIR) -> list[Clip]:
    from server.audio import decode_audio

    clips = []
    for line in (folder / "clips.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            clips.append(Clip(row["file"], row["text"], decode_audio((folder / row["file"]).read_bytes()).samples))
    return clips


def char_errors(reference: str, heard: str) -> tuple[int, int]:
    """(edits, reference length): the Levenshtein distance over characters, punctuation and spaces left out."""
    ref = _NOT_SPOKEN.sub("", reference)
    hyp = _NOT_SPOKEN.sub("", heard)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1], len(ref)


def cer(pairs: list[tuple[str, str]]) -> float:
    """Character error rate over (reference, heard) pairs: all edits over all reference characters."""
    edits = total = 0
    for reference, heard in pairs:
        e, n = char_errors(reference, heard)
        edits += e
        total += n
    return edits / total if total else 0.0


def english_times(samples: np.ndarray, models_dir: Path, runs: int = 5) -> tuple[float, float]:
    """Seconds of tiny.en's path and of Whisper base's on the same clip, taken in turns; the least of
    each, the run the machine's other work disturbed least."""
    from server.services import asr_local

    tiny, base = [], []
    for _ in range(runs):
        started = time.perf_counter()
        asr_local._tiny(samples)
        tiny.append(time.perf_counter() - started)
        started = time.perf_counter()
        asr_local._base_transcribe(samples, models_dir, prefer="en")
        base.append(time.perf_counter() - started)
    return min(tiny), min(base)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, help="where Whisper base is joined (default: the data folder's models/)")
    args = parser.parse_args(argv)

    from server.bench.speech import speak
    from server.services import asr_local

    models_dir = args.models_dir or asr_local.DEFAULT_MODELS_DIR
    asr_local._load_model()
    asr_local._load_base(models_dir)
    told, untold = [], []
    for clip in load_clips():
        started = time.perf_counter()
        heard = asr_local._transcribe_blocking(clip.samples, "zh", models_dir)
        took = time.perf_counter() - started
        guessed = asr_local._transcribe_blocking(clip.samples, None, models_dir)
        told.append((clip.text, heard.text))
        untold.append((clip.text, guessed.text))
        print(f"{clip.file}  {clip.text}  ->  {heard.text}  ({took:.2f} s)   untold: {guessed.model}/{guessed.language} {guessed.text}")
    print(f"\nCER, Chinese persona (told zh, Whisper base): {cer(told):.3f} over {len(told)} clips")
    print(f"CER, English persona (told nothing, tiny.en then base): {cer(untold):.3f}")
    tiny_s, base_s = english_times(speak(ENGLISH), models_dir)
    print(f"English clip: tiny.en {tiny_s * 1000:.0f} ms, base {base_s * 1000:.0f} ms, base/tiny.en = {base_s / tiny_s:.1f}x")


if __name__ == "__main__":
    main()
