"""The whole benchmark: fakes, the real server once per pipeline, N tablets per level, the report.

The report is a plain dict (JSON-able): ``report.py`` turns it into the
table, the plots and docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.bench import load, processes
from server.bench.load import LevelRun
from server.bench.profile import Profile, sentences, tokens
from server.bench.speech import SHORT_QUESTION, question_pcm
from server.bench.stats import summary

PIPELINES = ("streamed", "naive")


@dataclass
class BenchConfig:
    levels: list[int] = field(default_factory=lambda: [1, 10, 50, 100, 200])
    pipelines: list[str] = field(default_factory=lambda: list(PIPELINES))
    turns: int | None = None  # per tablet at every level; None: about level_turns a level, within min/max_turns
    level_turns: int = 30
    min_turns: int = 2
    max_turns: int = 12
    think_s: float = 1.0  # pause between the end of one answer's stream and the next question
    idle_sessions: int = 150  # per batch, two batches
    embedded_turns: int = 20  # 0: skip the embedded-engines measurement
    timeout_s: float = 60.0  # one turn, upload included
    wait_quiet_s: float = 0.0  # before each level, wait up to this long for other processes to calm down
    embedded_only: bool = False  # skip the fakes and the levels: only the embedded engines
    profile: Profile = field(default_factory=Profile)
    workdir: Path | None = None  # kept when given; a temporary folder otherwise
    log: Callable[[str], None] = print

    def turns_for(self, tablets: int) -> int:
        return self.turns or max(self.min_turns, min(self.max_turns, math.ceil(self.level_turns / tablets)))


def level_report(run: LevelRun, floor_ms: float, profile: Profile, clip_s: float) -> dict:
    ok = [r for r in run.results if r.ok]
    ttfa = summary(r.ttfa_ms for r in ok)
    errors = [r.error for r in run.results if not r.ok and r.error is not None]  # a failed turn always says why
    first = sentences()[0]
    # Where the server's addition over the floor goes, from the server's own timings (medians).
    stage_extra = {
        "asr": summary(r.server_timings.get("asr", 0) - profile.asr_latency_ms(clip_s) for r in ok)["p50"],
        "to_first_sentence_text": summary(
            r.server_timings.get("first_text", 0) - r.server_timings.get("asr", 0) - profile.token_at_ms(len(tokens(first)) - 1) for r in ok
        )["p50"],
        "to_first_audio": summary(
            r.server_timings.get("first_audio", 0) - r.server_timings.get("first_text", 0) - profile.tts_latency_ms(first) for r in ok
        )["p50"],
        "transport": summary(r.ttfa_ms - r.server_timings.get("first_audio", 0) for r in ok)["p50"],
    }
    return {
        "tablets": run.tablets,
        "turns": len(run.results),
        "completed": len(ok),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "fallback_notices": sum(len(r.notices) for r in run.results),
        "ttfa_ms": ttfa,
        "floor_ms": round(floor_ms, 1),
        "p50_over_floor": round(ttfa["p50"] / floor_ms, 3) if ttfa["p50"] else None,
        "p95_over_floor": round(ttfa["p95"] / floor_ms, 3) if ttfa["p95"] else None,
        "total_ms": summary(r.total_ms for r in ok),
        "turns_per_s": round(len(ok) / run.wall_s, 2),
        "wall_s": round(run.wall_s, 1),
        "cpu_ms_per_turn": round(1000 * run.cpu_s / max(1, len(run.results)), 1),
        # If this grows near a core's worth per second, the load generator itself is what limits the level.
        "load_cpu_percent": round(100 * run.load_cpu_s / run.wall_s, 1),
        "other_cpu_percent": round(100 * run.other_cpu_s / run.wall_s, 1),
        "server_extra_ms": stage_extra,
    }


async def _run_pipeline(
    cfg: BenchConfig, name: str, fakes: processes.Proc, workdir: Path, pcm: bytes, clip_s: float, measure_memory: bool
) -> dict:
    env = {**processes.remote_env(fakes), "KEEPSAKE_PIPELINE": name}
    server = await asyncio.to_thread(processes.start_server, workdir / f"data-{name}", env)
    floor = cfg.profile.floor_ms(clip_s)
    try:
        meter = processes.Meter(server.pid)
        load_meters = (processes.Meter(os.getpid()), processes.Meter(fakes.pid))
        hh = await load.make_household(server.url)
        session_ms: list[float] = []
        sessions = await load.open_sessions(hh, max(cfg.levels), timings=session_ms)
        common: dict[str, Any] = dict(pcm=pcm, think_s=0.2, stagger_s=0.0, timeout_s=cfg.timeout_s, meter=meter, idle_cpu_rate=0.0)
        await load.drive(hh, server.port, sessions, tablets=1, turns_each=1, realtime=False, **common)  # warm-up, not timed
        idle_rate = await asyncio.to_thread(meter.idle_cpu_rate, 3.0)
        out: dict = {"idle_cpu_percent": round(100 * idle_rate, 2), "session_start_ms": summary(session_ms), "levels": []}
        if measure_memory and cfg.idle_sessions:
            out["idle_session"] = await load.idle_session_memory(hh, meter, cfg.idle_sessions)
            cfg.log(f"  idle session: {out['idle_session']['kb_per_session']:.1f} kB resident each")
        for n in cfg.levels:
            await asyncio.to_thread(_wait_for_quiet, cfg, (meter, *load_meters))
            run = await load.drive(
                hh,
                server.port,
                sessions,
                pcm,
                tablets=n,
                turns_each=cfg.turns_for(n),
                think_s=cfg.think_s,
                stagger_s=clip_s + cfg.think_s if n > 1 else 0.0,
                timeout_s=cfg.timeout_s,
                meter=meter,
                idle_cpu_rate=idle_rate,
                load_meters=load_meters,
            )
            level = level_report(run, floor, cfg.profile, clip_s)
            out["levels"].append(level)
            t = level["ttfa_ms"]
            cfg.log(
                f"  {name:8s} N={n:<4d} turns={level['turns']:<4d} errors={level['errors']:<3d} "
                f"TTFA p50={t['p50']} p95={t['p95']} p99={t['p99']} ms (floor {floor:.0f}) "
                f"{level['turns_per_s']} turns/s, server CPU {level['cpu_ms_per_turn']} ms/turn, load generator {level['load_cpu_percent']}% CPU, "
                f"other processes {level['other_cpu_percent']}% CPU"
            )
            if level["error_samples"]:
                cfg.log(f"    errors: {level['error_samples']}")
        out["rss_mb_end"] = round(meter.rss_bytes() / 2**20, 1)
        return out
    finally:
        server.stop()


def _speedups(pipes: dict) -> list[dict]:
    if "streamed" not in pipes or "naive" not in pipes:
        return []
    out = []
    for s, n in zip(pipes["streamed"]["levels"], pipes["naive"]["levels"]):
        out.append({"tablets": s["tablets"], "p50": _ratio(n, s, "p50"), "p95": _ratio(n, s, "p95")})
    return out


def _ratio(naive: dict, streamed: dict, key: str) -> float | None:
    """How many times sooner the streamed pipeline's first audio came, at one percentile."""
    before, after = naive["ttfa_ms"][key], streamed["ttfa_ms"][key]
    return round(before / after, 2) if before and after else None


