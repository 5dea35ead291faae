"""server/services/http.py: retry only what is safe to retry, and fail as ServiceError."""

from __future__ import annotations

import time

import httpx
import pytest

from server.services.base import ServiceError
from server.services.http import api_url, make_http_client, open_with_retry, request_with_retry


class Upstream:
    """A fake upstream at the HTTP boundary: plays a script of answers, counts calls."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, int):
            return httpx.Response(step, text=f"status {step}")
        return step

    def client(self) -> httpx.AsyncClient:
        return make_http_client(transport=httpx.MockTransport(self))


async def call(upstream: Upstream, retries: int = 2, **options) -> httpx.Response:
    async with upstream.client() as client:
        return await request_with_retry(
            client,
            "POST",
            "http://upstream.test/v1/x",
            stage="tts",
            provider="openai",
            retries=retries,
            timeout=2.0,
            json={"input": "hi"},
            **{"backoff_s": 0.01, **options},
        )


@pytest.mark.parametrize("status", [502, 503, 504, 429])
async def test_gateway_errors_and_rate_limits_are_retried(status):
    upstream = Upstream(status, httpx.Response(200, json={"ok": True}))
    response = await call(upstream)
    assert response.json() == {"ok": True}
    assert len(upstream.calls) == 2
    assert upstream.calls[1].read() == upstream.calls[0].read()  # the same body is sent again


async def test_connection_refused_is_retried():
    upstream = Upstream(httpx.ConnectError("refused"), httpx.Response(200, text="ok"))
    assert (await call(upstream)).text == "ok"
    assert len(upstream.calls) == 2


@pytest.mark.parametrize("status", [500, 400, 401, 404, 422])
async def test_other_errors_are_not_retried(status):
    upstream = Upstream(status, httpx.Response(200))
    with pytest.raises(ServiceError) as info:
        await call(upstream)
    assert len(upstream.calls) == 1
    assert f"HTTP {status}" in str(info.value)
    assert info.value.stage == "tts" and info.value.provider == "openai"
    assert info.value.retryable is (status >= 500)


async def test_a_read_timeout_is_not_retried_the_upstream_may_still_be_working():
    upstream = Upstream(httpx.ReadTimeout("slow"), httpx.Response(200))
    with pytest.raises(ServiceError, match="timed out"):
        await call(upstream)
    assert len(upstream.calls) == 1


async def test_retries_are_bounded():
    upstream = Upstream(503)
    with pytest.raises(ServiceError, match="HTTP 503"):
        await call(upstream, retries=2)
    assert len(upstream.calls) == 3
    upstream = Upstream(503)
    with pytest.raises(ServiceError):
        await call(upstream, retries=0)
    assert len(upstream.calls) == 1


async def test_retry_after_is_honoured_but_capped():
    upstream = Upstream(httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200))
    started = time.perf_counter()
    await call(upstream)
    assert time.perf_counter() - started < 0.5
    upstream = Upstream(httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200))
    started = time.perf_counter()
    await call(upstream, max_backoff_s=0.05)
    assert time.perf_counter() - started < 0.5


async def test_default_backoff_is_short():
    upstream = Upstream(503, 503, httpx.Response(200))
    started = time.perf_counter()
    await call(upstream, backoff_s=0.2)  # the providers' default
    assert time.perf_counter() - started < 1.5


async def test_error_message_carries_a_short_excerpt_of_the_upstream_answer():
    upstream = Upstream(httpx.Response(400, json={"error": {"message": "voice not found"}}))
    with pytest.raises(ServiceError, match="voice not found"):
        await call(upstream)


async def test_open_with_retry_streams_and_closes_the_response():
    async def body():
        yield b"one "
        yield b"two"

    upstream = Upstream(503, httpx.Response(200, content=body()))
    async with upstream.client() as client:
        async with open_with_retry(
            client, "POST", "http://upstream.test/s", stage="llm", provider="openai", retries=1, timeout=2.0, backoff_s=0.01
        ) as response:
            chunks = [chunk async for chunk in response.aiter_bytes()]
        assert response.is_closed
    assert b"".join(chunks) == b"one two"
    assert len(upstream.calls) == 2


async def test_real_connection_refused_on_loopback_becomes_a_service_error():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with make_http_client() as client:
        with pytest.raises(ServiceError) as info:
            await request_with_retry(
                client, "GET", f"http://127.0.0.1:{port}/", stage="asr", provider="openai", retries=1, timeout=1.0, backoff_s=0.01
            )
    assert info.value.retryable


class LoopbackUpstream:
    """A real socket on 127.0.0.1 that misbehaves: counts connections, then does ``behaviour``."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.connections = 0

    async def __aenter__(self) -> str:
        import asyncio

        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1/x"

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader, writer) -> None:
        import asyncio

        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")  # the request went out: the upstream may act on it
        if self.behaviour == "silent":
            await asyncio.sleep(5)  # thinking, and thinking
        if self.behaviour == "half_a_body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
            await writer.drain()
        writer.close()


