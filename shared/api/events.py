"""The events of a turn's stream, one JSON object a line (NDJSON), told apart by ``type``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class MouthTrack(BaseModel):
    fps: int
    values: list[float]


class SentenceEvent(BaseModel):
    """One sentence of the answer: its words, where to fetch its audio, and how the lips move.

    ``mouth`` is how open the mouth is, one value per frame. ``visemes`` is the lip
    shape over time: ``[start_ms, viseme]`` pairs, sorted, each lasting until the
    next, all inside ``duration_ms``, on the 15 visemes of the Oculus/Meta set
    (``sil``, ``PP``, ``FF``, ``TH``, ``DD``, ``kk``, ``CH``, ``SS``, ``nn``, ``RR``,
    ``aa``, ``E``, ``I``, ``O``, ``U``). Empty when the server could not tell (and
    from servers that predate it): the tablet then opens the mouth by ``mouth`` alone.
    """

    type: Literal["sentence"] = "sentence"
    index: int
    text: str
    audio_url: str
    audio_mime: str = "audio/wav"
    duration_ms: int
    mouth: MouthTrack
    visemes: list[tuple[int, str]] = Field(default_factory=list)
    video_url: str | None = None
    original: bool = False  # the person's own recorded voice, not a recreation
    # No voice is made for this persona (none suits her, or the family chose her own recordings only):
    # the audio is silence as long as the words take to read, and the tablet shows them in captions.
    captions_only: bool = False


class TranscriptEvent(BaseModel):
    type: Literal["transcript"] = "transcript"
    text: str
    language: str | None = None


class NoticeEvent(BaseModel):
    type: Literal["notice"] = "notice"
    code: str
    message: str
    data: dict[Any, Any] | None = None


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    turn_id: str
    timings_ms: dict[str, float]
    ended: bool = False  # the conversation is over (goodbye, a limit, the relative said stop)


TurnEvent = Annotated[TranscriptEvent | SentenceEvent | NoticeEvent | DoneEvent, Field(discriminator="type")]

# One reader and writer for every event: ``type`` picks the model, so a line is parsed once, straight from its bytes.
TURN_EVENTS: TypeAdapter[TurnEvent] = TypeAdapter(TurnEvent)


def parse_event(line: str | bytes) -> TurnEvent:
    """Parse one NDJSON line of a turn stream into its event model (a ``ValueError`` if it is none of them)."""
    return TURN_EVENTS.validate_json(line)


def event_line(event: TurnEvent) -> bytes:
    """One event as its NDJSON line; fields with no value are left out, as the tablet expects."""
    # pydantic-core writes the JSON itself: no dict of the event, no second pass through json.
    return TURN_EVENTS.dump_json(event, exclude_none=True) + b"\n"
