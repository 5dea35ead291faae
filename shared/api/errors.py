"""The one shape of every failure."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[Any, Any]] | dict[Any, Any] | None = None


class ErrorBody(BaseModel):
    """Every failure has this shape, whatever the status."""

    error: ErrorDetail
