"""A real Keepsake server process on loopback, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    pairing_code: str
    data_dir: Path
    process: subprocess.Popen
    port: int
    log_path: Path

    def stop(self, sig_kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.kill() if sig_kill else self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(data_dir: Path, port: int | None = None, env: dict | None = None, timeout_s: float = 300) -> LiveServer:
    """``keepsake serve --demo`` in a subprocess; returns once /healthz answers (on a machine whose
    cores are busy with other work its imports alone took over two minutes: it waits up to five)."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"server-{port}.log"
    # Speaking ahead would keep Piper busy for minutes per server while the UI and e2e tests run
    # (tests/server/api/test_speak_ahead.py is about it); a test may still turn it on with ``env``.
    full_env = {"KEEPSAKE_SPEAK_AHEAD": "false", **os.environ, "KEEPSAKE_DATA_DIR": str(data_dir), **(env or {})}
    log = open(log_path, "a")  # noqa: SIM115 - the server writes to it until it is stopped
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=Path(__file__).resolve().parents[1],
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    else:
        process.kill()
        raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
    code = ""
    for line in log_path.read_text().splitlines():
        if line.startswith("Pairing code:"):
            code = line.split(":", 1)[1].strip()
    return LiveServer(url, code, data_dir, process, port, log_path)
