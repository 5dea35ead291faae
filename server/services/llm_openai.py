"""Conversation through an OpenAI-compatible ``/chat/completions`` stream.

This is what Ollama, vLLM, llama.cpp's server, OpenAI, DeepSeek and
DashScope's compatible mode speak. Text pieces are yielded as they arrive;
any failure (HTTP error, timeout, garbage in the stream, a stream that stops
before ``[DONE]``) is yielded as a ``ServiceFailure`` so the fallback wrapper
can decide what to do — this generator never raises for an upstream problem.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from server.services.base import Conversation, ConversationContext, ServiceError, ServiceFailure
from server.services.endpoint import OPENAI_BASE_URL, Endpoint, EndpointDefaults, HttpProvider
from server.services.http import api_url, bearer, open_with_retry
from server.services.prompt import build_messages
from server.services.sse import iter_sse_events
from server.services.thinking import ThinkingFilter

DEFAULT_MODEL = "gpt-4o-mini"


# Generous: a token is rarely more than a few characters, in any language.
CHARS_PER_TOKEN_AT_MOST = 8


class OpenAIConversation(HttpProvider, Conversation):
    name = "openai"
    defaults = EndpointDefaults(base_url=OPENAI_BASE_URL, model=DEFAULT_MODEL)

    def __init__(self, endpoint: Endpoint, *, temperature: float = 0.7, max_tokens: int = 220):
        super().__init__(endpoint)
        self.url = api_url(self.endpoint.base_url, "chat/completions")
        self.temperature = temperature
        self.max_tokens = max_tokens

    def _failure(self, message: str) -> ServiceFailure:
        return ServiceFailure(ServiceError(self.stage, self.name, message))

    async def reply(self, ctx: ConversationContext) -> AsyncIterator[str | ServiceFailure]:
        body = {
            "model": self.endpoint.model,
            "messages": build_messages(ctx),
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        # The stream is read by its own task, so the deadline below measures the upstream
        # alone: a server that trickles or hangs is cut off however slowly we consume.
        queue: asyncio.Queue[str | ServiceFailure | None] = asyncio.Queue()
        reader = asyncio.create_task(self._read(body, queue))
        # An upstream that ignores max_tokens and streams on and on must not talk for ever
        # (nor hold its place in the turn gate): past what max_tokens could say, it is cut off.
        budget, said = self.max_tokens * CHARS_PER_TOKEN_AT_MOST, 0
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for wraps every get in a
                    # task of its own, paid again for each streamed token.
                    async with asyncio.timeout(self.endpoint.timeout_s):
                        item = await queue.get()
                except TimeoutError:
                    yield self._failure(f"timed out: no answer for {self.endpoint.timeout_s:g} s")
                    return
                if item is None:
                    return
                if isinstance(item, str):
                    said += len(item)
                    if said > budget:
                        yield self._failure(f"the answer ran past max_tokens ({self.max_tokens})")
                        return
                yield item
                if isinstance(item, ServiceFailure):
                    return
        finally:
            # Wait for the reader to stop, so the upstream connection is closed before we return.
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read(self, body: dict[str, Any], queue: asyncio.Queue[str | ServiceFailure | None]) -> None:
        """Put each text piece on ``queue``, then None; a failure is put as a ServiceFailure."""
        headers = {"Accept": "text/event-stream", **bearer(self.endpoint.api_key)}
        try:
            # Retrying is safe only until the first byte: open_with_retry never retries after that.
            async with open_with_retry(
                self.endpoint.http,
                "POST",
                self.url,
                stage=self.stage,
                provider=self.name,
                retries=self.endpoint.retries,
                timeout=self.endpoint.timeout_s,
                json=body,
                headers=headers,
            ) as response:
                finished = False
                thinking = ThinkingFilter()
                async for event in iter_sse_events(response):
                    data = event.data.strip()
                    if data == "[DONE]":
                        if tail := thinking.flush():
                            await queue.put(tail)
                        await queue.put(None)
                        return
                    piece, ends = self._content_of(data)
                    if isinstance(piece, str):
                        piece = thinking.feed(piece)
                    if piece:
                        await queue.put(piece)
                    if isinstance(piece, ServiceFailure):
                        return
                    finished = finished or ends
            # Some servers close the stream after the finish_reason without a [DONE]: that
            # answer is whole. Without either, the stream was cut mid-answer.
            if finished and (tail := thinking.flush()):
                await queue.put(tail)
            await queue.put(None if finished else self._failure("stream ended before [DONE]"))
        except ServiceError as exc:
            await queue.put(ServiceFailure(exc))
        except httpx.TimeoutException as exc:
            await queue.put(self._failure(f"timed out while streaming ({type(exc).__name__})"))
        except httpx.HTTPError as exc:
            await queue.put(self._failure(f"stream broke: {type(exc).__name__}: {exc}"))

    def _content_of(self, data: str) -> tuple[str | ServiceFailure | None, bool]:
        """The text in one stream event (a failure for a malformed or error event), and
        whether the event says the answer is over ("stop", "length", ...)."""
        try:
            payload = json.loads(data)
        except ValueError:
            return self._failure(f"malformed stream event: {data[:120]!r}"), False
        if not isinstance(payload, dict):
            return self._failure(f"malformed stream event: {data[:120]!r}"), False
        if payload.get("error"):
            error = payload["error"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            return self._failure(f"upstream error in stream: {message}"), False
        choices = payload.get("choices")
        if not choices:
            return None, False  # e.g. a final usage-only event
        if not isinstance(choices, list) or not isinstance(choices[0], dict):
            return self._failure("malformed choices in stream event"), False
        delta = choices[0].get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        return (content if isinstance(content, str) else None), bool(choices[0].get("finish_reason"))
