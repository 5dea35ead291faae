"""Request and response bodies of the Keepsake HTTP API.

The server validates with these and the tablet parses with them, so the two
can never disagree about a field's name or type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

Language = str  # BCP-47-ish short code: "en", "zh", ...
Mode = Literal["story", "generative"]
ConsentScope = Literal["own_words", "generated"]
PersonaKind = Literal["deceased", "living", "child", "public_figure"]

NAME_MAX = 200
TEXT_MAX = 20_000


class Strict(BaseModel):
    """Unknown fields are an error, so a typo never silently changes nothing."""

    model_config = ConfigDict(extra="forbid")


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


# --- households and auth -------------------------------------------------


class HouseholdCreate(Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    caregiver_email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8, max_length=256)

    _strip = field_validator("name")(_not_blank)


class HouseholdCreated(BaseModel):
    household_id: str
    token: str


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    token: str


# --- personas ------------------------------------------------------------


class MouthPoint(BaseModel):
    """Where the mouth is on the portrait, as fractions of width and height from top-left."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(default=0.18, gt=0, le=1)


class FacePoint(BaseModel):
    """A point on the portrait, as fractions of its width and height from the top-left."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class FaceMouth(FacePoint):
    width: float = Field(gt=0, le=1)


class FaceLandmarks(BaseModel):
    """The face on the portrait: what the tablet's face moves by.

    ``left_eye`` and ``right_eye`` are the eyes on the image's left and right; ``points`` is every
    point the face model placed (MediaPipe's 468-point face mesh, in its order), empty once a
    caregiver has moved the eyes or mouth by hand; ``source`` says which model found them, or
    ``caregiver``. ``faces_found``: how many faces were on the picture (the biggest is this one).
    """

    left_eye: FacePoint
    right_eye: FacePoint
    mouth: FaceMouth
    chin: FacePoint | None = None
    points: list[tuple[float, float]] = Field(default_factory=list, max_length=500)
    source: str = Field(default="caregiver", max_length=40)
    faces_found: int = Field(default=1, ge=0)


class FaceCorrection(Strict):
    """Where the caregiver puts the eyes and the mouth when the ones found are wrong (or none was)."""

    left_eye: FacePoint
    right_eye: FacePoint
    mouth: FaceMouth
    chin: FacePoint | None = None

    @model_validator(mode="after")
    def _eyes_apart(self) -> "FaceCorrection":
        if self.left_eye.x >= self.right_eye.x:
            raise ValueError("left_eye is the eye on the image's left: its x must be smaller than right_eye's")
        return self


class PersonaCreate(Strict):
    display_name: str = Field(min_length=1, max_length=NAME_MAX)
    addressed_as: list[str] = Field(default_factory=list, max_length=20)
    language: Language = Field(default="en", min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    biography: str = Field(default="", max_length=TEXT_MAX)
    speaking_style: str | None = Field(default=None, max_length=4_000)
    boundaries: list[str] = Field(default_factory=list, max_length=50)
    mode: Mode = "story"
    kind: PersonaKind = "deceased"
    voice_id: str | None = Field(default=None, max_length=200)
    mouth: MouthPoint | None = None
    disclosure: bool = True

    _strip = field_validator("display_name")(_not_blank)

    @field_validator("addressed_as", "boundaries")
    @classmethod
    def _short_items(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items if i.strip()]
        if any(len(i) > NAME_MAX for i in cleaned):
            raise ValueError(f"each item must be at most {NAME_MAX} characters")
        return cleaned


class PersonaUpdate(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    addressed_as: list[str] | None = Field(default=None, max_length=20)
    language: Language | None = Field(default=None, min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    biography: str | None = Field(default=None, max_length=TEXT_MAX)
    speaking_style: str | None = Field(default=None, max_length=4_000)
    boundaries: list[str] | None = Field(default=None, max_length=50)
    mode: Mode | None = None
    kind: PersonaKind | None = None
    voice_id: str | None = Field(default=None, max_length=200)
    mouth: MouthPoint | None = None
    face: FaceCorrection | None = None
    disclosure: bool | None = None


class ConsentCreate(Strict):
    given_by: str = Field(min_length=1, max_length=NAME_MAX)
    relation: str = Field(min_length=1, max_length=NAME_MAX)
    scope: ConsentScope
    statement: str = Field(min_length=1, max_length=TEXT_MAX)

    _strip = field_validator("given_by", "relation", "statement")(_not_blank)


class ConsentOut(BaseModel):
    id: str
    persona_id: str
    given_by: str
    relation: str
    scope: ConsentScope
    statement: str
    created_at: datetime


class Persona(BaseModel):
    id: str
    household_id: str
    display_name: str
    addressed_as: list[str]
    language: Language
    biography: str
    speaking_style: str | None = None
    boundaries: list[str] = []
    mode: Mode
    kind: PersonaKind = "deceased"
    voice_id: str | None = None
    mouth: MouthPoint | None = None
    face: FaceLandmarks | None = None
    disclosure: bool = True
    portrait_url: str | None = None
    consent: ConsentOut | None = None
    status: Literal["active", "retiring", "archived"] = "active"
    memory_count: int = 0
    created_at: datetime
    updated_at: datetime


class MemoryCreate(Strict):
    title: str | None = Field(default=None, max_length=NAME_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)

    _strip = field_validator("text")(_not_blank)


class Memory(BaseModel):
    id: str
    persona_id: str
    title: str | None = None
    text: str
    source: str = "typed"
    hidden: bool = False
    created_at: datetime


class FactTeller(BaseModel):
    """Who told the persona a fact: a tablet (its relative), or a caregiver."""

    kind: Literal["device", "caregiver"]
    # None: a caregiver's, from before Keepsake kept which caregiver told what.
    id: str | None = None
    name: str | None = None  # the tablet's name or the caregiver's e-mail, while they exist


class Fact(BaseModel):
    """Something the relative told the persona, kept for later conversations.

    It is heard again only on the tablet of the relative who told it, unless a
    caregiver marks it ``shared``: then every tablet of the household may hear it.
    """

    id: str
    persona_id: str
    session_id: str | None = None
    text: str
    hidden: bool = False
    shared: bool = False
    told_by: FactTeller
    created_at: datetime


class FactPatch(Strict):
    text: str | None = Field(default=None, min_length=1, max_length=4_000)
    # Strict: "yes" or 1 must not share a relative's words by accident.
    hidden: StrictBool | None = None
    shared: StrictBool | None = None


class FactCreate(Strict):
    """Something a caregiver tells the persona ("Tom started at the bakery"), for the tablets' greetings."""

    text: str = Field(min_length=1, max_length=4_000)
    # Shared by default: a fact no tablet hears is no use. False keeps it from every tablet until shared.
    shared: StrictBool = True

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


# --- devices -------------------------------------------------------------


class PairingCodeOut(BaseModel):
    code: str
    expires_at: datetime


class DeviceCreate(Strict):
    pairing_code: str = Field(min_length=4, max_length=16)
    name: str = Field(default="Tablet", min_length=1, max_length=NAME_MAX)


class DeviceCreated(BaseModel):
    device_id: str
    device_token: str
    household_id: str


# --- sessions and turns --------------------------------------------------


class SessionCreate(Strict):
    persona_id: str = Field(min_length=1, max_length=64)
    # The caregiver's test of the speaker: only the greeting. It is not the relative's talk, so it
    # never undoes their "stop", never asks the first-time question and takes no turns.
    test: bool = False


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


class TranscriptEvent(BaseModel):
    type: Literal["transcript"] = "transcript"
    text: str
    language: str | None = None


class NoticeEvent(BaseModel):
    type: Literal["notice"] = "notice"
    code: str
    message: str
    data: dict | None = None


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    turn_id: str
    timings_ms: dict[str, float]
    ended: bool = False  # the conversation is over (goodbye, a limit, the relative said stop)


TurnEvent = TranscriptEvent | SentenceEvent | NoticeEvent | DoneEvent


class Greeting(BaseModel):
    text: str
    sentences: list[SentenceEvent] = []


class SessionOut(BaseModel):
    id: str
    persona: Persona
    greeting: Greeting | None = None
    ended: bool = False  # a limit or quiet hours: the greeting is a warm goodbye
    created_at: datetime


class TextTurn(Strict):
    text: str = Field(min_length=1, max_length=4_000)

    _strip = field_validator("text")(_not_blank)


class PlaybackReport(Strict):
    """Where the tablet stopped playing an answer (the relative interrupted)."""

    sentences_played: int = Field(ge=0, le=1_000)


class HistoryItem(BaseModel):
    turn_id: str
    role: Literal["relative", "persona"]
    text: str
    created_at: datetime
    status: str = "ok"
    audio_url: str | None = None


class SessionSummary(BaseModel):
    """One conversation, for the caregivers' list of transcripts (GET /v1/sessions)."""

    id: str
    persona_id: str
    device_id: str | None = None
    created_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None  # "quiet_hours", "daily_limit", "test", ... when known
    turns: int = 0


class HistoryOut(BaseModel):
    session_id: str
    persona_id: str
    items: list[HistoryItem]


def parse_event(line: str | bytes) -> TurnEvent:
    """Parse one NDJSON line of a turn stream into its event model."""
    import json

    data = json.loads(line)
    kind = data.get("type")
    model = {"transcript": TranscriptEvent, "sentence": SentenceEvent, "notice": NoticeEvent, "done": DoneEvent}.get(kind)
    if model is None:
        raise ValueError(f"unknown event type {kind!r}")
    return model.model_validate(data)


# --- households: settings, caregivers, audit -----------------------------

Role = Literal["owner", "caregiver", "viewer"]
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class HouseholdSettings(Strict):
    """Who the tablet shows and the server alerts when the relative is in trouble."""

    crisis_contact_name: str | None = Field(default=None, max_length=NAME_MAX)
    crisis_contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+() .\-]{3,40}$")
    emergency_number: str | None = Field(default=None, max_length=16, pattern=r"^[0-9+]{2,16}$")
    webhook_url: str | None = Field(default=None, max_length=2_000, pattern=r"^https?://[^\s]+$")


