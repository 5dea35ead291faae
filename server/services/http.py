"""The one HTTP client every provider shares, and bounded retries for safe failures.

Only failures where a second try cannot do harm or waste much are retried:
the connection never opened (so the upstream never saw the request), or the
upstream said "not now" (429, 502, 503, 504). A read timeout is not retried:
the upstream may still be working on it, and the relative is waiting — the
caller's fallback is the better answer. Everything ends as a ``ServiceError``.
"""

from __future__ import annotations

import asyncio
import random
import re
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import aiohttp
import httpx
import httpx_aiohttp
from aiohttp.abc import AbstractResolver

from server.services.base import ServiceError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF_S = 2.0
_ERROR_BODY_CHARS = 300
_VERSION_SEGMENT = re.compile(r"/v\d+[a-z0-9]*$")


def _plain_error(exc: httpx.TransportError) -> httpx.TransportError:
    """httpx-aiohttp reports every aiohttp connection error as ConnectTimeout; say what happened instead.

    A refused connection is a ConnectError (the upstream never saw the request,
    so it may be tried again); a connection dropped after the request went out
    is a RemoteProtocolError (it may not: the upstream may have acted on it).
    """
    cause = exc.__cause__
    if not isinstance(exc, httpx.ConnectTimeout) or isinstance(cause, (aiohttp.ServerTimeoutError, TimeoutError)):
        return exc
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(cause))
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(str(cause) or "the upstream closed the connection")
    return httpx.ReadError(str(cause))


class _PlainErrorStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream):
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except httpx.TransportError as exc:
            raise _plain_error(exc) from exc.__cause__

    async def aclose(self) -> None:
        await self._stream.aclose()


class AiohttpTransport(httpx_aiohttp.AiohttpTransport):
    """httpx's interface on aiohttp's connections, with errors that say what happened.

    httpx's own transport (httpcore, h11 and anyio) costs about 2.4 times the
    CPU per streamed LLM answer; on a server that reads a token stream for
    every turn, that is the largest share of its own work.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            raise _plain_error(exc) from exc.__cause__
        # An async transport's responses stream asynchronously.
        response.stream = _PlainErrorStream(cast(httpx.AsyncByteStream, response.stream))
        return response


def make_http_client(
    *,
    timeout_s: float = 30.0,
    max_connections: int = 200,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Callable[[], AbstractResolver] | None = None,
) -> httpx.AsyncClient:
    """The server's shared client: pooled keep-alive connections, every phase timed out.

    ``resolver`` makes the resolver its connections look names up with (the alert
    webhook's client checks every address it is about to connect to)."""
    if transport is None:
        ssl_context = httpx.create_ssl_context()

        # HTTPS_PROXY / NO_PROXY are honoured as httpx's own transport did, for servers whose way out
        # is a proxy; only then, as aiohttp looks the environment (and ~/.netrc) up on every request.
        behind_proxy = bool(urllib.request.getproxies())

        def session() -> aiohttp.ClientSession:
            # Made on first use, inside the server's event loop.
            # Behind a proxy the proxy looks the names up, and the only name resolved here is the
            # proxy's own (often on the private network): the resolver would refuse the way out.
            checked = resolver() if resolver is not None and not behind_proxy else None
            connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=30.0, ssl=ssl_context, resolver=checked)
            return aiohttp.ClientSession(connector=connector, trust_env=behind_proxy)

        transport = AiohttpTransport(client=session)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=min(50, max_connections),
            keepalive_expiry=30.0,
        ),
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": "keepsake-server"},
    )


def api_url(base_url: str, path: str) -> str:
    """Join an OpenAI-style API root and an endpoint path.

    ``base_url`` is the API root *including* its version, e.g.
    ``http://host:11434/v1``; a root without a version segment
    (``http://host:11434``) gets ``/v1`` appended. Trailing slashes are ignored.
    """
    root = base_url.strip().rstrip("/")
    if not _VERSION_SEGMENT.search(root):
        root += "/v1"
    return f"{root}/{path.lstrip('/')}"


def bearer(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _timeout(timeout_s: float) -> httpx.Timeout:
    return httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))


