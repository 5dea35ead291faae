"""Split utterances.jsonl into dev.jsonl and test.jsonl, once.

Random with a fixed seed, stratified by persona and dialogue act, so both
splits hold every memoir and every kind of utterance in about the same
share. Run it only to make the split; the test split is never re-drawn to
suit a result (see docs/understanding.md).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261206


def main() -> None:
    rows = [json.loads(line) for line in (HERE / "utterances.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(SEED)
    strata: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        strata[(row["persona"], row["act"])].append(row)
    dev: list[dict] = []
    test: list[dict] = []
    for key in sorted(strata):
        group = strata[key][:]
        rng.shuffle(group)
        half = len(group) // 2 + (rng.random() < 0.5 if len(group) % 2 else 0)
        dev += group[:half]
        test += group[half:]
    for name, part in (("dev", dev), ("test", test)):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
        (HERE / f"{name}.jsonl").write_text(text, encoding="utf-8")
        print(f"{name}: {len(part)} utterances")


if __name__ == "__main__":
    main()
