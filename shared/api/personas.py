"""Personas: the fields a caregiver writes once (``PersonaFields``), created, changed and read back
through the same declaration; the consent that lets a persona speak; retiring one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from shared.api.base import (
    LANGUAGE_PATTERN,
    NAME_MAX,
    TEXT_MAX,
    ConsentScope,
    Language,
    Mode,
    PersonaKind,
    Strict,
    _not_blank,
)
from shared.api.voice import VoiceChoice, VoiceFit, VoiceSex


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
    point the face model placed (MediaPipe's 468-point face mesh, in its order), moved with the
    eyes and mouth when a caregiver drags them (and with the chin, unless the caregiver placed it),
    empty where no face was found; ``source`` says which model found them, or ``caregiver``. ``faces_found``: how many faces were on the picture (the biggest is this one).
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
    def _eyes_apart(self) -> FaceCorrection:
        if self.left_eye.x >= self.right_eye.x:
            raise ValueError("left_eye is the eye on the image's left: its x must be smaller than right_eye's")
        return self


class PersonaFields(BaseModel):
    """What a caregiver says about a persona, with its limits: the one declaration that
    ``PersonaCreate`` (with defaults), ``PersonaUpdate`` (every field optional) and ``Persona`` share."""

    display_name: str = Field(min_length=1, max_length=NAME_MAX)
    addressed_as: list[str] = Field(default_factory=list, max_length=20)
    language: Language = Field(default="en", min_length=2, max_length=16, pattern=LANGUAGE_PATTERN)
    biography: str = Field(default="", max_length=TEXT_MAX)
    speaking_style: str | None = Field(default=None, max_length=4_000)
    boundaries: list[str] = Field(default_factory=list, max_length=50)
    mode: Mode = "story"
    kind: PersonaKind = "deceased"
    voice_id: str | None = Field(default=None, max_length=200)
    mouth: MouthPoint | None = None
    disclosure: bool = True
    # Whom a voice must suit, where the caregiver said it (None: not said; the voice is then matched
    # on language alone).
    sex: VoiceSex | None = None
    # What the persona speaks with; None: the first that suits her (her cloned voice, the server's
    # voice), else her own recordings and captions only.
    voice_choice: VoiceChoice | None = None


class PersonaCreate(Strict, PersonaFields):
    _strip = field_validator("display_name")(_not_blank)

    @field_validator("addressed_as", "boundaries")
    @classmethod
    def _short_items(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items if i.strip()]
        if any(len(i) > NAME_MAX for i in cleaned):
            raise ValueError(f"each item must be at most {NAME_MAX} characters")
        return cleaned


def _every_field_optional(name: str, fields: type[BaseModel], base: type[BaseModel], doc: str) -> Any:
    """``fields``' fields with the same limits, each optional and absent by default: a change names only what changes."""
    optional: dict[str, Any] = {}
    for field, info in fields.model_fields.items():
        maybe: Any = info.annotation | None  # type: ignore[operator]
        optional[field] = (Annotated[maybe, *info.metadata] if info.metadata else maybe, None)
    return create_model(name, __base__=base, __module__=__name__, __doc__=doc, **optional)


class _PersonaChange(Strict):
    # The face is read back as the model found it (FaceLandmarks) but corrected by hand with
    # fewer fields (FaceCorrection), so it is not one of the shared PersonaFields.
    face: FaceCorrection | None = None


PersonaUpdate = _every_field_optional("PersonaUpdate", PersonaFields, _PersonaChange, "A change to a persona: only the fields sent change.")


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


class PersonaKeys(BaseModel):
    """Which persona, of which household: first in a persona's JSON, as they always were."""

    id: str
    household_id: str


class Persona(PersonaFields, PersonaKeys):  # PersonaKeys last among the bases: its fields come first
    """A persona as the server keeps it: the caregiver's fields and what Keepsake adds."""

    face: FaceLandmarks | None = None
    portrait_url: str | None = None
    consent: ConsentOut | None = None
    status: Literal["active", "retiring", "archived"] = "active"
    memory_count: int = 0
    created_at: datetime
    updated_at: datetime
    voice_fit: VoiceFit | None = None  # whether the voice she speaks with suits her (worked out by the server)


class RetireRequest(Strict):
    then: Literal["archive", "erase"] = "archive"
    farewell: str | None = Field(default=None, max_length=2_000)
