"""The understanding yardstick itself: it reads the set, imports memoirs, scores and reports.

Not a target test: what story mode reaches is in docs/understanding.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server import cli
from server.conversation import understanding_eval as ue

MEMOIR = """# A short life

## The bicycle

I bought a blue bicycle in Leeds in 1950 and rode it to the tram depot every morning.

## The garden

My roses grew by the kitchen wall, and the bees came every June.
"""


def write_set(folder: Path, rows: list[dict]) -> Path:
    (folder / "newlyn.md").write_text(MEMOIR, encoding="utf-8")
    path = folder / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def row(text: str, act: str, expected: str | None = None, **extra) -> dict:
    return {"text": text, "lang": "en", "persona": "newlyn", "act": act, "expected": expected, "note": "test", **extra}


def test_scores_a_handful_and_reports_every_number(tmp_path: Path) -> None:
    rows = [
        row("Where did you buy your blue bicycle?", "question_past", "newlyn:p01"),
        # Labelled with the wrong paragraph on purpose: the scorer must count it as a miss.
        row("Where did you buy your blue bicycle?", "question_past", "newlyn:p02"),
        row("Did you ever go to America?", "question_past"),
        row("Hello Grandad!", "greeting"),
        row("Can you lend me some money?", "request"),
        row("What happened next?", "followup", "newlyn:p02", after="newlyn:p01"),
    ]
    result = ue.evaluate(ue.load_split(write_set(tmp_path, rows)), set_dir=tmp_path)

    assert result.rows == 6 and result.with_memory == 3
    # The bicycle found for the right label, not for the wrong one; the follow-up goes on to the garden.
    assert result.top1 == 2
    assert result.top3 >= result.top1
    assert result.unanswerable == 1 and result.requests == 1 and result.questions == 4
    assert sum(result.confusion.values()) == 6
    assert result.confusion[("greeting", "greeting")] == 1
    assert result.confusion[("request", "request")] == 1  # a dialogue act of its own
    assert result.confusion[("followup", "followup")] == 1
    assert not result.requests_told  # declined, never answered with a memory
    assert len(result.ms) == 6 and all(ms > 0 for ms in result.ms)

    text = ue.report("small", result)
    for needed in (
        "retrieval top-1: 2/3",
        "retrieval top-3",
        "dialogue acts right",
        "questions taken for news",
        "unanswerable questions told a memory",
        "p50",
        "p95",
        "confusion",
    ):
        assert needed in text
    assert "retrieval miss: Where did you buy your blue bicycle? (wanted newlyn:p02" in text


def test_a_bad_line_is_refused_with_its_number(tmp_path: Path) -> None:
    path = write_set(tmp_path, [row("Hello", "greeting"), row("Hi", "chitchat")])
    with pytest.raises(ValueError, match="line 2"):
        ue.load_split(path)
    path = write_set(tmp_path, [row("Where were you born?", "question_past", "chengdu:p01")])
    with pytest.raises(ValueError, match="line 1.*its own memoir"):
        ue.load_split(path)


def test_a_paragraph_the_memoir_does_not_have_is_refused(tmp_path: Path) -> None:
    path = write_set(tmp_path, [row("Where did you buy your blue bicycle?", "question_past", "newlyn:p09")])
    with pytest.raises(ValueError, match="newlyn:p09 is not a paragraph"):
        ue.evaluate(ue.load_split(path), set_dir=tmp_path)


def test_the_committed_splits_are_whole_and_apart() -> None:
    dev = ue.load_split(ue.SET_DIR / "dev.jsonl")
    test = ue.load_split(ue.SET_DIR / "test.jsonl")
    everything = ue.load_split(ue.SET_DIR / "utterances.jsonl")
    key = lambda r: (r["persona"], r["text"])  # noqa: E731
    assert sorted(map(key, dev + test)) == sorted(map(key, everything))
    assert not set(map(key, dev)) & set(map(key, test))
    assert len(everything) >= 300
    assert sum(r["lang"] == "zh" for r in everything) >= 0.3 * len(everything)


def test_the_command_prints_the_report(tmp_path: Path, capsys, monkeypatch) -> None:
    path = write_set(tmp_path, [row("Where did you buy your blue bicycle?", "question_past", "newlyn:p01")])
    monkeypatch.setattr(ue, "SET_DIR", tmp_path)
    assert cli.main(["eval", "understanding", "--file", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "understanding set, small split" in out and "retrieval top-1: 1/1" in out
