"""Fake CosyVoice and GPT-SoVITS servers on loopback, shaped as the real ones are.

Each is a FastAPI app with the real server's paths, parameter declarations,
response classes and error bodies, copied from its source:

* CosyVoice, ``runtime/python/fastapi/server.py``: ``/inference_zero_shot``
  (GET and POST) takes ``tts_text`` and ``prompt_text`` as ``Form()`` and
  ``prompt_wav`` as ``File()``; it reads the clip (``load_wav``: an unreadable
  file or one under 16 kHz raises, which FastAPI turns into a plain 500; longer
  than 30 s is refused by ``_extract_speech_token``'s assert) and answers a
  ``StreamingResponse`` of raw int16 PCM chunks, no media type, at the model's
  rate. A missing field is FastAPI's own 422.
* GPT-SoVITS, ``api_v2.py``: ``POST /tts`` takes the ``TTS_Request`` JSON
  model; ``check_params`` answers 400 ``{"message"}``; the reference is read
  from ``ref_audio_path`` on the server's own disk (``not exists`` otherwise)
  and must be 3-10 s (``TTS._set_ref_spec``); failures are 400
  ``{"message": "tts failed", "Exception"}``; the answer is ``audio/wav``, or
  when streaming a WAV header with no length followed by raw chunks.
  ``GET /set_refer_audio?refer_audio_path=`` loads a clip: 200
  ``{"message": "success"}`` or 400 ``{"message": "set refer audio failed", "Exception"}``.

The speech they answer is a tone whose length follows the text, so a test can
tell one sentence from another. ``serve`` runs an app with uvicorn on
127.0.0.1 in a thread for the length of a ``with`` block.
"""

from __future__ import annotations

import io
import os
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Union

import numpy as np
import uvicorn
from fastapi import FastAPI, File, Form, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