def _backoff_s(attempt: int, response: httpx.Response | None, base_s: float, cap_s: float) -> float:
    """Exponential with jitter; honour a short Retry-After; never more than ``cap_s``."""
    if response is not None:
        retry_after = response.headers.get("Retry-After", "")
        try:
            return min(cap_s, max(0.0, float(retry_after)))
        except ValueError:
            pass
    growth: float = 2**attempt  # int ** int is typed Any (a negative power is a float)
    return min(cap_s, base_s * growth * (0.5 + random.random()))


def _status_error(stage: str, provider: str, response: httpx.Response, body: bytes) -> ServiceError:
    excerpt = body[:_ERROR_BODY_CHARS].decode("utf-8", "replace").strip()
    return ServiceError(
        stage,
        provider,
        f"upstream answered HTTP {response.status_code}" + (f": {excerpt}" if excerpt else ""),
        retryable=response.status_code in RETRY_STATUSES or response.status_code >= 500,
    )


def _transport_error(stage: str, provider: str, exc: httpx.HTTPError) -> ServiceError:
    if isinstance(exc, httpx.TimeoutException):
        return ServiceError(stage, provider, f"timed out ({type(exc).__name__})", retryable=True)
    return ServiceError(stage, provider, f"{type(exc).__name__}: {exc}", retryable=True)


@asynccontextmanager
async def open_with_retry(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    retries: int,
    timeout: float,
    stage: str = "http",
    provider: str = "upstream",
    backoff_s: float = 0.2,
    max_backoff_s: float = MAX_BACKOFF_S,
    **kwargs: Any,
) -> AsyncIterator[httpx.Response]:
    """Send a request and yield the open (streaming) 2xx response; retries as described above.

    The body is not read: use ``aiter_bytes`` / ``aread`` on the response.
    Raises ServiceError for anything that is not a 2xx in the end.
    """
    attempt = 0
    while True:
        request = client.build_request(method, url, timeout=_timeout(timeout), **kwargs)
        try:
            response = await client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # The upstream never saw this request: safe to try again.
            if attempt < retries:
                await asyncio.sleep(_backoff_s(attempt, None, backoff_s, max_backoff_s))
                attempt += 1
                continue
            raise _transport_error(stage, provider, exc) from exc
        except httpx.HTTPError as exc:
            raise _transport_error(stage, provider, exc) from exc

        try:
            if response.status_code in RETRY_STATUSES and attempt < retries:
                await response.aclose()
                await asyncio.sleep(_backoff_s(attempt, response, backoff_s, max_backoff_s))
                attempt += 1
                continue
            if not response.is_success:
                try:
                    body = await response.aread()
                except httpx.HTTPError:
                    body = b""
                raise _status_error(stage, provider, response, body)
            yield response
            return
        finally:
            await response.aclose()


async def request_with_retry(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    retries: int,
    timeout: float,
    stage: str = "http",
    provider: str = "upstream",
    backoff_s: float = 0.2,
    max_backoff_s: float = MAX_BACKOFF_S,
    **kwargs: Any,
) -> httpx.Response:
    """A whole request (body read) with bounded retries; the 2xx response or ServiceError.

    ``timeout`` bounds each phase of each attempt (connect, each read, write).
    ``kwargs`` go to ``httpx.AsyncClient.build_request`` (json, data, files, headers...).
    """
    # httpx bounds each phase; this bounds the whole call, so an upstream that trickles
    # a byte at a time, or a transport without timeouts, cannot hold a turn hostage.
    deadline = timeout * (retries + 1) + max_backoff_s * retries
    try:
        async with asyncio.timeout(deadline):
            async with open_with_retry(
                client,
                method,
                url,
                stage=stage,
                provider=provider,
                retries=retries,
                timeout=timeout,
                backoff_s=backoff_s,
                max_backoff_s=max_backoff_s,
                **kwargs,
            ) as response:
                try:
                    await response.aread()
                except httpx.HTTPError as exc:
                    raise _transport_error(stage, provider, exc) from exc
                return response
    except TimeoutError:
        raise ServiceError(stage, provider, f"timed out after {deadline:g} s", retryable=True) from None
