"""``keepsake bench``: how fast the server answers, against fake services with set latencies.

Starts fake OpenAI-compatible services and the real server on 127.0.0.1,
drives N simulated tablets speaking streamed turns, and reports time to first
audio against the floor the fakes allow, for the streamed pipeline and the
naive one; then the embedded engines on this machine. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

QUICK_LEVELS = [1, 10]


def build_parser() -> argparse.ArgumentParser:
    from server.bench.profile import Profile

    d = Profile()
    p = argparse.ArgumentParser(
        prog="keepsake bench",
        description="Benchmark time to first audio: the real server, fake generation services on loopback, N simulated tablets.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="N = 1 and 10, one turn per tablet, 20 idle sessions a batch, no embedded engines (about a minute)",
    )
    p.add_argument("--levels", metavar="N,N,...", help="numbers of tablets to run (default 1,10,50,100,200)")
    p.add_argument("--turns", type=int, metavar="K", help="turns per tablet at every level (default: about 30 turns a level, 12 for N=1)")
    p.add_argument(
        "--think", type=float, default=None, metavar="S", help="pause between an answer's end and the next question (default 1.0 s)"
    )
    p.add_argument("--pipelines", default="streamed,naive", metavar="P,P", help="pipelines to run: streamed, naive or both (default both)")
    p.add_argument(
        "--idle-sessions",
        type=int,
        default=None,
        metavar="K",
        help="sessions per batch for the idle-memory measurement (default 150; 0 skips)",
    )
    p.add_argument(
        "--embedded-turns",
        type=int,
        default=None,
        metavar="K",
        help="turns for the embedded-engines measurement (default 20, 0 with --quick; 0 skips)",
    )
    p.add_argument("--embedded-only", action="store_true", help="measure only the embedded engines (no fakes, no levels; about 5 minutes)")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each level, wait up to S seconds for other processes to leave the CPU (default 0)",
    )
    p.add_argument("--asr-ms", type=float, default=d.asr_ms, help=f"fake speech to text: fixed ms (default {d.asr_ms:g})")
    p.add_argument(
        "--asr-ms-per-s",
        type=float,
        default=d.asr_ms_per_audio_s,
        help=f"fake speech to text: ms per audio second (default {d.asr_ms_per_audio_s:g})",
    )
    p.add_argument("--llm-ttft-ms", type=float, default=d.llm_ttft_ms, help=f"fake LLM: time to first token (default {d.llm_ttft_ms:g})")
    p.add_argument(
        "--llm-tps", type=float, default=d.llm_tokens_per_s, help=f"fake LLM: tokens per second (default {d.llm_tokens_per_s:g})"
    )
    p.add_argument("--tts-ms", type=float, default=d.tts_ms, help=f"fake TTS: fixed ms (default {d.tts_ms:g})")
    p.add_argument("--tts-rtf", type=float, default=d.tts_rtf, help=f"fake TTS: real-time factor (default {d.tts_rtf:g})")
    p.add_argument(
        "--live",
        action="store_true",
        help="measure only the live socket against today's tablet path: last word to first sound, cut-offs by pause length, false barge-ins from the persona's own voice played back, barge-ins heard (embedded engines, about 15 minutes)",
    )
    p.add_argument(
        "--dev", action="store_true", help="with --live: the dev set of utterances (tune settings on it; the default is the test set)"
    )
    p.add_argument(
        "--speak-ahead",
        action="store_true",
        help="with --live: the server speaks ahead as `keepsake serve` does, and the turns begin once every sentence is made (what a relative meets); the default makes each first sentence in the turn on both paths",
    )
    p.add_argument(
        "--pipecat",
        action="store_true",
        help="with --live: instead, Keepsake's live socket and a Pipecat 1.14 bot side by side on the same fake services and utterances"
        " (last word to first sound, cut-offs); Pipecat runs from its own virtualenv, made with: "
        'python3 -m venv /work/pipecat-venv && /work/pipecat-venv/bin/pip install "pipecat-ai[websocket,silero,openai,runner]==1.14.0"'
        " (without it the Pipecat column is skipped, and the report says why)",
    )
    p.add_argument(
        "--pipecat-python",
        metavar="PATH",
        help="with --live --pipecat: the Python of Pipecat's virtualenv (default /work/pipecat-venv/bin/python if it exists)",
    )
    p.add_argument(
        "--workers",
        metavar="W,W",
        help="measure only `keepsake serve --workers W` at each W (e.g. 1,2): turns/s and time to first audio at --levels "
        "(default 100,200,300), on SQLite and, with --database-url, on PostgreSQL",
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="with --workers: a PostgreSQL server (postgresql://user@host:port/db) where a fresh database is made for each run",
    )
    p.add_argument("--json", metavar="FILE", help="also write the raw report as JSON")
    p.add_argument("--from-json", metavar="FILE", help="run nothing: print (and with --write-docs, write) the report saved by --json")
    p.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md and docs/bench_ttfa.png from this run")
    p.add_argument(
        "--docs-dir",
        default=str(Path(__file__).resolve().parents[2] / "docs"),
        metavar="DIR",
        help="where --write-docs writes (default: the repository's docs/)",
    )
    p.add_argument("--workdir", metavar="DIR", help="keep data and logs here (default: a temporary folder, removed afterwards)")
    return p


def config_from_args(args: argparse.Namespace):
    from server.bench.profile import Profile
    from server.bench.runner import BenchConfig

    profile = Profile(
        asr_ms=args.asr_ms,
        asr_ms_per_audio_s=args.asr_ms_per_s,
        llm_ttft_ms=args.llm_ttft_ms,
        llm_tokens_per_s=args.llm_tps,
        tts_ms=args.tts_ms,
        tts_rtf=args.tts_rtf,
    )
    started = time.monotonic()
    cfg = BenchConfig(profile=profile, log=lambda line: print(f"[{time.monotonic() - started:5.0f} s] {line}", flush=True))
    if args.quick:
        cfg.levels, cfg.turns, cfg.idle_sessions, cfg.embedded_turns, cfg.think_s = list(QUICK_LEVELS), 1, 20, 0, 0.3
    if args.levels:
        cfg.levels = [int(n) for n in args.levels.split(",") if n.strip()]
    if args.turns is not None:
        cfg.turns = args.turns
    if args.think is not None:
        cfg.think_s = args.think
    if args.idle_sessions is not None:
        cfg.idle_sessions = args.idle_sessions
    if args.embedded_turns is not None:
        cfg.embedded_turns = args.embedded_turns
    if args.embedded_only and not cfg.embedded_turns:
        raise ValueError("--embedded-only needs embedded turns")
    cfg.wait_quiet_s = args.wait_quiet
    cfg.embedded_only = args.embedded_only
    cfg.pipelines = [p.strip() for p in args.pipelines.split(",") if p.strip()]
    if args.workdir:
        cfg.workdir = Path(args.workdir)
    return cfg


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.live:
        return _live(args)
    if args.workers:
        return _workers(args, parser)
    try:
        cfg = config_from_args(args)
    except ValueError as err:
        parser.error(str(err) if "embedded" in str(err) else "--levels takes numbers of tablets, e.g. 1,10,50")
    if not cfg.levels or min(cfg.levels) < 1:
        parser.error("--levels needs positive numbers of tablets")
    if set(cfg.pipelines) - {"streamed", "naive"} or not cfg.pipelines:
        parser.error("--pipelines takes streamed, naive or both")

    from server.bench.report import write_docs
    from server.bench.runner import run_bench
    from server.bench.tables import text_summary

    report = json.loads(Path(args.from_json).read_text()) if args.from_json else run_bench(cfg)
    print()
    print(text_summary(report))
    if args.json and not args.from_json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.write_docs:
        md, png = write_docs(report, Path(args.docs_dir))
        print(f"\nwrote {md} and {png}")
    failed = sum(lv["errors"] for p in report["pipelines"].values() for lv in p["levels"])
    return 1 if failed else 0


def _workers(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import tempfile

    from server.bench.scaling import run_scaling, table, write_scaling_docs

    try:
        workers = [int(w) for w in args.workers.split(",") if w.strip()]
        levels = [int(n) for n in (args.levels or "100,200,300").split(",") if n.strip()]
    except ValueError:
        parser.error("--workers and --levels take numbers, e.g. --workers 1,2 --levels 100,200")
    if not workers or min(workers) < 1 or not levels or min(levels) < 1:
        parser.error("--workers and --levels need positive numbers")
    started = time.monotonic()
    log = _timed_log(started)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run_scaling(
                workers, levels, args.database_url, Path(args.workdir) if args.workdir else Path(tmp), log, args.turns or 2
            )
    print()
    print(table(report))
    if args.json and not args.from_json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.write_docs:
        command = f"keepsake bench --workers {args.workers} --levels {','.join(map(str, levels))}" + (
            " --database-url postgresql://..." if args.database_url else ""
        )
        print(f"\nwrote {write_scaling_docs(report, Path(args.docs_dir), command)}")
    return 1 if any(row["errors"] for run in report["runs"] for row in run["levels"]) else 0


def _timed_log(started: float) -> Callable[[str], None]:
    """Print a line with the seconds since ``started`` (each benchmark's progress)."""
    return lambda line: print(f"[{time.monotonic() - started:5.0f} s] {line}", flush=True)


def _live(args: argparse.Namespace) -> int:
    import tempfile

    if args.pipecat:
        return _side_by_side(args)

    from server.bench.live import live_table, run_live

    started = time.monotonic()
    log = _timed_log(started)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run_live(Path(args.workdir) if args.workdir else Path(tmp), log, dev=args.dev, speak_ahead=args.speak_ahead)
        report["started_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - (time.monotonic() - started)))
    print()
    print(f"{report['set']} set of utterances")
    print(live_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.write_docs:
        from server.bench.live_docs import write_live_docs

        command = (
            "python -m server.bench --live"
            + (" --dev" if report["set"] == "dev" else "")
            + (" --speak-ahead" if report.get("speak_ahead") else "")
        )
        print(f"\nwrote {write_live_docs(report, Path(args.docs_dir), command)}")
    return 0


def _side_by_side(args: argparse.Namespace) -> int:
    import tempfile

    from server.bench.live_pipecat import find_pipecat_python, run_side_by_side, side_by_side_table

    started = time.monotonic()
    log = _timed_log(started)
    if args.from_json:
        report = json.loads(Path(args.from_json).read_text())
    else:
        python, why = find_pipecat_python(args.pipecat_python)
        if python is None:
            log(f"the Pipecat column is skipped: {why}")
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(args.workdir) if args.workdir else Path(tmp)
            report = run_side_by_side(workdir, python, log, dev=args.dev, skipped_why=why)
        report["started_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - (time.monotonic() - started)))
    print()
    print(
        f"{report['set']} set of utterances; load average before {report['load_average']['before']}, after {report['load_average']['after']}"
    )
    print(side_by_side_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.write_docs:
        from server.bench.live_docs import write_side_by_side_docs

        command = "python -m server.bench --live --pipecat" + (" --dev" if report["set"] == "dev" else "")
        print(f"\nwrote {write_side_by_side_docs(report, Path(args.docs_dir), command)}")
    return 0


__all__ = ["main"]