class HouseholdOut(BaseModel):
    id: str
    name: str
    settings: HouseholdSettings
    created_at: datetime


class InvitationCreate(Strict):
    role: Literal["caregiver", "viewer"] = "caregiver"


class InvitationOut(BaseModel):
    code: str
    role: Role
    expires_at: datetime


class InvitationAccept(Strict):
    code: str = Field(min_length=4, max_length=32)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8, max_length=256)


class CaregiverOut(BaseModel):
    id: str
    email: str
    role: Role
    created_at: datetime


class JoinedOut(BaseModel):
    household_id: str
    token: str
    role: Role


class AuditEntry(BaseModel):
    id: str
    actor_kind: str
    actor_id: str
    action: str
    target: str | None = None
    detail: str | None = None
    created_at: datetime


class Alert(BaseModel):
    id: str
    kind: str
    message: str
    persona_id: str | None = None
    session_id: str | None = None
    created_at: datetime


# --- tablets: limits ------------------------------------------------------


class DeviceSettings(Strict):
    """Limits a caregiver sets per tablet; reaching one ends the talk with a warm goodbye."""

    daily_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    quiet_hours_start: str | None = Field(default=None, pattern=HHMM)
    quiet_hours_end: str | None = Field(default=None, pattern=HHMM)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; use a name like Europe/London or Asia/Shanghai") from None
        return value


class DeviceOut(BaseModel):
    id: str
    name: str
    settings: DeviceSettings
    declined: bool = False
    created_at: datetime


class FactsMoved(BaseModel):
    """What a re-paired tablet took over from the tablet it replaces."""

    from_device_id: str
    to_device_id: str
    moved: int  # how many facts (across all the household's personas) now belong to the new tablet


class DeviceSelf(BaseModel):
    """What a tablet may know about itself and whom to show in a crisis."""

    id: str
    name: str
    household_id: str
    settings: DeviceSettings
    crisis_contact_name: str | None = None
    crisis_contact_phone: str | None = None
    emergency_number: str | None = None
    declined: bool = False


class RetireRequest(Strict):
    then: Literal["archive", "erase"] = "archive"
    farewell: str | None = Field(default=None, max_length=2_000)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict] | dict | None = None


class ErrorBody(BaseModel):
    """Every failure has this shape, whatever the status."""

    error: ErrorDetail
