"""``keepsake bench --live``: the live socket against today's tablet path, embedded engines, story mode.

Utterances made with the embedded Piper voice: complete questions, and sentences left hanging
("...and", "...because", "...the") with a pause of 0.5 to 2.5 s before the rest. Each is streamed
at real-time pace (20 ms frames) through ``/v1/sessions/{id}/live``, followed by the quiet room.

- last word to first sound: from the moment the frame holding the last word is sent to the first
  ``sentence`` event at the tablet (complete utterances);
- cut-offs: turns the server ended inside the utterance's own pause.

Beside it, in the same run, today's tablet path: its energy VAD (client/vad.py, the same code
and settings) ends the upload, then the POST turn; the silence it waits for counts, as the
relative waits it too. Its cut-offs are found by running the same VAD on the paused utterances.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import numpy as np

from client.audio import level_dbfs
from client.vad import Vad
from server.bench.embedded import LOCAL_ENV, vad_ended_upload
from server.bench.processes import pairing_code, start_server
from server.bench.speech import speak
from server.bench.stats import summary
from server.bench.tablet import RATE, pcm16, spoken_turn

COMPLETE = [
    "Grandma, tell me about your wedding day, please.",
    "What did you cook for Sunday dinner?",
    "I miss you very much.",
    "We had a lovely walk by the river today.",
    "Did you ever go back to Whitby?",
]
HANGING = [
    ("We went down to the market and", "bought some fresh bread."),
    ("I could not sleep because", "the wind was so loud."),
    ("Do you remember the", "little red boat?"),
    ("I was thinking about the", "garden you planted."),
    ("My sister called me and", "she said hello to you."),
]
PAUSES_S = (0.5, 1.0, 1.5, 2.0, 2.5)
LEAD_S = 0.3
TAIL_S = 4.0  # longer than the longest wait: every turn ends
FRAME_S = 0.02
ROOM_NOISE = 0.0005  # about -66 dBFS, as the tablet bench plays its room


def _with_room(speech: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    audio = np.concatenate([np.zeros(int(LEAD_S * RATE), np.float32), speech, np.zeros(int(TAIL_S * RATE), np.float32)])
    return audio + ROOM_NOISE * rng.standard_normal(audio.size).astype(np.float32)


async def live_turn(port: int, session_id: str, token: str, audio: np.ndarray, last_word_s: float) -> dict:
    """Stream one utterance through the socket at real-time pace; what the tablet saw, and when."""
    import websockets

    loop = asyncio.get_running_loop()
    url = f"ws://127.0.0.1:{port}/v1/sessions/{session_id}/live"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "format": "pcm_s16le"}))
        assert json.loads(await ws.recv())["type"] == "listening"
        seen: dict[str, tuple[float, dict]] = {}
        done = asyncio.Event()

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                seen.setdefault(message["type"], (loop.time(), message))
                if message["type"] == "done":
                    done.set()
                    return

        reader = asyncio.create_task(read())
        pcm = pcm16(audio)
        step = int(FRAME_S * RATE) * 2
        started, last_word_at = loop.time(), None
        for k in range(0, len(pcm), step):
            await asyncio.sleep(max(0.0, started + (k // step) * FRAME_S - loop.time()))
            await ws.send(pcm[k : k + step])
            if last_word_at is None and (k + step) / 2 / RATE >= LEAD_S + last_word_s:
                last_word_at = loop.time()
            if "end_of_turn" in seen:
                break  # a tablet goes on sending; the server drops audio while it answers
        await asyncio.wait_for(done.wait(), 180)
        reader.cancel()
    end_at, end = seen["end_of_turn"]
    first = seen.get("sentence")
    return {
        "end_at_ms": end["at_ms"],
        "by": end.get("by"),
        "last_word_ms": round(1000 * (LEAD_S + last_word_s)),
        "first_sound_ms": round(1000 * (first[0] - last_word_at), 1) if first and last_word_at else None,
        "decided_after_ms": end["at_ms"] - round(1000 * (LEAD_S + last_word_s)),
    }


def tablet_vad_end_s(audio: np.ndarray) -> float | None:
    """Where today's tablet VAD ends the upload, in seconds from the start (None: never)."""
    pcm = np.frombuffer(pcm16(audio), "<i2")
    vad = Vad()
    frame = int(RATE * vad.c.frame_s)
    for i in range(0, pcm.size - frame + 1, frame):
        if vad.feed(level_dbfs(pcm[i : i + frame])) == "end":
            return (i + frame) / RATE
    return None