def _endpointing(seed: int = 6) -> dict:
    """How much silence the end-of-speech detector waits for: the bench's question, then quiet room noise."""
    import numpy as np

    from server.bench.speech import speak
    from server.endpointing import EndOfSpeech

    speech = speak(SHORT_QUESTION)
    rng = np.random.default_rng(seed)
    noise = lambda seconds: (10 ** (-60 / 20) * rng.standard_normal(int(16000 * seconds))).astype(np.float32)
    detector = EndOfSpeech()
    detector.feed(np.concatenate([noise(0.5), speech + noise(speech.size / 16000), noise(2.0)]))
    spoken_end = 0.5 + speech.size / 16000
    end = detector.end
    return {
        "hang_ms": detector.config.hang_ms,
        "waited_ms": round(1000 * (end.decided_s - spoken_end), 1) if end else None,
        "end_error_ms": round(1000 * (end.at_s - spoken_end), 1) if end else None,
    }


def _wait_for_quiet(cfg: BenchConfig, mine: tuple[processes.Meter, ...], limit: float = 0.3) -> None:
    """Wait (at most ``cfg.wait_quiet_s``) until others use less than ``limit`` of a core: a shared machine skews results."""
    deadline = time.monotonic() + cfg.wait_quiet_s
    while time.monotonic() < deadline:
        machine, own = processes.machine_busy_s(), sum(m.cpu_s() for m in mine)
        time.sleep(1.0)
        if processes.machine_busy_s() - machine - (sum(m.cpu_s() for m in mine) - own) < limit:
            return
    if cfg.wait_quiet_s:
        cfg.log("  (other processes stayed busy; measuring anyway)")


def _others_busy_percent(seconds: float = 2.0) -> float:
    """How busy the machine is before we start (100 = one core): other work skews every number."""
    before = processes.machine_busy_s()
    time.sleep(seconds)
    return round(100 * (processes.machine_busy_s() - before) / seconds, 1)


def run_bench(cfg: BenchConfig) -> dict:
    started = time.time()
    workdir = cfg.workdir or Path(tempfile.mkdtemp(prefix="keepsake-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pcm, clip_s = question_pcm(SHORT_QUESTION)
    report: dict = {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "others_busy_percent": _others_busy_percent(),
        },
        "profile": cfg.profile.as_dict(),
        "clip_s": round(clip_s, 2),
        "floor_ms": round(cfg.profile.floor_ms(clip_s), 1),
        "naive_floor_ms": round(cfg.profile.naive_floor_ms(clip_s), 1),
        "think_s": cfg.think_s,
        "pipelines": {},
    }
    cfg.log(f"clip {clip_s:.2f} s; floor {report['floor_ms']} ms (naive pipeline's own floor {report['naive_floor_ms']} ms)")
    if report["machine"]["others_busy_percent"] > 25:
        cfg.log(f"warning: other processes keep {report['machine']['others_busy_percent']:.0f}% of a core busy; expect slower numbers")
    if not cfg.embedded_only:
        fakes = processes.start_fakes(cfg.profile, workdir)
        try:
            for i, name in enumerate(cfg.pipelines):
                cfg.log(f"{name} pipeline:")
                report["pipelines"][name] = asyncio.run(_run_pipeline(cfg, name, fakes, workdir, pcm, clip_s, measure_memory=i == 0))
        finally:
            fakes.stop()
    report["speedup"] = _speedups(report["pipelines"])
    report["endpointing"] = _endpointing()
    if cfg.embedded_turns:
        from server.bench.embedded import run_embedded

        cfg.log(f"embedded engines, demo persona, story mode: {cfg.embedded_turns} turns for each way of ending the upload")
        report["embedded"] = run_embedded(workdir, cfg.embedded_turns)
        for ending, r in report["embedded"]["endings"].items():
            cfg.log(
                f"  upload ended by {ending}: TTFA p50 {r['ttfa_ms']['p50']} ms, p95 {r['ttfa_ms']['p95']} ms; "
                f"server speech to text p50 {r['server_asr_ms']['p50']} ms; errors {r['errors']}"
            )
    else:
        report["embedded"] = None
    report["duration_s"] = round(time.time() - started, 1)
    if cfg.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return report
