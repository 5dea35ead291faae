"""``keepsake bench --live``: the live socket against today's tablet path, embedded engines, story mode.

Utterances made with the embedded Piper voice: complete questions, and sentences left hanging
("...and", "...because", "...the") with a pause of 0.5 to 2.5 s before the rest (each sentence
said whole, once, and the pause put inside it at the word boundary: server.bench.speech.speak_paused). Each is streamed
at real-time pace (20 ms frames) through ``/v1/sessions/{id}/live``, followed by the quiet room.

- last word to first sound: from the moment the frame holding the last word is sent to the first
  ``sentence`` event at the tablet (complete utterances);
- cut-offs: turns the server ended inside the utterance's own pause;
- false barge-ins: after each answer to a complete utterance, the tablet plays it and its
  microphone hears it back (server.bench.live_playback: 0-300 ms later, 6-20 dB quieter, through
  a small room); any ``interrupted`` is false. Then, on a second round of the same utterances, the
  relative speaks over the answer a second into it: the barge-ins heard, and how soon.

Two sets of utterances: the test set below, and a dev set (``--dev``) with other words, on which
the thresholds in settings were tuned; the test set was never used to choose them.

Beside it, in the same run, today's tablet path: its energy VAD (client/vad.py, the same code
and settings) ends the upload, then the POST turn; the silence it waits for counts, as the
relative waits it too. Its cut-offs are found by running the same VAD on the paused utterances.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import numpy as np

from client.audio import level_dbfs
from client.vad import Vad
from server.audio import decode_audio
from server.bench.embedded import LOCAL_ENV, vad_ended_upload, wait_for_speaking_ahead
from server.bench.live_playback import answer_timeline
from server.bench.processes import pairing_code, start_server
from server.bench.speech import speak, speak_paused
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
# The dev set: other words, the same shapes. Thresholds are tuned on it, never on the test set.
DEV_COMPLETE = [
    "Nana, what was your mother's name?",
    "The children loved the cake you taught me to bake.",
    "Tell me about the house on Baker Street.",
    "It rained all day here, so we stayed inside.",
    "Were you scared when you first flew in a plane?",
]
DEV_HANGING = [
    ("We drove to the coast and", "had fish and chips."),
    ("I kept your old letters because", "they make me smile."),
    ("Do you still have the", "blue teapot?"),
    ("I found a photo of the", "dog we had."),
    ("Tom came round yesterday and", "fixed the gate."),
]
INTERJECTION = "Wait, tell me more about that."
BARGE_IN_AT_S = 1.0  # into the answer: the relative speaks over the persona's first sentence
PAUSES_S = (0.5, 1.0, 1.5, 2.0, 2.5)
LEAD_S = 0.3
TAIL_S = 4.0  # longer than the longest wait: every turn ends
FRAME_S = 0.02
ROOM_NOISE = 0.0005  # about -66 dBFS, as the tablet bench plays its room


def _with_room(speech: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    audio = np.concatenate([np.zeros(int(LEAD_S * RATE), np.float32), speech, np.zeros(int(TAIL_S * RATE), np.float32)])
    return audio + ROOM_NOISE * rng.standard_normal(audio.size).astype(np.float32)


async def live_turn(
    port: int,
    session_id: str,
    token: str,
    audio: np.ndarray,
    last_word_s: float,
    after: str | None = None,
    path: int = 0,
    over: np.ndarray | None = None,
    on_start: Callable[[float], Awaitable[None]] | None = None,
) -> dict:
    """Stream one utterance through the socket at real-time pace, and the quiet room while it is
    answered (a tablet's microphone stays open); what the tablet saw, and when.

    ``after``: "echo", the tablet then plays the answer and its microphone hears it back;
    "barge", the same with the relative (``over``) speaking over it from ``BARGE_IN_AT_S``.
    ``on_start``: told the loop time of the first frame before it is sent."""
    import websockets

    loop = asyncio.get_running_loop()
    url = f"ws://127.0.0.1:{port}/v1/sessions/{session_id}/live"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "format": "pcm_s16le"}))
        assert json.loads(await ws.recv())["type"] == "listening"
        seen: dict[str, tuple[float, dict]] = {}
        sentences: list[dict] = []
        done = asyncio.Event()

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                seen.setdefault(message["type"], (loop.time(), message))
                if message["type"] == "sentence" and not done.is_set():
                    sentences.append(message)
                if message["type"] == "done":
                    done.set()

        reader = asyncio.create_task(read())
        step = int(FRAME_S * RATE)
        rng = np.random.default_rng(len(audio))
        started, last_word_at, k = loop.time(), None, 0
        if on_start is not None:
            await on_start(started)
        while not done.is_set():  # the utterance, then the room until the answer is done
            await asyncio.sleep(max(0.0, started + k * FRAME_S - loop.time()))
            frame = audio[k * step : (k + 1) * step]
            if frame.size < step:
                frame = ROOM_NOISE * rng.standard_normal(step).astype(np.float32)
            await ws.send(pcm16(frame))
            k += 1
            if last_word_at is None and k * step / RATE >= LEAD_S + last_word_s:
                last_word_at = loop.time()
            if k * FRAME_S > 180:
                raise TimeoutError("no answer in 180 s")
        played = await _play_answer(ws, port, sentences, seen, after, path, over, rng) if after else None
        reader.cancel()
    end_at, end = seen["end_of_turn"]
    first = seen.get("sentence")
    return {
        "end_at_ms": end["at_ms"],
        "by": end.get("by"),
        "last_word_ms": round(1000 * (LEAD_S + last_word_s)),
        "first_sound_ms": round(1000 * (first[0] - last_word_at), 1) if first and last_word_at else None,
        "decided_after_ms": end["at_ms"] - round(1000 * (LEAD_S + last_word_s)),
        "played": played,
        "timings_ms": seen["done"][1].get("timings_ms") if "done" in seen else None,
    }


async def _play_answer(ws, port: int, sentences: list[dict], seen: dict, after: str, path: int, over, rng) -> dict:
    """The tablet plays the answer: each sentence reported as it begins, its echo in the microphone.
    An ``interrupted`` stops the playing at once (the echo stops; the relative goes on)."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        audios = [decode_audio((await http.get(s["audio_url"])).content, RATE).samples for s in sentences]
    turn_id = seen["done"][1]["turn_id"]
    echo, starts = answer_timeline(audios, path, seed=path)
    relative = np.zeros(echo.size + RATE, np.float32)
    onset = int(BARGE_IN_AT_S * RATE)
    if after == "barge" and over is not None:
        relative = np.concatenate([relative[:onset], over, np.zeros(RATE, np.float32)])
    total = max(echo.size, relative.size)
    step = int(FRAME_S * RATE)
    began, onset_sent_at, k = loop.time(), None, 0
    next_sentence = 0
    while k * step < total and "interrupted" not in seen:
        await asyncio.sleep(max(0.0, began + k * FRAME_S - loop.time()))
        while next_sentence < len(starts) and starts[next_sentence] <= k * step:
            report = {"type": "playback", "turn_id": turn_id, "sentences_played": next_sentence, "playing": True}
            await ws.send(json.dumps(report))
            next_sentence += 1
        frame = ROOM_NOISE * rng.standard_normal(step).astype(np.float32)
        lo, hi = k * step, (k + 1) * step
        if lo < echo.size:
            part = echo[lo:hi]
            frame[: part.size] += part
        if lo < relative.size:
            part = relative[lo:hi]
            frame[: part.size] += part
        await ws.send(pcm16(frame))
        if onset_sent_at is None and hi > onset and after == "barge":
            onset_sent_at = loop.time()
        k += 1
    interrupted = seen.get("interrupted")
    if interrupted is None:
        await ws.send(json.dumps({"type": "playback", "turn_id": turn_id, "sentences_played": len(sentences)}))
    heard_after_ms = None
    if interrupted is not None and onset_sent_at is not None:
        heard_after_ms = round(1000 * (interrupted[0] - onset_sent_at), 1)
    return {
        "sentences": len(sentences),
        "answer_s": round(sum(a.size for a in audios) / RATE, 2),
        "interrupted": interrupted is not None,
        # An interruption before the relative's first word is a false one, whatever the round.
        "false": interrupted is not None and (after == "echo" or onset_sent_at is None or interrupted[0] < onset_sent_at),
        "heard_after_ms": heard_after_ms,
        "sentences_played": interrupted[1]["sentences_played"] if interrupted else None,
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


async def _run(server, code: str, log, dev: bool) -> dict:
    complete, hanging = (DEV_COMPLETE, DEV_HANGING) if dev else (COMPLETE, HANGING)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        device = (await http.post("/v1/devices", json={"pairing_code": code, "name": "bench tablet"})).json()
        token = device["device_token"]
        headers = {"Authorization": f"Bearer {token}"}
        persona = (await http.get("/v1/personas", headers=headers)).json()[0]
        session = (await http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers)).json()
    sid = session["id"]
    spoken = {text: speak(text) for text in complete}
    await live_turn(server.port, sid, token, _with_room(spoken[complete[0]], 0), spoken[complete[0]].size / RATE)  # warm-up
    live, tablet = [], []
    for k, text in enumerate(complete):
        speech = spoken[text]
        live.append(await live_turn(server.port, sid, token, _with_room(speech, k), speech.size / RATE, after="echo", path=k))
        pcm, waited_s = vad_ended_upload(speech, seed=k)
        result = await asyncio.wait_for(spoken_turn("127.0.0.1", server.port, sid, token, pcm), 180)
        # An answered turn had a sentence, so its first one was timed.
        tablet.append(round(1000 * waited_s + result.ttfa_ms, 1) if result.ok and result.ttfa_ms is not None else None)
        log(
            f"  {text!r}: live {live[-1]['first_sound_ms']} ms ({live[-1]['by']} after {live[-1]['decided_after_ms']} ms of audio), tablet {tablet[-1]} ms;"
            f" its answer played back: {'INTERRUPTED' if live[-1]['played']['interrupted'] else 'not interrupted'}"
        )
    over = speak(INTERJECTION)
    barged = []
    for k, text in enumerate(complete):
        speech = spoken[text]
        turn = await live_turn(
            server.port, sid, token, _with_room(speech, 50 + k), speech.size / RATE, after="barge", path=len(complete) + k, over=over
        )
        barged.append(turn["played"])
        log(f"  {text!r}, spoken over: {turn['played']}")
    cutoffs: dict[str, dict] = {}
    for pause in PAUSES_S:
        live_cut = tablet_cut = 0
        for k, (first, rest) in enumerate(hanging):
            a, b = speak_paused(first, rest)  # one sentence, said once, the pause put inside it
            speech = np.concatenate([a, np.zeros(int(pause * RATE), np.float32), b])
            audio = _with_room(speech, 100 + k)
            turn = await live_turn(server.port, sid, token, audio, speech.size / RATE)
            second_starts_ms = 1000 * (LEAD_S + (a.size / RATE) + pause)
            if turn["end_at_ms"] < second_starts_ms:
                live_cut += 1
                # Which one, and how far into its pause: the words it ended on are in the server's turns.
                log(
                    f"    cut off: {first!r} after {turn['end_at_ms'] - round(1000 * (LEAD_S + a.size / RATE))} ms of its {pause:.1f} s pause"
                )
            vad_end = tablet_vad_end_s(audio)
            tablet_cut += vad_end is not None and vad_end * 1000 < second_starts_ms
        cutoffs[f"{pause:.1f}"] = {"utterances": len(hanging), "live": live_cut, "tablet": tablet_cut}
        log(f"  pause {pause:.1f} s: cut off live {live_cut}/{len(hanging)}, tablet {tablet_cut}/{len(hanging)}")
    echoed = [t["played"] for t in live]
    return {
        "set": "dev" if dev else "test",
        "false_barge_ins": {
            "answers_played_back": len(echoed),
            "seconds_played_back": round(sum(p["answer_s"] for p in echoed), 1),
            "interrupted": sum(p["interrupted"] for p in echoed),
            "before_the_relative_spoke": sum(p["false"] for p in barged),
        },
        "barge_ins": {
            "spoken_over": len(barged),
            "heard": sum(p["interrupted"] and not p["false"] for p in barged),
            "heard_after_ms": summary([p["heard_after_ms"] for p in barged if p["heard_after_ms"] is not None]),
        },
        "last_word_to_first_sound_ms": {"live": summary([t["first_sound_ms"] for t in live]), "tablet": summary(tablet)},
        "live_turns": live,
        "cutoffs": cutoffs,
    }


def run_live(workdir: Path, log=print, dev: bool = False, speak_ahead: bool = False) -> dict:
    # Both paths alike either way: without speaking ahead each synthesises its first sentence in
    # the turn; with it (as `keepsake serve` runs), story mode's sentences are made before the turns.
    env = {**LOCAL_ENV, "KEEPSAKE_SPEAK_AHEAD": "true" if speak_ahead else "false"}
    server = start_server(workdir / "live", env, demo=True)
    try:
        if speak_ahead:
            waited_s, missing = wait_for_speaking_ahead(workdir / "live")
            log(f"  spoke ahead for {waited_s} s before the turns ({missing} sentences still missing)")
        report = asyncio.run(_run(server, pairing_code(server), log, dev))
    finally:
        server.stop()
    report["speak_ahead"] = speak_ahead
    return report


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
    fb, bi = report["false_barge_ins"], report["barge_ins"]
    lines += [
        "",
        "| barge-in (live socket) | |",
        "|---|---|",
        f"| false barge-ins: answers played back into the microphone | {fb['interrupted']} of {fb['answers_played_back']} ({fb['seconds_played_back']} s of the persona) |",
        f"| false barge-ins: before the relative spoke over the answer | {fb['before_the_relative_spoke']} of {bi['spoken_over']} |",
        f"| barge-ins heard: the relative spoke over the answer | {bi['heard']} of {bi['spoken_over']} |",
        f"| from the relative's first word to interrupted | p50 {bi['heard_after_ms']['p50']} ms, p95 {bi['heard_after_ms']['p95']} ms |",
    ]
    return "\n".join(lines)
