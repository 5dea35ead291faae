"""A turn's stream events: written by the server and read by the tablet through one TypeAdapter, told apart by ``type``."""

from __future__ import annotations

import json

import pytest

from shared.api import DoneEvent, MouthTrack, NoticeEvent, SentenceEvent, TranscriptEvent, event_line, parse_event

EVENTS = [
    TranscriptEvent(text="Tell me about the seaside.", language="en"),
    TranscriptEvent(text="你好"),
    SentenceEvent(
        index=0,
        text="We went every summer.",
        audio_url="/v1/media/a?sig=x",
        duration_ms=1200,
        mouth=MouthTrack(fps=25, values=[0.0, 0.5, 1.0]),
    ),
    SentenceEvent(
        index=1,
        text="In my own words.",
        audio_url="/v1/media/b",
        duration_ms=900,
        original=True,
        video_url="/v1/media/v",
        mouth=MouthTrack(fps=25, values=[]),
    ),
    NoticeEvent(code="fallback", message="The built-in voice speaks.", data={"stage": "tts"}),
    NoticeEvent(code="turn_failed", message="Something went wrong."),
    DoneEvent(turn_id="turn_1", timings_ms={"total": 812.5}, ended=True),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_each_event_is_written_as_before_byte_for_byte(event):
    # What the server wrote before the union: the model's own JSON, fields without a value left out.
    before = (event.model_dump_json(exclude_none=True) + "\n").encode()
    assert event_line(event) == before


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_each_line_is_read_back_as_its_own_model(event):
    read = parse_event(event_line(event))
    assert type(read) is type(event)
    assert read == event
    assert parse_event(event_line(event).decode()) == event  # a str line as well as bytes


def test_a_line_of_no_known_type_or_no_type_is_refused():
    for line in ('{"type": "applause", "text": "x"}', '{"text": "no type"}', '{"type": "sentence", "text": "no audio"}', "not json"):
        with pytest.raises(ValueError):
            parse_event(line)


def test_the_type_decides_the_model_not_the_fields():
    # A transcript carrying a sentence's fields is still a transcript (the extra fields are ignored).
    line = json.dumps(
        {"type": "transcript", "text": "hi", "index": 3, "audio_url": "/x", "duration_ms": 1, "mouth": {"fps": 1, "values": []}}
    )
    assert isinstance(parse_event(line), TranscriptEvent)
