"""The embedded engines on this machine: the demo persona, story mode, a spoken question.

``serve --demo`` with every stage local (faster-whisper tiny.en, story mode,
Piper), a tablet paired with the demo pairing code, and the same question
spoken turn after turn at real-time pace. Counted from the end of the upload
to the first sentence at the tablet.

The upload ends in one of the two ways a tablet ends it:

- ``vad``: the tablet streams what its microphone hears, the question and then
  the quiet room, until its own voice activity detector (``client/vad.py``,
  the same code and settings) decides the relative is done. The silence it
  waited for is reported separately: the relative waits that long as well.
- ``tap``: the relative taps the button at their last word; nothing but the
  words goes up, and all the recognition is left for after the upload.

The server speaks ahead (``server/pipeline/speak_ahead.py``): before the first
turn the bench waits until the demo persona's greetings, phrases and memory
openings are all made, as they would be on a server that has been up for a
few minutes, and reports how long that took.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import numpy as np

from client.audio import level_dbfs
from client.vad import Vad
from server.bench.processes import Meter, machine_busy_s, pairing_code, start_server
from server.bench.speech import LONG_QUESTION, speak
from server.bench.stats import summary
from server.bench.tablet import RATE, pcm16, spoken_turn

LOCAL_ENV = {
    "KEEPSAKE_ASR__PROVIDER": "local",
    "KEEPSAKE_LLM__PROVIDER": "local",
    "KEEPSAKE_TTS__PROVIDER": "local",
    "KEEPSAKE_FACE__PROVIDER": "local",
    "KEEPSAKE_PRELOAD_ENGINES": "true",
    "KEEPSAKE_PIPELINE": "streamed",
    "KEEPSAKE_SPEAK_AHEAD": "true",
}
SPEAK_AHEAD_WAIT_S = 1800  # Piper on a busy 2-core machine makes a sentence in about half a second
ENDINGS = ("vad", "tap")
LEAD_IN_S = 0.4  # the room before the relative speaks (the detector measures it)
ROOM_NOISE = 0.0005  # about -66 dBFS, as client/platform/mic_file.py plays it


def vad_ended_upload(speech: np.ndarray, seed: int = 6) -> tuple[bytes, float]:
    """(PCM the tablet streams, silence waited in s): room, question, room until the tablet's VAD ends it."""
    rng = np.random.default_rng(seed)
    tail = np.zeros(int(5 * RATE), np.float32)
    audio = np.concatenate([np.zeros(int(LEAD_IN_S * RATE), np.float32), speech, tail])
    audio = audio + ROOM_NOISE * rng.standard_normal(audio.size).astype(np.float32)
    pcm = np.frombuffer(pcm16(audio), "<i2")
    vad = Vad()
    frame = int(RATE * vad.c.frame_s)
    for i in range(0, pcm.size - frame + 1, frame):
        if vad.feed(level_dbfs(pcm[i : i + frame])) == "end":
            end = i + frame
            return pcm[:end].tobytes(), end / RATE - (LEAD_IN_S + speech.size / RATE)
    raise RuntimeError("the tablet's voice activity detector never ended the question")


async def _turns(url: str, port: int, code: str, uploads: dict[str, bytes], turns: int, think_s: float) -> dict[str, list]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        device = (await http.post("/v1/devices", json={"pairing_code": code, "name": "bench tablet"})).json()
        headers = {"Authorization": f"Bearer {device['device_token']}"}
        persona = (await http.get("/v1/personas", headers=headers)).json()[0]
        session = (await http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers)).json()
    results: dict[str, list] = {ending: [] for ending in uploads}
    turn = lambda pcm: asyncio.wait_for(spoken_turn("127.0.0.1", port, session["id"], device["device_token"], pcm), 120)
    for pcm in uploads.values():  # warm-ups, not timed
        await turn(pcm)
        await asyncio.sleep(think_s)
    for _ in range(turns):  # the endings take turns, so a busy moment on the machine hits both alike
        for ending, pcm in uploads.items():
            results[ending].append(await turn(pcm))
            await asyncio.sleep(think_s)
    return results


def _ending_report(results: list) -> dict:
    ok = [r for r in results if r.ok]
    return {
        "turns": len(results),
        "errors": len(results) - len(ok),
        "ttfa_ms": summary([r.ttfa_ms for r in ok]),
        "server_asr_ms": summary([r.server_timings.get("asr") for r in ok]),
        "server_first_text_ms": summary([r.server_timings.get("first_text") for r in ok]),
        "server_first_audio_ms": summary([r.server_timings.get("first_audio") for r in ok]),
        "notices": sorted({n for r in results for n in r.notices}),
    }


def wait_for_speaking_ahead(data_dir: Path, timeout_s: float = SPEAK_AHEAD_WAIT_S) -> tuple[float, int]:
    """(seconds waited, sentences still missing): until the demo persona's speech is all made ahead."""
    from server.pipeline.speak_ahead import still_to_make
    from server.services.tts_local import LocalTextToSpeech
    from server.storage import personas
    from server.storage.db import Database

    db = Database(data_dir / "keepsake.db")
    started = time.perf_counter()
    try:
        row = db.one("SELECT id, household_id FROM personas ORDER BY created_at LIMIT 1")
        assert row is not None  # the benchmark's household was given its persona before this
        persona = personas.get(db, row["household_id"], row["id"])
        assert persona is not None  # the row just read
        left = still_to_make(db, persona, tts_name=LocalTextToSpeech.name, voice=persona.voice_id)
        said = None
        while left and time.perf_counter() - started < timeout_s:
            if said is None or time.perf_counter() - said > 30:
                print(f"        speaking ahead: {left} sentences to go", flush=True)
                said = time.perf_counter()
            time.sleep(1)
            left = still_to_make(db, persona, tts_name=LocalTextToSpeech.name, voice=persona.voice_id)
    finally:
        db.close()
    return round(time.perf_counter() - started, 1), left


def run_embedded(workdir: Path, turns: int, think_s: float = 0.5) -> dict:
    speech = speak(LONG_QUESTION)
    vad_pcm, waited_s = vad_ended_upload(speech)
    uploads = {"vad": vad_pcm, "tap": pcm16(speech)}
    server = start_server(workdir / "embedded", LOCAL_ENV, demo=True)
    try:
        ahead_s, ahead_left = wait_for_speaking_ahead(workdir / "embedded")
        mine = Meter(server.pid).cpu_s() + Meter(os.getpid()).cpu_s()
        machine, started = machine_busy_s(), time.perf_counter()
        results = asyncio.run(_turns(server.url, server.port, pairing_code(server), uploads, turns, think_s))
        wall = time.perf_counter() - started
        mine = Meter(server.pid).cpu_s() + Meter(os.getpid()).cpu_s() - mine
        other_cpu_percent = round(100 * max(0.0, machine_busy_s() - machine - mine) / wall, 1)
    finally:
        server.stop()
    return {
        "question": LONG_QUESTION,
        "clip_s": round(speech.size / RATE, 2),
        "vad_waited_ms": round(1000 * waited_s),  # the tablet's end-of-speech wait, before the clock starts
        "endings": {ending: _ending_report(results[ending]) for ending in uploads},
        "other_cpu_percent": other_cpu_percent,  # other people's work on this machine meanwhile
        "speak_ahead_s": ahead_s,  # waited before the first turn for the persona's speech to be made ahead
        "speak_ahead_missing": ahead_left,  # sentences still not made when the turns began (0: all were)
    }
