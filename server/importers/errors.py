"""How an import says no: a 4xx the caregiver can act on, before anything is stored."""

from __future__ import annotations

from server.errors import ApiError


class ImportRejected(ApiError):
    """The file cannot be imported (wrong type, damaged, empty, too big). Nothing was stored."""


def unsupported(message: str) -> ImportRejected:
    return ImportRejected(415, "unsupported_file", message)


def damaged(message: str) -> ImportRejected:
    return ImportRejected(422, "damaged_file", message)


def too_large(message: str) -> ImportRejected:
    return ImportRejected(413, "too_large", message)


def empty(message: str = "The file is empty.") -> ImportRejected:
    return ImportRejected(400, "empty_file", message)