SECONDS_PER_CHAR = 0.05


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono samples and rate of a PCM16 WAV (what soundfile would give); raises on anything else."""
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2, "not 16-bit PCM"
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
        return frames.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()


def speech_for(text: str, rate: int) -> np.ndarray:
    seconds = max(0.3, SECONDS_PER_CHAR * len(text))
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)


# --- CosyVoice ------------------------------------------------------------------------------------


def cosyvoice_app(*, rate: int = 24000, chunk_s: float = 0.5) -> FastAPI:
    """``app.state.calls``: (tts_text, prompt_text, clip samples, clip rate) per call. ``app.state.fail_after_chunks``:
    a model that breaks after that many chunks (None: never)."""
    app = FastAPI()
    app.state.calls = []
    app.state.fail_after_chunks = None

    def generate_data(model_output):
        # As server.py: each model output, as int16 bytes.
        for i in model_output:
            tts_audio = (i["tts_speech"] * (2**15)).astype(np.int16).tobytes()
            yield tts_audio

    def inference(tts_text: str, samples: np.ndarray):
        speech = speech_for(tts_text, rate)
        step = int(chunk_s * rate)
        for n, start in enumerate(range(0, speech.size, step)):
            if app.state.fail_after_chunks is not None and n >= app.state.fail_after_chunks:
                raise RuntimeError("CUDA out of memory")
            yield {"tts_speech": speech[start : start + step]}

    @app.get("/inference_zero_shot")
    @app.post("/inference_zero_shot")
    async def inference_zero_shot(tts_text: str = Form(), prompt_text: str = Form(), prompt_wav: UploadFile = File()):  # noqa: B008 - server.py's own
        samples, sample_rate = read_wav(prompt_wav.file.read())  # load_wav(prompt_wav.file, 16000)
        assert sample_rate >= 16000, f"wav sample rate {sample_rate} must be greater than 16000"
        assert samples.size / sample_rate <= 30, "do not support extract speech token for audio longer than 30s"
        app.state.calls.append((tts_text, prompt_text, samples, sample_rate))
        return StreamingResponse(generate_data(inference(tts_text, samples)))

    return app


# --- GPT-SoVITS -----------------------------------------------------------------------------------

LANGUAGES = ["auto", "auto_yue", "en", "zh", "ja", "yue", "ko", "all_zh", "all_ja", "all_yue", "all_ko"]  # v2
CUT_METHODS = ["cut0", "cut1", "cut2", "cut3", "cut4", "cut5"]


class TTS_Request(BaseModel):  # api_v2.py's own name and fields
    text: str = None
    text_lang: str = None
    ref_audio_path: str = None
    aux_ref_audio_paths: list = None
    prompt_lang: str = None
    prompt_text: str = ""
    top_k: int = 15
    top_p: float = 1
    temperature: float = 1
    text_split_method: str = "cut5"
    batch_size: int = 1
    batch_threshold: float = 0.75
    split_bucket: bool = True
    speed_factor: float = 1.0
    fragment_interval: float = 0.3
    seed: int = -1
    media_type: str = "wav"
    streaming_mode: Union[bool, int] = False  # noqa: UP007 - as api_v2.py declares it
    parallel_infer: bool = True
    repetition_penalty: float = 1.35
    sample_steps: int = 32
    super_sampling: bool = False
    overlap_length: int = 2
    min_chunk_length: int = 16


def wav_bytes_of(samples: np.ndarray, rate: int, *, frames: bool = True) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes() if frames else b"")
    return buf.getvalue()


def gptsovits_app(*, disk: dict[str, Path], rate: int = 32000) -> FastAPI:
    """``disk`` maps a folder as the server sees it to where it really is (a mounted volume).

    ``app.state.calls``: each ``/tts`` request's dict; ``app.state.loaded``: each path ``/set_refer_audio`` loaded."""
    app = FastAPI()
    app.state.calls = []
    app.state.loaded = []

    def local(path: str) -> Path | None:
        for seen_as, really in disk.items():
            if path.startswith(seen_as.rstrip("/") + "/"):
                return really / path[len(seen_as.rstrip("/")) + 1 :]
        return None

    def set_ref_audio(ref_audio_path: str) -> None:
        where = local(ref_audio_path) if ref_audio_path else None
        if where is None or not os.path.exists(where):
            raise ValueError(f"{ref_audio_path} not exists")
        samples, sample_rate = read_wav(where.read_bytes())
        seconds = samples.size / sample_rate + 0.3  # _set_ref_spec adds 0.3 s of silence first
        if seconds > 10 or seconds < 3:
            raise OSError("参考音频在3~10秒范围外，请更换！")
        app.state.loaded.append(ref_audio_path)

    def check_params(req: dict):
        text, text_lang = req.get("text", ""), req.get("text_lang", "")
        prompt_lang, media_type = req.get("prompt_lang", ""), req.get("media_type", "wav")
        if req.get("ref_audio_path", "") in [None, ""]:
            return JSONResponse(status_code=400, content={"message": "ref_audio_path is required"})
        if text in [None, ""]:
            return JSONResponse(status_code=400, content={"message": "text is required"})
        if text_lang in [None, ""]:
            return JSONResponse(status_code=400, content={"message": "text_lang is required"})
        elif text_lang.lower() not in LANGUAGES:
            return JSONResponse(status_code=400, content={"message": f"text_lang: {text_lang} is not supported in version v2"})
        if prompt_lang in [None, ""]:
            return JSONResponse(status_code=400, content={"message": "prompt_lang is required"})
        elif prompt_lang.lower() not in LANGUAGES:
            return JSONResponse(status_code=400, content={"message": f"prompt_lang: {prompt_lang} is not supported in version v2"})
        if media_type not in ["wav", "raw", "ogg", "aac"]:
            return JSONResponse(status_code=400, content={"message": f"media_type: {media_type} is not supported"})
        if req.get("text_split_method", "cut5") not in CUT_METHODS:
            return JSONResponse(status_code=400, content={"message": f"text_split_method:{req['text_split_method']} is not supported"})
        return None

    @app.post("/tts")
    async def tts_post_endpoint(request: TTS_Request):
        req = request.model_dump()  # api_v2.py: request.dict(), the same under pydantic 2
        check_res = check_params(req)
        if check_res is not None:
            return check_res
        if req["streaming_mode"] not in (0, 1, 2, 3):
            return JSONResponse(
                status_code=400, content={"message": "the value of streaming_mode must be 0, 1, 2, 3(int) or true/false(bool)"}
            )
        try:
            set_ref_audio(req["ref_audio_path"])
            if req["prompt_text"] == "":
                raise ValueError("prompt_text cannot be empty")  # what a v3 model says; v2 speaks without it
            app.state.calls.append(req)
            speech = speech_for(req["text"], rate)
            if req["streaming_mode"]:

                def chunks():
                    yield wav_bytes_of(speech, rate, frames=False)  # wave_header_chunk: a header with no length
                    for start in range(0, speech.size, rate // 2):
                        yield (speech[start : start + rate // 2] * 32767).astype("<i2").tobytes()

                return StreamingResponse(chunks(), media_type=f"audio/{req['media_type']}")
            return Response(wav_bytes_of(speech, rate), media_type=f"audio/{req['media_type']}")
        except Exception as e:  # noqa: BLE001 - as api_v2.py answers any failure
            return JSONResponse(status_code=400, content={"message": "tts failed", "Exception": str(e)})

    @app.get("/set_refer_audio")
    async def set_refer_aduio(refer_audio_path: str = None):  # noqa: RUF013 - api_v2.py's own
        try:
            set_ref_audio(refer_audio_path)
        except Exception as e:  # noqa: BLE001 - as api_v2.py answers any failure
            return JSONResponse(status_code=400, content={"message": "set refer audio failed", "Exception": str(e)})
        return JSONResponse(status_code=200, content={"message": "success"})

    return app


# --- on loopback ------------------------------------------------------------------------------------


@contextmanager
def serve(app: FastAPI, timeout_s: float = 30.0) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port) in a thread; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:  # uvicorn's own flag, set once it listens
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
