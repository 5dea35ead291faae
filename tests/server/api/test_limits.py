"""Limits before work: sign-ups are counted before any password is hashed, hashing runs two at a
time, and wrong passwords slow the guesser (per address and account) without locking out the owner.

The app takes the caller's address from the connection only (no proxy headers), so each
guesser here is a TestClient with its own ASGI client address.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from server import security
from server.app import create_app
from server.config import LimitSettings
from server.storage import login_guard
from server.storage.db import now
from tests.server.api.conftest import assert_error

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings):
    # Smaller caps across accounts and addresses than the defaults, so a test needs fewer requests;
    # the per-address sign-up limit and the doubling wait keep their defaults.
    settings.limits = LimitSettings(signups_per_hour=12, login_failures_per_address_per_hour=8, login_failures_per_account_per_hour=12)
    return settings


class CountingHasher:
    """The real Argon2 hasher, counting the hashes made and how many ran at the same time."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def _run(self, work, *args):
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return work(*args)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, secret):
        return self._run(self.real.hash, secret)

    def verify(self, stored, secret):
        return self._run(self.real.verify, stored, secret)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", counting)
    return counting


def from_address(client: TestClient, host: str) -> TestClient:
    return TestClient(client.app, client=(host, 40000))  # (no "with": the app is already running)


def sign_up(client: TestClient, email: str):
    return client.post("/v1/households", json={"name": "Lovelace", "caregiver_email": email, "password": PASSWORD})


def log_in(client: TestClient, email: str = "ada@example.com", password: str = PASSWORD):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def households(client: TestClient) -> int:
    return client.app.state.keepsake.db.one("SELECT COUNT(*) FROM households")[0]


# --- sign-up ------------------------------------------------------------------------


def test_the_sixth_sign_up_from_one_address_is_refused_before_any_hashing(client, hasher):
    for n in range(5):
        assert sign_up(client, f"family{n}@example.com").status_code == 201
    assert hasher.calls == 5
    r = sign_up(client, "family5@example.com")
    assert_error(r, 429, "too_many_requests")
    assert 3500 <= int(r.headers["retry-after"]) <= 3600
    assert hasher.calls == 5 and households(client) == 5  # no hash was made and nothing was stored
    # Another family, elsewhere, is not held up by it.
    assert sign_up(from_address(client, "198.51.100.20"), "elsewhere@example.com").status_code == 201


def test_sign_ups_from_every_address_together_are_limited_too(client, hasher):
    for n in range(12):  # twelve addresses, one sign-up each: the hour's overall limit (12 here)
        assert sign_up(from_address(client, f"203.0.113.{n}"), f"family{n}@example.com").status_code == 201
    r = sign_up(from_address(client, "198.51.100.7"), "late@example.com")
    assert_error(r, 429, "too_many_requests")
    assert hasher.calls == 12 and households(client) == 12


def test_simultaneous_sign_ups_hash_two_at_a_time_and_all_get_in(client, hasher):
    def one(n: int) -> int:
        return sign_up(from_address(client, f"203.0.113.{n}"), f"family{n}@example.com").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(one, range(10)))
    assert statuses == [201] * 10
    assert hasher.calls == 10 and hasher.most_at_once <= security.MAX_CONCURRENT_HASHES


def test_when_hashing_stays_busy_the_caller_hears_busy_and_no_try_is_counted(client, hasher, monkeypatch):
    sign_up(client, "ada@example.com")
    monkeypatch.setattr(security, "HASH_WAIT_S", 0.2)
    for _ in range(security.MAX_CONCURRENT_HASHES):  # every hashing place taken
        assert security._hashing.acquire(timeout=5)
    try:
        r = log_in(client)
        assert_error(r, 503, "busy")
        assert r.headers["retry-after"] == "5"
        assert_error(sign_up(client, "bea@example.com"), 503, "busy")
    finally:
        for _ in range(security.MAX_CONCURRENT_HASHES):
            security._hashing.release()
    db = client.app.state.keepsake.db
    assert db.one("SELECT COUNT(*) FROM login_failures")[0] == 0  # the password was never checked
    assert households(client) == 1
    assert log_in(client).status_code == 200


