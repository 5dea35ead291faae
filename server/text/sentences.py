"""Cut streamed LLM text into sentences, so each can go to TTS as soon as it is complete.

The splitter only emits a sentence once the text seen so far settles where it
ends: whatever the chunking (mid-word, mid-punctuation), the same text gives
the same sentences. Rules, in the order they are checked:

- a newline always ends a sentence;
- Chinese stops (。！？；… and full-width ！？) end a sentence right away;
- ASCII . ! ? (and "..." / "…") end one only when followed by white space,
  and not when the next word starts with a lower-case letter ("Well... maybe");
- "." after a known abbreviation (Mr. Dr. St. e.g. ...) or an initial ("J.") is
  no end; "3.5" never is (no space after the dot);
- quotes and closing brackets right after the stop stay with the sentence;
- a fragment that is too short to speak alone ("Oh." "好。") is merged into the next;
- a sentence longer than ``max_chars`` is cut at its last comma (else space)
  so TTS can start before the LLM reaches the full stop.
"""

from __future__ import annotations

# Terminators that need white space after them (English text).
_ASCII_STOPS = ".!?"
# Terminators that end a sentence even when text follows at once (Chinese text).
_CJK_STOPS = "。！？；…｡．"
_STOPS = _ASCII_STOPS + _CJK_STOPS
_CLOSERS = "\"'”’)]}」』》）】〉›»"
# Where an over-long sentence may be cut, after the mark.
_SOFT_BREAKS = ",，、;:：—"

_ABBREVIATIONS = frozenset(
    """mr. mrs. ms. dr. st. jr. sr. prof. rev. gen. col. capt. lt. sgt. mt. ft.
    vs. e.g. i.e. cf. approx. no. vol. fig. inc. ltd. co. jan. feb. mar. apr.
    jun. jul. aug. sep. sept. oct. nov. dec.""".split()
)
# What a word before a full stop may hold ("e.g", "J", "Mrs"): ASCII letters and dots.
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")
# split_sentences feeds a long text in pieces of this size: the splitter copies its buffer for every
# sentence it gives, so one whole book in the buffer would make that quadratic.
_WHOLE_TEXT_PIECE = 4096

_YES, _NO, _WAIT = "yes", "no", "wait"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def speech_weight(text: str) -> int:
    """Rough spoken length: a CJK character says as much as two Latin letters."""
    return sum(2 if _is_cjk(c) else 1 for c in text if not c.isspace())


def is_speakable(text: str) -> bool:
    """True when ``text`` has a letter or digit to say (not just punctuation or space)."""
    return any(c.isalnum() for c in text)


