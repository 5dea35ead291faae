"""A short benchmark run (N = 1 and 10, a few turns): the report has its shape and every turn completed."""

from __future__ import annotations

import pytest

from server.bench import build_parser, config_from_args
from server.bench.report import markdown, write_docs
from server.bench.runner import run_bench
from server.bench.tables import table, text_summary
from server.bench.targets import targets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    cfg = config_from_args(build_parser().parse_args(["--quick", "--workdir", str(tmp_path_factory.mktemp("bench"))]))
    cfg.log = lambda line: None
    return run_bench(cfg)


def test_every_turn_completed_at_every_level(report):
    assert set(report["pipelines"]) == {"streamed", "naive"}
    for name, pipe in report["pipelines"].items():
        assert [lv["tablets"] for lv in pipe["levels"]] == [1, 10], name
        for lv in pipe["levels"]:
            assert lv["turns"] >= lv["tablets"], (name, lv)
            assert lv["completed"] == lv["turns"] and lv["errors"] == 0, (name, lv["error_samples"])
            assert lv["fallback_notices"] == 0, (name, lv)


def test_report_has_the_numbers_the_issue_asks_for(report):
    assert report["floor_ms"] > 0 and report["naive_floor_ms"] > report["floor_ms"]
    for pipe in report["pipelines"].values():
        for lv in pipe["levels"]:
            ttfa = lv["ttfa_ms"]
            assert 0 < ttfa["p50"] <= ttfa["p95"] <= ttfa["p99"] <= ttfa["max"]
            assert lv["floor_ms"] == report["floor_ms"]
            assert lv["p95_over_floor"] == pytest.approx(ttfa["p95"] / lv["floor_ms"], abs=0.01)
            assert lv["turns_per_s"] > 0 and lv["cpu_ms_per_turn"] >= 0
    assert [s["tablets"] for s in report["speedup"]] == [1, 10]
    assert all(s["p50"] > 0 for s in report["speedup"])
    idle = report["pipelines"]["streamed"]["idle_session"]
    assert idle["sessions_per_batch"] > 0 and "kb_per_session" in idle
    assert report["embedded"] is None  # --quick leaves the embedded engines out
    assert report["endpointing"]["hang_ms"] > 0 and report["endpointing"]["waited_ms"] is not None


def test_naive_pipeline_waits_for_the_whole_answer(report):
    """The baseline really is naive: it cannot be faster than its own floor."""
    naive = report["pipelines"]["naive"]["levels"][0]["ttfa_ms"]["p50"]
    assert naive >= report["naive_floor_ms"]


def test_table_targets_and_docs(report, tmp_path):
    assert table(report).startswith("| N | pipeline |")
    assert {t["target"] for t in targets(report)} >= {"idle session resident memory", "server CPU per turn (engines excluded)"}
    assert "| target |" in text_summary(report)
    md, png = write_docs(report, tmp_path)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "![time to first audio against N](bench_ttfa.png)" in md.read_text()
    assert markdown(report, "x.png").startswith("# Benchmarks")
