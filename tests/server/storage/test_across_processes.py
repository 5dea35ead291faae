"""Several server processes on one database: the busy gate, alert delivery and speak-ahead hold across them.

Two ``create_app`` on one database stand in for two processes (each its own event loop, its own
process id, its own connections), on SQLite and on PostgreSQL. A process killed with ``kill -9``
is a row some process id holds and never renews, written here directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from server import alerts
from server.app import create_app
from server.config import Settings, StageSettings
from server.errors import ApiError
from server.storage import alert_outbox, households, sessions, shared_places
from tests.server.api.conftest import FAKE, FakeUpstream, auth, new_household, new_persona

HOOK = "http://fake-upstream.test/hook"


class Receiver(FakeUpstream):
    """The fake services, and a webhook that counts the alerts it is sent (``fail_next``: answer 500 that often)."""

    def __init__(self) -> None:
        super().__init__()
        self.alerts: Counter[str] = Counter()
        self.fail_next = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hook":
            if self.fail_next:
                self.fail_next -= 1
                return httpx.Response(500)
            self.alerts[httpx.Response(200, content=request.content).json()["alert_id"]] += 1
            return httpx.Response(204)
        return await super().__call__(request)


@pytest.fixture
def start_app(db, data_dir) -> Iterator[Callable[..., TestClient]]:
    """Starts a server on the ``db`` fixture's database (SQLite: one data folder for all, whose database
    is not the fixture's file: use the server's ``state.db``); any number of them."""
    url = getattr(db, "url", None)
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=10, retries=0)
    with contextlib.ExitStack() as stack:

        def start(receiver: FakeUpstream, **more: object) -> TestClient:
            options: dict = {"preload_engines": False, "asr": remote, "tts": remote, "database_url": url, "speak_ahead": False, **more}
            app = create_app(Settings(data_dir=data_dir, **options), http_transport=httpx.MockTransport(receiver))
            return stack.enter_context(TestClient(app))

        yield start


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def try_turn(client: TestClient) -> Callable[[], None] | ApiError:
    """A place for a turn in this server's gate (what a turn's route takes first), or the busy error."""
    try:
        return client.portal.call(client.app.state.keepsake.gate.acquire)
    except ApiError as err:
        return err


# --- the busy gate ------------------------------------------------------------------------------


def test_k_places_across_two_servers_give_one_busy_to_the_k_plus_first_turn(start_app):
    limit = 4
    one, two = (start_app(FakeUpstream(), max_concurrent_turns=limit, turn_wait_s=0.3) for _ in range(2))
    with ThreadPoolExecutor(limit + 1) as pool:
        outcomes = list(pool.map(try_turn, [one, two, one, two, one]))
    busy = [o for o in outcomes if isinstance(o, ApiError)]
    assert len(busy) == 1 and busy[0].status == 503 and busy[0].code == "busy" and busy[0].headers == {"Retry-After": "5"}
    # Over HTTP the same: a clean 503 with Retry-After, whichever server is asked.
    hh = new_household(two)
    persona = new_persona(two, hh)
    session = two.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    for client in (one, two):
        r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Hello"}, headers=hh["headers"])
        assert r.status_code == 503 and r.json()["error"]["code"] == "busy" and r.headers["Retry-After"] == "5"
    # A place given back on one server is taken by a turn waiting on the other.
    waiting = ThreadPoolExecutor(1).submit(try_turn, two)
    next(o for o in outcomes if not isinstance(o, ApiError) and o is not None)()
    assert callable(waiting.result(timeout=30))


def test_a_dead_servers_places_free_themselves_when_their_lease_runs_out(start_app):
    limit = 2
    live = start_app(FakeUpstream(), max_concurrent_turns=limit, turn_wait_s=0)
    gate, db = live.app.state.keepsake.gate, live.app.state.keepsake.db
    # A server killed mid-turn: its places are rows no one renews.
    for _ in range(limit):
        assert shared_places.take_turn_place(db, "proc_killed", None, None, capacity=limit, household_share=1, device_share=1, lease_s=1.5)
    assert isinstance(try_turn(live), ApiError)  # every place is held
    gate.wait_s = 30
    assert callable(try_turn(live))  # waited until the lease ran out, then took a place
    assert shared_places.turn_places_held(db) == 1


def test_fair_shares_hold_across_servers(start_app):
    one, two = (start_app(FakeUpstream(), max_concurrent_turns=4, turn_wait_s=0.2) for _ in range(2))
    held = one.portal.call(one.app.state.keepsake.gate.acquire, "hh_a")
    assert callable(two.portal.call(two.app.state.keepsake.gate.acquire, "hh_a"))  # a household's share is two
    with pytest.raises(ApiError):
        one.portal.call(one.app.state.keepsake.gate.acquire, "hh_a")
    assert callable(two.portal.call(two.app.state.keepsake.gate.acquire, "hh_b"))  # another family is still heard
    held()


# --- alerts -------------------------------------------------------------------------------------


def stored_alerts(client: TestClient, household_id: str, count: int) -> list[str]:
    """Alerts stored with their deliveries, as raising them does, without waking any delivery loop."""
    db = client.app.state.keepsake.db
    ids = []
    for n in range(count):
        with db.transaction() as conn:
            alert_id = sessions.add_alert(db, household_id, None, None, "crisis", f"words {n}")
            alert_outbox.add(conn, alert_id, HOOK, {"alert_id": alert_id, "household_id": household_id, "kind": "crisis"})
        ids.append(alert_id)
    return ids


def finished(client: TestClient) -> int:
    return client.app.state.keepsake.db.first("SELECT COUNT(*) FROM alert_outbox WHERE finished_at IS NOT NULL")[0]


def test_each_alert_is_sent_once_with_two_servers_delivering(start_app):
    receiver = Receiver()
    one, two = start_app(receiver), start_app(receiver)
    hh = new_household(one)
    ids = stored_alerts(one, hh["id"], 20)
    for client in (one, two):
        client.app.state.keepsake.alert_delivery.nudge()
    wait_for(lambda: finished(one) == 20, "the alerts were not all sent")
    assert receiver.alerts == Counter({alert_id: 1 for alert_id in ids})
    sent = [c.app.state.keepsake.alert_delivery.sent for c in (one, two)]
    assert sum(sent) == 20


def test_an_alert_raised_in_a_turn_goes_at_once_and_a_failed_post_is_tried_again(start_app):
    receiver = Receiver()
    receiver.fail_next = 1
    one = start_app(receiver)
    delivery = one.app.state.keepsake.alert_delivery
    delivery.backoff_s = 0.05
    hh = new_household(one)
    households.update_settings(one.app.state.keepsake.db, hh["id"], {"webhook_url": HOOK})
    persona = new_persona(one, hh)
    session = one.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    r = one.post(f"/v1/sessions/{session['id']}/turns", json={"text": "I want to die"}, headers=hh["headers"])
    assert r.status_code == 200
    wait_for(lambda: finished(one) == 1, "the alert was not sent")
    alert = one.get("/v1/alerts", headers=hh["headers"]).json()[0]
    assert receiver.alerts == {alert["id"]: 1}
    row = one.app.state.keepsake.db.first("SELECT attempts, outcome FROM alert_outbox")
    assert (row["attempts"], row["outcome"]) == (2, "sent")


def test_an_alert_a_dead_server_was_sending_is_sent_by_another_after_its_lease(start_app):
    receiver = Receiver()
    live = start_app(receiver)
    db = live.app.state.keepsake.db
    hh = new_household(live)
    [alert_id] = stored_alerts(live, hh["id"], 1)
    # Claimed by a server killed before it sent it.
    assert alert_outbox.claim(db, "proc_killed", lease_s=1.0) is not None
    live.app.state.keepsake.alert_delivery.nudge()
    wait_for(lambda: finished(live) == 1, "the alert was left with the dead server")
    assert receiver.alerts == {alert_id: 1}


class SlowFirstAnswer(Receiver):
    """A webhook whose first answer takes ``stall_s`` (it answers a byte at a time, say)."""

    def __init__(self, stall_s: float) -> None:
        super().__init__()
        self.stall_s = stall_s
        self.stall_over = threading.Event()  # the slow answer came, or its sender gave up on it

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hook" and self.stall_s:
            stall, self.stall_s = self.stall_s, 0
            try:
                await asyncio.sleep(stall)
                return await super().__call__(request)
            finally:
                self.stall_over.set()
        return await super().__call__(request)


def test_a_webhook_slower_than_the_lease_is_not_sent_the_alert_twice(start_app, monkeypatch):
    """A try ends within WEBHOOK_TIMEOUT_S however slowly the receiver answers: had it gone on past
    the lease, another server would have claimed the alert and sent it too."""
    monkeypatch.setattr(alerts, "WEBHOOK_TIMEOUT_S", 0.3)
    receiver = SlowFirstAnswer(stall_s=3.0)
    one, two = start_app(receiver), start_app(receiver)
    for client in (one, two):
        delivery = client.app.state.keepsake.alert_delivery
        delivery.lease_s, delivery.backoff_s = 1.0, 0.05  # a lease far longer than a try, far shorter than the stall
    hh = new_household(one)
    [alert_id] = stored_alerts(one, hh["id"], 1)
    for client in (one, two):
        client.app.state.keepsake.alert_delivery.nudge()
    wait_for(lambda: finished(one) == 1 and receiver.stall_over.is_set(), "the alert was not sent")
    assert receiver.alerts == {alert_id: 1}
    row = one.app.state.keepsake.db.first("SELECT attempts, outcome FROM alert_outbox")
    assert (row["attempts"], row["outcome"]) == (2, "sent")  # the slow try was given up, the next one sent


# --- speak-ahead --------------------------------------------------------------------------------


def test_two_servers_speaking_ahead_make_each_sentence_once(start_app):
    upstream = FakeUpstream()
    one, two = start_app(upstream, speak_ahead=True), start_app(upstream, speak_ahead=True)
    workers = [c.app.state.keepsake.speak_ahead for c in (one, two)]
    for worker in workers:
        worker.max_sentences = 40  # the greetings and a few phrases: enough to share, quick to make
    hh = new_household(one)
    persona = new_persona(one, hh)
    two.app.state.keepsake.speak_ahead.request(persona["id"])  # both are asked for her
    db = one.app.state.keepsake.db

    def done() -> bool:
        return all(w.settled for w in workers) and not db.first("SELECT COUNT(*) FROM speak_ahead_claims")[0]

    wait_for(done, "speaking ahead did not finish", timeout_s=300)
    made = sum(1 for r in upstream.requests if r.url.path.endswith("/audio/speech"))
    cached = db.first("SELECT COUNT(*) FROM speech_cache WHERE persona_id = ?", (persona["id"],))[0]
    assert made >= 20 and made == cached == sum(w.made for w in workers)
    # Either server's turns now find them: a greeting opened on the other starts without synthesis.
    code = two.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    tablet = auth(two.post("/v1/devices", json={"pairing_code": code, "name": "Tablet"}).json()["device_token"])
    assert two.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet).status_code == 201
    assert sum(1 for r in upstream.requests if r.url.path.endswith("/audio/speech")) == made
