"""One household cannot make another hear "busy": a real server on loopback, attacked with raw sockets.

Each test has its own server (four turns at once: a household may hold two, a tablet one) whose
generation services are the benchmark's fakes, so a turn costs next to nothing. Household B opens
connections that send their headers and then nothing, or a byte now and then; household A (the
demo household) must still be answered, and B's idle connections must hold no place.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.bench.processes import remote_env, start_fakes
from server.bench.profile import Profile
from tests.conftest import wav_bytes
from tests.live_server import LiveServer, start_server
from tests.server.api.conftest import new_household, new_persona

CAPACITY = 4  # so a household's share is 2, a tablet's 1
START_S = 3.0  # long enough for household B's own turn to be answered while its idle sockets wait
SERVER_ENV = {
    "KEEPSAKE_PRELOAD_ENGINES": "false",
    "KEEPSAKE_MAX_CONCURRENT_TURNS": str(CAPACITY),
    "KEEPSAKE_TURN_WAIT_S": "0.5",
    "KEEPSAKE_TURN_BODY_START_S": str(START_S),
    "KEEPSAKE_TURN_BODY_IDLE_S": "30",
    "KEEPSAKE_TURN_BODY_MIN_RATE": "0",  # the trickles must hold their places for the whole test
}
FAST = Profile(asr_ms=10, asr_ms_per_audio_s=0, llm_ttft_ms=10, llm_tokens_per_s=1000, tts_ms=10, tts_rtf=0.01)
WAV_HEADER = wav_bytes(np.zeros(160))[:44]
TONE = wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220, 16000)))


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    proc = start_fakes(FAST, tmp_path_factory.mktemp("fakes"))
    yield proc
    proc.stop()


@pytest.fixture
def server(fakes, tmp_path):
    live = start_server(tmp_path / "data", env={**remote_env(fakes), **SERVER_ENV})
    yield live
    live.stop()


# --- households and tablets ------------------------------------------------------------------


class Household:
    def __init__(self, http: httpx.Client, headers: dict, persona_id: str) -> None:
        self.http, self.headers, self.persona_id = http, headers, persona_id

    def session(self, headers: dict | None = None) -> str:
        r = self.http.post("/v1/sessions", json={"persona_id": self.persona_id}, headers=headers or self.headers)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def tablet(self, name: str) -> dict:
        code = self.http.post("/v1/pairing-codes", headers=self.headers).json()["code"]
        device = self.http.post("/v1/devices", json={"pairing_code": code, "name": name})
        assert device.status_code == 201, device.text
        return {"Authorization": f"Bearer {device.json()['device_token']}"}


def demo_household(http: httpx.Client, server: LiveServer) -> Household:
    creds = json.loads((server.data_dir / "demo-credentials.json").read_text())
    token = http.post("/v1/auth/login", json=creds).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return Household(http, headers, http.get("/v1/personas", headers=headers).json()[0]["id"])


def other_household(http: httpx.Client, email: str) -> Household:
    hh = new_household(http, email)
    return Household(http, hh["headers"], new_persona(http, hh)["id"])


def text_turn(http: httpx.Client, headers: dict, session_id: str, text: str = "Tell me about the seaside") -> tuple[int, list[dict]]:
    """The status, and the events when it was answered."""
    with http.stream("POST", f"/v1/sessions/{session_id}/turns", json={"text": text}, headers=headers) as r:
        if r.status_code != 200:
            r.read()
            return r.status_code, [r.json()]
        return 200, [json.loads(line) for line in r.iter_lines() if line.strip()]


def answered(result: tuple[int, list[dict]]) -> bool:
    status, evs = result
    return status == 200 and evs[-1]["type"] == "done"


def wait_until_busy(http: httpx.Client, headers: dict, session_id: str, tries: int = 40) -> None:
    """Turns from ``headers`` until one hears "busy": their share is then taken by the trickles
    opened before (a turn that got through only means a trickle had not taken its place yet)."""
    for _ in range(tries):
        status, evs = text_turn(http, headers, session_id)
        if status == 503:
            assert evs[0]["error"]["code"] == "busy"
            return
        assert status == 200, evs
    raise AssertionError("the trickling connections never took their places")


# --- raw connections -------------------------------------------------------------------------


def open_turn(server: LiveServer, session_id: str, headers: dict, mime: str, first: bytes, length: int = 1000) -> socket.socket:
    """A turn's request line and headers (Content-Length ``length``) and ``first`` bytes of its body."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    lines = [
        f"POST /v1/sessions/{session_id}/turns HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Content-Type: {mime}",
        f"Content-Length: {length}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + first)
    return sock


