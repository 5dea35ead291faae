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
    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + clip + b"\r\n--x--\r\n"
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
