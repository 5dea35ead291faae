"""A reasoning model's thinking, left out of what the persona says.

Reasoning models served by Ollama, llama.cpp or vLLM often stream their
thinking inside the answer itself, between ``<think>`` and ``</think>``. Read
aloud in a grandmother's voice it would be nonsense, so it is dropped as it
streams; a tag cut between two pieces of the stream is held back until the
next piece shows what it is.
"""

from __future__ import annotations

OPEN, CLOSE = "<think>", "</think>"


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkingFilter:
    def __init__(self) -> None:
        self._held = ""
        self._thinking = False

    def feed(self, piece: str) -> str:
        """The part of ``piece`` that is answer, not thinking (may be empty)."""
        if not self._held and not self._thinking and "<" not in piece:
            return piece  # the usual token: nothing to look at
        text, said = self._held + piece, []
        while True:
            tag = CLOSE if self._thinking else OPEN
            at = text.find(tag)
            if at < 0:
                keep = _partial_tag(text, tag)
                if not self._thinking:
                    said.append(text[: len(text) - keep])
                self._held = text[len(text) - keep :]
                return "".join(said)
            if not self._thinking:
                said.append(text[:at])
            text = text[at + len(tag) :]
            self._thinking = not self._thinking

    def flush(self) -> str:
        """End of the stream: a tag that never completed was text after all; unfinished thinking is dropped."""
        held, self._held = self._held, ""
        return "" if self._thinking else held
