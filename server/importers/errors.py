"""How an import says no: a 4xx the caregiver can act on, before anything is stored.

The caregiver reads these messages, so they say what is wrong with the file
and what to do, never what went wrong inside the server: no paths, no class
names, no library's own words. The detail goes to the server's log instead
(``damaged(..., detail=exc)``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from server.errors import ApiError
from server.jobs import JobFailed

log = logging.getLogger("keepsake.importers")


class ImportRejected(ApiError, JobFailed):
    """The file cannot be imported (wrong type, damaged, empty, too big). Nothing was stored.

    Raised while the upload is checked, it is the request's 4xx; raised later in the import
    job (a book that turns out to be damaged on page 200), it is a ``JobFailed`` whose message
    the caregiver sees as it is.
    """

    def __reduce__(self) -> tuple[Callable[..., ImportRejected], tuple[Any, ...]]:
        # Picklable with its status and code (an import may be parsed in another process).
        return (_rebuild, (type(self), self.status, self.code, self.message, self.details))


def _rebuild(cls: type[ImportRejected], status: int, code: str, message: str, details: object | None) -> ImportRejected:
    return cls(status, code, message, details=details)


def _log_detail(detail: BaseException | str | None) -> None:
    if detail is not None:
        what = f"{type(detail).__name__}: {detail}" if isinstance(detail, BaseException) else detail
        log.warning("import refused, file damaged: %s", what)


def unsupported(message: str) -> ImportRejected:
    return ImportRejected(415, "unsupported_file", message)


def damaged(message: str, *, detail: BaseException | str | None = None) -> ImportRejected:
    """422 with ``message`` for the caregiver; ``detail`` (the library's error) only in the server's log."""
    _log_detail(detail)
    return ImportRejected(422, "damaged_file", message)


def too_large(message: str) -> ImportRejected:
    return ImportRejected(413, "too_large", message)


def empty(message: str = "The file is empty.") -> ImportRejected:
    return ImportRejected(400, "empty_file", message)
