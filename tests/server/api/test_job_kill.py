"""Two real server processes on one data folder: ``kill -9`` of the one importing a book, and the
other finishes the import (its lease ran out) with each memory saved once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from server.storage.connect import open_database
from tests.server.api.conftest import new_household, new_persona
from tests.server.importers import makers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen, httpx.Client]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEEPSAKE_PRELOAD_ENGINES": "false",
        "KEEPSAKE_SPEAK_AHEAD": "false",
        "KEEPSAKE_JOB_LEASE_S": "2",
        "KEEPSAKE_JOB_POLL_S": "0.2",
    }
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    # Its own process group: the kill takes its sandbox child too, as a machine that dies would.
    with log.open("ab") as errors:
        process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=errors)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            if client.get("/healthz").status_code == 200:
                return process, client
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:  # a job's last step outlasting the stop: the test is over anyway
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def test_kill_9_mid_import_and_the_other_process_finishes_it(tmp_path, database):
    first, on_first = start_server(tmp_path, tmp_path / "servers.log")
    second = None
    try:
        hh = new_household(on_first)
        persona = new_persona(on_first, hh, memories=False)
        book = makers.book_text(pages=120, chapters=12).encode()
        r = on_first.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("book.txt", book, "text/plain")}, headers=hh["headers"])
        assert r.status_code == 202, r.text
        job_url = r.json()["job_url"]
        deadline = time.monotonic() + 60
        while (job := on_first.get(job_url, headers=hh["headers"]).json())["percent"] < 1:  # the first is reading it
            assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
            time.sleep(0.05)
        stop(first, signal.SIGKILL)
        second, on_second = start_server(tmp_path, tmp_path / "servers.log")
        deadline = time.monotonic() + 180
        while (job := on_second.get(job_url, headers=hh["headers"]).json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["state"] == "done", job
        sources = on_second.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()
        assert len(sources) == 1 and sources[0]["memory_count"] == job["counts"]["memories"] > 0  # saved once
        with closing(open_database(database, tmp_path / "keepsake.db")) as db:  # taken up again, not finished before the kill
            assert tuple(db.one("SELECT attempts, lease_owner FROM jobs")) == (2, None)
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)
