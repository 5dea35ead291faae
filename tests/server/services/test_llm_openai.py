"""server/services/llm_openai.py against fake upstreams at the HTTP boundary."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.services.base import ConversationContext, HistoryLine, PersonaProfile, ServiceFailure
from server.services.endpoint import Endpoint
from server.services.http import make_http_client
from server.services.llm_openai import OpenAIConversation
from server.text import SentenceSplitter

ANSWER = "I remember the lake, Mr. Lin. We swam there every summer! It was 3.5 miles away… 你还记得吗？"


def context(text: str = "Do you remember the lake?") -> ConversationContext:
    persona = PersonaProfile(
        id="p1", display_name="Grandpa Joe", addressed_as=["Grandpa"], language="en", biography="A carpenter from Ohio.", mode="generative"
    )
    return ConversationContext(
        persona=persona, user_text=text, history=[HistoryLine("relative", "Hi Grandpa"), HistoryLine("persona", "Hello, dear.")]
    )


def chunk(content: str | None, **extra) -> str:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, **extra}
    return json.dumps({"id": "c1", "object": "chat.completion.chunk", "choices": [choice]})


def sse_stream(pieces: list[str], *, done: bool = True, finished: bool = True) -> bytes:
    events = [json.dumps({"choices": [{"delta": {"role": "assistant"}}]})]
    events += [chunk(piece) for piece in pieces]
    if finished:
        events.append(chunk(None, finish_reason="stop"))
    text = "".join(f"data: {event}\n\n" for event in events)
    if done:
        text += "data: [DONE]\n\n"
    return text.encode()


def cut_every(data: bytes, step: int) -> list[bytes]:
    return [data[i : i + step] for i in range(0, len(data), step)]


class ChatUpstream:
    """Answers /v1/chat/completions with a byte stream cut into the given network chunks."""

    def __init__(self, chunks: list[bytes], status: int = 200, error: Exception | None = None):
        self.chunks = chunks
        self.status = status
        self.error = error  # raised after the chunks, like a connection reset
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)

        async def body():
            for piece in self.chunks:
                await asyncio.sleep(0)
                yield piece
            if self.error is not None:
                raise self.error

        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "boom"}})
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())


async def run(
    upstream, *, retries: int = 0, timeout_s: float = 5.0, base_url: str = "http://llm.test/v1", api_key: str | None = "sk-test"
) -> list[str | ServiceFailure]:
    async with make_http_client(transport=httpx.MockTransport(upstream)) as http:
        llm = OpenAIConversation(Endpoint(http, base_url=base_url, model="tiny", api_key=api_key, timeout_s=timeout_s, retries=retries))
        return [piece async for piece in llm.reply(context())]


def texts(pieces) -> str:
    return "".join(p for p in pieces if isinstance(p, str))


def failures(pieces) -> list[ServiceFailure]:
    return [p for p in pieces if isinstance(p, ServiceFailure)]


@pytest.mark.parametrize("step", [1, 3, 7, 40, 10_000])
async def test_streamed_answer_split_mid_word_mid_sentence_and_mid_sse_line(step):
    # Tokens cut mid-word and mid-sentence, and the network cuts the SSE lines anywhere.
    tokens = [ANSWER[i : i + 4] for i in range(0, len(ANSWER), 4)]
    upstream = ChatUpstream(cut_every(sse_stream(tokens), step))
    pieces = await run(upstream)
    assert not failures(pieces)
    assert texts(pieces) == ANSWER

    splitter = SentenceSplitter()
    sentences = [s for piece in pieces for s in splitter.feed(piece)] + splitter.flush()
    assert sentences == ["I remember the lake, Mr. Lin.", "We swam there every summer!", "It was 3.5 miles away…", "你还记得吗？"]


async def test_the_request_is_an_openai_streaming_chat_request():
    upstream = ChatUpstream([sse_stream(["Hi."])])
    await run(upstream, base_url="http://llm.test")  # no /v1: it is added
    request = upstream.requests[0]
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.read())
    assert body["stream"] is True and body["model"] == "tiny"
    assert body["messages"][0]["role"] == "system"
    assert "Grandpa Joe" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": "Do you remember the lake?"}


async def test_no_authorization_header_without_a_key():
    upstream = ChatUpstream([sse_stream(["Hi."])])
    await run(upstream, api_key=None)
    assert "authorization" not in upstream.requests[0].headers


async def test_upstream_500_yields_a_failure_and_is_not_retried():
    upstream = ChatUpstream([], status=500)
    pieces = await run(upstream, retries=2)
    assert texts(pieces) == ""
    [failure] = failures(pieces)
    assert "HTTP 500" in str(failure.error) and failure.error.stage == "llm"
    assert len(upstream.requests) == 1


async def test_upstream_503_is_retried_before_the_stream_starts():
    class FlakyThenFine(ChatUpstream):
        def __call__(self, request):
            if not self.requests:
                self.requests.append(request)
                return httpx.Response(503)
            return super().__call__(request)

    upstream = FlakyThenFine([sse_stream(["All good."])])
    pieces = await run(upstream, retries=1)
    assert texts(pieces) == "All good." and not failures(pieces)
    assert len(upstream.requests) == 2


async def test_a_malformed_json_event_yields_a_failure_after_the_good_text():
    stream = sse_stream(["Hello ", "there."]).replace(b"data: [DONE]", b"data: {not json\n\ndata: [DONE]")
    pieces = await run(ChatUpstream([stream]))
    assert texts(pieces) == "Hello there."
    assert "malformed" in str(failures(pieces)[0].error)
    assert isinstance(pieces[-1], ServiceFailure)


async def test_malformed_sse_lines_are_ignored():
    stream = b"this is not an sse line\n" + b": comment\n\n" + b"dtaa: typo\n\n" + sse_stream(["Fine."])
    pieces = await run(ChatUpstream(cut_every(stream, 5)))
    assert texts(pieces) == "Fine." and not failures(pieces)


async def test_an_error_event_inside_the_stream_is_a_failure():
    stream = b'data: {"error": {"message": "model overloaded"}}\n\n'
    pieces = await run(ChatUpstream([stream]))
    assert "model overloaded" in str(failures(pieces)[0].error)


async def test_a_stream_cut_before_done_yields_a_failure_at_the_end():
    pieces = await run(ChatUpstream(cut_every(sse_stream(["We swam ", "every"], done=False, finished=False), 9)))
    assert texts(pieces) == "We swam every"
    assert "before [DONE]" in str(pieces[-1].error)


async def test_a_stream_that_finished_but_sent_no_done_is_a_whole_answer():
    pieces = await run(ChatUpstream(cut_every(sse_stream(["We swam ", "every day."], done=False), 9)))
    assert texts(pieces) == "We swam every day." and not failures(pieces)


async def test_a_connection_reset_mid_stream_is_a_failure_not_an_exception():
    upstream = ChatUpstream([sse_stream(["Half an ans"], done=False)], error=httpx.ReadError("connection reset"))
    pieces = await run(upstream, retries=2)
    assert texts(pieces) == "Half an ans"
    assert isinstance(pieces[-1], ServiceFailure)
    assert len(upstream.requests) == 1  # never retried once text has flowed


async def test_usage_only_and_reasoning_events_are_skipped():
    events = [
        {"choices": [{"delta": {"reasoning_content": "thinking..."}}]},
        {"choices": [{"delta": {"content": "Yes."}}]},
        {"choices": [], "usage": {"total_tokens": 3}},
    ]
    stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    pieces = await run(ChatUpstream([stream.encode()]))
    assert pieces == ["Yes."]


@pytest.mark.parametrize("step", [1, 2, 5, 10_000])
async def test_thinking_streamed_inside_the_answer_is_never_said(step):
    # Reasoning models behind Ollama, llama.cpp or vLLM often think aloud between <think> tags,
    # with the tags cut anywhere between tokens.
    said = "<think>The user asks about the lake. I should answer warmly.</think>\n\nYes, dear. We swam there <b>every</b> summer."
    tokens = [said[i : i + step] for i in range(0, len(said), step)]
    pieces = await run(ChatUpstream([sse_stream(tokens)]))
    assert texts(pieces).strip() == "Yes, dear. We swam there <b>every</b> summer."
    assert "lake" not in texts(pieces) and not failures(pieces)


@given(st.text(alphabet="<>/thinkab .", max_size=60), st.lists(st.integers(0, 60), max_size=8))
def test_thinking_filter_hears_the_same_however_the_stream_is_cut(text, cuts):
    from server.services.thinking import ThinkingFilter

    whole = ThinkingFilter()
    expected = whole.feed(text) + whole.flush()
    bounds = [0, *sorted(min(c, len(text)) for c in cuts), len(text)]
    cut = ThinkingFilter()
    assert "".join(cut.feed(text[a:b]) for a, b in zip(bounds, bounds[1:])) + cut.flush() == expected


def test_thinking_filter_keeps_text_that_only_looks_like_a_tag():
    from server.services.thinking import ThinkingFilter

    thinking = ThinkingFilter()
    said = [thinking.feed(piece) for piece in ["I was <", "thin", "k of it", " as 3 < 4. <th"]]
    assert "".join(said) + thinking.flush() == "I was <think of it as 3 < 4. <th"
    unfinished = ThinkingFilter()
    assert unfinished.feed("Yes. <think>hmm, the") + unfinished.flush() == "Yes. "


# --- a real server on loopback: the timeout ------------------------------------


class StallingServer:
    """A raw HTTP server on 127.0.0.1 that starts an SSE answer and then goes quiet."""

    def __init__(self, first_bytes: bytes):
        self.first_bytes = first_bytes
        self.release = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aexit__(self, *exc):
        self.release.set()
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0)
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            if self.first_bytes:
                writer.write(b"%x\r\n%s\r\n" % (len(self.first_bytes), self.first_bytes))
            await writer.drain()
            await asyncio.wait_for(self.release.wait(), timeout=10)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.mark.parametrize("first", [b"", b'data: {"choices": [{"delta": {"content": "I was "}}]}\n\n'])
async def test_a_stalled_upstream_times_out_into_a_failure(first):
    async with StallingServer(first) as base_url, make_http_client() as http:
        llm = OpenAIConversation(Endpoint(http, base_url=base_url, model="m", timeout_s=0.3, retries=0))
        started = asyncio.get_running_loop().time()
        pieces = [piece async for piece in llm.reply(context())]
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 2.0
    assert texts(pieces) == ("I was " if first else "")
    assert "timed out" in str(pieces[-1].error)
