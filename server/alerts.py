"""Alerts for the caregivers: stored at once, and sent to the household's webhook if it has one.

The alert and its delivery are stored together (``server.storage.alert_outbox``); every server
process runs an ``AlertDelivery`` loop, and the one that claims a delivery sends it. An alert
raised in a turn is stored already claimed by its process, which sends it at once; deliveries
another process left (it died, or a try failed and waits to be tried again), or raised from a
thread without the loop, are found by looking every ``POLL_S`` (or at once, when nudged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from server.state import AppState
from server.storage import alert_outbox, households, sessions
from server.storage.db import Database
from server.storage.off_loop import in_thread
from server.webhook_address import resolves_publicly

log = logging.getLogger("keepsake.alerts")

WEBHOOK_TIMEOUT_S = 10
ATTEMPTS = 4  # an alert matters more than a rare duplicate: tried again after 2, 4 and 8 seconds
BACKOFF_S = 2.0
LEASE_S = 120.0  # far longer than one try (the address check and a POST, at most WEBHOOK_TIMEOUT_S together)
POLL_S = 5.0


def raise_alert(
    state: AppState, household_id: str, kind: str, message: str, *, persona_id: str | None = None, session_id: str | None = None
) -> str:
    url = households.settings(state.db, household_id).webhook_url
    sender = state.alert_delivery
    # On the delivery loop's own thread (a turn, an async route), this process claims it as it is
    # stored and sends it at once; from another thread, the loop is nudged to claim it.
    at_once = sender is not None and sender.on_its_loop()
    with state.db.transaction() as conn:
        alert_id = sessions.add_alert(state.db, household_id, persona_id, session_id, kind, message)
        if url:
            payload = {
                "alert_id": alert_id,
                "household_id": household_id,
                "kind": kind,
                "message": message,
                "persona_id": persona_id,
                "session_id": session_id,
            }
            claimed_by = sender.process_id if sender is not None and at_once else None
            alert_outbox.add(conn, alert_id, url, payload, claimed_by=claimed_by, lease_s=sender.lease_s if sender else 0)
    if url and sender is not None:
        if at_once:
            sender.send(alert_outbox.Delivery(alert_id, url, payload, 0))
        else:
            sender.nudge()
    return alert_id


class AlertDelivery:
    """This process's delivery loop; ``nudge`` may be called from any thread."""

    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        process_id: str,
        *,
        private_ok: bool = False,
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
        backoff_s: float = BACKOFF_S,
        attempts: int = ATTEMPTS,
    ):
        self.db = db
        self.http = http
        self.process_id = process_id
        self.private_ok = private_ok
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.attempts = attempts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.sent = 0  # deliveries this process made (tests count them)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()  # bound to this loop (an app may be started again, as tests do)
        self._wake.set()  # look at once: deliveries may have waited for a process
        self._task = self._loop.create_task(self._run(), name="alert-delivery")

    async def stop(self) -> None:
        # A delivery cut off here keeps its claim until the lease runs out: it may have been sent.
        for task in [self._task, *self._sending]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop = self._task = None

    def on_its_loop(self) -> bool:
        try:
            return self._loop is not None and asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def send(self, delivery: alert_outbox.Delivery) -> None:
        """Send a delivery this process holds, in the background (call on the loop's thread)."""
        task = asyncio.get_running_loop().create_task(self._send(delivery), name=f"alert-{delivery.alert_id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def nudge(self) -> None:
        """Look for deliveries now (an alert was just stored). Any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not started (or stopping): the next process to look sends it
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            wait = self.poll_s
            try:
                self._wake.clear()
                while (delivery := await in_thread(alert_outbox.claim, self.db, self.process_id, self.lease_s)) is not None:
                    self.send(delivery)
                due = await in_thread(alert_outbox.next_due_in, self.db)
                if due is not None:
                    wait = min(wait, max(due, 0.05))
            except Exception:  # the database is away a moment: look again later; nothing is lost
                log.warning("looking for alerts to send failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _send(self, delivery: alert_outbox.Delivery) -> None:
        alert_id = delivery.alert_id
        try:
            public, sent = True, False
            try:
                # The whole try ends within WEBHOOK_TIMEOUT_S, so well within the lease: the client's
                # timeout bounds each step (a lookup, a read), not the answer, and a receiver answering
                # a byte at a time would outlast the lease; another process would then send it too.
                async with asyncio.timeout(WEBHOOK_TIMEOUT_S):
                    public = await resolves_publicly(delivery.url, private_ok=self.private_ok)
                    if public:
                        response = await self.http.post(delivery.url, json=delivery.payload, timeout=WEBHOOK_TIMEOUT_S)
                        sent = response.status_code < 500
            except (httpx.HTTPError, TimeoutError) as err:
                reason = str(err) or f"no answer within {WEBHOOK_TIMEOUT_S} s"
                log.warning("alert %s webhook failed (attempt %d): %s", alert_id, delivery.attempts + 1, reason)
            if not public:
                # The name now leads into the server's own network: never knock there (the alert is still listed).
                log.warning("alert %s not sent: the webhook's address is not public", alert_id)
                await in_thread(alert_outbox.finish, self.db, alert_id, self.process_id, "not_public")
                return
            if sent:
                self.sent += 1
                await in_thread(alert_outbox.finish, self.db, alert_id, self.process_id, "sent")
            elif delivery.attempts + 1 >= self.attempts:
                log.warning("alert %s not sent after %d attempts (it is still listed)", alert_id, self.attempts)
                await in_thread(alert_outbox.finish, self.db, alert_id, self.process_id, "failed")
            else:
                await in_thread(alert_outbox.try_later, self.db, alert_id, self.process_id, self.backoff_s * 2**delivery.attempts)
                self._wake.set()  # so the loop waits for this one's next try, not a whole POLL_S
        except Exception:  # the database is away: the claim runs out and this or another process tries again
            log.warning("delivering alert %s failed", alert_id, exc_info=True)
