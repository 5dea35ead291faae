"""One simulated tablet's spoken turn, timed from the socket.

A raw HTTP/1.1 client on asyncio streams, not httpx: with 200 tablets in one
process the client's own overhead would otherwise show up as server latency.
The recording goes up as a chunked body at real-time pace (one chunk per
``chunk_s`` of audio, sent when that much has been "recorded"), with a WAV
header that does not know the length yet, as a recorder streaming it would.
The clock starts when the last byte of the upload is written and stops when
the first ``sentence`` line has arrived.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from dataclasses import dataclass, field

import numpy as np

RATE = 16000


def streaming_wav_header(rate: int = RATE) -> bytes:
    """A 16-bit mono WAV header with unknown sizes (0xFFFFFFFF), as a streaming recorder writes."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return b"RIFF" + b"\xff\xff\xff\xff" + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + b"\xff\xff\xff\xff"


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


@dataclass
class TurnResult:
    ok: bool = False
    error: str | None = None
    upload_s: float = 0.0  # how long the upload took (the clip, at real-time pace)
    ttfa_ms: float | None = None  # end of upload -> first sentence event at the tablet
    total_ms: float | None = None  # end of upload -> done
    sentences: int = 0
    notices: list[str] = field(default_factory=list)
    server_timings: dict = field(default_factory=dict)


async def spoken_turn(
    host: str,
    port: int,
    session_id: str,
    token: str,
    pcm: bytes,
    *,
    chunk_s: float = 0.1,
    rate: int = RATE,
    realtime: bool = True,
) -> TurnResult:
    """Send one recording as a streamed turn and read the NDJSON answer to its end.

    ``realtime=False`` sends the chunks at once (warm-up turns that are not timed).
    """
    result = TurnResult()
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            (
                f"POST /v1/sessions/{session_id}/turns HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: audio/wav\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        step = 2 * int(rate * chunk_s)
        started = loop.time()
        for offset in range(0, len(pcm), step):
            piece = pcm[offset : offset + step]
            # A chunk leaves once its audio has been spoken (absolute times: no drift).
            delay = started + (offset + len(piece)) / (2 * rate) - loop.time()
            if delay > 0 and realtime:
                await asyncio.sleep(delay)
            if offset == 0:
                piece = streaming_wav_header(rate) + piece
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        ended = time.perf_counter()
        result.upload_s = loop.time() - started

        status = await reader.readline()
        headers = await _headers(reader)
        if b" 200 " not in status:
            body = await reader.read(2000)
            result.error = f"{status.decode().strip()} {body[-300:].decode('utf-8', 'replace')}"
            return result
        async for line in _body_lines(reader, headers):
            event = json.loads(line)
            kind = event.get("type")
            if kind == "sentence":
                if result.ttfa_ms is None:
                    result.ttfa_ms = (time.perf_counter() - ended) * 1000
                result.sentences += 1
            elif kind == "notice":
                result.notices.append(event.get("code", "?"))
            elif kind == "done":
                result.total_ms = (time.perf_counter() - ended) * 1000
                result.server_timings = event.get("timings_ms", {})
        if result.total_ms is None:
            result.error = "the stream ended without a done event"
        elif result.sentences == 0:
            result.error = "no sentence in the answer"
        else:
            result.ok = True
        return result
    finally:
        writer.close()


async def _headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


async def _body_lines(reader: asyncio.StreamReader, headers: dict[str, str]):
    """The non-empty lines of the body, as soon as each is complete (chunked or read to close)."""
    buffer = b""
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    while True:
        if chunked:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                break
            data = await reader.readexactly(size + 2)
            buffer += data[:-2]
        else:
            data = await reader.read(65536)
            if not data:
                break
            buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield line
    if buffer.strip():
        yield buffer
