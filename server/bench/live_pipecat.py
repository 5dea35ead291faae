"""``keepsake bench --live --pipecat``: Keepsake's live socket and a Pipecat bot side by side.

One run: the fake services once (server.bench.fakes), a Keepsake server whose speech to text, LLM
and speech are the fakes (a generative persona, as the main bench's), and a Pipecat 1.14 bot
(server.bench.pipecat_peer, in its own virtualenv) on the same fakes. Each utterance of the set
(server.bench.live's, test or dev) is streamed at real-time pace in 20 ms frames to Keepsake, then
to Pipecat, one at a time, with the quiet room after it; the fake recogniser hears the words each
request's audio covers (server.bench.heard), so both judge real words.

- last word to first sound: from the frame holding the last word to Keepsake's first ``sentence``
  event (as ``--live`` measures it), or to the first bytes of Pipecat's answer audio on its socket
  (the first after the turn's last LLM request: an answer cut off and interrupted is not the one);
- cut-offs: a turn ended before the hanging utterance's second half began. Keepsake's
  ``end_of_turn`` says when in the audio; Pipecat ends a turn by sending the context to its LLM,
  so its first chat request arriving at the fakes before the second half's first frame was sent
  (one monotonic clock) is one. The transcription requests would not do: Pipecat's segmented
  speech to text recognises every VAD segment, also the first half of a turn that goes on; nor
  would its answer audio before the second half, which comes an LLM and a TTS after the decision.
- answered before the last word: the same, on complete utterances (a breath at a comma).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import numpy as np

from server.bench import load
from server.bench.live import COMPLETE, DEV_COMPLETE, DEV_HANGING, FRAME_S, HANGING, LEAD_S, PAUSES_S, ROOM_NOISE, _with_room, live_turn
from server.bench.processes import ROOT, Proc, free_port, remote_env, start_fakes, start_server, wait_healthy
from server.bench.profile import Profile
from server.bench.speech import speak, speak_paused
from server.bench.stats import summary
from server.bench.tablet import RATE, pcm16

DEFAULT_PIPECAT_PYTHON = Path("/work/pipecat-venv/bin/python")
PEER = Path(__file__).with_name("pipecat_peer.py")
PIPECAT_VENV = (
    'python3 -m venv /work/pipecat-venv && /work/pipecat-venv/bin/pip install "pipecat-ai[websocket,silero,openai,runner]==1.14.0"'
)
PIPECAT_SETTINGS = (
    "Pipecat 1.14's defaults: Silero VAD (confidence 0.7, start 0.2 s, stop 0.2 s), Smart Turn v3.2"
    " (LocalSmartTurnAnalyzerV3, stop_secs 3 s), the turn waiting for its transcript"
)
SKIPPED = {"first_sound_ms": None, "cut_off": False, "before_last_word": False, "skipped": True}
ANSWER_WAIT_S = 20.0  # after the utterance: no answer by then is none
_IMPORTS = (
    "import pipecat.audio.turn.smart_turn.local_smart_turn_v3, pipecat.services.openai.stt, pipecat.transports.websocket.fastapi, uvicorn"
)


def find_pipecat_python(given: str | None) -> tuple[Path | None, str]:
    """The Python with Pipecat to run the peer, or None and why the Pipecat row is skipped."""
    path = Path(given) if given else DEFAULT_PIPECAT_PYTHON
    if not path.exists():
        where = f"--pipecat-python {given}: no such file" if given else f"no Pipecat virtualenv at {DEFAULT_PIPECAT_PYTHON}"
        return None, f"{where} (make one: {PIPECAT_VENV})"
    try:
        check = subprocess.run([str(path), "-P", "-c", _IMPORTS], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"{path} did not run: {err}"
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"{path} cannot import what the Pipecat bot needs ({last}); make its virtualenv: {PIPECAT_VENV}"
    return path, ""


def start_peer(python: Path, fakes: Proc, workdir: Path, timeout_s: float = 120) -> Proc:
    """The Pipecat bot on a free port (``-P``: the script's folder, this package, is not importable)."""
    port, log_path = free_port(), workdir / "pipecat.log"
    args = [str(python), "-P", str(PEER), "--port", str(port), "--base-url", f"{fakes.url}/v1"]
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "OPENAI_API_KEY": "bench"})
    return wait_healthy(Proc(popen, port, log_path), timeout_s, "the Pipecat bot")


