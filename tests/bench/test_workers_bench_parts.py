"""``keepsake bench --workers``: its section of docs/benchmarks.md, with no server started."""

from __future__ import annotations

from server.bench import scaling
from server.bench.live_docs import keep_section as keep_live_section
from server.bench.live_docs import write_live_docs
from tests.bench.test_live_bench_parts import report as live_report


def _report() -> dict:
    row = lambda n, tps, p95: {
        "tablets": n,
        "turns": 2 * n,
        "errors": 0,
        "ttfa_ms": {"p50": 1500.0, "p95": p95, "p99": p95},
        "turns_per_s": tps,
        "cpu_ms_per_turn": 30.0,
    }
    return {
        "started_at": "2026-12-07 12:10 UTC",
        "duration_s": 300.0,
        "floor_ms": 1484.0,
        "levels": [100],
        "turns_each": 2,
        "runs": [
            {"database": "sqlite", "workers": 1, "levels": [row(100, 13.5, 1516.0)]},
            {"database": "postgresql", "workers": 2, "levels": [row(100, 13.1, 1530.0)]},
        ],
    }


def test_the_workers_section_sits_beside_the_others_and_survives_their_rewrites(tmp_path):
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\nmain figures\n\n## Run it\n\nold\n")
    page = scaling.write_scaling_docs(_report(), tmp_path, "keepsake bench --workers 1,2").read_text()
    assert page.index(scaling.END) < page.index("## Run it")
    assert "| postgresql | 2 | 100 | 200 | 0 | 13.1 | 1500 ms | 1530 ms | 30.0 ms |" in page
    page = write_live_docs(live_report(), tmp_path, "python -m server.bench --live").read_text()
    assert page.count(scaling.BEGIN) == 1 and "2026-12-07" in page
    # The main benchmark rewrites its page (server.bench.report.write_docs): both sections stay, once each.
    new = "# Benchmarks\n\nnew figures\n\n## Run it\n\nnew\n"
    rewritten = scaling.keep_section(page, keep_live_section(page, new))
    assert rewritten.count(scaling.BEGIN) == 1 and "| sqlite | 1 | 100 |" in rewritten and "main figures" not in rewritten
    # A second --workers run replaces its own section.
    again = scaling.write_scaling_docs({**_report(), "started_at": "2026-12-08 06:00 UTC"}, tmp_path, "keepsake bench --workers 1,2")
    text = again.read_text()
    assert text.count(scaling.BEGIN) == 1 and "2026-12-08" in text
