"""What every body of the API shares: the strictness of requests, the limits of names and texts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Language = str  # BCP-47-ish short code: "en", "zh", ...
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
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
