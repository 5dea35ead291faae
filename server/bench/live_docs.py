"""The live socket's section of docs/benchmarks.md, written by ``keepsake bench --live --write-docs``.

The rest of the page is rewritten by the main benchmark; this section sits between two markers and
each run keeps the other's part.
"""

from __future__ import annotations

import re
from pathlib import Path

from server.bench.live import live_table
from server.bench.live_pipecat import PIPECAT_VENV, side_by_side_table

BEGIN = "<!-- live socket: written by bench --live -->"
END = "<!-- /live socket -->"
_SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
# The side by side with Pipecat (bench --live --pipecat): its own part, kept inside the live section.
PIPECAT_BEGIN = "<!-- side by side with Pipecat: written by bench --live --pipecat -->"
PIPECAT_END = "<!-- /side by side with Pipecat -->"
_PIPECAT = re.compile(re.escape(PIPECAT_BEGIN) + r".*?" + re.escape(PIPECAT_END), re.S)


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
    side = _PIPECAT.search(page)
    block = section(report, command)
    if side is not None:  # the side by side stays, at the end of the live section
        block = block.replace(END, side.group(0) + "\n" + END)
    md.write_text(_insert(page, block))
    return md


def side_by_side_section(report: dict, command: str) -> str:
    p = report["profile"]
    load = report["load_average"]
    return "\n".join(
        [
            PIPECAT_BEGIN,
            "### Side by side with Pipecat",
            "",
            f"`{command}`, run of {report['started_at']} ({report['set']} set of utterances; load average",
            f"{load['before'][0]} before, {load['after'][0]} after, on 2 cores). Keepsake's live socket and a Pipecat 1.14 bot",
            "(`server/bench/pipecat_peer.py`: its FastAPI WebSocket transport, OpenAI speech-to-text, LLM and",
            f"text-to-speech services; {report['pipecat_settings']}) on the same fake services",
            f"(speech to text {p['asr_ms']:g} ms + {p['asr_ms_per_audio_s']:g} ms per audio second, LLM first token {p['llm_ttft_ms']:g} ms then",
            f"{p['llm_tokens_per_s']:g} tokens/s, speech {p['tts_ms']:g} ms + {p['tts_rtf']:g} × its length), fed the same utterances at",
            "real-time pace in 20 ms frames, one at a time; the fake recogniser returns the words the audio it",
            "is sent covers. Last word to first sound: Keepsake's first `sentence` event, Pipecat's first answer",
            "audio on its socket. Cut-offs: a turn ended before the second half began (Keepsake's `end_of_turn`;",
            "Pipecat's first LLM request, which is its turn's end, reaching the fakes before the second half's",
            f"first frame was sent). Pipecat's virtualenv: `{PIPECAT_VENV}`.",
            "",
            side_by_side_table(report),
            "",
            report.get("note", ""),
            PIPECAT_END,
        ]
    )


def write_side_by_side_docs(report: dict, docs_dir: Path, command: str) -> Path:
    """The side by side's part, at the end of the live section (made if there is none yet)."""
    md = docs_dir / "benchmarks.md"
    page = md.read_text() if md.exists() else "# Benchmarks\n\n"
    block = side_by_side_section(report, command)
    if _PIPECAT.search(page):
        page = _PIPECAT.sub(lambda _: block, page)
    elif _SECTION.search(page):
        page = page.replace(END, block + "\n" + END, 1)
    else:
        page = _insert(page, BEGIN + "\n" + block + "\n" + END)
    md.write_text(page)
    return md