class Utterance:
    """One utterance to stream: its audio with the room, and its parts' times from its first sample."""

    def __init__(self, texts: list[str], spoken: list[np.ndarray], pause_s: float = 0.0, seed: int = 0):
        gap = np.zeros(int(pause_s * RATE), np.float32)
        speech = np.concatenate([x for s in spoken for x in (s, gap)][:-1]) if len(spoken) > 1 else spoken[0]
        self.texts, self.pause_s = texts, pause_s
        self.audio = _with_room(speech, seed)
        self.last_word_s = speech.size / RATE
        self.spans: list[tuple[str, float, float]] = []
        at = 0.0
        for text, s in zip(texts, spoken, strict=True):
            self.spans.append((text, LEAD_S + at, LEAD_S + at + s.size / RATE))
            at += s.size / RATE + pause_s
        # From the stream's start: the second half's first sample (None: complete), the last word's end.
        self.second_at_s = self.spans[1][1] if len(self.spans) > 1 else None
        self.last_word_at_s = LEAD_S + self.last_word_s


def spoken_utterance(texts: list[str], pause_s: float = 0.0, seed: int = 0) -> Utterance:
    """``texts`` said in the embedded voice, ``pause_s`` between them: two parts are one sentence,
    said once, with the pause put inside it (server.bench.speech.speak_paused)."""
    spoken = list(speak_paused(*texts)) if len(texts) == 2 else [speak(t) for t in texts]
    return Utterance(texts, spoken, pause_s, seed)


async def tell_fakes(http: httpx.AsyncClient, u: Utterance, started: float) -> None:
    parts = [[text, started + a, started + b] for text, a, b in u.spans]
    (await http.post("/bench/utterance", content=json.dumps({"parts": parts}))).raise_for_status()


async def fakes_log(http: httpx.AsyncClient) -> list[dict]:
    return list((await http.get("/bench/log")).json())


