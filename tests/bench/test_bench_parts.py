"""The benchmark's pieces that need no server: the floor, the fakes' parsing, the tablet's upload format."""

from __future__ import annotations

import numpy as np
import pytest

from server.audio import decode_audio, encode_wav
from server.bench.fakes import wav, wav_seconds
from server.bench.profile import ANSWER, Profile, answer, sentences, spoken_s, tokens
from server.bench.stats import summary
from server.bench.tablet import pcm16, streaming_wav_header
from server.services.base import Audio
from server.text.sentences import split_sentences


def test_the_fake_answer_splits_as_the_server_splits_it():
    # The floor assumes the server's first sentence is the fake's first sentence.
    assert split_sentences(ANSWER) == sentences(ANSWER)
    assert len(sentences(ANSWER)) == 3


def test_every_answer_is_new_but_as_long_as_the_others():
    # New text each turn (no speech cache hit), same lengths (same floor).
    texts = [answer(k) for k in (0, 1, 8999, 12345)]
    assert len(set(texts)) == 4
    assert {tuple(len(s) for s in sentences(t)) for t in texts} == {tuple(len(s) for s in sentences(ANSWER))}
    assert {len(tokens(t)) for t in texts} == {len(tokens(ANSWER))}


def test_floor_is_the_sum_of_the_stages_for_the_first_sentence():
    p = Profile(asr_ms=100, asr_ms_per_audio_s=10, llm_ttft_ms=200, llm_tokens_per_s=50, tts_ms=80, tts_rtf=0.2)
    first = sentences()[0]
    expected = (100 + 10 * 3.0) + (200 + (len(tokens(first)) - 1) * 20) + (80 + 0.2 * spoken_s(first) * 1000)
    assert p.floor_ms(3.0) == pytest.approx(expected)
    assert p.naive_floor_ms(3.0) > p.floor_ms(3.0)
    assert "".join(tokens(ANSWER)) == ANSWER


def test_fake_speech_lasts_as_long_as_the_text_takes_to_say():
    audio = decode_audio(wav(spoken_s(sentences()[0])), None)
    assert audio.duration_s == pytest.approx(spoken_s(sentences()[0]), abs=0.01)


def test_fake_recognizer_reads_the_duration_inside_a_multipart_body():
    clip = encode_wav(Audio(np.zeros(16000 * 3, np.float32), 16000))
    body = b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + clip + b"\r\n--x--\r\n"
    assert wav_seconds(body) == pytest.approx(3.0)
    assert wav_seconds(b"no audio here") == 0.0


def test_streamed_upload_decodes_on_the_server_side():
    samples = 0.3 * np.sin(np.linspace(0, 2 * np.pi * 220, 16000)).astype(np.float32)
    audio = decode_audio(streaming_wav_header() + pcm16(samples))
    assert audio.duration_s == pytest.approx(1.0, abs=0.001)


def test_summary_percentiles():
    s = summary(list(range(1, 101)) + [None])
    assert s["n"] == 100 and s["p50"] == 50.5 and s["max"] == 100
    assert summary([])["p50"] is None


def test_the_vad_ended_upload_stops_when_the_tablets_detector_would():
    from client.vad import VadConfig
    from server.bench.embedded import LEAD_IN_S, vad_ended_upload
    from server.bench.speech import SHORT_QUESTION, speak

    speech = speak(SHORT_QUESTION)
    pcm, waited_s = vad_ended_upload(speech)
    hang = VadConfig().end_silence_s
    assert hang - 0.1 <= waited_s <= hang + 0.1  # the quiet the tablet waits for, and no more
    assert len(pcm) / 2 / 16000 == pytest.approx(LEAD_IN_S + speech.size / 16000 + waited_s, abs=0.001)


def _embedded(vad_p50: float, tap_p50: float) -> dict:
    def ending(p50: float) -> dict:
        s = summary([p50])
        return {
            "turns": 1,
            "errors": 0,
            "ttfa_ms": s,
            "server_asr_ms": s,
            "server_first_text_ms": s,
            "server_first_audio_ms": s,
            "notices": [],
        }

    return {
        "question": "q",
        "clip_s": 5.0,
        "vad_waited_ms": 1000,
        "endings": {"vad": ending(vad_p50), "tap": ending(tap_p50)},
        "other_cpu_percent": 0,
    }


def test_the_embedded_target_needs_both_ways_of_ending_the_upload():
    from server.bench.report import markdown
    from server.bench.targets import targets

    report = {"pipelines": {}, "machine": {"cpus": 2, "python": "3", "platform": "x"}, "embedded": _embedded(40.0, 900.0)}
    row = next(t for t in targets(report) if t["target"].startswith("embedded"))
    assert row["met"] is False and "tap" in row["why"] and "vad" not in row["why"]
    report["embedded"] = _embedded(40.0, 300.0)
    row = next(t for t in targets(report) if t["target"].startswith("embedded"))
    assert row["met"] is True and row["why"] == ""
    assert all(t["met"] is None for t in targets(report) if not t["target"].startswith("embedded"))  # nothing else was run
    page = markdown(
        {
            **report,
            "started_at": "now",
            "duration_s": 60,
            "profile": _profile(),
            "clip_s": 2.0,
            "floor_ms": 1.0,
            "naive_floor_ms": 2.0,
            "think_s": 1.0,
            "endpointing": None,
        },
        "p.png",
    )
    assert "1000 ms after the last word" in page and "| time to first audio (tablet) | tap | 300 ms |" in page


def _profile() -> dict:
    return Profile().as_dict()
