"""server/services/sse.py: server-sent events out of arbitrarily cut byte streams."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from server.services.sse import SSEEvent, SSEParser, iter_sse_events


def parse_in_pieces(data: bytes | str, cuts: list[int]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    previous = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        events += parser.feed(data[previous:cut])
        previous = cut
    return events + parser.flush()


def test_basic_events_with_lf_and_crlf():
    stream = b'data: {"a": 1}\n\ndata: two\r\n\r\nevent: update\ndata: three\nid: 7\n\n'
    assert parse_in_pieces(stream, []) == [
        SSEEvent(data='{"a": 1}'),
        SSEEvent(data="two"),
        SSEEvent(data="three", event="update", id="7"),
    ]


def test_multi_line_data_comments_and_malformed_lines():
    stream = (
        ": keep-alive comment\n"
        "data: first line\n"
        "data:second line\n"  # no space after the colon is allowed
        "nonsense line without a colon\n"
        "dtaa: misspelled field\n"
        "retry: soon\n"  # not a number: ignored
        "\n"
        "data\n"  # a field with no colon: empty data
        "\n"
    )
    assert parse_in_pieces(stream, []) == [SSEEvent(data="first line\nsecond line"), SSEEvent(data="")]


def test_only_one_space_is_stripped_and_colons_in_values_are_kept():
    assert parse_in_pieces("data:  two spaces: and a colon\n\n", []) == [SSEEvent(data=" two spaces: and a colon")]


def test_blank_lines_without_data_dispatch_nothing():
    assert parse_in_pieces("\n\n\nevent: ping\n\n: only a comment\n\n", []) == []


def test_lines_cut_anywhere_including_between_cr_and_lf_and_inside_utf8():
    stream = "data: 你好, grandma\r\n\r\ndata: second\r\n\r\n".encode()
    expected = [SSEEvent(data="你好, grandma"), SSEEvent(data="second")]
    for cut in range(len(stream) + 1):
        assert parse_in_pieces(stream, [cut]) == expected
    assert parse_in_pieces(stream, list(range(len(stream)))) == expected  # byte by byte


def test_bare_cr_line_ends_and_a_byte_order_mark():
    assert parse_in_pieces(b"\xef\xbb\xbfdata: a\r\rdata: b\r\r", [1, 2, 3, 9]) == [
        SSEEvent(data="a"),
        SSEEvent(data="b"),
    ]


def test_flush_is_lenient_about_a_missing_final_blank_line():
    assert parse_in_pieces("data: [DONE]", []) == [SSEEvent(data="[DONE]")]
    assert parse_in_pieces("data: [DONE]\n", []) == [SSEEvent(data="[DONE]")]


def test_id_persists_and_retry_is_read():
    events = parse_in_pieces("id: 1\nretry: 1500\ndata: a\n\ndata: b\n\n", [])
    assert events == [SSEEvent(data="a", id="1", retry=1500), SSEEvent(data="b", id="1", retry=1500)]


async def test_iter_sse_events_over_a_streaming_httpx_response():
    async def body():
        for piece in (b"data: he", b"llo\n", b"\ndata: wor", b"ld\n\n", b"data: tail"):
            yield piece

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body()))
    async with httpx.AsyncClient(transport=transport) as client, client.stream("GET", "http://upstream.test/events") as response:
        events = [event.data async for event in iter_sse_events(response)]
    assert events == ["hello", "world", "tail"]


# --- properties -----------------------------------------------------------------

_VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30)
_EVENT = st.tuples(
    st.lists(_VALUE, min_size=1, max_size=3),  # data lines
    st.one_of(st.none(), st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8)),
    st.booleans(),  # a comment line before the event
)


def serialise(events, newline: str) -> str:
    out = []
    for data_lines, event_type, comment in events:
        if comment:
            out.append(": ping" + newline)
        if event_type:
            out.append(f"event: {event_type}{newline}")
        out += [f"data: {line}{newline}" for line in data_lines]
        out.append(newline)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(_EVENT, max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=20),
)
def test_round_trip_in_any_chunking(events, newline, cuts):
    stream = serialise(events, newline).encode()
    cuts = [c for c in cuts if c <= len(stream)]
    expected = [SSEEvent(data="\n".join(lines), event=event_type or "message") for lines, event_type, _ in events]
    assert parse_in_pieces(stream, cuts) == expected


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=20),
)
def test_any_bytes_parse_the_same_whatever_the_chunking_and_never_raise(data, cuts):
    cuts = [c for c in cuts if c <= len(data)]
    assert parse_in_pieces(data, cuts) == parse_in_pieces(data, [])
    assert parse_in_pieces(data, list(range(len(data)))) == parse_in_pieces(data, [])
