"""A small synchronous client for the Keepsake server, used from worker threads only.

Synchronous on purpose: each call runs on a background thread and hands its
result to the UI through ``Clock.schedule_once``, which is simpler to read
than an event loop living next to Kivy's. The turn stream is read line by
line so the first sentence can play while later ones are still being made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from shared.api import IDEMPOTENCY_KEY_HEADER, DeviceCreated, DeviceSelf, HistoryOut, Persona, SessionOut, TurnEvent, parse_event

# Connecting must fail fast (the relative is waiting); reading a turn may take
# a while on a small server, because speech recognition runs before the first line.
TIMEOUT = httpx.Timeout(connect=4.0, read=90.0, write=30.0, pool=5.0)


class ApiError(Exception):
    """The server answered with an error we should not retry as is."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Offline(Exception):
    """The server could not be reached, timed out, or is temporarily failing: try again later.

    ``retry_after`` is the wait in seconds the server asked for (a 503 "busy" with
    Retry-After), or None when it did not say.
    """

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


RETRY_AFTER_MAX_S = 600.0


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the date form is not worth a tablet's clock): None when absent or odd."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    if seconds != seconds or seconds < 0:  # NaN, negative
        return None
    return min(seconds, RETRY_AFTER_MAX_S)


def _error_from(response: httpx.Response) -> Exception:
    try:
        body = response.json()["error"]
        code, message = str(body.get("code", "error")), str(body.get("message", ""))
    except Exception:  # not our JSON error: a proxy page, an empty body
        code, message = "http_error", response.reason_phrase
    # The server or a service behind it is failing, or the upload stopped arriving before it was
    # whole (408): keep the words, retry. Every other 4xx is about the request itself (a 429 says
    # how long to wait in its own words: too many wrong codes).
    # A 409 turn_in_progress: another request of the same recording (its Idempotency-Key) is being
    # answered right now, or was cut off not long ago: keep the words, send them again later.
    if response.status_code >= 500 or response.status_code == 408 or (response.status_code == 409 and code == "turn_in_progress"):
        return Offline(f"{response.status_code} {code}: {message}", retry_after=_retry_after(response))
    return ApiError(response.status_code, code, message)


class KeepsakeClient:
    def __init__(self, base_url: str, token: str | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = normalize_url(base_url)
        self._token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, transport=transport)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def set_token(self, token: str | None) -> None:
        self._token = token

    @property
    def token(self) -> str | None:
        """The bearer token, for the live socket (``client.live_socket``), which is not an httpx request."""
        return self._token

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, path, headers={**self._headers, **(headers or {})}, **kwargs)
        except httpx.TransportError as exc:  # refused, DNS, timeouts, a dropped connection
            raise Offline(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    # --- routes
    def health(self) -> bool:
        try:
            return self._request("GET", "/healthz").status_code == 200
        except (Offline, ApiError):
            return False

    def pair(self, pairing_code: str, name: str = "Tablet") -> DeviceCreated:
        body = {"pairing_code": pairing_code.strip(), "name": name}
        return DeviceCreated.model_validate(self._request("POST", "/v1/devices", json=body).json())

    def personas(self) -> list[Persona]:
        return [Persona.model_validate(p) for p in self._request("GET", "/v1/personas").json()]

    def me(self) -> DeviceSelf:
        """This tablet as the server knows it: its limits, whom to show in a crisis, and whether
        the relative said they do not want to talk (then the tablet waits for their tap)."""
        return DeviceSelf.model_validate(self._request("GET", "/v1/devices/me").json())

    def start_session(self, persona_id: str, *, test: bool = False) -> SessionOut:
        body = {"persona_id": persona_id, "test": True} if test else {"persona_id": persona_id}
        return SessionOut.model_validate(self._request("POST", "/v1/sessions", json=body).json())

    def history(self, session_id: str) -> HistoryOut:
        return HistoryOut.model_validate(self._request("GET", f"/v1/sessions/{session_id}/history").json())

    def report_playback(self, session_id: str, turn_id: str, sentences_played: int) -> None:
        self._request("POST", f"/v1/sessions/{session_id}/turns/{turn_id}/playback", json={"sentences_played": sentences_played})

    def portrait(self, persona_id: str) -> bytes:
        return self._request("GET", f"/v1/personas/{persona_id}/portrait").content

    def media(self, url: str) -> tuple[bytes, str]:
        """Audio of a sentence; ``url`` is relative to the server (signed, and we add the token too)."""
        response = self._request("GET", url)
        return response.content, response.headers.get("content-type", "application/octet-stream")

    @contextmanager
    def turn(
        self,
        session_id: str,
        *,
        audio: Path | None = None,
        mime: str = "audio/wav",
        text: str | None = None,
        body: Iterable[bytes] | None = None,
        idempotency_key: str | None = None,
    ) -> Iterator[Iterator[TurnEvent]]:
        """Send one turn and yield its events as they arrive.

        Use as ``with client.turn(sid, audio=path) as events: for e in events: ...``;
        leaving the ``with`` block early closes the stream (the relative interrupted).
        ``body`` sends audio that is still being recorded, as a chunked body (see
        ``client.live_upload``); an exception it raises ends the request unsent.
        ``idempotency_key``: the recording's own key, the same on every try of it, so the server
        answers it once however often it is sent (``Idempotency-Key``, see ``server.turn_replay``).
        """
        headers = {**self._headers, IDEMPOTENCY_KEY_HEADER: idempotency_key} if idempotency_key else self._headers
        kwargs: dict[str, Any]  # httpx's stream() arguments: a body or JSON, and the headers
        if body is not None:
            kwargs = {"content": body, "headers": {**headers, "Content-Type": mime}}
        elif audio is not None:
            kwargs = {"content": _file_chunks(audio), "headers": {**headers, "Content-Type": mime}}
        else:
            kwargs = {"json": {"text": text}, "headers": headers}
        try:
            with self._http.stream("POST", f"/v1/sessions/{session_id}/turns", **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_from(response)
                yield _events(response)
        except httpx.TransportError as exc:
            raise Offline(str(exc) or type(exc).__name__) from exc


def _file_chunks(path: Path, size: int = 64 * 1024) -> Iterator[bytes]:
    """The recording as a chunked body, so a long one is never held twice in memory."""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _events(response: httpx.Response) -> Iterator[TurnEvent]:
    for line in response.iter_lines():
        if line.strip():
            yield parse_event(line)


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if url and "://" not in url:
        url = "http://" + url
    return url
