"""Parts of ``keepsake bench --live``: the echo the bench tablet's microphone hears, and the page
section each benchmark keeps for the other."""

from __future__ import annotations

import numpy as np

from server.bench.live_docs import BEGIN, END, keep_section, write_live_docs
from server.bench.live_playback import ECHO_PATHS, RATE, answer_timeline, echo


def test_the_echo_comes_later_and_quieter_by_the_path_chosen():
    played = np.sin(np.linspace(0, 2 * np.pi * 300, RATE)).astype(np.float32) * 0.3
    for delay_ms, level_db in ECHO_PATHS:
        heard = echo(played, delay_ms, level_db, seed=1)
        lead = int(delay_ms * RATE / 1000)
        assert not heard[:lead].any() and heard[lead : lead + 10].any()
        ratio_db = 10 * np.log10(np.sum(heard**2) / np.sum(played**2))
        assert abs(ratio_db - level_db) < 0.5


def test_the_answer_plays_its_sentences_one_after_another():
    sentences = [np.ones(RATE, np.float32) * 0.1, np.ones(RATE // 2, np.float32) * 0.1]
    mic, starts = answer_timeline(sentences, path=0, seed=0)
    assert starts == [0, RATE] and mic.size > int(1.5 * RATE)


def report() -> dict:
    return {
        "started_at": "2026-12-07 06:00 UTC",
        "set": "test",
        "last_word_to_first_sound_ms": {"live": {"p50": 1, "p95": 2, "n": 1}, "tablet": {"p50": 3, "p95": 4, "n": 1}},
        "cutoffs": {"0.5": {"utterances": 5, "live": 0, "tablet": 0}},
        "false_barge_ins": {"answers_played_back": 5, "seconds_played_back": 60.0, "interrupted": 0, "before_the_relative_spoke": 0},
        "barge_ins": {"spoken_over": 5, "heard": 5, "heard_after_ms": {"p50": 200, "p95": 300}},
    }


def test_each_benchmark_keeps_the_others_part_of_the_page(tmp_path):
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\nmain figures\n\n## Run it\n\nold\n")
    page = write_live_docs(report(), tmp_path, "python -m server.bench --live").read_text()
    assert BEGIN in page and END in page and page.index(END) < page.index("## Run it")
    assert "python -m server.bench --live" in page and "2026-12-07" in page and "| 0 of 5 (60.0 s" in page
    # The main benchmark rewrites its page: the live section stays, once.
    rewritten = keep_section(page, "# Benchmarks\n\nnew figures\n\n## Run it\n\nnew\n")
    assert "new figures" in rewritten and rewritten.count(BEGIN) == 1 and "main figures" not in rewritten
    # And a second live run replaces its own section.
    again = write_live_docs({**report(), "started_at": "2026-12-08 06:00 UTC"}, tmp_path, "python -m server.bench --live").read_text()
    assert again.count(BEGIN) == 1 and "2026-12-08" in again and "2026-12-07" not in again
