"""Speech to text that starts while the relative's upload is still arriving.

When the speech pauses, the words so far are recognised in the background.
If the relative says nothing more, that result is the transcript: after the
last word only the pause is left to wait for, not the whole recognition.
If they go on, the next pause starts a new pass; at most one runs at a time.
"""

from __future__ import annotations

import asyncio
import struct

import numpy as np

from server.audio import StreamResampler
from server.endpointing import EndOfSpeech, EndpointConfig
from server.services.base import Audio, ServiceError, SpeechToText, Transcript

RATE = 16_000
# A pause this long may be the end: worth recognising what we have. Shorter than the
# tablet's end-of-speech wait, so the pass runs while the last silence is still arriving.
PAUSE_S = 0.45


def expected_language(persona_language: str | None) -> str | None:
    """The language a turn's speech to text is told: none for an English persona, whose relative may
    speak anything (the embedded engine reads English with tiny.en and hands what it cannot place to
    Whisper base); the persona's own otherwise, so a Chinese persona is heard by a model that knows Chinese."""
    if not persona_language or persona_language.replace("_", "-").split("-")[0].lower() == "en":
        return None
    return persona_language


class WavStream:
    """Parses a 16-bit PCM WAV as it arrives; ``feed`` returns mono float32 at 16 kHz (or None: not such a WAV)."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._fmt: tuple[int, int] | None = None  # (channels, rate)
        self._in_data = False
        self._carry = b""
        # One for the whole upload, so the filter runs across the seams between pieces.
        self._resampler: StreamResampler | None = None
        self.failed = False

    def feed(self, chunk: bytes) -> np.ndarray | None:
        if self.failed:
            return None
        if not self._in_data:
            self._head += chunk
            payload = self._parse_header()
            if payload is None:
                return None
            chunk = payload
        data = self._carry + chunk
        assert self._fmt is not None  # the data chunk is entered only once its fmt chunk was read
        channels, rate = self._fmt
        frame = 2 * channels
        usable = len(data) - len(data) % frame
        self._carry = data[usable:]
        pcm = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        if channels > 1:
            pcm = pcm.reshape(-1, channels).mean(axis=1)
        if rate == RATE:
            return pcm
        if self._resampler is None:
            self._resampler = StreamResampler(rate, RATE)
        return self._resampler.feed(pcm)

    def flush(self) -> np.ndarray:
        """The last samples the resampler held back, once the upload has ended."""
        if self._resampler is None or self.failed:
            return np.zeros(0, dtype=np.float32)
        return self._resampler.flush()

    def _parse_header(self) -> bytes | None:
        """The bytes after the header once it is complete; None while it is not (or is not ours)."""
        head = bytes(self._head)
        if len(head) >= 12 and (head[:4] != b"RIFF" or head[8:12] != b"WAVE"):
            self.failed = True
            return None
        pos = 12
        while pos + 8 <= len(head):
            kind, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
            if kind == b"data":
                if self._fmt is None:
                    self.failed = True
                    return None
                self._in_data = True
                return head[pos + 8 :]
            if pos + 8 + size > len(head):
                if len(head) > 1 << 16:  # a header this long is not a speech recording
                    self.failed = True
                return None
            if kind == b"fmt ":
                audio_format, channels, rate = struct.unpack("<HHI", head[pos + 8 : pos + 16])
                bits = struct.unpack("<H", head[pos + 22 : pos + 24])[0]
                if audio_format not in (1, 0xFFFE) or bits != 16 or not 1 <= channels <= 8 or not 4000 <= rate <= 192000:
                    self.failed = True
                    return None
                self._fmt = (channels, rate)
            pos += 8 + size + (size & 1)
        return None


class EarlyTranscriber:
    def __init__(self, asr: SpeechToText, language: str | None = None, pause_s: float = PAUSE_S):
        self.asr = asr
        self.pause_s = pause_s  # the live socket asks sooner: its turn may end after 250 ms of pause
        self.language = language  # what the speech to text is told (see expected_language)
        self.wav = WavStream()
        self._chunks: list[np.ndarray] = []
        self._total = 0
        # Never "ends": it is asked only where the last voiced frame was.
        self._voice = EndOfSpeech(EndpointConfig(sample_rate=RATE, hang_ms=1e12, max_utterance_s=1e12))
        self._pass: asyncio.Task[Transcript] | None = None
        self._pass_covers_s = 0.0
        self.passes = 0

    @property
    def usable(self) -> bool:
        return not self.wav.failed and self._total > 0

    def feed(self, chunk: bytes) -> None:
        samples = self.wav.feed(chunk)
        if samples is None or samples.size == 0:
            return
        self._chunks.append(samples)
        self._total += samples.size
        self._voice.feed(samples)
        last = self._voice.last_voiced_s
        heard_s = self._total / RATE
        if last is None or heard_s - last < self.pause_s or self._pass_covers_s >= last:
            return
        if self._pass is None or self._pass.done():
            self._start_pass()

    def _start_pass(self) -> None:
        audio = Audio(np.concatenate(self._chunks), RATE)
        self._pass_covers_s = audio.duration_s
        self._pass = asyncio.create_task(self.asr.transcribe(audio, self.language))
        # A pass nobody ends up waiting for must not log "exception never retrieved".
        self._pass.add_done_callback(lambda task: task.cancelled() or task.exception())
        self.passes += 1

    def heard(self) -> str | None:
        """The words of a finished pass that covers every word so far; None while there is none."""
        transcript = self.heard_transcript()
        return None if transcript is None else transcript.text

    def heard_transcript(self) -> Transcript | None:
        """``heard``, with what the recogniser says of its words (``Transcript.last_word``)."""
        last = self._voice.last_voiced_s
        task = self._pass
        if task is None or last is None or self._pass_covers_s < last or not task.done() or task.cancelled():
            return None
        if task.exception() is not None:
            return None
        return task.result()

    def words_coming(self) -> bool:
        """Is the recognition of the last word on its way? True while its pass runs (or waits to
        start: the pause is not ``pause_s`` long yet, or the pass before is still running); False
        once ``heard`` has the words, or the pass failed."""
        last = self._voice.last_voiced_s
        if last is None:
            return False
        task = self._pass
        if task is not None and self._pass_covers_s >= last:
            return not task.done()
        return True

    async def finish(self) -> Transcript:
        """The transcript of everything fed. Raises ServiceError like the speech-to-text stage."""
        last = self._voice.last_voiced_s
        if self._pass is not None and last is not None and self._pass_covers_s >= last:
            try:
                return await self._pass  # it heard every word
            except ServiceError:
                pass  # try once more on the whole recording
        self.cancel()
        tail = self.wav.flush()
        if tail.size:
            self._chunks.append(tail)
        audio = Audio(np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32), RATE)
        return await self.asr.transcribe(audio, self.language)

    def cancel(self) -> None:
        if self._pass is not None and not self._pass.done():
            self._pass.cancel()