async def pipecat_turn(
    port: int, u: Utterance, on_start: Callable[[float], Awaitable[None]], log: Callable[[], Awaitable[list[dict]]]
) -> dict:
    """Stream ``u`` to the Pipecat bot as its client would, then the room until its answer sounds."""
    import websockets

    loop = asyncio.get_running_loop()
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None, open_timeout=60) as ws:
        if json.loads(await asyncio.wait_for(ws.recv(), 60)).get("type") != "ready":
            raise RuntimeError("the Pipecat bot did not say it was ready")
        audio_at: list[float] = []

        async def read() -> None:
            async for message in ws:
                if isinstance(message, bytes) and message:
                    audio_at.append(loop.time())

        reader = asyncio.create_task(read())
        step = int(FRAME_S * RATE)
        frames = -(-u.audio.size // step)
        rng = np.random.default_rng(frames)
        started, k, requests = loop.time(), 0, []
        await on_start(started)
        while True:
            await asyncio.sleep(max(0.0, started + k * FRAME_S - loop.time()))
            frame = u.audio[k * step : (k + 1) * step]
            if frame.size < step:
                frame = ROOM_NOISE * rng.standard_normal(step).astype(np.float32)
            await ws.send(pcm16(frame))
            k += 1
            if k >= frames and k % 10 == 0:  # the utterance is out: has the last turn's answer sounded?
                requests = await log()
                chats = [r["at"] for r in requests if r["kind"] == "chat"]
                if chats and any(t >= max(chats) for t in audio_at) or k * FRAME_S > u.audio.size / RATE + ANSWER_WAIT_S:
                    break
        reader.cancel()
    return pipecat_result(u, started, requests, audio_at)


def pipecat_result(u: Utterance, started: float, requests: list[dict], audio_at: list[float]) -> dict:
    """What the Pipecat bot did with ``u``, from the fakes' requests and the answer audio's arrivals."""
    chats = [r["at"] - started for r in requests if r["kind"] == "chat"]
    last_chat = max(chats) if chats else None
    first = min((t - started for t in audio_at if last_chat is not None and t - started >= last_chat), default=None)
    return {
        "first_chat_s": round(chats[0], 3) if chats else None,
        "turn_ended_after_ms": round(1000 * (chats[-1] - u.last_word_at_s)) if chats else None,
        "heard": heard(requests),
        "chats": len(chats),
        "first_sound_ms": round(1000 * (first - u.last_word_at_s), 1) if first is not None else None,
        "cut_off": u.second_at_s is not None and bool(chats) and chats[0] < u.second_at_s,
        "before_last_word": bool(chats) and chats[0] < u.last_word_at_s,
    }


def heard(requests: list[dict]) -> list[str]:
    """What the fake recogniser returned, request by request (to read a turn that went wrong)."""
    return [r["text"] for r in requests if r["kind"] == "transcription"]


def keepsake_result(u: Utterance, turn: dict, requests: list[dict], started: float = 0.0) -> dict:
    end_s = turn["end_at_ms"] / 1000
    chats = [r["at"] - started for r in requests if r["kind"] == "chat"]
    return {
        "end_s": end_s,
        "decided_after_ms": round(1000 * (end_s - u.last_word_at_s)),
        # From the end of turn (in the audio) to the LLM request: the answer's work before the LLM.
        "llm_asked_after_end_ms": round(1000 * (chats[0] - end_s)) if chats and started else None,
        "by": turn["by"],
        "heard": heard(requests),
        "first_sound_ms": turn["first_sound_ms"],
        "timings_ms": turn.get("timings_ms"),
        "cut_off": u.second_at_s is not None and end_s < u.second_at_s,
        "before_last_word": end_s < u.last_word_at_s,
    }


def side_by_side(results: list[tuple[Utterance, dict, dict]], set_name: str) -> dict:
    """The report: p50/p95 on complete utterances, early answers, cut-offs by pause length."""
    complete = [(u, k, p) for u, k, p in results if u.second_at_s is None]
    hanging = [(u, k, p) for u, k, p in results if u.second_at_s is not None]
    cutoffs: dict[str, dict] = {}
    for u, k, p in hanging:
        c = cutoffs.setdefault(f"{u.pause_s:.1f}", {"utterances": 0, "keepsake": 0, "pipecat": 0})
        c["utterances"] += 1
        c["keepsake"] += k["cut_off"]
        c["pipecat"] += p["cut_off"]

    def after_end(side: str, ended: str) -> dict:
        return summary(
            [
                r[side]["first_sound_ms"] - r[side][ended]
                for r in turns
                if r[side]["first_sound_ms"] is not None and r[side].get(ended) is not None
            ]
        )

    turns = [{"keepsake": k, "pipecat": p} for _, k, p in complete]
    return {
        "set": set_name,
        "pipecat_settings": PIPECAT_SETTINGS,
        # Last word to first sound, in two: the turn's end (turn-taking), then the answer's making.
        "turn_ended_after_last_word_ms": {
            "keepsake": summary([k["decided_after_ms"] for _, k, _ in complete if "decided_after_ms" in k]),
            "pipecat": summary([p.get("turn_ended_after_ms") for _, _, p in complete]),
        },
        "first_sound_after_turn_end_ms": {
            "keepsake": after_end("keepsake", "decided_after_ms"),
            "pipecat": after_end("pipecat", "turn_ended_after_ms"),
        },
        "last_word_to_first_sound_ms": {
            "keepsake": summary([k["first_sound_ms"] for _, k, _ in complete]),
            "pipecat": summary([p["first_sound_ms"] for _, _, p in complete]),
        },
        "before_last_word": {
            "utterances": len(complete),
            "keepsake": sum(k["before_last_word"] for _, k, _ in complete),
            "pipecat": sum(p["before_last_word"] for _, _, p in complete),
        },
        "unanswered": {
            "keepsake": sum(k["first_sound_ms"] is None for _, k, _ in complete),
            "pipecat": sum(p["first_sound_ms"] is None for _, _, p in complete),
        },
        "cutoffs": cutoffs,
        "turns": [
            {"texts": u.texts, "pause_s": u.pause_s, "last_word_at_s": round(u.last_word_at_s, 3), "keepsake": k, "pipecat": p}
            for u, k, p in results
        ],
    }


def side_by_side_table(report: dict) -> str:
    f, early = report["last_word_to_first_sound_ms"], report["before_last_word"]
    ended, made = report.get("turn_ended_after_last_word_ms"), report.get("first_sound_after_turn_end_ms")
    rows = [
        "| side by side, same fakes and utterances | last word → first sound p50 | p95 | n | of which: last word → turn's end p50"
        " | turn's end → first sound p50 | complete utterances answered before their last word |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, name in (("keepsake", "Keepsake live socket"), ("pipecat", "Pipecat 1.14 bot (its defaults)")):
        if key == "pipecat" and report.get("pipecat_skipped"):
            rows.append(f"| {name} | skipped: {report['pipecat_skipped']} | | | | | |")
            continue
        split = f"{ended[key]['p50']} ms | {made[key]['p50']} ms" if ended and made else "| "
        rows.append(
            f"| {name} | {f[key]['p50']} ms | {f[key]['p95']} ms | {f[key]['n']} | {split} | {early[key]} of {early['utterances']} |"
        )
    rows += ["", "| pause inside the utterance | cut off: Keepsake | cut off: Pipecat |", "|---|---|---|"]
    for pause, c in report["cutoffs"].items():
        pipecat = "skipped" if report.get("pipecat_skipped") else f"{c['pipecat']}/{c['utterances']}"
        rows.append(f"| {pause} s | {c['keepsake']}/{c['utterances']} | {pipecat} |")
    return "\n".join(rows)


async def _run(server: Proc, peer: Proc | None, fakes: Proc, log: Callable[[str], None], dev: bool) -> list[tuple[Utterance, dict, dict]]:
    complete, hanging = (DEV_COMPLETE, DEV_HANGING) if dev else (COMPLETE, HANGING)
    hh = await load.make_household(server.url)
    sid = (await load.open_sessions(hh, 1))[0]
    utterances = [spoken_utterance([text], seed=k) for k, text in enumerate(complete)]
    utterances += [spoken_utterance(list(pair), pause, 100 + k) for pause in PAUSES_S for k, pair in enumerate(hanging)]
    results = []
    async with httpx.AsyncClient(base_url=fakes.url, timeout=30) as http:
        for n, u in enumerate([utterances[0], *utterances]):  # the first, twice: a warm-up for both
            began: list[float] = []

            async def start(started: float, u: Utterance = u, began: list[float] = began) -> None:
                began.append(started)
                await tell_fakes(http, u, started)

            turn = await live_turn(server.port, sid, hh.token, u.audio, u.last_word_s, on_start=start)
            keepsake = keepsake_result(u, turn, await fakes_log(http), began[0])
            pipecat = await pipecat_turn(peer.port, u, start, lambda: fakes_log(http)) if peer is not None else SKIPPED
            if n == 0:
                continue
            results.append((u, keepsake, pipecat))
            what = " / ".join(u.texts) + (f" (pause {u.pause_s:.1f} s)" if u.pause_s else "")
            log(f"  {what}: Keepsake {keepsake}; Pipecat {pipecat}")
    return results


def run_side_by_side(
    workdir: Path, python: Path | None, log: Callable[[str], None] = print, dev: bool = False, skipped_why: str = ""
) -> dict:
    """The side by side; without ``python`` (no Pipecat), Keepsake's column alone and why."""
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    fakes = start_fakes(Profile(), workdir)
    server = peer = None
    try:
        server = start_server(workdir / "keepsake", {**remote_env(fakes), "KEEPSAKE_PIPELINE": "streamed"})
        peer = start_peer(python, fakes, workdir) if python is not None else None
        results = asyncio.run(_run(server, peer, fakes, log, dev))
    finally:
        for proc in (peer, server, fakes):
            if proc is not None:
                proc.stop()
    report = side_by_side(results, "dev" if dev else "test")
    if python is None:
        report["pipecat_skipped"] = skipped_why or "no Pipecat"
    report["profile"] = Profile().as_dict()
    report["load_average"] = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    return report