def has_answer(sock: socket.socket) -> bool:
    """The server has sent something (or closed): readable without waiting."""
    return bool(select.select([sock], [], [], 0)[0])


def wait_for_answers(socks: list[socket.socket], count: int, within_s: float = 30) -> list[socket.socket]:
    """The connections answered, once ``count`` of them are (or the time is up)."""
    deadline = time.monotonic() + within_s
    while True:
        ready = select.select(socks, [], [], 0)[0]
        if len(ready) >= count or time.monotonic() > deadline:
            return ready
        select.select(list(set(socks) - set(ready)), [], [], 0.1)  # wake when another one is


def read_answer(sock: socket.socket) -> tuple[int, dict]:
    """The status and JSON error of a short answer (waits for it, up to the socket's timeout)."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        assert part, f"closed without an answer: {data!r}"
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        part = sock.recv(65536)
        assert part, "closed in the middle of the answer"
        body += part
    return int(head.split(b" ")[1]), json.loads(body[:length])


class Trickle:
    """Sends one more byte on each connection every 0.2 s, until stopped (bounded: at most a minute)."""

    def __init__(self, socks: list[socket.socket], byte: bytes) -> None:
        self.socks, self.byte = socks, byte
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop.wait(0.2) and time.monotonic() < deadline:
            for sock in self.socks:
                try:
                    sock.sendall(self.byte)
                except OSError:
                    pass  # answered and closed by the server: nothing more to send there

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


# --- the tests -------------------------------------------------------------------------------


def test_idle_connections_get_408_and_hold_no_place(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        b = other_household(http, "b@example.com")
        session = b.session()
        # Twice the capacity, headers and nothing more: each would once have held a place.
        idle = [open_turn(server, session, b.headers, mime, b"") for mime in ("application/json", "audio/wav") * CAPACITY]
        try:
            started = time.monotonic()
            # B's own turns are answered all the while they wait: they hold none of B's places. (Turns
            # until half the limit has passed: the first may be served before the server has even read
            # the idle connections' headers.)
            turns = 0
            while time.monotonic() - started < START_S / 2:
                assert answered(text_turn(http, b.headers, session)), "B's turn was refused while its idle connections waited"
                turns += 1
            assert time.monotonic() - started < START_S, "the turns took longer than the idle limit: nothing shown"
            assert not any(has_answer(s) for s in idle), "an idle connection was answered before the limit"
            assert turns >= 2
            for sock in idle:
                status, body = read_answer(sock)
                assert status == 408 and body["error"]["code"] == "request_timeout", body
            waited = time.monotonic() - started
            assert waited >= START_S * 0.9, waited  # refused at the limit, not before
        finally:
            for sock in idle:
                sock.close()
        assert answered(text_turn(http, b.headers, session))


def test_a_household_flooding_the_server_cannot_silence_another(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        a = demo_household(http, server)
        b = other_household(http, "b@example.com")
        tablet = b.tablet("B's tablet")
        session, tablet_session = b.session(), b.session(tablet)
        # More than the whole capacity: idle, JSON trickling "{" then a byte at a time, audio trickling.
        idle = [open_turn(server, session, b.headers, "application/json", b"") for _ in range(CAPACITY)]
        json_trickles = [open_turn(server, session, b.headers, "application/json", b"{") for _ in range(CAPACITY)]
        audio_trickles = [open_turn(server, session, b.headers, "audio/wav", WAV_HEADER, length=10**6) for _ in range(CAPACITY)]
        audio_trickles.append(open_turn(server, tablet_session, tablet, "audio/wav", WAV_HEADER, length=10**6))
        flood = idle + json_trickles + audio_trickles
        trickle = Trickle(json_trickles + audio_trickles, b" ")
        try:
            wait_until_busy(http, b.headers, session)  # B holds all it may
            # A's relative is heard all the same, typed and spoken.
            assert answered(text_turn(http, a.headers, a.session()))
            with http.stream(
                "POST", f"/v1/sessions/{a.session()}/turns", content=TONE, headers={**a.headers, "content-type": "audio/wav"}
            ) as r:
                assert r.status_code == 200
                assert json.loads(list(r.iter_lines())[-1])["type"] == "done"
            # B's trickles past its share waited, then heard "busy"; the others still hold theirs.
            busy = wait_for_answers(audio_trickles, len(audio_trickles) - CAPACITY // 2)
            assert len(busy) == len(audio_trickles) - CAPACITY // 2, len(busy)
            for sock in busy:
                status, body = read_answer(sock)
                assert status == 503 and body["error"]["code"] == "busy"
            assert not any(has_answer(s) for s in json_trickles)  # still arriving, holding no place
        finally:
            trickle.close()
            for sock in flood:
                sock.close()


def test_one_tablet_holds_at_most_its_share_of_its_household(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        a = demo_household(http, server)
        c = other_household(http, "c@example.com")
        first, second = c.tablet("Kitchen"), c.tablet("Bedroom")
        first_session, second_session, caregiver_session = c.session(first), c.session(second), c.session()
        held = [open_turn(server, first_session, first, "audio/wav", WAV_HEADER, length=10**6)]
        trickle = Trickle(held, b" ")
        try:
            wait_until_busy(http, first, first_session)  # the kitchen tablet holds its one place
            assert answered(text_turn(http, second, second_session))  # the bedroom tablet still talks
            held.append(open_turn(server, second_session, second, "audio/wav", WAV_HEADER, length=10**6))
            trickle.socks = list(held)
            wait_until_busy(http, c.headers, caregiver_session)  # now the household holds its two
            assert answered(text_turn(http, a.headers, a.session()))  # and another household still talks
            assert not any(has_answer(s) for s in held)
        finally:
            trickle.close()
            for sock in held:
                sock.close()


def test_a_huge_json_turn_is_refused_at_once_and_stalls_no_one(server):
    # 1.75 million keys in 20 MB: parsed on the event loop, it held every household's requests.
    huge = ("{" + ",".join(f'"{i}":0' for i in range(1_750_000)) + "}").encode()
    assert len(huge) < 20 * 1024 * 1024  # under the audio limit, which once was a text turn's too
    started = time.perf_counter()
    json.loads(huge)
    parse_s = time.perf_counter() - started  # what one such body would have stalled everyone for
    with httpx.Client(base_url=server.url, timeout=30) as http:
        a = demo_household(http, server)
        b = other_household(http, "b@example.com")
        session = b.session()
        normal = sorted(probe(http, a.headers) for _ in range(5))[2]
        for chunked in (False, True):
            probes: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(
                target=lambda probes=probes, stop=stop: probes.extend(probe_until(server, a.headers, stop)), daemon=True
            )
            prober.start()
            try:
                started = time.perf_counter()
                status, body = send_huge(server, session, b.headers, huge, chunked)
                refused_s = time.perf_counter() - started
            finally:
                stop.set()
                prober.join()
            print(
                f"\n{'chunked' if chunked else 'Content-Length'}: parsing it takes {parse_s * 1000:.0f} ms; refused in "
                f"{refused_s * 1000:.0f} ms; another household's request {normal * 1000:.1f} ms before, at most "
                f"{max(probes) * 1000:.1f} ms during ({len(probes)} requests)"
            )
            assert status == 413 and body["error"]["code"] == "too_large" and "64 KB" in body["error"]["message"], body
            assert refused_s < parse_s / 4
            assert probes and max(probes) < parse_s / 4


def probe(http: httpx.Client, headers: dict) -> float:
    started = time.perf_counter()
    assert http.get("/v1/personas", headers=headers).status_code == 200
    return time.perf_counter() - started


def probe_until(server: LiveServer, headers: dict, stop: threading.Event) -> list[float]:
    """Another household's request again and again until ``stop``, then twice more."""
    times = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        while not stop.is_set():
            times.append(probe(http, headers))
        times += [probe(http, headers), probe(http, headers)]
    return times


