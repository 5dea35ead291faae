"""The live conversation socket's messages (``GET /v1/sessions/{id}/live``, a WebSocket).

Text frames are JSON objects with a ``type``; the relative's voice goes as binary frames of
mono 16-bit little-endian PCM, 10 to 200 ms each, at the rate the ``start`` message gives.
After ``end_of_turn`` the server sends the NDJSON turn's own events (shared.api: transcript,
sentence, notice, done), one a text frame, then ``listening`` again. While the answer plays,
speech from the relative (not the persona's own voice coming back) sends ``interrupted`` before
its ``speech_started``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MIN_RATE = 8_000
MAX_RATE = 48_000
MIN_FRAME_MS = 10
MAX_FRAME_MS = 200

# Close codes. 1008 is the WebSocket's "policy violation": the client broke the protocol.
CLOSE_BAD_INPUT = 1008
# Nothing said for too long: the tablet opens a new socket when someone speaks again.
CLOSE_IDLE = 4408
# This server has no live conversation (its turn-taking models are not installed): use the POST turn.
CLOSE_UNAVAILABLE = 1011


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# From the tablet.
class Start(_Message):
    type: Literal["start"]
    sample_rate: int = Field(ge=MIN_RATE, le=MAX_RATE)
    format: Literal["pcm_s16le"]


class Playback(_Message):
    """Where the tablet is in playing an answer.

    ``playing`` false (the default): it stopped here, or finished; only the ``sentences_played``
    count as said. ``playing`` true: it starts playing sentence ``sentences_played`` (0-based) now;
    the server then knows which of its own sentences the microphone may hear back (the echo guard).
    """

    type: Literal["playback"]
    turn_id: str = Field(min_length=1, max_length=64)
    sentences_played: int = Field(ge=0, le=1_000)
    playing: bool = False


class EndOfTurnTap(_Message):
    """The relative tapped: they are done, whatever the pause. Any audio sent since ``listening``
    is answered as the turn, even audio the server had not yet heard as speech."""

    type: Literal["end_of_turn"]


ClientMessage = TypeAdapter(Annotated[Start | Playback | EndOfTurnTap, Field(discriminator="type")])


# From the server.
class Listening(BaseModel):
    type: Literal["listening"] = "listening"


class SpeechStarted(BaseModel):
    type: Literal["speech_started"] = "speech_started"
    at_ms: int  # audio milliseconds since ``start``


class Interrupted(BaseModel):
    """The relative spoke over the persona: the tablet stops playing at once. Only the first
    ``sentences_played`` sentences of ``turn_id`` count as said; what they say is the next turn."""

    type: Literal["interrupted"] = "interrupted"
    turn_id: str
    sentences_played: int


class EndOfTurn(BaseModel):
    type: Literal["end_of_turn"] = "end_of_turn"
    at_ms: int  # where the decision was taken, in audio milliseconds since ``start``
    by: Literal["pause", "tap", "limit"] = "pause"
