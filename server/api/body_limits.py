"""How large a request body may be, checked while it arrives, before any route parses it.

JSON bodies are small (the longest field is 20,000 characters), so 1 MiB is
generous: a 2 GB "JSON" body is refused from its Content-Length, or after its
first megabyte when it is chunked, instead of being held in memory. The routes
that take files stream them to disk against their own limits from the settings
(turns, portraits, imports, voice samples, dictation), so this one leaves them alone.
"""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import error_body

JSON_BODY_MAX = 1024 * 1024

# Routes that read their own body as a stream, with their own limit.
STREAMED = re.compile(r"^/v1/(sessions/[^/]+/turns|personas/[^/]+/(portrait|sources|voice-samples|dictation))/?$")

TOO_LARGE = f"The request body is larger than the limit of {JSON_BODY_MAX // (1024 * 1024)} MB."


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = JSON_BODY_MAX) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or STREAMED.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _refuse(send)  # nothing is read, nothing changes
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException, so FastAPI's body parsing passes it on to the JSON error handler.
                    raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send) -> None:
    body = json.dumps(error_body("too_large", TOO_LARGE)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
