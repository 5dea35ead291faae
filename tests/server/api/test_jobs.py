"""Import jobs: progress in the database, failures reported plainly, other server processes can see them,
and conversations keep flowing while a big book is being read."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from server import jobs
from server.app import create_app
from server.storage import jobs as job_store
from server.storage.db import Database, iso, now
from tests.server.api.conftest import events, new_household, new_persona
from tests.server.api.test_sources import upload, wait_job
from tests.server.importers import makers


@pytest.fixture
def client(settings, upstream):
    app = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "jobs.db")
    yield database
    database.close()


def test_job_reports_progress_then_done(db):
    job_id = job_store.create(db, "hh_1", "import", persona_id=None, source_id=None)
    assert job_store.get(db, "hh_1", job_id)["state"] == "queued"
    halfway, release = threading.Event(), threading.Event()

    def work(job):
        job.count("pages", 3)
        job.progress(50, "reading", force=True)
        halfway.set()
        release.wait(5)
        return {"memories": 7}

    future = jobs.submit(db, job_id, work)
    assert halfway.wait(5)
    running = job_store.get(db, "hh_1", job_id)
    assert running["state"] == "running" and running["percent"] == 50 and running["stage"] == "reading"
    assert running["counts"] == {"pages": 3}
    release.set()
    future.result(5)
    done = job_store.get(db, "hh_1", job_id)
    assert done["state"] == "done" and done["percent"] == 100 and done["counts"] == {"memories": 7} and done["finished_at"]
    assert job_store.get(db, "hh_other", job_id) is None  # another household never sees it


def test_failures_are_reported_plainly_and_undone(db):
    undone = []
    plain = job_store.create(db, "hh", "import", persona_id=None, source_id=None)
    jobs.submit(
        db, plain, lambda job: (_ for _ in ()).throw(jobs.JobFailed("No words could be made out.")), on_failure=lambda: undone.append(1)
    ).result(5)
    failed = job_store.get(db, "hh", plain)
    assert failed["state"] == "failed" and failed["errors"] == ["No words could be made out."] and undone == [1]

    crash = job_store.create(db, "hh", "import", persona_id=None, source_id=None)
    jobs.submit(db, crash, lambda job: 1 / 0).result(5)
    crashed = job_store.get(db, "hh", crash)
    assert crashed["state"] == "failed"
    # Plain words only: no class name, no traceback, no path; the log has those.
    assert crashed["errors"] == ["The file could not be imported because of a fault on the server. Nothing was added."]


def test_progress_writes_are_throttled(db):
    job_id = job_store.create(db, "hh", "import", persona_id=None, source_id=None)
    writes = []

    def work(job):
        original = job_store.progress
        try:
            job_store.progress = lambda *a, **k: (writes.append(a[2]), original(*a, **k))
            for i in range(1000):
                job.progress(i / 10)
        finally:
            job_store.progress = original
        return {}

    jobs.submit(db, job_id, work).result(5)
    assert 1 <= len(writes) <= 15  # every 10 % at most, not a thousand writes


def test_a_job_whose_server_died_is_reported_failed(db):
    job_id = job_store.create(db, "hh", "import", persona_id=None, source_id=None)
    job_store.progress(db, job_id, 40, "reading")
    stale = iso(now() - timedelta(seconds=job_store.STALE_AFTER_S + 5))
    db.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", (stale, job_id))
    job = job_store.get(db, "hh", job_id)
    assert job["state"] == "failed" and "upload the file again" in job["errors"][-1]


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
