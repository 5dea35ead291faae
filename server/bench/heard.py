"""Which words a fake recogniser hears in the audio it is sent, for the side-by-side live bench.

A real recogniser returns what was said in the audio it gets. The fake cannot listen, so the bench
tells it the parts of the utterance being streamed and when each was spoken, on the monotonic clock
all processes share; inside a part, each word is placed by its share of the part's letters (Piper
speaks at an even pace; the pauses that matter, between parts, are exact). A transcription
request's audio ends about when the request arrives (a pause is seen, then the audio is sent) and
lasts as long as its WAV says: a word is heard when it ended before the request arrived and began
inside the audio. The slack covers the time between the audio's end and the request (a detector's
wait, the upload): less than the shortest pause between parts (0.5 s), so no part is heard in the
audio of the part after it.
"""

from __future__ import annotations

from typing import NamedTuple

SLACK_S = 0.4
LATE_S = 0.05  # a word's estimated end may fall a little after the audio that holds it


class Part(NamedTuple):
    text: str
    start: float  # monotonic seconds: the part's first sample was sent
    end: float  # ... and its last


def words(part: Part) -> list[tuple[str, float, float]]:
    """(word, start, end) of each word of ``part``, placed by its share of the letters."""
    tokens = part.text.split()
    total = sum(len(t) + 1 for t in tokens) or 1
    out, done = [], 0
    for token in tokens:
        begin = part.start + (part.end - part.start) * done / total
        done += len(token) + 1
        out.append((token, begin, part.start + (part.end - part.start) * done / total))
    return out


def heard_text(parts: list[Part], arrived: float, audio_s: float) -> str:
    """The words a request arriving at ``arrived`` with ``audio_s`` of audio covers, joined."""
    audio_start = arrived - audio_s - SLACK_S
    return " ".join(w for p in parts for w, start, end in words(p) if end <= arrived + LATE_S and start >= audio_start)
