"""The live socket's section of docs/benchmarks.md, written by ``keepsake bench --live --write-docs``.

The rest of the page is rewritten by the main benchmark; this section sits between two markers and
each run keeps the other's part.
"""

from __future__ import annotations

import re
from pathlib import Path

from server.bench.live import live_table

BEGIN = "<!-- live socket: written by bench --live -->"
END = "<!-- /live socket -->"
_SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)


def section(report: dict, command: str) -> str:
    fb = report["false_barge_ins"]
    return "\n".join(
        [
            BEGIN,
            "## Live conversation socket: end of turn and barge-in",
            "",
            f"`{command}`, run of {report['started_at']} ({report['set']} set of utterances; the thresholds were",
            "tuned on the dev set, `--dev`, with `python -m server.bench.live_tune`). Embedded engines, story",
            "mode, "
            + (
                "speaking ahead as `keepsake serve` does (every sentence made before the turns)"
                if report.get("speak_ahead")
                else "no speaking ahead (each first sentence synthesised in the turn)"
            )
            + "; every utterance streamed at real-time pace in 20 ms frames. Last word to",
            "first sound: from the frame holding the last word to the first `sentence` at the tablet. Cut-offs:",
            "turns ended inside the utterance's own pause. False barge-ins: each answer played back into the",
            f"microphone ({fb['seconds_played_back']} s of the persona, 0-300 ms later, 6-20 dB quieter, through a",
            "small room with a 0.25 s tail), and on a second round the relative speaking over the answer a",
            "second into it.",
            "",
            live_table(report),
            "",
            report.get("note", ""),
            END,
        ]
    )


def keep_section(old: str, new: str) -> str:
    """``new`` (the main benchmark's page) with the live section of ``old`` put back before "Run it"."""
    found = _SECTION.search(old)
    if found is None:
        return new
    return _insert(new, found.group(0))


def _insert(page: str, block: str) -> str:
    if _SECTION.search(page):
        return _SECTION.sub(lambda _: block, page)
    at = page.find("## Run it")
    return page + "\n" + block + "\n" if at < 0 else page[:at] + block + "\n\n" + page[at:]


def write_live_docs(report: dict, docs_dir: Path, command: str) -> Path:
    md = docs_dir / "benchmarks.md"
    page = md.read_text() if md.exists() else "# Benchmarks\n\n"
    md.write_text(_insert(page, section(report, command)))
    return md