def send_huge(server: LiveServer, session_id: str, headers: dict, body: bytes, chunked: bool) -> tuple[int, dict]:
    """Send ``body`` as a text turn from another thread (the server may answer before taking it all)."""
    if chunked:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        lines = [
            f"POST /v1/sessions/{session_id}/turns HTTP/1.1",
            f"Host: 127.0.0.1:{server.port}",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        step = 65536
        payload = (
            b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step]) for i in range(0, len(body), step)) + b"0\r\n\r\n"
        )
    else:
        sock = open_turn(server, session_id, headers, "application/json", b"", length=len(body))
        payload = body

    def push() -> None:
        try:
            sock.sendall(payload)
        except OSError:
            pass  # the server answered and closed without reading it all, as it should

    sender = threading.Thread(target=push, daemon=True)
    sender.start()
    try:
        return read_answer(sock)
    finally:
        sock.close()
        sender.join()


# --- in one process: the limits themselves ---------------------------------------------------


def test_a_text_turn_has_its_own_small_limit(client):
    hh = new_household(client)
    session = client.post("/v1/sessions", json={"persona_id": new_persona(client, hh)["id"]}, headers=hh["headers"]).json()
    url, headers = f"/v1/sessions/{session['id']}/turns", {**hh["headers"], "content-type": "application/json"}
    # The largest text a turn takes, written the longest way (4,000 emoji as \\ud83d\\ude00): it fits.
    longest = json.dumps({"text": "\U0001f600" * 4000}).encode()
    assert len(longest) > 40_000
    assert answered(
        (lambda r: (r.status_code, [json.loads(x) for x in r.text.splitlines() if x.strip()]))(
            client.post(url, content=longest, headers=headers)
        )
    )
    too_big = b'{"text": "' + b"a" * (64 * 1024) + b'"}'
    for content in (too_big, (too_big[i : i + 8192] for i in range(0, len(too_big), 8192))):  # declared, and chunked
        r = client.post(url, content=content, headers=headers)
        assert r.status_code == 413 and r.json() == {"error": {"code": "too_large", "message": "A text turn can be at most 64 KB."}}
    assert client.app.state.keepsake.db.one("SELECT COUNT(*) FROM turns")[0] == 1


