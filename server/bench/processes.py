"""Start and watch the processes the benchmark needs: the fakes and the real server.

Both listen on 127.0.0.1 only, on free ports, with data in a temporary
folder; both are stopped by their own pid when the run ends.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from server.bench.profile import Profile

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    popen: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with open(log_path, "ab") as log:  # closed here: the child has its own copy of the descriptor
        return subprocess.Popen([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})


def start_fakes(profile: Profile, workdir: Path) -> Proc:
    port = free_port()
    log_path = workdir / "fakes.log"
    popen = _spawn(["-m", "server.bench.fakes", "--port", str(port), "--profile", json.dumps(profile.as_dict())], log_path)
    proc = Proc(popen, port, log_path)
    deadline = time.monotonic() + 30
    while "listening" not in proc.log_text():
        if popen.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"the fake services did not start:\n{proc.log_text()}")
        time.sleep(0.05)
    return proc


def remote_env(fakes: Proc) -> dict[str, str]:
    """Every stage pointed at the fakes; nothing embedded is loaded."""
    # No speaking ahead: its background synthesis would load the fake voice while tablets are measured.
    env = {"KEEPSAKE_PRELOAD_ENGINES": "false", "KEEPSAKE_SPEAK_AHEAD": "false"}
    for stage in ("ASR", "LLM", "TTS"):
        env[f"KEEPSAKE_{stage}__PROVIDER"] = "openai"
        env[f"KEEPSAKE_{stage}__BASE_URL"] = f"{fakes.url}/v1"
        env[f"KEEPSAKE_{stage}__API_KEY"] = "bench"
    return env


def start_server(
    data_dir: Path, env: dict[str, str], *, demo: bool = False, timeout_s: float = 180, extra: list[str] | None = None
) -> Proc:
    """``python -m server.cli serve`` on a free port; returns once /healthz answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "server.log"
    args = ["-m", "server.cli", "serve", "--port", str(port), "--log-level", "warning"] + (["--demo"] if demo else []) + (extra or [])
    popen = _spawn(args, log_path, {"KEEPSAKE_DATA_DIR": str(data_dir), **env})
    return wait_healthy(Proc(popen, port, log_path), timeout_s, "the server")


def wait_healthy(proc: Proc, timeout_s: float, what: str) -> Proc:
    """``proc`` once its /healthz answers 200; stopped, with its log's end, if it exits or takes longer."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"{what} did not start:\n{proc.log_text()[-3000:]}")
        try:
            if httpx.get(f"{proc.url}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # a poll interval: the process gives no other sign that it is ready


def pairing_code(server: Proc) -> str:
    match = re.search(r"^Pairing code:\s*(\S+)", server.log_text(), re.M)
    if match is None:
        raise RuntimeError("the demo server printed no pairing code")
    return match.group(1)


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used (all cores), to see who else was busy."""
    t = psutil.cpu_times()
    return sum(getattr(t, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


class Meter:
    """CPU seconds and resident memory of one process (its threads included)."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)

    def cpu_s(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def rss_bytes(self) -> int:
        return self.process.memory_info().rss

    def idle_cpu_rate(self, seconds: float = 2.0) -> float:
        """CPU seconds per wall second while nobody talks to it (timers, housekeeping)."""
        before, t0 = self.cpu_s(), time.perf_counter()
        time.sleep(seconds)
        return (self.cpu_s() - before) / (time.perf_counter() - t0)