async def test_real_connection_dropped_after_the_request_is_not_retried_and_says_so():
    async with LoopbackUpstream("hang_up") as url, make_http_client() as client:
        with pytest.raises(ServiceError) as info:
            await request_with_retry(
                client, "POST", url, stage="llm", provider="openai", retries=2, timeout=2.0, backoff_s=0.01, json={"input": "hi"}
            )
    assert "timed out" not in str(info.value)  # it did not: the upstream hung up


async def test_real_connection_dropped_after_the_request_is_tried_once():
    server = LoopbackUpstream("hang_up")
    async with server as url, make_http_client() as client:
        with pytest.raises(ServiceError):
            await request_with_retry(
                client, "POST", url, stage="llm", provider="openai", retries=2, timeout=2.0, backoff_s=0.01, json={"input": "hi"}
            )
    # The upstream may have acted on it (an LLM bills, a voice is cloned): never sent twice.
    assert server.connections == 1


async def test_real_upstream_that_does_not_answer_in_time_is_not_asked_again():
    server = LoopbackUpstream("silent")
    async with server as url, make_http_client() as client:
        with pytest.raises(ServiceError) as info:
            await request_with_retry(
                client, "POST", url, stage="llm", provider="openai", retries=2, timeout=0.3, backoff_s=0.01, json={"input": "hi"}
            )
    assert "timed out" in str(info.value)
    assert server.connections == 1  # it may still be working on it: a read timeout is never retried


async def test_real_body_cut_short_becomes_a_service_error():
    async with LoopbackUpstream("half_a_body") as url, make_http_client() as client:
        with pytest.raises(ServiceError) as info:
            await request_with_retry(client, "GET", url, stage="tts", provider="openai", retries=0, timeout=2.0)
    assert "timed out" not in str(info.value)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
        ("http://h:8000", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/", "http://h:8000/v1/chat/completions"),
        ("https://dashscope.example/compatible-mode/v1", "https://dashscope.example/compatible-mode/v1/chat/completions"),
        ("https://api.example/api/paas/v4", "https://api.example/api/paas/v4/chat/completions"),
    ],
)
def test_api_url_accepts_roots_with_or_without_the_version(base, expected):
    assert api_url(base, "chat/completions") == expected
    assert api_url(base, "/chat/completions") == expected


async def test_a_proxy_in_the_environment_is_used_as_before(monkeypatch):
    # Servers whose only way out is a proxy set HTTP(S)_PROXY, as they did for httpx's own transport.
    proxy = LoopbackUpstream("hang_up")
    async with proxy as url:
        monkeypatch.setenv("HTTP_PROXY", url.removesuffix("/v1/x"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with make_http_client() as client:
            with pytest.raises(ServiceError):
                await request_with_retry(
                    client, "GET", "http://llm.example.invalid/v1/models", stage="llm", provider="openai", retries=0, timeout=2.0
                )
    assert proxy.connections >= 1  # the request went to the proxy (aiohttp tries a GET twice), not to the upstream
