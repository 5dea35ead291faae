"""Recognition that starts on the streamed upload: after the last word only the pause is left."""

import asyncio
import contextlib

import numpy as np

from server.pipeline.early_asr import EarlyTranscriber, WavStream
from server.services.base import Audio, ServiceError, SpeechToText, Transcript
from tests.conftest import wav_bytes


class CountingASR(SpeechToText):
    name = "counting"

    def __init__(self):
        self.heard: list[float] = []

    async def transcribe(self, audio: Audio, language=None) -> Transcript:
        self.heard.append(audio.duration_s)
        await asyncio.sleep(0.05)
        return Transcript(f"{audio.duration_s:.2f} s of speech", "en")


def speech(seconds: float) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.random.default_rng(1).normal(0, 0.0005, int(16000 * seconds)).astype(np.float32)


async def stream(wav: bytes, asr: CountingASR, chunk: int = 3200) -> EarlyTranscriber:
    early = EarlyTranscriber(asr)
    for i in range(0, len(wav), chunk):
        early.feed(wav[i : i + chunk])
        await asyncio.sleep(0.01)  # the upload arrives over time; passes run meanwhile
    return early


async def test_a_pass_during_the_final_silence_is_the_transcript():
    asr = CountingASR()
    early = await stream(wav_bytes(np.concatenate([quiet(0.3), speech(2.0), quiet(1.0)])), asr)
    transcript = await early.finish()
    assert early.passes == 1 and len(asr.heard) == 1  # nothing was recognised twice
    assert asr.heard[0] < 3.3  # it started before the upload ended
    assert transcript.text.endswith("s of speech")


async def test_speech_after_a_pause_is_recognised_too():
    asr = CountingASR()
    wav = wav_bytes(np.concatenate([speech(1.0), quiet(0.6), speech(1.0)]))  # no trailing silence
    early = await stream(wav, asr)
    await early.finish()
    assert asr.heard[-1] >= 2.5  # the last recognition heard the words after the pause


async def test_not_a_pcm_wav_is_left_to_the_normal_path():
    early = EarlyTranscriber(CountingASR())
    early.feed(b"OggS" + b"\0" * 100)
    assert not early.usable


def test_wav_stream_matches_the_whole_file_whatever_the_chunks():
    samples = speech(0.5)
    wav = wav_bytes(samples)
    for size in (1, 7, 44, 45, 1000):
        parser = WavStream()
        parts = [parser.feed(wav[i : i + size]) for i in range(0, len(wav), size)]
        out = np.concatenate([p for p in parts if p is not None])
        assert out.size == samples.size and np.allclose(out, samples, atol=1e-4)


def test_a_wav_at_another_rate_streams_without_seams():
    """A 22.05 kHz upload resampled piece by piece is the same sound as the whole file resampled."""
    from server.audio import decode_audio

    t = np.arange(int(22050 * 0.8)) / 22050
    wav = wav_bytes((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate=22050)
    whole = decode_audio(wav, 16000).samples
    for size in (45, 1000, 3201):
        parser = WavStream()
        parts = [parser.feed(wav[i : i + size]) for i in range(0, len(wav), size)] + [parser.flush()]
        out = np.concatenate([p for p in parts if p is not None])
        assert abs(out.size - whole.size) <= 1, size
        n = min(out.size, whole.size)
        assert np.max(np.abs(out[:n] - whole[:n])) < 1e-4, size


async def test_heard_gives_the_words_only_once_a_pass_covers_the_last_word():
    """What the live socket's end-of-turn judge reads: the words up to the last one, or nothing."""
    asr = CountingASR()
    early = EarlyTranscriber(asr, pause_s=0.15)
    wav = wav_bytes(np.concatenate([quiet(0.3), speech(1.0), quiet(0.3)]))
    early.feed(wav[: len(wav) - 3200])  # 0.2 s into the pause: a pass starts
    assert early.passes == 1 and early.heard() is None  # still running
    assert early.words_coming()  # the judge may wait for it
    await early._pass
    assert early.heard() == "1.50 s of speech" and not early.words_coming()
    assert early.heard_transcript() == Transcript("1.50 s of speech", "en")  # all the recogniser said of them
    early.feed(wav_bytes(speech(0.5))[44:])  # they go on: the pass no longer covers the last word
    assert early.heard() is None and early.words_coming()  # the next pause starts the next pass
    early.cancel()


async def test_a_failed_pass_says_no_words_are_coming():
    class FailingASR(SpeechToText):
        name = "failing"

        async def transcribe(self, audio: Audio, language=None) -> Transcript:
            raise ServiceError("asr", "failing", "down")

    early = EarlyTranscriber(FailingASR(), pause_s=0.15)
    assert not early.words_coming()  # nothing said yet
    wav = wav_bytes(np.concatenate([quiet(0.3), speech(1.0), quiet(0.3)]))
    early.feed(wav)
    with contextlib.suppress(ServiceError):
        await early._pass
    assert early.heard() is None and not early.words_coming()  # the judge falls back to its clock
