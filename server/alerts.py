"""Alerts for the caregivers: stored at once, and sent to the household's webhook if it has one."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from server.state import AppState
from server.storage import households, sessions
from server.webhook_address import resolves_publicly

log = logging.getLogger("keepsake.alerts")

WEBHOOK_TIMEOUT_S = 10
_pending: set[asyncio.Task[None]] = set()  # keeps webhook tasks alive until they finish


def raise_alert(
    state: AppState, household_id: str, kind: str, message: str, *, persona_id: str | None = None, session_id: str | None = None
) -> str:
    alert_id = sessions.add_alert(state.db, household_id, persona_id, session_id, kind, message)
    url = households.settings(state.db, household_id).webhook_url
    if url:
        payload = {
            "alert_id": alert_id,
            "household_id": household_id,
            "kind": kind,
            "message": message,
            "persona_id": persona_id,
            "session_id": session_id,
        }
        try:
            private_ok = state.settings.allow_private_webhooks
            task = asyncio.get_running_loop().create_task(_post(state.webhook_http, url, payload, private_ok))
        except RuntimeError:  # no loop (a sync route's thread): the stored alert is still listed in the API
            log.warning("alert %s stored; webhook not sent from a thread without a loop", alert_id)
        else:
            _pending.add(task)
            task.add_done_callback(_pending.discard)
    return alert_id


async def _post(http: httpx.AsyncClient, url: str, payload: dict[str, Any], private_ok: bool = False) -> None:
    if not await resolves_publicly(url, private_ok=private_ok):
        # The name now leads into the server's own network: never knock there (the alert is still listed).
        log.warning("alert %s not sent: the webhook's address is not public", payload["alert_id"])
        return
    # Two tries: an alert matters more than a duplicate.
    for attempt in range(2):
        try:
            response = await http.post(url, json=payload, timeout=WEBHOOK_TIMEOUT_S)
            if response.status_code < 500:
                return
        except httpx.HTTPError as err:
            log.warning("alert webhook failed (attempt %d): %s", attempt + 1, err)
        await asyncio.sleep(1)
