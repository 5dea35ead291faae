"""Import jobs: progress in the database, failures reported plainly, other server processes can see them,
and conversations keep flowing while a big book is being read."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from server import jobs
from server.app import create_app
from server.storage import jobs as job_store
from server.storage.connect import open_database
from server.storage.media import MediaStore
from tests.server.api.conftest import events, new_household, new_persona
from tests.server.api.test_sources import upload, wait_job
from tests.server.importers import makers
from tests.server.job_runs import Scripted, runner, wait_until


@pytest.fixture
def client(settings, upstream):
    app = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def db(database, tmp_path):
    opened = open_database(database, tmp_path / "jobs.db")
    yield opened
    opened.close()


@pytest.fixture
def media(db, tmp_path):
    return MediaStore(db, tmp_path / "media", b"k" * 32)


async def run_one(db, media, job_id, work, *, attempts=3):
    """Run the queued job ``job_id`` with ``work`` on a runner of its own, until it ends."""
    scripted = Scripted(work)
    one = runner(db, media, scripted, owner="this", attempts=attempts)
    one.start()
    one.wake()
    try:
        await wait_until(lambda: db.first("SELECT state FROM jobs WHERE id = ?", (job_id,))[0] in ("done", "failed"))
    finally:
        await one.stop(5)
    return scripted


async def test_job_reports_progress_then_done(db, media):
    job_id = job_store.create(db, "hh_1", "test", persona_id=None, source_id=None)
    assert job_store.get(db, "hh_1", job_id)["state"] == "queued"
    halfway, release = threading.Event(), threading.Event()
    seen = {}

    def work(job):
        job.count("pages", 3)
        job.progress(50, "reading", force=True)
        halfway.set()
        release.wait(5)
        return {"memories": 7}

    async def look_halfway():
        await asyncio.to_thread(halfway.wait, 5)
        seen.update(job_store.get(db, "hh_1", job_id))
        release.set()

    looking = asyncio.create_task(look_halfway())
    await run_one(db, media, job_id, work)
    await looking
    assert seen["state"] == "running" and seen["percent"] == 50 and seen["stage"] == "reading" and seen["counts"] == {"pages": 3}
    done = job_store.get(db, "hh_1", job_id)
    assert done["state"] == "done" and done["percent"] == 100 and done["counts"] == {"memories": 7} and done["finished_at"]
    assert job_store.get(db, "hh_other", job_id) is None  # another household never sees it


async def test_failures_are_reported_plainly_and_undone(db, media):
    plain = job_store.create(db, "hh", "test", persona_id=None, source_id=None)

    def no_words(job):
        raise jobs.JobFailed("No words could be made out.")

    scripted = await run_one(db, media, plain, no_words)
    failed = job_store.get(db, "hh", plain)
    assert failed["state"] == "failed" and failed["errors"] == ["No words could be made out."] and scripted.undone == 1

    crash = job_store.create(db, "hh", "test", persona_id=None, source_id=None)
    await run_one(db, media, crash, lambda job: 1 / 0)
    crashed = job_store.get(db, "hh", crash)
    assert crashed["state"] == "failed"
    # Plain words only: no class name, no traceback, no path; the log has those.
    assert crashed["errors"] == ["The file could not be imported because of a fault on the server. Nothing was added."]


async def test_progress_writes_are_throttled(db, media, monkeypatch):
    job_id = job_store.create(db, "hh", "test", persona_id=None, source_id=None)
    writes = []
    original = job_store.progress
    monkeypatch.setattr(job_store, "progress", lambda *a, **k: (writes.append(a[3]), original(*a, **k))[1])

    def work(job):
        for i in range(1000):
            job.progress(i / 10)
        return {}

    await run_one(db, media, job_id, work)
    assert 1 <= len(writes) <= 15  # every 10 % at most, not a thousand writes


def test_an_import_whose_server_died_is_finished_by_another(settings, upstream):
    """The whole import rebuilt from the database by a second server: the lease ran out on the first."""
    quick = settings.model_copy(update={"job_lease_s": 0.5, "job_poll_s": 0.05})
    # The first server takes the upload and dies holding the job: it never started its runner (no
    # lifespan), and its claim is one that is never renewed.
    first = TestClient(create_app(quick, http_transport=httpx.MockTransport(upstream)))
    hh = new_household(first)
    persona = new_persona(first, hh, memories=False)
    r = upload(first, hh, persona["id"], "memoir.docx", makers.docx_bytes())
    assert r.status_code == 202, r.text
    dead = job_store.claim(first.app.state.keepsake.db, "the first server", lease_s=0.5)
    assert dead is not None and dead.id == r.json()["job_id"]
    with TestClient(create_app(quick, http_transport=httpx.MockTransport(upstream))) as second:
        job = wait_job(second, hh, dead.id)
        assert job["state"] == "done" and job["counts"]["memories"] == 3, job
        memories = second.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json()
        assert len(memories) == 3  # once, not once per attempt
        row = second.app.state.keepsake.db.first("SELECT attempts, lease_owner FROM jobs WHERE id = ?", (dead.id,))
        assert row["attempts"] == 2 and row["lease_owner"] is None


def test_another_server_process_reports_the_job(client, settings, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    r = upload(client, hh, persona["id"], "memoir.docx", makers.docx_bytes())
    wait_job(client, hh, r.json()["job_id"])
    # A second server on the same data folder (as a second process would be) knows the job.
    second = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(second) as other:
        job = other.get(f"/v1/jobs/{r.json()['job_id']}", headers=hh["headers"]).json()
        assert job["state"] == "done" and job["counts"]["memories"] == 3
        assert other.get("/v1/jobs/job_nope", headers=hh["headers"]).status_code == 404


@pytest.mark.slow
def test_conversations_flow_while_a_book_is_imported(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    quiet = []
    for _ in range(3):
        started = time.perf_counter()
        client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"])
        quiet.append(time.perf_counter() - started)

    book = makers.book_text(pages=600, chapters=40).encode()
    r = upload(client, hh, persona["id"], "book.txt", book)
    assert r.status_code == 202
    busy = []
    seen_running = False
    while True:
        job = client.get(r.json()["job_url"], headers=hh["headers"]).json()
        if job["state"] in ("done", "failed"):
            break
        seen_running = seen_running or job["state"] == "running"
        started = time.perf_counter()
        turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"])
        busy.append(time.perf_counter() - started)
        assert events(turn)[-1]["type"] == "done"
    assert job["state"] == "done"
    print(f"\nturn time: {max(quiet) * 1000:.0f} ms quiet, {max(busy, default=0) * 1000:.0f} ms worst while importing ({len(busy)} turns)")
    assert busy, "the import finished before any turn could be tried"
    assert max(busy) < max(quiet) + 2.0
