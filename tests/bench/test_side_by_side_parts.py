"""Parts of ``keepsake bench --live --pipecat`` that need neither Pipecat nor a server: what the fake
recogniser hears, what the fakes log, how each side's turn is judged, the table and its page."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from server.bench.fakes import Fakes, wav
from server.bench.heard import Part, heard_text, words
from server.bench.live import LEAD_S
from server.bench.live_docs import BEGIN, END, PIPECAT_BEGIN, PIPECAT_END, write_live_docs, write_side_by_side_docs
from server.bench.live_pipecat import (
    Utterance,
    find_pipecat_python,
    keepsake_result,
    pipecat_result,
    side_by_side,
    side_by_side_table,
)
from server.bench.profile import TRANSCRIPT, Profile
from server.bench.tablet import RATE

FIRST = Part("We drove to the coast and", 10.0, 11.5)
REST = Part("had fish and chips.", 13.5, 14.5)  # after a 2 s pause


def test_words_share_the_part_by_their_letters_and_end_with_it():
    placed = words(FIRST)
    assert [w for w, _, _ in placed] == FIRST.text.split()
    assert placed[0][1] == FIRST.start and placed[-1][2] == FIRST.end
    assert all(a[2] == b[1] for a, b in zip(placed, placed[1:], strict=False))


def test_the_recogniser_hears_only_the_words_its_audio_covers():
    parts = [FIRST, REST]
    # A pass at the pause, on everything so far (Keepsake's early recognition): the first half.
    assert heard_text(parts, arrived=12.0, audio_s=2.3) == FIRST.text
    # The whole turn once it ended: all of it.
    assert heard_text(parts, arrived=15.0, audio_s=5.3) == f"{FIRST.text} {REST.text}"
    # A VAD segment holding the second half only (Pipecat's segmented recognition): the second half.
    assert heard_text(parts, arrived=14.8, audio_s=1.6) == REST.text
    # Mid-word: the words not yet over are not heard.
    assert heard_text(parts, arrived=11.0, audio_s=1.3) == "We drove to the"


class _Writer:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        pass


def _ask(fakes: Fakes, path: str, body: bytes) -> bytes:
    writer = _Writer()
    asyncio.run(fakes.route(path, {}, body, writer))  # type: ignore[arg-type]
    return bytes(writer.data)


def test_the_fakes_answer_with_the_heard_words_and_log_each_request():
    fakes = Fakes(Profile(asr_ms=0, asr_ms_per_audio_s=0, llm_ttft_ms=0, llm_tokens_per_s=1000))
    # Without an utterance, the fixed transcript, as the main benchmark has it.
    assert TRANSCRIPT.encode() in _ask(fakes, "/v1/audio/transcriptions", wav(1.0))
    far = [[FIRST.text, -100.0, -99.0]]  # spoken long ago: audio of a second now covers none of it
    _ask(fakes, "/bench/utterance", json.dumps({"parts": far}).encode())
    assert fakes.log == []
    assert b'"text": ""' in _ask(fakes, "/v1/audio/transcriptions", wav(1.0))
    chat = {"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hello there"}]}
    stream = _ask(fakes, "/v1/chat/completions", json.dumps(chat).encode())
    assert b'"object": "chat.completion.chunk"' in stream and b"[DONE]" in stream
    log = json.loads(_ask(fakes, "/bench/log", b"").split(b"\r\n\r\n", 1)[1])
    assert [r["kind"] for r in log] == ["transcription", "chat"] and log[1]["user"] == "Hello there"
    assert log[0]["at"] <= log[1]["at"]


def _utterance(pause_s: float = 0.0) -> Utterance:
    second = [np.zeros(RATE, np.float32)] if pause_s else []
    return Utterance(["One two three and", "four five."][: 1 + bool(pause_s)], [np.zeros(RATE, np.float32), *second], pause_s)


def test_the_utterance_knows_where_its_halves_and_last_word_are():
    u = _utterance(pause_s=1.5)
    assert u.spans[0][1:] == (LEAD_S, LEAD_S + 1.0) and u.second_at_s == LEAD_S + 2.5
    assert u.last_word_at_s == LEAD_S + 3.5 and u.audio.size > int(3.5 * RATE)
    assert _utterance().second_at_s is None


def test_pipecat_is_judged_by_its_first_llm_request_and_its_answer_after_the_last():
    u = _utterance(pause_s=1.5)  # second half from 2.8 s, last word at 3.8 s
    started = 100.0
    cut = [
        {"kind": "transcription", "at": started + 1.6, "text": "One two three and"},
        {"kind": "chat", "at": started + 2.0},
        {"kind": "chat", "at": started + 4.3},
    ]
    # Audio of the cut-off answer, then of the answer to the whole turn.
    r = pipecat_result(u, started, cut, [started + 3.0, started + 3.04, started + 5.5, started + 5.54])
    assert r["cut_off"] and r["before_last_word"] and r["chats"] == 2 and r["heard"] == ["One two three and"]
    assert r["first_sound_ms"] == 1700.0 and r["turn_ended_after_ms"] == 500
    whole = pipecat_result(u, started, [{"kind": "chat", "at": started + 4.3}], [started + 5.5])
    assert not whole["cut_off"] and not whole["before_last_word"] and whole["first_sound_ms"] == 1700.0
    silent = pipecat_result(u, started, [], [])
    assert silent["first_sound_ms"] is None and not silent["cut_off"]


def test_keepsake_is_judged_by_its_end_of_turn():
    u = _utterance(pause_s=1.5)
    cut = keepsake_result(u, {"end_at_ms": 2000, "by": "pause", "first_sound_ms": 1500.0}, [])
    assert cut["cut_off"] and cut["before_last_word"]
    whole = keepsake_result(u, {"end_at_ms": 4100, "by": "pause", "first_sound_ms": 1500.0}, [])
    assert not whole["cut_off"] and whole["decided_after_ms"] == 300


def _report() -> dict:
    complete, hanging = _utterance(), _utterance(pause_s=1.5)
    k_ok = {"first_sound_ms": 1600.0, "decided_after_ms": 300, "cut_off": False, "before_last_word": False}
    p_early = {"first_sound_ms": 1700.0, "turn_ended_after_ms": 400, "cut_off": False, "before_last_word": True}
    p_cut = {"first_sound_ms": 1800.0, "cut_off": True, "before_last_word": True}
    report = side_by_side([(complete, k_ok, p_early), (complete, k_ok, k_ok), (hanging, k_ok, p_cut)], "dev")
    report.update(
        profile=Profile().as_dict(), load_average={"before": [3.1, 2, 1], "after": [3.4, 2, 1]}, started_at="2026-12-07 12:00 UTC"
    )
    return report


def test_the_report_counts_each_side_and_the_table_shows_both():
    report = _report()
    f = report["last_word_to_first_sound_ms"]
    assert f["keepsake"]["n"] == 2 and f["keepsake"]["p50"] == 1600.0 and f["pipecat"]["p50"] == 1650.0
    assert report["before_last_word"] == {"utterances": 2, "keepsake": 0, "pipecat": 1}
    # Split in two: the turn's end, then the answer (Pipecat's second turn has no end recorded here).
    assert (
        report["turn_ended_after_last_word_ms"]["keepsake"]["p50"] == 300 and report["turn_ended_after_last_word_ms"]["pipecat"]["n"] == 1
    )
    assert (
        report["first_sound_after_turn_end_ms"]["keepsake"]["p50"] == 1300
        and report["first_sound_after_turn_end_ms"]["pipecat"]["p50"] == 1300
    )
    assert report["cutoffs"] == {"1.5": {"utterances": 1, "keepsake": 0, "pipecat": 1}}
    table = side_by_side_table(report)
    assert (
        "| Keepsake live socket | 1600.0 ms | 1600.0 ms | 2 | 300.0 ms | 1300.0 ms | 0 of 2 |" in table
        and "| 0 of 2 |" in table
        and "| 1 of 2 |" in table
    )
    assert "| 1.5 s | 0/1 | 1/1 |" in table
    skipped = side_by_side_table({**report, "pipecat_skipped": "no Pipecat virtualenv"})
    assert "skipped: no Pipecat virtualenv" in skipped and "| 1.5 s | 0/1 | skipped |" in skipped


def test_without_pipecat_the_reason_says_how_to_make_its_virtualenv(tmp_path):
    python, why = find_pipecat_python(str(tmp_path / "nothing" / "python"))
    assert python is None and "no such file" in why and "pipecat-ai[" in why


def test_the_side_by_side_sits_in_the_live_section_and_each_run_keeps_the_other(tmp_path):
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\nmain figures\n\n## Run it\n\nold\n")
    page = write_side_by_side_docs(_report(), tmp_path, "python -m server.bench --live --pipecat --dev").read_text()
    assert page.index(BEGIN) < page.index(PIPECAT_BEGIN) < page.index(PIPECAT_END) < page.index(END) < page.index("## Run it")
    assert "load average\n3.1 before" in page
    from tests.bench.test_live_bench_parts import report as live_report

    page = write_live_docs(live_report(), tmp_path, "python -m server.bench --live").read_text()
    assert page.count(PIPECAT_BEGIN) == 1 and page.index(PIPECAT_END) < page.index(END) and "| 0 of 5 (60.0 s" in page
    again = write_side_by_side_docs({**_report(), "started_at": "2026-12-09 06:00 UTC"}, tmp_path, "x").read_text()
    assert again.count(PIPECAT_BEGIN) == 1 and "2026-12-09" in again and "| 0 of 5 (60.0 s" in again
