"""Many tablets at once: a household to talk to, sessions, and N tablets taking turns.

One household, one generative persona (consent for generated answers) and one
session per tablet. The set-up calls go through httpx; the timed turns through
the raw client in ``tablet.py``.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

import httpx

from server.bench.processes import Meter, machine_busy_s
from server.bench.tablet import TurnResult, spoken_turn

PERSONA = {
    "display_name": "Rose Whitfield",
    "addressed_as": ["Grandma Rose", "Nana"],
    "language": "en",
    "biography": "Born in 1931 in a seaside town; a baker and a gardener.",
    "speaking_style": "Warm, short sentences, calls everyone 'my dear'.",
}
MEMORIES = [
    ("Our wedding", "Your grandfather and I married in June 1952. It rained all day and we danced anyway."),
    ("The seaside", "When I was a girl we lived by the sea. I collected shells every morning with my brother."),
    ("The bakery", "I ran the bakery on Harbour Street for thirty years; the scones sold out by nine."),
]
CONSENT = {"given_by": "Anne Whitfield", "relation": "daughter", "scope": "generated", "statement": "I agree."}


@dataclass
class Household:
    url: str
    token: str
    persona_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _check(response: httpx.Response, what: str) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{what} failed: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


async def make_household(url: str) -> Household:
    """A caregiver, a generative persona with memories and consent: ready to talk."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        hh = _check(
            await http.post(
                "/v1/households", json={"name": "Bench", "caregiver_email": "bench@example.com", "password": "bench horse battery staple"}
            ),
            "creating the household",
        )
        headers = {"Authorization": f"Bearer {hh['token']}"}
        persona = _check(await http.post("/v1/personas", json=PERSONA, headers=headers), "creating the persona")
        for title, text in MEMORIES:
            _check(
                await http.post(f"/v1/personas/{persona['id']}/memories", json={"title": title, "text": text}, headers=headers),
                "adding a memory",
            )
        _check(await http.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=headers), "recording consent")
        _check(
            await http.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=headers), "switching to generative mode"
        )
    return Household(url, hh["token"], persona["id"])


async def open_sessions(hh: Household, count: int, concurrency: int = 50, timings: list[float] | None = None) -> list[str]:
    """``count`` new sessions (each one speaks its greeting through the fake voice).

    ``timings`` collects how long each ``POST /v1/sessions`` took (ms).
    """
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=hh.url, timeout=120, limits=limits) as http:

        async def one() -> str:
            async with gate:
                started = time.perf_counter()
                body = _check(await http.post("/v1/sessions", json={"persona_id": hh.persona_id}, headers=hh.headers), "opening a session")
                if timings is not None:
                    timings.append((time.perf_counter() - started) * 1000)
            if body.get("ended"):
                raise RuntimeError("the server ended a new session at once (a limit or quiet hours?)")
            return body["id"]

        return list(await asyncio.gather(*(one() for _ in range(count))))


async def idle_session_memory(hh: Household, meter: Meter, batch: int) -> dict:
    """Resident memory that one more open, idle session costs the server.

    Two batches: the first warms allocators and caches, the second is the
    steady cost, which is what the report gives.
    """
    rss = [meter.rss_bytes()]
    for _ in range(2):
        await open_sessions(hh, batch)
        await asyncio.sleep(0.5)
        rss.append(meter.rss_bytes())
    return {
        "sessions_per_batch": batch,
        "rss_mb_before": rss[0] / 2**20,
        "rss_mb_after": rss[2] / 2**20,
        "kb_per_session": (rss[2] - rss[1]) / batch / 1024,
        "kb_per_session_first_batch": (rss[1] - rss[0]) / batch / 1024,
    }


@dataclass
class LevelRun:
    tablets: int
    results: list[TurnResult]
    wall_s: float
    cpu_s: float  # server CPU seconds during the level, idle rate already taken off
    load_cpu_s: float  # CPU seconds of the load itself: the tablets' process and the fakes
    other_cpu_s: float  # CPU seconds of everything else on the machine (other people's work skews results)


async def drive(
    hh: Household,
    port: int,
    sessions: list[str],
    pcm: bytes,
    *,
    tablets: int,
    turns_each: int,
    think_s: float,
    stagger_s: float,
    timeout_s: float,
    meter: Meter,
    idle_cpu_rate: float,
    load_meters: tuple[Meter, ...] = (),
    realtime: bool = True,
    seed: int = 6,
) -> LevelRun:
    """``tablets`` tablets, each speaking ``turns_each`` turns back to back (``think_s`` apart).

    Starts are spread over ``stagger_s`` (people do not all speak in the same
    millisecond) with a fixed seed, so runs are comparable.
    """
    rng = random.Random(seed)
    offsets = [rng.uniform(0, stagger_s) for _ in range(tablets)]
    results: list[TurnResult] = []

    async def tablet(i: int) -> None:
        await asyncio.sleep(offsets[i])
        for turn in range(turns_each):
            if turn:
                await asyncio.sleep(think_s)
            try:
                result = await asyncio.wait_for(spoken_turn("127.0.0.1", port, sessions[i], hh.token, pcm, realtime=realtime), timeout_s)
            except (TimeoutError, OSError, ValueError) as exc:
                result = TurnResult(error=f"{type(exc).__name__}: {exc}")
            results.append(result)

    load_cpu = lambda: sum(m.cpu_s() for m in load_meters)
    server_before, load_before, machine_before = meter.cpu_s(), load_cpu(), machine_busy_s()
    started = time.perf_counter()
    await asyncio.gather(*(tablet(i) for i in range(tablets)))
    wall = time.perf_counter() - started
    server_cpu, load_used = meter.cpu_s() - server_before, load_cpu() - load_before
    other = machine_busy_s() - machine_before - server_cpu - load_used
    return LevelRun(tablets, results, wall, max(server_cpu - idle_cpu_rate * wall, 0.0), load_used, max(other, 0.0))
