"""The relative's words on their way to the server while they are still speaking.

The microphone's thread feeds PCM as it records; the turn's request reads
``chunks()`` as its chunked body: a WAV header that does not know the length
yet (the server reads such a stream as it arrives, and starts recognising at
the first pause), then the samples. The end of speech (the VAD or a tap) ends
the body, so the server has nearly everything already when the relative stops.

The same words also go to the outbox file as before: if this request fails,
the file is sent the ordinary way later, and nothing said is lost.
"""

from __future__ import annotations

import queue
import struct
import threading
from collections.abc import Iterator

from client.audio import MIC_RATE

# Nothing recorded for this long: the recording was dropped without a word (a crash
# in the UI); end the request instead of holding a connection open for ever.
IDLE_TIMEOUT_S = 30.0
# Microphones deliver 10-30 ms at a time; sending each as its own HTTP chunk would cost the
# server a wake-up per chunk. A tenth of a second a chunk keeps the stream live and cheap.
MIN_CHUNK_S = 0.1
_END = object()


class UploadAborted(Exception):
    """The recording was thrown away (nobody spoke, or the relative backed out): the server must not take it."""


def streaming_wav_header(rate: int = MIC_RATE) -> bytes:
    """A 16-bit mono WAV header whose sizes are unknown (0xFFFFFFFF), as a recorder that streams writes it."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return b"RIFF\xff\xff\xff\xffWAVEfmt " + struct.pack("<I", 16) + fmt + b"data\xff\xff\xff\xff"


class LiveUpload:
    """A chunked request body fed from another thread. ``finish`` ends it; ``abort`` makes it fail."""

    def __init__(self, rate: int = MIC_RATE, idle_timeout_s: float = IDLE_TIMEOUT_S, min_chunk_s: float = MIN_CHUNK_S) -> None:
        self.rate = rate
        self.idle_timeout_s = idle_timeout_s
        self.min_chunk_bytes = 2 * int(rate * min_chunk_s)
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self.bytes_fed = 0

    def feed(self, pcm: bytes) -> None:
        """16-bit mono PCM at ``rate``, as recorded (any thread). Ignored once finished or aborted."""
        with self._lock:
            if self._closed or not pcm:
                return
            self.bytes_fed += len(pcm)
            self._queue.put(bytes(pcm))

    def finish(self) -> None:
        self._close(_END)

    def abort(self) -> None:
        self._close(UploadAborted("the recording was thrown away"))

    def _close(self, last) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(last)

    def chunks(self) -> Iterator[bytes]:
        """The body: the header at once (the request starts now), then PCM as it comes, at least
        ``min_chunk_s`` a chunk; the end sends what is left at once."""
        yield streaming_wav_header(self.rate)
        buffered: list[bytes] = []
        size = 0
        while True:
            try:
                item = self._queue.get(timeout=self.idle_timeout_s)
            except queue.Empty:
                raise UploadAborted("no audio came for a long time") from None
            if isinstance(item, bytes):
                buffered.append(item)
                size += len(item)
                if size < self.min_chunk_bytes:
                    continue
            if buffered:
                yield b"".join(buffered)
                buffered, size = [], 0
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
