"""The tablet streams the relative's words while they speak: the body, the microphone's feed, the real server."""

from __future__ import annotations

import difflib
import re
import threading
import time
import wave

import httpx
import numpy as np
import pytest

from client.api import KeepsakeClient
from client.audio import MIC_RATE, to_int16
from client.live_upload import LiveUpload, UploadAborted, streaming_wav_header
from server.audio import decode_audio
from server.pipeline.early_asr import WavStream


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(MIC_RATE * seconds)) / MIC_RATE
    return to_int16(0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)))


def feed_later(upload: LiveUpload, pcm: bytes, pieces: int = 10, pause_s: float = 0.01, end: str = "finish") -> threading.Thread:
    """Another thread plays the microphone: PCM in pieces over time, then the end of speech."""

    def run() -> None:
        step = len(pcm) // pieces + 1
        for i in range(0, len(pcm), step):
            time.sleep(pause_s)
            upload.feed(pcm[i : i + step])
        getattr(upload, end)()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_body_starts_at_once_with_a_header_then_the_samples_as_recorded():
    pcm = tone(0.5).tobytes()
    upload = LiveUpload()
    chunks = upload.chunks()
    assert next(chunks) == streaming_wav_header()  # before anything is recorded: the request can start now
    feed_later(upload, pcm, pieces=50)  # 10 ms at a time, as a microphone delivers
    rest = list(chunks)
    assert b"".join(rest) == pcm  # every sample, in order
    assert [len(c) for c in rest[:-1]] and all(len(c) >= upload.min_chunk_bytes for c in rest[:-1])  # 0.1 s or more a chunk
    assert 3 <= len(rest) <= 6
    assert upload.bytes_fed == len(pcm)
    upload.feed(b"\0\0")  # after the end nothing more is taken
    assert upload.bytes_fed == len(pcm)


def test_the_server_reads_the_tablets_stream_as_it_arrives_and_whole():
    samples = tone(0.7)
    body = streaming_wav_header() + samples.tobytes()
    parser = WavStream()
    parts = [parser.feed(body[i : i + 997]) for i in range(0, len(body), 997)]
    heard = np.concatenate([p for p in parts if p is not None])
    assert heard.size == samples.size and np.allclose(heard, samples / 32768.0, atol=1e-4)
    whole = decode_audio(body)  # what the server stores and decodes once the body has ended
    assert whole.duration_s == pytest.approx(0.7, abs=0.002)


def test_a_recording_thrown_away_ends_the_request_without_a_turn():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=b"")

    client = KeepsakeClient("http://server.test", token="t", transport=httpx.MockTransport(handler))
    upload = LiveUpload()
    feed_later(upload, tone(0.3).tobytes(), end="abort")
    with pytest.raises(UploadAborted), client.turn("ses_1", body=upload.chunks()):
        pass
    assert calls == []  # the server never saw a whole request


def test_a_microphone_that_stops_feeding_ends_the_request():
    upload = LiveUpload(idle_timeout_s=0.2)
    chunks = upload.chunks()
    next(chunks)
    with pytest.raises(UploadAborted):
        next(chunks)


def test_the_file_microphone_hands_every_chunk_to_the_upload_too(tmp_path):
    from client.platform.mic_file import FileMic

    src = tmp_path / "speech.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(MIC_RATE)
        w.writeframes(tone(1.2).tobytes())
    upload, ended = LiveUpload(), threading.Event()
    mic = FileMic(str(src))
    assert mic.streams_pcm
    mic.start(lambda kind, value: kind in ("end", "timeout") and ended.set(), on_pcm=upload.feed)
    assert ended.wait(6)
    recording = mic.stop(tmp_path / "out")
    upload.finish()
    streamed = b"".join(list(upload.chunks())[1:])
    with wave.open(str(recording.path), "rb") as w:
        kept = w.readframes(w.getnframes())
    # The stream has everything heard (lead-in, words, the quiet until the end); the file keeps
    # the words with a little air, the very same samples.
    assert len(streamed) / (2 * MIC_RATE) >= 0.4 + 1.2 + 0.9
    assert 1.2 <= len(kept) / (2 * MIC_RATE) < len(streamed) / (2 * MIC_RATE)
    assert streamed.find(kept) >= 0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.mark.slow
def test_a_streamed_turn_reaches_the_real_server_and_is_understood(tmp_path):
    from server.bench.speech import speak
    from tests.live_server import start_server

    question = "Tell me about your wedding day."
    speech = to_int16(speak(question))
    rng = np.random.default_rng(3)
    room = (rng.standard_normal(MIC_RATE) * 0.0005 * 32767).astype("<i2")  # the quiet before the VAD ends it
    server = start_server(tmp_path / "data")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            token = http.post("/v1/devices", json={"pairing_code": server.pairing_code, "name": "t"}).json()["device_token"]
            headers = {"Authorization": f"Bearer {token}"}
            persona = http.get("/v1/personas", headers=headers).json()[0]
            session = http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers).json()
        client = KeepsakeClient(server.url, token=token)
        upload = LiveUpload()
        pcm = np.concatenate([speech, room]).tobytes()
        feed_later(upload, pcm, pieces=int(len(pcm) / (2 * MIC_RATE * 0.1)), pause_s=0.1)  # real time, 100 ms pieces
        with client.turn(session["id"], body=upload.chunks()) as events:
            seen = list(events)
        client.close()
    finally:
        server.stop()
    transcript = next(e for e in seen if e.type == "transcript")
    assert difflib.SequenceMatcher(None, words(question), words(transcript.text)).ratio() >= 0.8, transcript
    assert any(e.type == "sentence" for e in seen)
    assert seen[-1].type == "done"
