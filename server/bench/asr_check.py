"""Is the short-window speech to text as right as Whisper's 30 s window? Word errors and time, side by side.

``python -m server.bench.asr_check``: questions a relative might ask, spoken by
the embedded Piper voice, each as it comes (clean), as a tablet streams it
(room before, a pause after), with a second of quiet after, and in a noisier
room; each recognised by faster-whisper's ordinary 30 s decoding and by the
path the server uses (``server/services/asr_local.py``: the short window,
falling back to the 30 s decoding when it cannot vouch for its text).
"""

from __future__ import annotations

import difflib
import re
import time

import numpy as np

from server.bench.speech import LONG_QUESTION, SHORT_QUESTION, speak

QUESTIONS = [
    LONG_QUESTION,
    SHORT_QUESTION,
    "Tell me about your wedding day.",
    "I remember the summer we spent by the lake with the whole family.",
    "Yes.",
    "Hello Grandma.",
    "No, thank you.",
    "What did you cook for Christmas dinner when Dad was a little boy?",
    "Mom, I got the new job at the hospital, I start on Monday the fourteenth.",
    "Do you remember the name of the dog we had in nineteen seventy two?",
    "I miss you so much. The garden looks lovely this year, the roses are all in bloom.",
    "Where did you and Grandpa go on your honeymoon, and how long did you stay there?",
    "Tell me a story about when you were young, before the war, in the little house by the river, when your brothers "
    "and sisters still lived at home and you went to school every morning across the fields.",
    "Are you real?",
    "Stop, I don't want this.",
    "Goodbye, Nana. I will talk to you tomorrow.",
]
RATE = 16_000


def word_errors(reference: str, heard: str) -> float:
    """Word error rate: substitutions, insertions and deletions over the reference's words."""
    ref, hyp = (re.findall(r"[a-z0-9']+", t.lower()) for t in (reference, heard))
    ops = difflib.SequenceMatcher(a=ref, b=hyp).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal") / max(1, len(ref))


def variants(speech: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    def room(lead_s: float, tail_s: float, noise: float) -> np.ndarray:
        audio = np.concatenate([np.zeros(int(lead_s * RATE), np.float32), speech, np.zeros(int(tail_s * RATE), np.float32)])
        return audio + noise * rng.standard_normal(audio.size).astype(np.float32)

    return {"clean": speech, "streamed": room(0.4, 0.45, 0.0005), "quiet after": room(0.4, 1.0, 0.0005), "noisy": room(0.4, 1.0, 0.005)}


def main() -> int:
    from server.services import asr_local

    model = asr_local._load_model()

    def whole_window(samples: np.ndarray) -> str:
        segments, _ = model.transcribe(samples, language="en", beam_size=1, without_timestamps=True, condition_on_previous_text=False)
        return " ".join(s.text.strip() for s in segments)

    to_base = 0

    def server_path(samples: np.ndarray) -> str:
        nonlocal to_base
        heard = asr_local._transcribe_blocking(samples)
        to_base += heard.model != "tiny.en"  # base heard another language in what tiny.en could not place
        return heard.text

    rng = np.random.default_rng(0)
    totals = {"30 s window": [0.0, 0.0], "server (short window)": [0.0, 0.0]}
    fallbacks = count = 0
    for question in QUESTIONS:
        for name, samples in variants(speak(question), rng).items():
            row = f"{name:12s} {samples.size / RATE:5.1f} s"
            for label, recognise in (("30 s window", whole_window), ("server (short window)", server_path)):
                started = time.perf_counter()
                text = recognise(samples)
                ms = 1000 * (time.perf_counter() - started)
                errors = word_errors(question, text)
                totals[label][0] += errors
                totals[label][1] += ms
                row += f" | {label}: {ms:4.0f} ms, WER {errors:.2f}"
            assert asr_local._short is not None  # made with the model, by _load_model above
            fallbacks += asr_local._short.transcribe(samples) is None
            count += 1
            print(f"{row} | {text}", flush=True)
    for label, (errors, ms) in totals.items():
        print(f"{label}: mean WER {errors / count:.3f}, mean {ms / count:.0f} ms")
    print(f"the short window handed {fallbacks} of {count} clips to the 30 s decoding")
    print(f"Whisper base wrote {to_base} of {count} clips (speech tiny.en could not place that base heard as not English)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
