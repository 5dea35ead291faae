"""A hundred tablets talk at once to one server on this machine: every turn completes or hears a clean "busy"."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from tests.live_server import start_server

pytestmark = pytest.mark.slow

TABLETS = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("load-data"))
    yield live
    live.stop()


async def one_tablet(http: httpx.AsyncClient, headers: dict, session_id: str, wav: bytes) -> str:
    """'done', 'busy', or what went wrong."""
    async with http.stream(
        "POST", f"/v1/sessions/{session_id}/turns", content=wav, headers={**headers, "content-type": "audio/wav"}
    ) as response:
        if response.status_code == 503:
            body = json.loads(await response.aread())
            return "busy" if body["error"]["code"] == "busy" and response.headers.get("retry-after") else f"bad 503 {body}"
        if response.status_code != 200:
            return f"status {response.status_code}"
        last = None
        async for line in response.aiter_lines():
            if line.strip():
                last = json.loads(line)
        return "done" if last and last["type"] == "done" else f"stream ended with {last}"


def test_hundred_tablets_at_once(server, spoken_wav):
    creds = json.loads((server.data_dir / "demo-credentials.json").read_text())
    wav = spoken_wav("How was the garden this spring?")

    async def run() -> tuple[list[str], float]:
        limits = httpx.Limits(max_connections=TABLETS + 10, max_keepalive_connections=TABLETS + 10)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as http:
            token = (await http.post("/v1/auth/login", json=creds)).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            persona = (await http.get("/v1/personas", headers=headers)).json()[0]
            sessions = []
            for _ in range(TABLETS):
                r = await http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers)
                sessions.append(r.json()["id"])
            started = time.monotonic()
            results = await asyncio.wait_for(asyncio.gather(*(one_tablet(http, headers, s, wav) for s in sessions)), timeout=180)
            return results, time.monotonic() - started

    results, elapsed = asyncio.run(run())
    done, busy = results.count("done"), results.count("busy")
    print(f"\n{TABLETS} tablets at once: {done} answered, {busy} told busy, in {elapsed:.1f} s")
    assert done + busy == TABLETS, [r for r in results if r not in ("done", "busy")]
    # All hundred are one household's, and a household holds at most half the places at once
    # (3 of this 2-core machine's 6): the rest wait their turn or hear "busy".
    assert done >= 3
