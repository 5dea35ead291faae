"""The alert webhook's client connects only where alerts may go, whatever a name answers the second time."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from server.alerts import AlertDelivery
from server.services.http import make_http_client
from server.storage.alert_outbox import Delivery
from server.storage.db import Database
from server.webhook_address import PublicOnlyResolver


async def deliver(client: httpx.AsyncClient, url: str, alert_id: str, folder, *, private_ok: bool = False) -> None:
    """One try of one alert's delivery, as a server process's delivery loop makes it."""
    db = Database(folder / f"{alert_id}.db")
    try:
        sender = AlertDelivery(db, client, "proc_test", private_ok=private_ok, attempts=1)
        await sender._send(Delivery(alert_id, url, {"alert_id": alert_id}, 0))
    finally:
        db.close()


class Hook:
    """A webhook receiver on loopback: what a service on the server's own network would be."""

    def __init__(self) -> None:
        self.requests = 0

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader, writer) -> None:
        self.requests += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_a_name_that_leads_to_this_server_s_own_network_is_refused():
    with pytest.raises(OSError):
        await PublicOnlyResolver().resolve("localhost", 80)
    # An operator who allows the family's own network (a home server) gets the address.
    found = await PublicOnlyResolver(private_ok=True).resolve("localhost", 80)
    assert found and all(r["host"] in ("127.0.0.1", "::1") for r in found)


async def test_a_name_that_turns_private_after_the_check_never_connects(monkeypatch, tmp_path):
    # DNS rebinding: the check before sending hears a public address, the connection a private one.
    async def looks_public(url: str, *, private_ok: bool = False) -> bool:
        return True

    monkeypatch.setattr("server.alerts.resolves_publicly", looks_public)
    hook = Hook()
    async with hook as port:
        client = make_http_client(resolver=lambda: PublicOnlyResolver(private_ok=False))
        async with client:
            await deliver(client, f"http://localhost:{port}/hook", "alr_1", tmp_path)
        assert hook.requests == 0

        # The same delivery on a family server that allows its own network arrives.
        client = make_http_client(resolver=lambda: PublicOnlyResolver(private_ok=True))
        async with client:
            await deliver(client, f"http://localhost:{port}/hook", "alr_2", tmp_path, private_ok=True)
        assert hook.requests == 1


async def test_a_refused_name_is_a_connection_error_not_a_crash():
    async with make_http_client(resolver=PublicOnlyResolver) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post("http://localhost:9/hook", json={})


@pytest.mark.parametrize("url", ["http://exa\x00mple.com/hook", "http://exa\x1bmple.com/hook", "http://[x/hook"])
async def test_an_address_no_alert_can_reach_is_logged_not_a_dead_task(url, caplog, tmp_path):
    # Stored before addresses were checked this closely: the delivery says so and ends quietly.
    async with make_http_client(resolver=PublicOnlyResolver) as client:
        await deliver(client, url, "alr_3", tmp_path)
    assert "alr_3" in caplog.text or "not public" in caplog.text
