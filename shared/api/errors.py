"""The one shape of every failure."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict] | dict | None = None


class ErrorBody(BaseModel):
    """Every failure has this shape, whatever the status."""

    error: ErrorDetail
