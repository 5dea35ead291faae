"""The fake generation services' latencies, and the floor they allow.

The fakes answer every turn the same way: a fixed transcript, a fixed
three-sentence answer streamed one word-sized token at a time, and WAV speech
whose length follows the text. So the fastest any server could possibly
deliver the first audio is known exactly, from these numbers alone:

    floor = ASR(clip)                          fixed + per audio second
          + LLM time to first token
          + (tokens of sentence 1 - 1) / rate  the last token of sentence 1
          + TTS(sentence 1)                    fixed + real-time factor x its audio

The default numbers are a self-hosted GPU stack of today (a Whisper-class
recognizer, an 8B model under vLLM, a neural TTS that is not streaming).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

TRANSCRIPT = "Tell me about your wedding day, Grandma."
# Each answer carries the turn's own 4-digit number: a real LLM's answers
# rarely repeat word for word, so the server's speech cache (made for
# greetings and memories, which do repeat) must not serve them. The number
# always has 4 digits, so every answer has the same length and the same floor.
_ANSWER = (
    "Oh, my dear, that was the happiest day of my life, in June {n}. "
    "It rained all morning, and {n} guests danced on the pier anyway. "
    "Your grandfather stepped on my toes {n} times, and I never let him forget it."
)


def answer(turn: int) -> str:
    """The fake LLM's answer to its ``turn``-th request."""
    return _ANSWER.format(n=1000 + turn % 9000)


ANSWER = answer(0)
# How fast the fake voice "speaks": about 150 words a minute.
CHARS_PER_SPOKEN_S = 15.0


def tokens(text: str) -> list[str]:
    """Word-sized tokens with their leading space, as an LLM streams them."""
    return re.findall(r"\s*\S+", text)


def sentences(text: str = ANSWER) -> list[str]:
    """The answer's sentences (what the server's splitter finds, checked by the bench's tests)."""
    return [s.strip() for s in re.findall(r"[^.!?]+[.!?]", text)]


def spoken_s(text: str) -> float:
    """How long the fake voice takes to say ``text``."""
    return max(0.3, len(text.strip()) / CHARS_PER_SPOKEN_S)


@dataclass(frozen=True)
class Profile:
    asr_ms: float = 150.0  # fixed cost of one transcription
    asr_ms_per_audio_s: float = 25.0
    llm_ttft_ms: float = 200.0  # time to first token
    llm_tokens_per_s: float = 40.0
    tts_ms: float = 100.0  # fixed cost of one synthesis
    tts_rtf: float = 0.15  # synthesis time / audio time

    def asr_latency_ms(self, audio_s: float) -> float:
        return self.asr_ms + self.asr_ms_per_audio_s * audio_s

    def token_at_ms(self, k: int) -> float:
        """When token ``k`` (0-based) leaves the fake LLM, from the request."""
        return self.llm_ttft_ms + k * 1000.0 / self.llm_tokens_per_s

    def tts_latency_ms(self, text: str) -> float:
        return self.tts_ms + self.tts_rtf * spoken_s(text) * 1000.0

    def floor_ms(self, audio_s: float, answer: str = ANSWER) -> float:
        """The least time from end of upload to first audio that these services allow (streamed)."""
        first = sentences(answer)[0]
        return self.asr_latency_ms(audio_s) + self.token_at_ms(len(tokens(first)) - 1) + self.tts_latency_ms(first)

    def naive_floor_ms(self, audio_s: float, answer: str = ANSWER) -> float:
        """The same for the naive pipeline: whole answer, then every sentence's speech one by one."""
        speech = sum(self.tts_latency_ms(s) for s in sentences(answer))
        return self.asr_latency_ms(audio_s) + self.token_at_ms(len(tokens(answer)) - 1) + speech

    def as_dict(self) -> dict:
        return asdict(self)
