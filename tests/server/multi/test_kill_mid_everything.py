"""``kill -9`` of one of two server processes while it has a turn, an import and an alert in hand.

The story (issue 16, "Shown by tests"): two server processes share one PostgreSQL and one
SeaweedFS. The doomed one is, all at once,

- answering a turn: the relative's recording is stored and its words are being recognised;
- importing a book it has leased from the job queue;
- delivering a crisis alert to the household's webhook, which has not answered yet.

It is killed with SIGKILL. Then the tablet's turn ends as a failed connection and its outbox
(the tablet's own sending code, ``client.conversation_turns``) still holds the recording, which it
sends again to the survivor with the same ``Idempotency-Key``: once that turn is known cut off, the
survivor takes it up, recognises its words and answers it, as the same turn. The survivor takes up
the import once the dead process's lease has run out and finishes it, and delivers the alert once
that lease has run out too. In the end every recording the relative made is in the household's
export once, with its words, the import is done, and the webhook took each alert exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from client.api import KeepsakeClient
from server.bench.processes import Proc
from server.bench.profile import Profile
from tests.server.importers import makers
from tests.server.multi.household import export, household, paired_tablet, speech_wav, turns_of

pytestmark = pytest.mark.slow

CRISIS = "I don't want to live anymore."
# A recogniser slow enough that a turn is caught between its recording being stored and its words
# coming back, and a slow first word from the language model, as in the other several-process tests.
SLOW_HEARING = Profile(asr_ms=3000.0, llm_ttft_ms=1500.0)
JOB_LEASE_S = 2.0
ALERT_LEASE_S = 15.0  # the least the server takes: longer than any one webhook POST
TURN_STALE_S = 10.0  # a turn unfinished this long was cut off: sent again, the survivor takes it up


@pytest.fixture(scope="module")
def fakes_profile() -> Profile:
    """The slow recogniser (overrides the package's ``fakes_profile``)."""
    return SLOW_HEARING


@pytest.fixture
def shared_env(shared_env: dict[str, str]) -> dict[str, str]:
    """The package's deployment settings, with short leases so the survivor takes over quickly."""
    return {
        **shared_env,
        "KEEPSAKE_JOB_LEASE_S": str(JOB_LEASE_S),
        "KEEPSAKE_JOB_POLL_S": "0.2",
        "KEEPSAKE_ALERT_LEASE_S": str(ALERT_LEASE_S),
        "KEEPSAKE_TURN_STALE_S": str(TURN_STALE_S),
    }


# --- the household's webhook --------------------------------------------------------------------


class Webhook:
    """The household's webhook receiver. It holds the first delivery open without answering (the
    receiver is slow), until told to let it go; then it closes the connection unanswered, as a
    sender that died can no longer hear an answer. Every other delivery is answered 204 at once.

    ``arrived``: the alert ids of every POST, ``taken``: those answered (delivered)."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.taken: Counter[str] = Counter()
        self.holding = threading.Event()  # the first delivery is here, unanswered
        self.cut_off = threading.Event()  # its sender died: let it go unanswered
        self._lock = threading.Lock()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                alert_id = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["alert_id"]
                with webhook._lock:
                    webhook.arrived.append(alert_id)
                    first = len(webhook.arrived) == 1
                if first:
                    webhook.holding.set()
                    webhook.cut_off.wait(120)
                    self.close_connection = True
                    return
                with webhook._lock:
                    webhook.taken[alert_id] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.cut_off.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    receiver = Webhook()
    yield receiver
    receiver.close()


# --- the tablet ---------------------------------------------------------------------------------


def tablet_sending(kivy_home: Path) -> type:
    """The tablet's own sending code (``client.conversation_turns.Sending``, which imports Kivy),
    without its screen: Kivy quiet, its files in ``kivy_home``, Python's logging left alone."""
    kivy_home.mkdir(parents=True, exist_ok=True)
    quiet = {"KIVY_LOG_MODE": "PYTHON", "KIVY_NO_ARGS": "1", "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(kivy_home)}
    before = {name: os.environ.get(name) for name in quiet}
    os.environ.update(quiet)  # read once, when Kivy is first imported
    try:
        from client.conversation_turns import Sending
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Sending


def make_tablet(folder: Path, client: KeepsakeClient) -> Any:
    """A tablet whose recordings go through its real outbox and its real turn code (what leaves the
    outbox and when); the screen's parts (captions, playing the answer) only write down what came."""
    from client.answer import Answer
    from client.outbox import Outbox

    class Tablet(tablet_sending(folder / "kivy")):
        def __init__(self) -> None:
            self.outbox = Outbox(folder / "outbox")
            self.client = client
            self.heard: list[str] = []
            self.answers: list[str | None] = []  # turn ids of the answers that came to an end

        def record(self, recording: Path, session_id: str) -> None:
            """The relative spoke: the recording goes to the outbox first, as the tablet's recorder does."""
            scratch = folder / "recording"
            scratch.mkdir(exist_ok=True)
            kept = scratch / f"{time.time_ns()}.wav"
            kept.write_bytes(recording.read_bytes())
            self.outbox.add(kept, "audio/wav", session_id)

        def send_outbox(self, session_id: str) -> list[str]:
            """Send what waits in the outbox, oldest first, as ``Sending.send_next`` does; the
            outcome of each turn ("ok", "offline", ...). Stops at the first that fails, as the tablet
            does (it rests, then tries again)."""
            outcomes = []
            for item in self.outbox.items():
                outcome, _retry_after = self._send_work(item, Answer("reply"), session_id)
                outcomes.append(outcome)
                if outcome != "ok":
                    break
            return outcomes

        # The screen's side of a turn (on the UI thread in the app).
        def _on_transcript(self, answer: Any, text: str) -> None:
            self.heard.append(text)

        def _fetch_segment(self, event: Any, answer: Any) -> Any:
            return event  # the sentence's audio is not played here

        def _on_segment(self, answer: Any, segment: Any) -> None:
            pass

        def _on_notice(self, answer: Any, event: Any) -> None:
            pass

        def _on_done(self, answer: Any, ended: bool, timings: dict) -> None:
            self.answers.append(answer.turn_id)

    return Tablet()


# --- waiting and looking ------------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 60, every_s: float = 0.05) -> Any:
    """``condition()``'s first true value, polled every ``every_s`` until ``timeout_s`` (the machine may be busy)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} (after {timeout_s:.0f} s)"
        time.sleep(every_s)
    return value


@pytest.fixture
def db(shared_env: dict[str, str]) -> Iterator[Any]:
    """The deployment's database, to look at what the processes wrote (leases, turns, deliveries)."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(shared_env["KEEPSAKE_DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        yield conn


def job_row(db: Any, job_id: str) -> dict:
    return db.execute("SELECT state, percent, attempts, lease_owner FROM jobs WHERE id = %s", (job_id,)).fetchone()


def held_by(proc: Proc, owner: str | None) -> bool:
    """Whether a lease owner (``host:pid:random``) is this process."""
    return owner is not None and owner.split(":")[1] == str(proc.pid)


def recording_being_heard(db: Any, session_id: str) -> dict | None:
    """A turn of the session whose recording is stored and whose words are not recognised yet."""
    return db.execute(
        "SELECT id FROM turns WHERE session_id = %s AND user_audio_media_id IS NOT NULL AND user_text IS NULL", (session_id,)
    ).fetchone()


def say_hello(tablet: KeepsakeClient, session_id: str) -> None:
    with tablet.turn(session_id, text="Hello Nana, it's me.") as events:
        assert [e.type for e in events][-1] == "done"


@contextlib.contextmanager
def paused(proc: Proc) -> Iterator[None]:
    """``proc`` stopped (SIGSTOP) for the while, then let go on (SIGCONT)."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def alert_delivery(db: Any, alert_id: str) -> dict:
    return db.execute("SELECT attempts, lease_until, outcome FROM alert_outbox WHERE alert_id = %s", (alert_id,)).fetchone()


def start_import(proc: Proc, headers: dict, persona_id: str) -> str:
    """A book uploaded through ``proc`` (which claims its job at once): the job's id."""
    book = makers.book_text(pages=80, chapters=8).encode()
    r = httpx.post(
        f"{proc.url}/v1/personas/{persona_id}/sources", files={"file": ("book.txt", book, "text/plain")}, headers=headers, timeout=60
    )
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


# --- the test -----------------------------------------------------------------------------------


def test_kill_9_mid_turn_mid_import_mid_alert_loses_nothing_and_sends_no_alert_twice(start_machine, db, webhook, tmp_path):
    doomed, survivor = start_machine("doomed"), start_machine("survivor")
    headers, persona_id = household(doomed.url)
    settings = httpx.patch(f"{doomed.url}/v1/household/settings", json={"webhook_url": webhook.url}, headers=headers, timeout=30)
    assert settings.status_code == 200, settings.text
    on_doomed = paired_tablet(doomed.url, doomed.url, headers)
    on_survivor = KeepsakeClient(survivor.url, on_doomed.token)  # the same tablet, through the other process
    session = on_doomed.start_session(persona_id)
    tablet = make_tablet(tmp_path / "tablet", on_doomed)
    # The relative says hello through each process (as a load balancer would send them): each has
    # answered a turn before, as a server that has been up a while has.
    say_hello(on_doomed, session.id)
    say_hello(on_survivor, session.id)

    # (b) The doomed process is importing a book: it holds the job's lease.
    with paused(survivor):  # so the survivor cannot be the one to take the job up first
        job_id = start_import(doomed, headers, persona_id)
        wait_for(lambda: held_by(doomed, job_row(db, job_id)["lease_owner"]), "the doomed process did not take up the import")

    # (c) The relative says crisis words: the turn is answered, and the doomed process is delivering
    # the alert to the webhook, which has not answered yet.
    with on_doomed.turn(session.id, text=CRISIS) as events:
        notices = [e.code for e in events if e.type == "notice"]
    assert "crisis" in notices
    assert webhook.holding.wait(30), "the doomed process did not deliver the alert"
    [crisis_alert] = webhook.arrived

    # (a) The relative speaks again: the recording goes to the outbox and is sent; the doomed
    # process has stored it and is recognising its words when it is killed.
    tablet.record(speech_wav(tmp_path / "said.wav"), session.id)
    outcomes: list[list[str]] = []
    sending = threading.Thread(target=lambda: outcomes.append(tablet.send_outbox(session.id)), name="tablet-turn")
    sending.start()
    cut_turn = wait_for(lambda: recording_being_heard(db, session.id), "the turn's recording was not stored")

    job = job_row(db, job_id)
    assert job["state"] == "running" and held_by(doomed, job["lease_owner"]), f"the import ended before the kill: {job}"
    delivery = alert_delivery(db, crisis_alert)
    assert delivery["attempts"] == 0 and delivery["lease_until"] and not webhook.taken, f"the alert's first try was over: {delivery}"
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.popen.wait(timeout=30)
    webhook.cut_off.set()  # the POST it was making is gone with it

    # The tablet's turn ended as a failed connection; the recording waits in its outbox.
    sending.join(timeout=60)
    assert outcomes == [["offline"]], outcomes
    assert len(tablet.outbox) == 1

    # The tablet's outbox sends the words again, with their key, to the process still running. Until
    # their turn is known cut off (begun TURN_STALE_S ago), the survivor says it is being answered and
    # they wait in the outbox (the tablet rests, then tries again); then it takes that turn up and answers it.
    tablet.client = on_survivor
    on_doomed.close()
    wait_for(lambda: tablet.send_outbox(session.id) == ["ok"], "the words sent again were never answered", 3 * TURN_STALE_S + 60, 0.5)
    assert len(tablet.outbox) == 0 and tablet.answers == [cut_turn["id"]] and tablet.heard

    # The import is taken up by the survivor once the dead process's lease has run out, and finished.
    def import_over() -> dict | None:
        row = job_row(db, job_id)
        return row if row["state"] in ("done", "failed") else None

    job = wait_for(import_over, "the import stayed stuck", timeout_s=180)
    assert job["state"] == "done" and job["attempts"] == 2, job

    # The alert the dead process was delivering is delivered by the survivor once its lease runs out.
    wait_for(lambda: webhook.taken, "the alert the doomed process held was never delivered", timeout_s=ALERT_LEASE_S + 60)

    # The turn the kill cut off is the one the survivor answered, with its words (nothing stays half done).
    taken_up = db.execute("SELECT user_text, status FROM turns WHERE id = %s", (cut_turn["id"],)).fetchone()
    assert taken_up["user_text"] and taken_up["status"] == "answered", taken_up

    # Nothing the relative said is lost: every recording is in the export with its words.
    data, media = export(survivor.url, headers)
    turns = turns_of(data)
    spoken = [t for t in turns if t["user_audio_media_id"]]
    # Two hellos and the crisis words typed; the recording cut off and sent again, kept once.
    assert len(turns) == 4 and len(spoken) == 1, turns
    assert spoken[0]["id"] == cut_turn["id"] and spoken[0]["user_audio_media_id"] in media and spoken[0]["user_text"]
    sources = httpx.get(f"{survivor.url}/v1/personas/{persona_id}/sources", headers=headers, timeout=30).json()
    counts = httpx.get(f"{survivor.url}/v1/jobs/{job_id}", headers=headers, timeout=30).json()["counts"]
    assert len(sources) == 1 and sources[0]["memory_count"] == counts["memories"] > 0  # the book's memories, saved once

    # Each alert was delivered exactly once; the only other POST was the one the kill cut off.
    alerts = httpx.get(f"{survivor.url}/v1/alerts", headers=headers, timeout=30).json()
    assert [a["id"] for a in alerts] == [crisis_alert]
    assert webhook.taken == Counter({crisis_alert: 1}) and webhook.arrived == [crisis_alert, crisis_alert]
    assert alert_delivery(db, crisis_alert)["outcome"] == "sent"
    on_survivor.close()
