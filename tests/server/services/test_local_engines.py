"""The embedded engines for real: Piper speaks, faster-whisper listens (models shipped in PyPI packages)."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from server.audio import decode_audio, encode_wav, is_silent, rms_dbfs
from server.services.asr_local import LocalSpeechToText
from server.services.base import Audio
from server.services.face_local import mouth_track
from server.services.tts_local import LocalTextToSpeech

pytestmark = pytest.mark.slow

SENTENCE = "I remember the summer we spent by the lake with the whole family."


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


@pytest.fixture(scope="module")
def spoken() -> Audio:
    """The sentence spoken once by the embedded voice, shared by the module's tests."""
    return asyncio.run(LocalTextToSpeech().synthesize(SENTENCE))


def test_piper_speaks_a_sentence(spoken):
    assert spoken.sample_rate == 22050
    assert 2.0 < spoken.duration_s < 8.0
    assert not is_silent(spoken)
    assert rms_dbfs(spoken) > -35
    assert max(mouth_track(spoken).values) > 0.9


async def test_whisper_hears_the_same_words(spoken):
    # Through the same path a tablet upload takes: WAV bytes, decoded to 16 kHz.
    audio = decode_audio(encode_wav(spoken))
    transcript = await LocalSpeechToText().transcribe(audio)
    assert transcript.language == "en"
    expected = words(SENTENCE)
    assert len(expected & words(transcript.text)) >= 0.7 * len(expected), transcript.text


async def test_odd_text_never_crashes_the_voice():
    tts = LocalTextToSpeech()
    chinese, empty, punctuation = await asyncio.gather(tts.synthesize("你好，我是奶奶。"), tts.synthesize(""), tts.synthesize(" …!?。 "))
    assert not is_silent(chinese)
    for pause in (empty, punctuation):
        assert pause.samples.size > 0 and is_silent(pause)


async def test_silence_transcribes_to_little_or_nothing():
    asr = LocalSpeechToText()
    await asr.warm()
    transcript = await asr.transcribe(Audio(np.zeros(16000, np.float32), 16000))
    assert len(transcript.text.split()) <= 3
    assert (await asr.transcribe(Audio(np.zeros(100, np.float32), 16000))).text == ""
