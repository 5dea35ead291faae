"""The embedded engines on this machine: the demo persona, story mode, a spoken question.

``serve --demo`` with every stage local (faster-whisper tiny.en, story mode,
Piper), a tablet paired with the demo pairing code, and the same question
spoken turn after turn at real-time pace. Counted from the end of the upload
to the first sentence at the tablet.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx

from server.bench.processes import Meter, machine_busy_s, pairing_code, start_server
from server.bench.speech import LONG_QUESTION, question_pcm
from server.bench.stats import summary
from server.bench.tablet import spoken_turn

LOCAL_ENV = {
    "KEEPSAKE_ASR__PROVIDER": "local",
    "KEEPSAKE_LLM__PROVIDER": "local",
    "KEEPSAKE_TTS__PROVIDER": "local",
    "KEEPSAKE_FACE__PROVIDER": "local",
    "KEEPSAKE_PRELOAD_ENGINES": "true",
    "KEEPSAKE_PIPELINE": "streamed",
}


async def _turns(url: str, port: int, code: str, pcm: bytes, turns: int, think_s: float) -> list:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        device = (await http.post("/v1/devices", json={"pairing_code": code, "name": "bench tablet"})).json()
        headers = {"Authorization": f"Bearer {device['device_token']}"}
        persona = (await http.get("/v1/personas", headers=headers)).json()[0]
        session = (await http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers)).json()
    results = []
    for turn in range(turns + 1):  # the first one only warms up
        result = await asyncio.wait_for(spoken_turn("127.0.0.1", port, session["id"], device["device_token"], pcm), 120)
        if turn:
            results.append(result)
        await asyncio.sleep(think_s)
    return results


def run_embedded(workdir: Path, turns: int, think_s: float = 0.5) -> dict:
    pcm, clip_s = question_pcm(LONG_QUESTION)
    server = start_server(workdir / "embedded", LOCAL_ENV, demo=True)
    try:
        mine = Meter(server.pid).cpu_s() + Meter(os.getpid()).cpu_s()
        machine, started = machine_busy_s(), time.perf_counter()
        results = asyncio.run(_turns(server.url, server.port, pairing_code(server), pcm, turns, think_s))
        wall = time.perf_counter() - started
        mine = Meter(server.pid).cpu_s() + Meter(os.getpid()).cpu_s() - mine
        other_cpu_percent = round(100 * max(0.0, machine_busy_s() - machine - mine) / wall, 1)
    finally:
        server.stop()
    ok = [r for r in results if r.ok]
    return {
        "question": LONG_QUESTION,
        "clip_s": round(clip_s, 2),
        "turns": len(results),
        "errors": len(results) - len(ok),
        "ttfa_ms": summary([r.ttfa_ms for r in ok]),
        "server_asr_ms": summary([r.server_timings.get("asr") for r in ok]),
        "server_first_text_ms": summary([r.server_timings.get("first_text") for r in ok]),
        "server_first_audio_ms": summary([r.server_timings.get("first_audio") for r in ok]),
        "notices": sorted({n for r in results for n in r.notices}),
        "other_cpu_percent": other_cpu_percent,  # other people's work on this machine meanwhile
    }