def _paced(client, path: str, headers: dict, parts: list[tuple[float, bytes]], within_s: float) -> tuple[int, bytes, float]:
    """Send ``parts`` (a wait, then bytes) as a chunked body, then end it, or, when ``parts`` ends with
    a wait of None, keep sending two bytes every 0.05 s; the status, the body and when the answer began."""
    sent: list[dict] = []
    parts = list(parts)
    ended = threading.Event()

    async def receive() -> dict:
        if parts:
            wait, data = parts.pop(0)
            if wait is None:
                parts.insert(0, (None, data))
                wait = 0.05
            await asyncio.sleep(wait)
            return {"type": "http.request", "body": data, "more_body": True}
        if not ended.is_set():
            ended.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the tablet keeps its connection open while the answer streams

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            sent.append({**message, "at": asyncio.get_running_loop().time() - started})
        else:
            sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "transfer-encoding": "chunked"}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    started = 0.0

    async def call() -> None:
        nonlocal started
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(client.app(scope, receive, send), within_s)

    client.portal.call(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"), start["at"]


def test_a_slow_real_tablet_is_heard_and_a_trickle_is_cut(settings, upstream):
    # Pauses of up to a second, at least 2 KB a second on average with a second's slack, and recordings
    # of up to 30 s: a body trickling two bytes every 0.05 s never pauses, yet is cut near the second.
    update = {"turn_body_idle_s": 1.0, "turn_body_min_rate": 2048, "max_audio_s": 30.0}
    app = create_app(settings.model_copy(update=update), http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as client:
        hh = new_household(client)
        session = client.post("/v1/sessions", json={"persona_id": new_persona(client, hh)["id"]}, headers=hh["headers"]).json()
        path, headers = f"/v1/sessions/{session['id']}/turns", {**hh["headers"], "content-type": "audio/wav"}
        # The tablet's live upload: the header at once, then 0.1 s of 16 kHz speech every 0.1 s, with
        # a half-second stall on poor Wi-Fi in the middle (then what waited comes at once).
        pcm = wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220 * 2, 32000)))[44:]
        chunks = [pcm[i : i + 3200] for i in range(0, len(pcm), 3200)]
        parts = [(0.0, WAV_HEADER)] + [(0.1, c) for c in chunks[:10]] + [(0.5, chunks[10])] + [(0.0, c) for c in chunks[11:15]]
        parts += [(0.1, c) for c in chunks[15:]]
        status, body, _ = _paced(client, path, headers, parts, within_s=30)
        assert status == 200 and json.loads(body.splitlines()[-1])["type"] == "done", body[-300:]
        status, body, at = _paced(client, path, headers, [(0.0, WAV_HEADER), (None, b"\0\0")], within_s=30)
        assert status == 408 and json.loads(body)["error"]["code"] == "request_timeout", body
        assert at < 30.0 / 4, at  # long before the longest recording would have been sent
        assert not app.state.keepsake.gate.busy
