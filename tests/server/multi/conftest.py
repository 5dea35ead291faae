"""Real server processes sharing one database and one media store, for the several-process tests.

The session's throwaway PostgreSQL cluster (``tests/server/conftest.py``) and SeaweedFS are what two
machines would share; the generation services are the benchmark's fakes (``server.bench.fakes``),
which start in a second, where the embedded engines would take minutes per process.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.bench.processes import Proc, remote_env, start_fakes, start_server
from server.bench.profile import Profile
from tests.conftest import SEAWEED_BUCKET
from tests.server import postgres_cluster

_names = itertools.count()

# A slow first word from the language model: a turn stays in flight long enough to kill its server mid-way.
SLOW_ANSWER = Profile(llm_ttft_ms=1500.0)


@pytest.fixture
def cluster(postgres_template) -> postgres_cluster.Cluster:
    """The test session's PostgreSQL cluster (tests/server/conftest.py); its databases here are made
    empty, not from the migrated template, so the servers migrate them as at a first start."""
    return postgres_template[0]


@pytest.fixture(scope="module")
def fakes_profile() -> Profile:
    """How the fake generation services answer; a test module overrides this to change it."""
    return SLOW_ANSWER


@pytest.fixture(scope="module")
def fakes(fakes_profile, tmp_path_factory) -> Iterator[Proc]:
    proc = start_fakes(fakes_profile, tmp_path_factory.mktemp("fakes"))
    yield proc
    proc.stop()


@pytest.fixture
def shared_env(cluster, seaweed, fakes, tmp_path) -> dict[str, str]:
    """The settings every server process of one deployment starts with: one fresh database, one fresh prefix."""
    import psycopg

    name = f"keepsake_multi_{next(_names)}"
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return {
        **remote_env(fakes),
        "KEEPSAKE_DATABASE_URL": cluster.url(name),
        "KEEPSAKE_MEDIA_URL": f"s3://{SEAWEED_BUCKET}/{tmp_path.name}-{os.urandom(4).hex()}/",
        "KEEPSAKE_S3__ENDPOINT_URL": seaweed.endpoint_url,
        "KEEPSAKE_S3__ACCESS_KEY_ID": seaweed.access_key_id,
        "KEEPSAKE_S3__SECRET_ACCESS_KEY": seaweed.secret_access_key,
        "KEEPSAKE_S3__REGION": seaweed.region,
    }


@pytest.fixture
def start_machine(shared_env, tmp_path) -> Iterator[Callable[[str], Proc]]:
    """Starts one server process as if on its own machine: its own data folder, the shared database
    and store, and the deployment's signing key (copied, as the README says to do for each machine)."""
    started: list[Proc] = []

    def start(name: str) -> Proc:
        data_dir = tmp_path / name
        data_dir.mkdir()
        if started:
            shutil.copy(started[0].log_path.parent / "secret.key", data_dir / "secret.key")
        proc = start_server(data_dir, shared_env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def data_dir_of(proc: Proc) -> Path:
    return proc.log_path.parent
