"""Import jobs as a queue in the database with leases, on both databases: a job is run by one
process at a time, a job whose process died is taken up by another, and a job that keeps
killing its process fails plainly after a few attempts."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from server import jobs as job_work
from server.storage import accounts, jobs
from server.storage.media import MediaStore
from tests.server.job_runs import Scripted, runner, wait_until


@pytest.fixture
def media(db, tmp_path):
    return MediaStore(db, tmp_path / "media", b"k" * 32)


def state(db, job_id):
    return db.first("SELECT state, attempts, lease_owner, made_media FROM jobs WHERE id = ?", (job_id,))


def test_a_claim_is_exclusive(db):
    job_id = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    start = threading.Barrier(8)

    def claim(n):
        start.wait()
        return jobs.claim(db, f"runner-{n}", lease_s=60)

    with ThreadPoolExecutor(8) as pool:  # eight connections claiming at the same moment
        claimed = [c for c in pool.map(claim, range(8)) if c is not None]
    assert [c.id for c in claimed] == [job_id] and claimed[0].attempt == 1
    assert jobs.claim(db, "late", lease_s=60) is None  # held, not waiting
    assert state(db, job_id)["lease_owner"] == claimed[0].owner


def test_the_oldest_waiting_job_is_claimed_first(db):
    first = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    second = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    assert jobs.claim(db, "a", lease_s=60).id == first
    assert jobs.claim(db, "b", lease_s=60).id == second


def test_a_holder_that_lost_its_lease_can_no_longer_write(db):
    job_id = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    dead = jobs.claim(db, "dead", lease_s=0)
    taken = jobs.claim(db, "alive", lease_s=60)  # the lease ran out: taken up again
    assert taken is not None and taken.id == job_id and taken.attempt == 2
    assert not jobs.progress(db, dead, 60, 50, "reading", {})
    assert not jobs.keep_media(db, dead, [{"id": "med_x", "key": "hh/med_x.wav"}])
    assert not jobs.finish(db, dead, {"memories": 1}) and not jobs.fail(db, dead, ["no"])
    assert jobs.progress(db, taken, 60, 50, "reading", {}) and jobs.finish(db, taken, {"memories": 1})
    assert state(db, job_id)["state"] == "done"


async def test_two_runners_one_job_it_runs_once(db, media):
    started, release = threading.Event(), threading.Event()

    def work(job):
        started.set()
        release.wait(10)
        return {"memories": 1}

    scripted = Scripted(work)
    first, second = runner(db, media, scripted, owner="first"), runner(db, media, scripted, owner="second")
    first.start()
    second.start()
    try:
        job_id = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
        first.wake()
        second.wake()
        assert await asyncio.to_thread(started.wait, 10)
        release.set()
        await wait_until(lambda: state(db, job_id)["state"] == "done")
    finally:
        release.set()
        await first.stop(5)
        await second.stop(5)
    assert len(scripted.runs) == 1 and scripted.runs[0][1] == 1


async def test_a_job_whose_process_died_is_finished_by_another(db, media):
    hh, _, _ = accounts.create_household(db, "Queue", "rose.queue@keepsake.invalid", "not a real password 1")
    job_id = jobs.create(db, hh, "test", persona_id=None, source_id=None)
    # The dead process: it claimed the job with a short lease, stored a file, and never renewed.
    dead = jobs.claim(db, "dead", lease_s=0.3)
    left = media.key_for(hh, "med_left", "audio/wav")
    assert jobs.keep_media(db, dead, [{"id": "med_left", "key": left}])
    media.put(hh, b"RIFF half a recording", "audio/wav", "memory_audio", media_id="med_left")

    def work(job):
        job.progress(50, "reading", force=True)
        return {"memories": 2}

    scripted = Scripted(work)
    alive = runner(db, media, scripted, owner="alive")
    alive.start()
    try:
        await wait_until(lambda: state(db, job_id)["state"] == "done")
    finally:
        await alive.stop(5)
    assert scripted.runs == [("alive", 2)]
    assert jobs.get(db, hh, job_id)["counts"] == {"memories": 2}
    # The dead attempt's file is gone, bytes and row: nothing leaked.
    assert media.get("med_left") is None and not media.blobs.exists(left)
    assert state(db, job_id)["made_media"] == "[]"


async def test_after_three_attempts_the_job_fails_plainly(db, media):
    job_id = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    for n in range(3):  # three processes died holding it
        assert jobs.claim(db, f"dead-{n}", lease_s=0).attempt == n + 1
    scripted = Scripted(lambda job: {"memories": 1})
    alive = runner(db, media, scripted, owner="alive", attempts=3)
    alive.start()
    try:
        await wait_until(lambda: state(db, job_id)["state"] == "failed")
    finally:
        await alive.stop(5)
    job = jobs.get(db, "hh", job_id)
    assert job["errors"] == [job_work.TOO_MANY_ATTEMPTS] and scripted.runs == [] and scripted.undone == 1


@pytest.mark.parametrize("cut_off", ["reading killed", "between steps"])
async def test_a_stopping_server_gives_its_job_back(db, media, cut_off):
    started, go = threading.Event(), threading.Event()

    def work(job):
        started.set()
        go.wait(10)
        if cut_off == "between steps":
            job.keep_going()  # a recording's next part: the server is stopping, so it ends here
        raise RuntimeError("the reading child was killed")  # what stopping the sandbox does

    scripted = Scripted(work)
    stopping = runner(db, media, scripted, owner="stopping")
    stopping.start()
    job_id = jobs.create(db, "hh", "test", persona_id=None, source_id=None)
    stopping.wake()
    assert await asyncio.to_thread(started.wait, 10)
    stopping.stop_claiming()
    go.set()
    await stopping.stop(5)
    row = state(db, job_id)
    assert row["state"] == "queued" and row["attempts"] == 0 and row["lease_owner"] is None and scripted.undone == 0
