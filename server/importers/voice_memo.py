"""Voice memos: the person's own recording, transcribed, kept as memories that can be played back.

A memo is cut at pauses into parts of under a minute (a few sentences each),
each part is transcribed by the server's configured speech-to-text, and each
becomes a memory whose ``audio_media_id`` is a WAV clip of exactly those
words: story mode can then answer with the person's real voice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server.audio import AudioDecodeError, AudioTooLong, decode_audio, frame_dbfs
from server.importers.errors import ImportRejected, damaged, too_large
from server.services.base import Audio
from server.storage import memory_places

MAX_MEMO_S = 30 * 60
# Clips keep the voice clear (24 kHz is what speech models and phones use) at a sane size.
CLIP_RATE = 24000
ONE_PART_UP_TO_S = 75  # a short memo stays one memory
MIN_PART_S = 20
TARGET_PART_S = 40
MAX_PART_S = 60
MIN_PAUSE_S = 0.35
FRAME_S = 0.02


def check(path: Path) -> float | None:
    """Decodable audio of a sane length; its duration when the container says it."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise damaged("This file holds no sound.")
            duration = container.duration / 1_000_000 if container.duration else None
            stream = container.streams.audio[0]
            for _frame in container.decode(stream):
                break  # one frame decodes: the codec is supported and the start is sound
            else:
                raise damaged("This recording holds no sound we can play.")
    except ImportRejected:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError, IndexError) as exc:
        raise damaged("This recording is damaged or in a format we cannot play.", detail=exc) from None
    if duration is not None and duration > MAX_MEMO_S:
        raise too_large(f"This recording is {duration / 60:.0f} minutes long; at most {MAX_MEMO_S // 60} minutes can be imported at once.")
    return duration


def load(path: Path) -> Audio:
    try:
        return decode_audio(path.read_bytes(), CLIP_RATE, max_duration_s=MAX_MEMO_S)
    except AudioTooLong:
        raise too_large(f"This recording is longer than {MAX_MEMO_S // 60} minutes; at most that much can be imported at once.") from None
    except AudioDecodeError as exc:
        raise damaged("This recording could not be played; it may be damaged.", detail=exc) from None


@dataclass(frozen=True)
class Part:
    start_s: float
    end_s: float
    audio: Audio


def _pauses(levels: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(first, last+1) frame index of each run of quiet frames long enough to be a pause."""
    quiet = levels < threshold
    runs = []
    start = None
    for i, q in enumerate(quiet):
        if q and start is None:
            start = i
        elif not q and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(quiet)))
    min_frames = int(MIN_PAUSE_S / FRAME_S)
    return [(a, b) for a, b in runs if b - a >= min_frames]


def split(audio: Audio) -> list[Part]:
    """Cut each part at the longest pause between MIN_PART_S and MAX_PART_S in (the nearest to TARGET_PART_S among
    equals); a hard cut only where nobody paused for a whole minute."""
    total_s = audio.duration_s
    if total_s <= ONE_PART_UP_TO_S:
        return [Part(0.0, total_s, audio)]
    frame = int(audio.sample_rate * FRAME_S)
    levels = frame_dbfs(audio.samples, frame)
    speech_level = float(np.percentile(levels, 90)) if levels.size else -60.0
    pauses = _pauses(levels, max(-60.0, speech_level - 25.0))
    cuts = [0.0]
    while total_s - cuts[-1] > MAX_PART_S:
        start = cuts[-1]
        inside = [(a + b) / 2 * FRAME_S for a, b in pauses if start + MIN_PART_S <= (a + b) / 2 * FRAME_S <= start + MAX_PART_S]
        lengths = {(a + b) / 2 * FRAME_S: b - a for a, b in pauses}
        best = max(inside, key=lambda at: (lengths[at], -abs(at - start - TARGET_PART_S)), default=None)
        cuts.append(best if best is not None else start + MAX_PART_S)
    if total_s - cuts[-1] < MIN_PART_S / 2 and len(cuts) > 1:
        cuts.pop()  # a few seconds at the end belong to the part before
    cuts.append(total_s)
    rate = audio.sample_rate
    return [Part(a, b, Audio(audio.samples[int(a * rate) : int(b * rate)], rate)) for a, b in zip(cuts, cuts[1:]) if b - a > 0.3]


def clock(seconds: float) -> str:
    return memory_places.clock(int(round(seconds)))


def title_from_filename(filename: str) -> str:
    """ "grandma_about-the_war.m4a" -> "grandma about the war"."""
    stem = Path(filename).stem
    return re.sub(r"[_\-]+", " ", stem).strip()[:200] or "Voice memo"