class SentenceSplitter:
    """Incremental splitter: ``feed`` chunks as they stream, ``flush`` at the end."""

    def __init__(self, *, max_chars: int = 200, min_weight: int = 10):
        self.max_chars = max_chars
        self.min_weight = min_weight
        self._buf = ""
        # Start, in _buf, of the sentence being looked at; text before it is a
        # short fragment waiting to be merged into this one.
        self._start = 0

    def feed(self, chunk: str) -> list[str]:
        """Add streamed text; return the sentences it completed."""
        self._buf += chunk
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """End of the stream: return whatever is left as the last sentence(s)."""
        out = self._drain(final=True)
        rest = self._buf.strip()
        self._buf, self._start = "", 0
        if rest:
            out.append(rest)
        return out

    def guess(self) -> str | None:
        """The sentence the next piece will most likely complete, or None.

        When the text so far stops at a full stop, only what comes next can
        settle it ("...in June." then " It" ends it; "3." then "5" does not),
        so ``feed`` waits one more piece. A caller may start speaking the
        guess meanwhile and use it if ``feed`` then returns exactly this
        sentence. None when the text does not end at a stop, when the stop
        follows an abbreviation ("Dr."), or when the sentence is too short to
        be spoken alone.
        """
        tail = self._buf.rstrip()
        if not tail or tail[-1] not in _STOPS + _CLOSERS:
            return None
        dot = len(tail) - 1
        while dot > self._start and tail[dot] in _CLOSERS:
            dot -= 1
        if tail[dot] == "." and self._is_abbreviation(dot):
            return None
        probe = SentenceSplitter(max_chars=self.max_chars, min_weight=self.min_weight)
        probe._buf, probe._start = self._buf, self._start
        sentences = probe._drain(final=True)
        if len(sentences) != 1 or probe._buf.strip():
            return None
        return sentences[0]

    # -- internals --

    def _drain(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            end = self._sentence_end(final)
            if end is None:
                return out
            sentence = self._buf[:end].strip()
            if sentence and speech_weight(sentence) < self.min_weight:
                self._start = end  # too short alone: keep it and merge forward
                continue
            self._buf, self._start = self._buf[end:], 0
            if sentence:
                out.append(sentence)

    def _sentence_end(self, final: bool) -> int | None:
        """Where the sentence starting at ``_start`` ends, or None if not settled yet."""
        buf, start = self._buf, self._start
        i = start
        while i < len(buf):
            if i - start >= self.max_chars:
                return self._cut_long(start)
            char = buf[i]
            if char == "\n":
                return i + 1
            if char in _STOPS:
                verdict, end = self._judge_stop(i, final)
                if verdict == _YES:
                    return end
                if verdict == _WAIT:
                    return None
                i = end
                continue
            i += 1
        return None

    def _judge_stop(self, i: int, final: bool) -> tuple[str, int]:
        """Is the stop run at ``i`` a sentence end? Returns (verdict, index after the run)."""
        buf = self._buf
        # A run of stops or closers is read no further than the longest sentence: past that the
        # sentence is cut anyway, and reading a 100 KB run of "!" again for every cut is quadratic.
        limit = min(len(buf), self._start + self.max_chars + 1)
        j = i
        while j < limit and buf[j] in _STOPS:
            j += 1
        run = buf[i:j]
        while j < limit and buf[j] in _CLOSERS:
            j += 1
        if j == limit < len(buf):
            return _NO, j  # longer than any sentence: _sentence_end cuts it
        if j == len(buf):
            # More stops or closers may still come: only the end of the text settles it.
            return (_YES, j) if final else (_WAIT, j)
        nxt = buf[j]
        if any(c in _CJK_STOPS for c in run if c not in "…"):
            return _YES, j
        if not (nxt.isspace() or _is_cjk(nxt)):
            return _NO, j  # "3.5", "Yahoo!Inc", "e.g", "Well…maybe"
        if run == "." and self._is_abbreviation(i):
            return _NO, j
        if _is_cjk(nxt):
            return _YES, j
        # Look at the next word: lower case means the sentence goes on ("Well... maybe").
        k = j
        while k < len(buf) and buf[k].isspace():
            if buf[k] == "\n":
                return _YES, j
            k += 1
        if k == len(buf):
            return (_YES, j) if final else (_WAIT, j)
        if buf[k].islower():
            return _NO, j
        return _YES, j

    def _is_abbreviation(self, dot: int) -> bool:
        # The word right before the dot, found by walking back from it: a regular expression
        # searched forward from the sentence's start retries at every letter (quadratic on long words).
        buf, begin = self._buf, dot
        while begin > self._start and buf[begin - 1] in _WORD_CHARS:
            begin -= 1
        while begin < dot and buf[begin] == ".":
            begin += 1  # the word starts with a letter
        if begin == dot:
            return False
        word = buf[begin:dot]
        if len(word) == 1 and word.isupper() and word != "I":
            return True  # an initial: "J. R. Tolkien"
        return (word + ".").lower() in _ABBREVIATIONS

    def _cut_long(self, start: int) -> int:
        """Where to cut a sentence that has run past ``max_chars``: after a comma, else at a space."""
        window = self._buf[start : start + self.max_chars]
        least = self.max_chars // 3
        for k in range(len(window) - 1, least - 1, -1):
            if window[k] in _SOFT_BREAKS:
                return start + k + 1
        for k in range(len(window) - 1, least - 1, -1):
            if window[k].isspace():
                return start + k
        return start + self.max_chars


def split_sentences(text: str, *, max_chars: int = 200, min_weight: int = 10) -> list[str]:
    """Split a whole text the same way the streaming splitter would."""
    splitter = SentenceSplitter(max_chars=max_chars, min_weight=min_weight)
    out: list[str] = []
    for start in range(0, len(text), _WHOLE_TEXT_PIECE):  # any chunking gives the same sentences
        out.extend(splitter.feed(text[start : start + _WHOLE_TEXT_PIECE]))
    return out + splitter.flush()
