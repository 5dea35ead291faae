"""``keepsake bench --workers 1,2``: turns per second and time to first audio with N server processes.

The real server runs as ``keepsake serve --workers W`` on SQLite (its data folder) and, given a
database URL, on PostgreSQL (a fresh database made on that server for each run, dropped after),
against the same fake services as the main benchmark; the tablets speak the same question at each
level. A level's turns per second at the highest level is the saturation figure when its time to
first audio has left the floor: then more tablets only wait longer. Its section of
docs/benchmarks.md sits between two markers, kept by the main benchmark's rewrite.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

from server.bench import load, processes
from server.bench.profile import Profile
from server.bench.speech import SHORT_QUESTION, question_pcm
from server.bench.stats import summary

BEGIN = "<!-- workers: written by bench --workers -->"
END = "<!-- /workers -->"
_SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)


class ServerGroup(processes.Meter):
    """CPU of ``keepsake serve`` and its worker processes together."""

    def cpu_s(self) -> float:
        total = 0.0
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


def _fresh_database(url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on the server of ``url``, and how to drop it."""
    import psycopg

    name = f"keepsake_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return urlunsplit(parts._replace(path=f"/{name}")), drop


async def _one_setup(
    url: str,
    port: int,
    workers: int,
    pcm: bytes,
    clip_s: float,
    levels: list[int],
    turns_each: int,
    think_s: float,
    meter: processes.Meter,
    fakes_pid: int,
) -> list[dict]:
    # The tablets' process and the fakes: their CPU is the benchmark's own, not "other work".
    load_meters = (processes.Meter(os.getpid()), processes.Meter(fakes_pid))
    hh = await load.make_household(url)
    sessions = await load.open_sessions(hh, max(levels))
    # Warm-up turns, not timed: several at once, so that every worker process has taken one.
    warm = min(len(sessions), 4 * workers)
    await load.drive(
        hh,
        port,
        sessions,
        pcm,
        tablets=warm,
        turns_each=1,
        think_s=0.2,
        stagger_s=0.0,
        timeout_s=60.0,
        meter=meter,
        idle_cpu_rate=0.0,
        realtime=False,
    )
    out = []
    for n in levels:
        run = await load.drive(
            hh,
            port,
            sessions,
            pcm,
            tablets=n,
            turns_each=turns_each,
            think_s=think_s,
            stagger_s=clip_s + think_s if n > 1 else 0.0,
            timeout_s=60.0,
            meter=meter,
            idle_cpu_rate=0.0,
            load_meters=load_meters,
        )
        ok = [r for r in run.results if r.ok]
        out.append(
            {
                "tablets": n,
                "turns": len(run.results),
                "errors": len(run.results) - len(ok),
                "ttfa_ms": summary(r.ttfa_ms for r in ok),
                "turns_per_s": round(len(ok) / run.wall_s, 2),
                "cpu_ms_per_turn": round(1000 * run.cpu_s / max(1, len(run.results)), 1),
                # Other people's work on the machine during the level (100 = one core): it skews every figure.
                "other_cpu_percent": round(100 * run.other_cpu_s / run.wall_s, 1),
            }
        )
    return out


def run_scaling(
    workers: list[int],
    levels: list[int],
    database_url: str | None,
    workdir: Path,
    log: Callable[[str], None],
    turns_each: int = 2,
    think_s: float = 1.0,
    profile: Profile | None = None,
) -> dict:
    profile = profile or Profile()
    pcm, clip_s = question_pcm(SHORT_QUESTION)
    started = time.time()
    report: dict = {
        "started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "floor_ms": round(profile.floor_ms(clip_s), 1),
        "levels": levels,
        "turns_each": turns_each,
        "runs": [],
    }
    databases = ["sqlite"] + (["postgresql"] if database_url else [])
    fakes = processes.start_fakes(profile, workdir)
    try:
        for database in databases:
            for w in workers:
                env = {**processes.remote_env(fakes), "KEEPSAKE_PIPELINE": "streamed"}
                drop = None
                if database == "postgresql":
                    assert database_url is not None
                    env["KEEPSAKE_DATABASE_URL"], drop = _fresh_database(database_url)
                try:
                    server = processes.start_server(workdir / f"data-{database}-{w}", env, extra=["--workers", str(w)])
                    try:
                        rows = asyncio.run(
                            _one_setup(
                                server.url, server.port, w, pcm, clip_s, levels, turns_each, think_s, ServerGroup(server.pid), fakes.pid
                            )
                        )
                    finally:
                        server.stop()
                finally:
                    if drop is not None:
                        drop()
                for row in rows:
                    t = row["ttfa_ms"]
                    log(
                        f"  {database:10s} workers={w} N={row['tablets']:<4d} errors={row['errors']:<3d} "
                        f"{row['turns_per_s']} turns/s, TTFA p50={t['p50']} p95={t['p95']} ms, server CPU {row['cpu_ms_per_turn']} ms/turn, "
                        f"other processes {row['other_cpu_percent']}% CPU"
                    )
                report["runs"].append({"database": database, "workers": w, "levels": rows})
    finally:
        fakes.stop()
    report["duration_s"] = round(time.time() - started, 1)
    return report


def table(report: dict) -> str:
    lines = [
        "| database | processes | N | turns | errors | turns/s | TTFA p50 | p95 | server CPU/turn | other processes' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        for row in run["levels"]:
            t = row["ttfa_ms"]
            lines.append(
                f"| {run['database']} | {run['workers']} | {row['tablets']} | {row['turns']} | {row['errors']} | {row['turns_per_s']} "
                f"| {t['p50']:.0f} ms | {t['p95']:.0f} ms | {row['cpu_ms_per_turn']} ms | {row.get('other_cpu_percent', '?')}% |"
            )
    return "\n".join(lines)


def section(report: dict, command: str, note: str = "") -> str:
    return "\n".join(
        [
            BEGIN,
            "## Several server processes: SQLite and PostgreSQL",
            "",
            f"`{command}`, run of {report['started_at']} (took {report['duration_s'] / 60:.1f} minutes). The streamed",
            "pipeline and the fakes above; `keepsake serve --workers W` on one port; the tablets as above, "
            f"{report['turns_each']} turns each, 1 s apart. Floor {report['floor_ms']} ms. PostgreSQL is a local",
            "cluster on this machine, so it shares the 2 cores with the server, the fakes and the tablets.",
            "",
            table(report),
            "",
            note,
            END,
        ]
    )


def keep_section(old: str, new: str) -> str:
    """``new`` (the main benchmark's page) with this section of ``old`` put back before "Run it"."""
    found = _SECTION.search(old)
    return new if found is None else _insert(new, found.group(0))


def _insert(page: str, block: str) -> str:
    if _SECTION.search(page):
        return _SECTION.sub(lambda _: block, page)
    at = page.find("## Run it")
    return page + "\n" + block + "\n" if at < 0 else page[:at] + block + "\n\n" + page[at:]


def write_scaling_docs(report: dict, docs_dir: Path, command: str, note: str = "") -> Path:
    md = docs_dir / "benchmarks.md"
    page = md.read_text() if md.exists() else "# Benchmarks\n\n"
    md.write_text(_insert(page, section(report, command, note)))
    return md
