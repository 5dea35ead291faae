"""The answer when a caller must wait: 429, how long in words, and in a Retry-After header."""

from __future__ import annotations

import math

from server.errors import ApiError


def too_many(code: str, what: str, seconds: float) -> ApiError:
    wait = max(1, math.ceil(seconds))
    return ApiError(429, code, f"{what} Please try again in {_in_words(wait)}.", headers={"Retry-After": str(wait)})


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds" if seconds != 1 else "a second"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes < 90 else f"{math.ceil(minutes / 60)} hours"