async def _run(server, code: str, log) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        device = (await http.post("/v1/devices", json={"pairing_code": code, "name": "bench tablet"})).json()
        token = device["device_token"]
        headers = {"Authorization": f"Bearer {token}"}
        persona = (await http.get("/v1/personas", headers=headers)).json()[0]
        session = (await http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers)).json()
    sid = session["id"]
    spoken = {text: speak(text) for text in COMPLETE}
    await live_turn(server.port, sid, token, _with_room(spoken[COMPLETE[0]], 0), spoken[COMPLETE[0]].size / RATE)  # warm-up
    live, tablet = [], []
    for k, text in enumerate(COMPLETE):
        speech = spoken[text]
        live.append(await live_turn(server.port, sid, token, _with_room(speech, k), speech.size / RATE))
        pcm, waited_s = vad_ended_upload(speech, seed=k)
        result = await asyncio.wait_for(spoken_turn("127.0.0.1", server.port, sid, token, pcm), 180)
        # An answered turn had a sentence, so its first one was timed.
        tablet.append(round(1000 * waited_s + result.ttfa_ms, 1) if result.ok and result.ttfa_ms is not None else None)
        log(
            f"  {text!r}: live {live[-1]['first_sound_ms']} ms ({live[-1]['by']} after {live[-1]['decided_after_ms']} ms of audio), tablet {tablet[-1]} ms"
        )
    cutoffs: dict[str, dict] = {}
    for pause in PAUSES_S:
        live_cut = tablet_cut = 0
        for k, (first, rest) in enumerate(HANGING):
            a, b = speak(first), speak(rest)
            speech = np.concatenate([a, np.zeros(int(pause * RATE), np.float32), b])
            audio = _with_room(speech, 100 + k)
            turn = await live_turn(server.port, sid, token, audio, speech.size / RATE)
            second_starts_ms = 1000 * (LEAD_S + (a.size / RATE) + pause)
            live_cut += turn["end_at_ms"] < second_starts_ms
            vad_end = tablet_vad_end_s(audio)
            tablet_cut += vad_end is not None and vad_end * 1000 < second_starts_ms
        cutoffs[f"{pause:.1f}"] = {"utterances": len(HANGING), "live": live_cut, "tablet": tablet_cut}
        log(f"  pause {pause:.1f} s: cut off live {live_cut}/{len(HANGING)}, tablet {tablet_cut}/{len(HANGING)}")
    return {
        "last_word_to_first_sound_ms": {"live": summary([t["first_sound_ms"] for t in live]), "tablet": summary(tablet)},
        "live_turns": live,
        "cutoffs": cutoffs,
    }


def run_live(workdir: Path, log=print) -> dict:
    # No speaking ahead: both paths synthesise their first sentence, so they compare like for like.
    env = {**LOCAL_ENV, "KEEPSAKE_SPEAK_AHEAD": "false"}
    server = start_server(workdir / "live", env, demo=True)
    try:
        return asyncio.run(_run(server, pairing_code(server), log))
    finally:
        server.stop()


def live_table(report: dict) -> str:
    f = report["last_word_to_first_sound_ms"]
    lines = [
        "| path | last word → first sound p50 | p95 | n |",
        "|---|---|---|---|",
        f"| live socket (Smart Turn + words) | {f['live']['p50']} ms | {f['live']['p95']} ms | {f['live']['n']} |",
        f"| tablet VAD + POST turn (today) | {f['tablet']['p50']} ms | {f['tablet']['p95']} ms | {f['tablet']['n']} |",
        "",
        "| pause inside the utterance | cut off: live socket | cut off: tablet VAD |",
        "|---|---|---|",
    ]
    for pause, c in report["cutoffs"].items():
        lines.append(f"| {pause} s | {c['live']}/{c['utterances']} | {c['tablet']}/{c['utterances']} |")
    return "\n".join(lines)
