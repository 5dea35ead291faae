"""Fake OpenAI-compatible generation services with set latencies, on 127.0.0.1.

Plain asyncio, no web framework: the fakes must cost next to no CPU, so that
what the benchmark measures is the Keepsake server, not them. They run in
their own process (``python -m server.bench.fakes --port P --profile JSON``),
so their event loop never waits behind the simulated tablets'.

- POST /v1/audio/transcriptions   JSON {"text"} after fixed + per-audio-second latency
- POST /v1/chat/completions       SSE stream: first token after TTFT, then tokens at a set rate
- POST /v1/audio/speech           WAV after fixed + real-time factor x its duration

Every delay is counted from the moment the whole request has arrived.

For ``keepsake bench --live --pipecat`` the recogniser can also hear words: the bench says which
parts of the utterance it is about to stream, and when each is spoken (``POST /bench/utterance``,
times on the machine's monotonic clock, which every process shares), and a transcription returns
the words its audio covers (server.bench.heard). ``GET /bench/log`` hands back each transcription
and chat request since that utterance, with the moment it arrived: the side-by-side bench reads
when a turn ended from them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import struct
import sys

import numpy as np

from server.bench.heard import Part, heard_text
from server.bench.profile import TRANSCRIPT, Profile, answer, spoken_s, tokens

SPEECH_RATE = 24000  # what OpenAI's /audio/speech returns for WAV


def _voice_like(seconds: float = 30.0) -> bytes:
    """16-bit PCM of a tone with a syllable-rate envelope, so mouth tracks have something to follow."""
    t = np.arange(int(seconds * SPEECH_RATE)) / SPEECH_RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t)
    samples = 0.3 * envelope * np.sin(2 * np.pi * 180.0 * t)
    return (samples * 32767).astype("<i2").tobytes()


_PCM = _voice_like()


def wav(seconds: float) -> bytes:
    pcm = _PCM[: 2 * int(min(seconds, 30.0) * SPEECH_RATE)]
    fmt = struct.pack("<HHIIHH", 1, 1, SPEECH_RATE, SPEECH_RATE * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav_seconds(body: bytes) -> float:
    """Duration of the first PCM WAV inside a (multipart) body; 0 if there is none."""
    start = body.find(b"RIFF")
    if start < 0:
        return 0.0
    pos, rate, block = start + 12, 0, 0
    while pos + 8 <= len(body):
        chunk, size = struct.unpack_from("<4sI", body, pos)
        if chunk == b"fmt ":
            _, _, rate, _, block, _ = struct.unpack_from("<HHIIHH", body, pos + 8)
        elif chunk == b"data" and rate and block:
            return min(size, len(body) - pos - 8) / (rate * block)
        pos += 8 + size + (size & 1)
    return 0.0


# --- a very small HTTP/1.1 server ---------------------------------------------------------------


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    _method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while size := int((await reader.readline()).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readline()
        return path, headers, bytes(body)
    return path, headers, await reader.readexactly(int(headers.get("content-length", "0")))


def _head(status: str, content_type: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n".encode()


# What OpenAI's client reads besides the choices of a streamed chunk (Pipecat's LLM service uses it).
_CHUNK = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench"}


class Fakes:
    def __init__(self, profile: Profile):
        self.p = profile
        self.answers = 0
        self.parts: list[Part] | None = None  # None: the fixed transcript, as the main bench has it
        self.log: list[dict] = []

    def answer_events(self) -> list[bytes]:
        """The next answer as SSE events, one token each, then [DONE]."""
        self.answers += 1
        events = [
            b"data: " + json.dumps({**_CHUNK, "choices": [{"index": 0, "delta": {"content": tok}}]}).encode() + b"\n\n"
            for tok in tokens(answer(self.answers))
        ]
        return events + [b"data: [DONE]\n\n"]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await _read_request(reader)) is not None:
                await self.route(*request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def route(self, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter) -> None:
        arrived = asyncio.get_running_loop().time()
        if path == "/bench/utterance":
            self.parts, self.log = [Part(*p) for p in json.loads(body)["parts"]], []
            writer.write(_head("204 No Content", "application/json", 0))
        elif path == "/bench/log":
            payload = json.dumps(self.log).encode()
            writer.write(_head("200 OK", "application/json", len(payload)) + payload)
        elif path.endswith("/audio/transcriptions"):
            audio_s = wav_seconds(body)
            text = TRANSCRIPT if self.parts is None else heard_text(self.parts, arrived, audio_s)
            self.log.append({"kind": "transcription", "at": arrived, "audio_s": audio_s, "text": text})
            await _sleep_until(arrived + self.p.asr_latency_ms(audio_s) / 1000)
            payload = json.dumps({"text": text, "language": "en"}).encode()
            writer.write(_head("200 OK", "application/json", len(payload)) + payload)
        elif path.endswith("/chat/completions"):
            self.log.append({"kind": "chat", "at": arrived, "user": _last_user_text(body)})
            writer.write(_head("200 OK", "text/event-stream", None))
            events = self.answer_events()
            for k, event in enumerate(events):
                # Absolute times, so a late wake-up never delays the tokens after it; [DONE] follows the last token.
                await _sleep_until(arrived + self.p.token_at_ms(min(k, len(events) - 2)) / 1000)
                writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            writer.write(b"0\r\n\r\n")
        elif path.endswith("/audio/speech"):
            text = json.loads(body).get("input", "")
            await _sleep_until(arrived + self.p.tts_latency_ms(text) / 1000)
            audio = wav(spoken_s(text))
            writer.write(_head("200 OK", "audio/wav", len(audio)) + audio)
        else:
            payload = b'{"error": "not found"}'
            writer.write(_head("404 Not Found", "application/json", len(payload)) + payload)
        await writer.drain()


def _last_user_text(body: bytes) -> str:
    try:
        messages = json.loads(body).get("messages", [])
    except ValueError:
        return ""
    users = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    last = users[-1] if users else ""
    if isinstance(last, list):  # content parts
        return " ".join(str(p.get("text", "")) for p in last if isinstance(p, dict))
    return str(last or "")


async def _sleep_until(when: float) -> None:
    delay = when - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def serve(port: int, profile: Profile) -> None:
    server = await asyncio.start_server(Fakes(profile).handle, "127.0.0.1", port, backlog=1024)
    print(f"fakes listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--profile", default="{}", help="the Profile's fields as JSON")
    args = parser.parse_args(argv)
    profile = Profile(**json.loads(args.profile))
    if not math.isfinite(profile.llm_tokens_per_s) or profile.llm_tokens_per_s <= 0:
        parser.error("llm_tokens_per_s must be positive")
    try:
        asyncio.run(serve(args.port, profile))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
