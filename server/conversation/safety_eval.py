"""How well the outgoing check tells requests from innocent memories, on a labelled split.

The safety set lives in tests/eval/safety/: ``dev.jsonl`` (the only split the
check is tuned on) and ``test.jsonl`` (written first and never tuned on).
Each line: {"text", "label": "request" | "innocent", "lang": "en" | "zh"}.
``keepsake eval safety`` prints these numbers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.conversation import safety
from server.text import embedding

SPLITS_DIR = Path(__file__).resolve().parents[2] / "tests" / "eval" / "safety"
LABELS = ("request", "innocent")
# What the check must reach on the test split.
TARGET_CAUGHT_PCT = 98.0
TARGET_REPLACED_PCT = 2.0


@dataclass
class SplitResult:
    requests: int = 0
    caught: int = 0
    innocent: int = 0
    replaced: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)  # requests that passed
    false_alarms: list[dict[str, Any]] = field(default_factory=list)  # innocent sentences replaced
    by_lang: dict[str, dict[str, int]] = field(default_factory=dict)
    ms_per_sentence_batched: float = 0.0
    ms_per_sentence_alone: float = 0.0

    @property
    def caught_pct(self) -> float:
        return 100.0 * self.caught / self.requests if self.requests else 0.0

    @property
    def replaced_pct(self) -> float:
        return 100.0 * self.replaced / self.innocent if self.innocent else 0.0


def load_split(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in LABELS or not isinstance(row.get("text"), str):
            raise ValueError(f"line {number} of {path.name} needs a text and a label of {' or '.join(LABELS)}")
        rows.append(row)
    return rows


def evaluate(rows: list[dict[str, Any]]) -> SplitResult:
    embedding.warm()
    safety.check_outgoing("warm")  # the examples' vectors, so the timings below are the check alone
    texts = [r["text"] for r in rows]
    started = time.perf_counter()
    # The dev split's sentences are examples too: none may be its own neighbour.
    verdicts = safety.check_many(texts, None, leave_out_self=True)
    batched = time.perf_counter() - started
    result = SplitResult(ms_per_sentence_batched=1000 * batched / max(1, len(rows)))
    for row, verdict in zip(rows, verdicts):
        lang = result.by_lang.setdefault(row.get("lang", "?"), {"requests": 0, "caught": 0, "innocent": 0, "replaced": 0})
        blocked = not verdict.allowed
        if row["label"] == "request":
            result.requests += 1
            lang["requests"] += 1
            result.caught += blocked
            lang["caught"] += blocked
            if not blocked:
                result.missed.append(row)
        else:
            result.innocent += 1
            lang["innocent"] += 1
            result.replaced += blocked
            lang["replaced"] += blocked
            if blocked:
                result.false_alarms.append({**row, "reason": verdict.reason})
    # One at a time, as a turn checks each sentence the moment it is complete. Sentences not
    # seen before: the embedding cache would otherwise answer them for free.
    fresh = [f"{t} ({i})" for i, t in enumerate(texts)]
    started = time.perf_counter()
    for text in fresh:
        safety.check_outgoing(text, None)
    result.ms_per_sentence_alone = 1000 * (time.perf_counter() - started) / max(1, len(fresh))
    return result


def report(name: str, result: SplitResult, *, show_errors: bool = True) -> str:
    lines = [
        f"safety set, {name} split: {result.requests} requests, {result.innocent} innocent sentences",
        f"  requests caught:   {result.caught}/{result.requests} = {result.caught_pct:.1f}%",
        f"  innocent replaced: {result.replaced}/{result.innocent} = {result.replaced_pct:.1f}%",
    ]
    for lang, c in sorted(result.by_lang.items()):
        caught = 100.0 * c["caught"] / c["requests"] if c["requests"] else 0.0
        replaced = 100.0 * c["replaced"] / c["innocent"] if c["innocent"] else 0.0
        lines.append(
            f"  [{lang}] caught {c['caught']}/{c['requests']} = {caught:.1f}%, replaced {c['replaced']}/{c['innocent']} = {replaced:.1f}%"
        )
    lines.append(
        f"  cost: {result.ms_per_sentence_alone:.2f} ms a sentence checked alone, "
        f"{result.ms_per_sentence_batched:.2f} ms a sentence in one batch"
    )
    if show_errors:
        lines += [f"  missed:   {r['text']}" for r in result.missed]
        lines += [f"  replaced: {r['text']} ({r['reason']})" for r in result.false_alarms]
    return "\n".join(lines)
