"""Processes that start at the same moment on one deployment: what must happen once happens once.

Migrations, the demo household and its personas, the demo password and the signing key are made
by whichever process comes first; the others find them. Run on SQLite, where the processes share
one data folder; PostgreSQL migrates under an advisory lock (``server.storage.postgres``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from server.bench.processes import ROOT, free_port, remote_env
from server.storage.db import Database
from server.storage.migrations import MIGRATIONS

OPEN_DATABASE = "import sys; from server.storage.db import Database; Database(sys.argv[1]).close()"


def test_processes_opening_a_new_database_together_migrate_it_once(tmp_path):
    path = tmp_path / "keepsake.db"
    openers = [
        subprocess.Popen([sys.executable, "-c", OPEN_DATABASE, str(path)], cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    failures = [p.stderr.read() for p in openers if p.wait(timeout=120) != 0]  # type: ignore[union-attr]
    assert not failures, failures[0][-1500:]
    db = Database(path)
    assert [r[0] for r in db.all("SELECT version FROM schema_version ORDER BY version")] == list(range(1, len(MIGRATIONS) + 1))
    db.close()


def _serve(data_dir: Path, port: int, env: dict[str, str], *extra: str) -> subprocess.Popen:
    log = open(data_dir / f"serve-{port}.log", "w")  # noqa: SIM115 - the server writes to it until it stops
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, **env, "KEEPSAKE_DATA_DIR": str(data_dir)},
    )


def _wait_healthy(proc: subprocess.Popen, port: int, log: Path, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)  # polling a process that is starting: nothing to wait on instead


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _demo_personas(port: int, log_text: str) -> list[str]:
    """The demo household's personas, seen by logging in with the password the server printed."""
    email, password = re.search(r"^Caregiver login: (\S+) / (\S+)$", log_text, re.M).groups()  # type: ignore[union-attr]
    login = httpx.post(f"http://127.0.0.1:{port}/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    return sorted(p["display_name"] for p in httpx.get(f"http://127.0.0.1:{port}/v1/personas", headers=headers, timeout=30).json())


@pytest.fixture
def fake_services(tmp_path):
    from server.bench.processes import start_fakes
    from server.bench.profile import Profile

    fakes = start_fakes(Profile(), tmp_path)
    yield remote_env(fakes)
    fakes.stop()


@pytest.mark.slow
def test_two_demo_servers_started_together_make_one_demo_household(tmp_path, fake_services):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ports = [free_port(), free_port()]
    servers = [_serve(data_dir, port, fake_services) for port in ports]
    try:
        for server, port in zip(servers, ports, strict=True):
            _wait_healthy(server, port, data_dir / f"serve-{port}.log")
        logs = [(data_dir / f"serve-{port}.log").read_text() for port in ports]
        assert _demo_personas(ports[0], logs[0]) == ["Arthur Whitfield", "Rose Whitfield"]
        assert _demo_personas(ports[1], logs[1]) == ["Arthur Whitfield", "Rose Whitfield"]  # the same password works
    finally:
        for server in servers:
            _stop(server)


@pytest.mark.slow
def test_serve_with_two_workers_runs_two_processes_on_one_port(tmp_path, fake_services):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    server = _serve(data_dir, port, fake_services, "--workers", "2")
    log = data_dir / f"serve-{port}.log"
    try:
        _wait_healthy(server, port, log)
        text = log.read_text()
        assert "2 server processes share SQLite" in text and "fine on this one machine" in text
        # uvicorn's workers are spawned children of the command (beside multiprocessing's resource tracker).
        workers = [p for p in psutil.Process(server.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2
        assert _demo_personas(port, text) == ["Arthur Whitfield", "Rose Whitfield"]
    finally:
        _stop(server)
    assert server.returncode == 0, log.read_text()[-2000:]