# --- wrong passwords ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.moment = now()

    def __call__(self):
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(login_guard, "now", fake)
    return fake


def test_the_wait_grows_with_each_wrong_password_after_the_free_tries(client, clock):
    owner = from_address(client, "127.0.0.1")
    assert sign_up(owner, "ada@example.com").status_code == 201
    guesser = from_address(client, "127.0.0.2")
    for _ in range(5):
        assert_error(log_in(guesser, password="guess"), 401, "bad_credentials")
    waits = []
    for _ in range(3):
        r = log_in(guesser, password="guess")
        assert_error(r, 429, "too_many_attempts")
        waits.append(int(r.headers["retry-after"]))
        clock.advance(waits[-1] - 1)
        assert log_in(guesser, password="guess").status_code == 429  # a second early: still waiting
        clock.advance(1)
        assert_error(log_in(guesser, password="guess"), 401, "bad_credentials")
    assert waits == [30, 60, 120]
    clock.advance(3600 * 5)
    for _ in range(6):  # one try an hour: each waited long enough
        assert_error(log_in(guesser, password="guess"), 401, "bad_credentials")
        clock.advance(3600)
    assert_error(log_in(guesser, password="guess"), 401, "bad_credentials")
    assert log_in(guesser, password="guess").headers["retry-after"] == "3600"  # the wait stops growing at an hour
    # The right password after the wait: this address starts afresh.
    clock.advance(3600)
    assert log_in(guesser).status_code == 200
    assert_error(log_in(guesser, password="guess"), 401, "bad_credentials")


def test_a_guesser_elsewhere_cannot_lock_the_owner_out(client, clock):
    owner = from_address(client, "127.0.0.1")
    assert sign_up(owner, "ada@example.com").status_code == 201
    # Guessers on three addresses, each until it must wait, then again after each wait: more wrong
    # passwords for this account in the hour than its limit (12 here).
    guessers = [from_address(client, f"127.0.0.{n}") for n in (2, 3, 4)]
    for _ in range(3):
        for guesser in guessers:
            for _ in range(6):
                log_in(guesser, password="guess")
        clock.advance(31)
    failures = client.app.state.keepsake.db.one("SELECT COUNT(*) FROM login_failures WHERE email = 'ada@example.com'")[0]
    assert failures >= 12
    # The account is now closed to new addresses for the hour ...
    assert_error(log_in(from_address(client, "127.0.0.9")), 429, "too_many_attempts")
    # ... but not to the owner, from where she signed up and logs in.
    assert log_in(owner).status_code == 200
    assert log_in(owner).status_code == 200


def test_one_address_guessing_many_accounts_is_stopped(client, clock):
    for n in range(8):  # one wrong password each for eight e-mails: the address's hourly limit (8 here)
        assert_error(log_in(client, email=f"someone{n}@example.com", password="guess"), 401, "bad_credentials")
    assert_error(log_in(client, email="someone-else@example.com", password="guess"), 429, "too_many_attempts")
    clock.advance(3601)
    assert_error(log_in(client, email="someone-else@example.com", password="guess"), 401, "bad_credentials")


def test_an_unknown_e_mail_is_slowed_like_a_real_one(client, clock):
    sign_up(client, "ada@example.com")
    answers = {}
    for email in ("ada@example.com", "nobody@example.com"):
        guesser = from_address(client, "192.0.2.1" if email.startswith("ada") else "192.0.2.2")
        answers[email] = [log_in(guesser, email=email, password="guess").status_code for _ in range(7)]
    assert answers["ada@example.com"] == answers["nobody@example.com"] == [401] * 5 + [429] * 2


def test_the_wait_survives_a_restart(client, settings, upstream):
    guesser = from_address(client, "127.0.0.2")
    for _ in range(5):
        log_in(guesser, password="guess")
    assert log_in(guesser, password="guess").status_code == 429
    restarted = create_app(settings)  # a second server process on the same data
    with TestClient(restarted, client=("127.0.0.2", 40000)) as again:
        assert_error(log_in(again, password="guess"), 429, "too_many_attempts")
