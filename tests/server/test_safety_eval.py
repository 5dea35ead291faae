"""The safety check on the labelled safety set (tests/eval/safety/), and what it costs on long text.

The test split was written before the check and is never tuned on; the dev split
is what K and THRESHOLD in safety_meaning.py were chosen on.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from server.cli import main
from server.conversation import safety, safety_meaning
from server.conversation.safety_eval import (
    SPLITS_DIR,
    TARGET_CAUGHT_PCT,
    TARGET_REPLACED_PCT,
    evaluate,
    load_split,
)


@pytest.fixture(scope="module")
def test_result():
    return evaluate(load_split(SPLITS_DIR / "test.jsonl"))


def test_the_set_is_large_and_bilingual_enough() -> None:
    rows = load_split(SPLITS_DIR / "dev.jsonl") + load_split(SPLITS_DIR / "test.jsonl")
    assert len(rows) >= 200
    assert sum(r["lang"] == "zh" for r in rows) >= 0.3 * len(rows)
    assert all(bool(re.search("[\u4e00-\u9fff]", r["text"])) == (r["lang"] == "zh") for r in rows)
    for label in ("request", "innocent"):
        assert sum(r["label"] == label for r in rows) >= 0.4 * len(rows)


def test_no_test_sentence_is_an_example_and_every_dev_sentence_is() -> None:
    examples = {e["text"] for e in safety_meaning.load_examples()}
    dev = {r["text"] for r in load_split(SPLITS_DIR / "dev.jsonl")}
    test = {r["text"] for r in load_split(SPLITS_DIR / "test.jsonl")}
    assert not test & examples and not test & dev
    assert dev <= examples
    labelled = {e["text"]: e["label"] for e in safety_meaning.load_examples()}
    assert all(labelled[r["text"]] == r["label"] for r in load_split(SPLITS_DIR / "dev.jsonl"))


def test_dev_split_meets_the_targets_without_counting_a_sentence_as_its_own_neighbour() -> None:
    result = evaluate(load_split(SPLITS_DIR / "dev.jsonl"))
    assert result.caught_pct >= TARGET_CAUGHT_PCT and result.replaced_pct <= TARGET_REPLACED_PCT


@pytest.mark.xfail(
    strict=True,
    reason="measured on the test split (docs/safety.md, runs 3 to 6): 67/70 requests caught (95.7%), 1/70 innocent replaced (1.4%); "
    "the targets are 98% and 2%. Strict: this fails loudly once the targets are met, so the mark goes.",
)
def test_test_split_meets_the_targets(test_result) -> None:
    assert test_result.caught_pct >= TARGET_CAUGHT_PCT
    assert test_result.replaced_pct <= TARGET_REPLACED_PCT


def test_test_split_holds_what_was_measured(test_result) -> None:
    # What the check reached on the test split when it was measured: no change may do worse.
    # Counts only: the test split's sentences are never shown, so no one tunes on them by reading a failure.
    assert test_result.caught >= 67 and test_result.replaced <= 1, (test_result.caught, test_result.replaced)
    for lang in ("en", "zh"):
        c = test_result.by_lang[lang]
        assert c["caught"] >= 0.92 * c["requests"], lang


def test_batch_f_is_kept_apart_and_holds_what_was_measured() -> None:
    # A dev batch written before the change it measured (45/63 caught, 3/64 replaced then) and
    # tuned on since: it is no example, so the meaning check meets its sentences as new ones.
    rows = load_split(SPLITS_DIR / "dev_f.jsonl")
    texts = {r["text"] for r in rows}
    examples = {e["text"] for e in safety_meaning.load_examples()}
    assert len(rows) >= 120 and not texts & examples
    # Counted, never shown: an assertion that printed the sets would print the test split.
    assert sum(r["text"] in texts for r in load_split(SPLITS_DIR / "test.jsonl")) == 0
    result = evaluate(rows)
    assert result.caught >= 63 and result.replaced <= 1, (result.caught, result.replaced)


def test_batch_g_is_kept_apart_and_holds_what_was_measured() -> None:
    # Written by someone who had seen neither the check nor the other sets, and measured before any
    # change (79/89 caught, 9/78 replaced then); tuned on since, and no example.
    rows = load_split(SPLITS_DIR / "dev_g.jsonl")
    texts = {r["text"] for r in rows}
    examples = {e["text"] for e in safety_meaning.load_examples()}
    assert len(rows) >= 160 and not texts & examples
    others = [load_split(SPLITS_DIR / f"{name}.jsonl") for name in ("test", "dev", "dev_f")]
    assert sum(r["text"] in texts for rows_ in others for r in rows_) == 0  # counted, never shown
    result = evaluate(rows)
    assert result.caught >= 89 and result.replaced <= 3, (result.caught, result.replaced)


def test_the_rules_alone_would_miss_what_the_meaning_catches() -> None:
    # The phrasings the review found passing the old rules; the meaning check is what catches many of them.
    # Measured on dev (no sentence its own neighbour): the test split is run only for the targets above.
    rows = [r for r in load_split(SPLITS_DIR / "dev.jsonl") if r["label"] == "request"]
    by_rules = [safety._rules_reason(safety.normalise(r["text"])) is not None for r in rows]
    by_both = [not v.allowed for v in safety.check_many([r["text"] for r in rows], None, leave_out_self=True)]
    assert sum(by_both) - sum(by_rules) >= 100  # measured: 404 - 232 = 172 of 404


def test_keepsake_eval_safety_prints_the_numbers(capsys) -> None:
    code = main(["eval", "safety", "--split", "dev", "--quiet"])
    out = capsys.readouterr().out
    assert "requests caught:" in out and "innocent replaced:" in out and "ms a sentence" in out
    assert code == 0


def test_keepsake_eval_never_shows_the_test_split_s_sentences(capsys) -> None:
    assert main(["eval", "safety", "--split", "test"]) in (0, 1)
    out = capsys.readouterr().out
    # Counted, never shown: printing the overlap would print the test split.
    assert sum(row["text"] in out for row in load_split(SPLITS_DIR / "test.jsonl")) == 0


def test_keepsake_eval_refuses_a_file_without_labels(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hello"}) + "\n", encoding="utf-8")
    assert main(["eval", "safety", "--file", str(bad)]) == 2
    assert "label" in capsys.readouterr().err


# Pathological text: long runs that make a backtracking pattern slow down with the square of the length.
UNITS = ["a-", "a.", "1 ", "1", " ", "钱", "给我钱 ", "send me ", "never ", "<a", "#", "$ ", "别"]


def _cost(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        safety.check_outgoing(text, None)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("unit", UNITS)
def test_the_check_takes_linear_time_on_long_text(unit: str) -> None:
    safety.warm()
    small, large = ((unit * (n // len(unit) + 1))[:n] for n in (10_000, 100_000))
    ratio = _cost(large) / max(_cost(small), 1e-4)
    assert ratio < 35, f"10x the text took {ratio:.0f}x the time"  # linear: ~10x; quadratic: ~100x


def test_batch_h_is_kept_apart_and_holds_what_was_measured() -> None:
    # Broad (every kind of request, every register), written without seeing the check, measured
    # before any change (106/111 caught, 7/108 replaced then); tuned on since, and no example.
    rows = load_split(SPLITS_DIR / "dev_h.jsonl")
    texts = {r["text"] for r in rows}
    examples = {e["text"] for e in safety_meaning.load_examples()}
    assert len(rows) >= 200 and not texts & examples
    others = [load_split(SPLITS_DIR / f"{name}.jsonl") for name in ("test", "dev", "dev_f", "dev_g")]
    assert sum(r["text"] in texts for rows_ in others for r in rows_) == 0  # counted, never shown
    result = evaluate(rows)
    assert result.caught >= 111 and result.replaced <= 4, (result.caught, result.replaced)
