"""The benchmark's results as Markdown tables, which also read well in a terminal, and the summary the command prints."""

from __future__ import annotations

from server.bench.targets import ENDING_NAMES, fmt, level_of, targets


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def table(report: dict) -> str:
    """The results table (Markdown, which also reads well in a terminal)."""
    rows = [
        "| N | pipeline | turns | errors | TTFA p50 | p95 | p99 | floor | p95/floor | turns/s | server CPU/turn |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = list(report["pipelines"])
    levels = sorted({lv["tablets"] for p in report["pipelines"].values() for lv in p["levels"]})
    for n in levels:
        for name in names:
            lv = level_of(report, name, n)
            if lv is None:
                continue
            t = lv["ttfa_ms"]
            rows.append(
                f"| {n} | {name} | {lv['turns']} | {lv['errors']} | {fmt(t['p50'])} ms | {fmt(t['p95'])} ms | {fmt(t['p99'])} ms "
                f"| {lv['floor_ms']:.0f} ms | {fmt(lv['p95_over_floor'], 2)} | {lv['turns_per_s']:.1f} | {lv['cpu_ms_per_turn']:.0f} ms |"
            )
    return "\n".join(rows)


def speedup_table(report: dict) -> str:
    rows = ["| N | naive / streamed, p50 | naive / streamed, p95 |", "|---:|---:|---:|"]
    rows += [f"| {s['tablets']} | {fmt(s['p50'], 2)}x | {fmt(s['p95'], 2)}x |" for s in report.get("speedup", [])]
    return "\n".join(rows)


def targets_table(report: dict) -> str:
    rows = ["| target | goal | measured | | why not |", "|---|---|---|---|---|"]
    rows += [f"| {t['target']} | {t['goal']} | {t['measured']} | {_verdict(t['met'])} | {t['why']} |" for t in targets(report)]
    return "\n".join(rows)


def extra_table(report: dict) -> str:
    """Where the streamed server's time above the floor goes (medians, ms)."""
    rows = [
        "| N | speech to text | until sentence 1's text | until sentence 1's audio | to the tablet | total above floor (p50) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in report["pipelines"].get("streamed", {}).get("levels", []):
        e = lv["server_extra_ms"]
        above = lv["ttfa_ms"]["p50"] - lv["floor_ms"] if lv["ttfa_ms"]["p50"] is not None else None
        rows.append(
            f"| {lv['tablets']} | {fmt(e['asr'], 1)} | {fmt(e['to_first_sentence_text'], 1)} | {fmt(e['to_first_audio'], 1)} "
            f"| {fmt(e['transport'], 1)} | {fmt(above, 1)} |"
        )
    return "\n".join(rows)


def cpu_table(report: dict) -> str:
    rows = [
        "| N | pipeline | server CPU per turn | load generator CPU | other processes' CPU | turns/s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for name, pipe in report["pipelines"].items():
        for lv in pipe["levels"]:
            rows.append(
                f"| {lv['tablets']} | {name} | {lv['cpu_ms_per_turn']:.0f} ms | {fmt(lv.get('load_cpu_percent'))}% "
                f"| {fmt(lv.get('other_cpu_percent'))}% | {lv['turns_per_s']:.1f} |"
            )
    return "\n".join(rows)


def text_summary(report: dict) -> str:
    """What the command prints at the end."""
    parts = [table(report), "", speedup_table(report), ""]
    idle = report["pipelines"].get("streamed", {}).get("idle_session")
    if idle:
        parts.append(f"idle session: {idle['kb_per_session']:.1f} kB resident each ({idle['sessions_per_batch']} sessions a batch)")
    emb = report.get("embedded")
    if emb:
        for ending, r in emb["endings"].items():
            parts.append(
                f"embedded engines ({emb['clip_s']} s question, story mode, {ENDING_NAMES[ending]}, {r['turns']} turns): "
                f"TTFA p50 {fmt(r['ttfa_ms']['p50'])} ms, p95 {fmt(r['ttfa_ms']['p95'])} ms; "
                f"server: speech to text p50 {fmt(r['server_asr_ms']['p50'])} ms"
            )
    ep = report.get("endpointing")
    if ep:
        parts.append(f"end-of-speech detection waits {ep['waited_ms']:.0f} ms of silence (hang time {ep['hang_ms']:.0f} ms)")
    parts += ["", targets_table(report)]
    return "\n".join(parts)
