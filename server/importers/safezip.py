"""Open .docx and .epub files (zip archives) only after their directory says they are safe to unpack.

A zip bomb is a few kilobytes that claim gigabytes once unpacked. The
archive's central directory lists every entry's sizes before anything is
inflated, and Python's zipfile never inflates an entry past its declared size,
so checking the directory first is enough: too many entries, too much in
total, or one entry that grows suspiciously much is refused.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from server.importers.errors import ImportRejected, damaged

log = logging.getLogger("keepsake.importers")

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_ENTRY_BYTES = 100 * 1024 * 1024
# Text and XML inflate 5-30x; a bomb inflates 1000x. Tiny entries may do what they like.
MAX_RATIO = 150
RATIO_FROM_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024
# What the caregiver reads; which part failed and why (zipfile's words) goes to the log.
_DAMAGED_INSIDE = "The file is damaged inside and could not be read. Try another copy of it."
_INCOMPLETE = "The file is damaged: part of what it should hold is missing."


def _bomb(detail: str, *, inside: str | None = None) -> ImportRejected:
    """413. ``detail`` is for the caregiver (sizes only); the name of the part ``inside`` only goes to the log."""
    if inside is not None:
        log.warning("zip refused: %s (%r)", detail, inside)
    return ImportRejected(413, "zip_bomb", f"This file would unpack to far more than it holds ({detail}), so it was not opened.")


def open_checked(path: Path) -> zipfile.ZipFile:
    """The archive, once its directory passed the checks; the caller closes it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise damaged("The file is damaged: it is not a complete archive (it may have been cut short while copying).", detail=exc) from None
    try:
        check(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def check(archive: zipfile.ZipFile) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise _bomb(f"{len(entries)} files inside")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise ImportRejected(422, "encrypted_file", "The file is password-protected. Save a copy without a password and try again.")
        if entry.file_size > MAX_ENTRY_BYTES:
            raise _bomb(f"one part of it would be {entry.file_size // (1024 * 1024)} MB", inside=entry.filename)
        if entry.file_size > RATIO_FROM_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise _bomb(f"one part of it grows {entry.file_size // max(entry.compress_size, 1)} times", inside=entry.filename)
        total += entry.file_size
        if total > MAX_TOTAL_BYTES:
            raise _bomb(f"more than {MAX_TOTAL_BYTES // (1024 * 1024)} MB in total")


def read_member(archive: zipfile.ZipFile, name: str, limit: int = MAX_ENTRY_BYTES) -> bytes:
    """One entry's bytes; a damaged entry is a 422."""
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except KeyError as exc:
        raise damaged(_INCOMPLETE, detail=exc) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise damaged(_DAMAGED_INSIDE, detail=exc) from None
    if len(data) > limit:
        raise _bomb("one part of it is bigger than it says", inside=name)
    return data


def stream_members(path: Path, consume: Callable[[str, Iterator[bytes]], None]) -> None:
    """Hand every entry to ``consume(name, chunks)`` as it inflates, a chunk at a time, never whole.

    Reading each entry to its end also checks its CRC, so this verifies the archive as
    ``verify_members`` does; damage is a 422.
    """
    with open_checked(path) as archive:
        for entry in archive.infolist():
            if entry.is_dir():
                continue
            try:
                with archive.open(entry) as member:
                    consume(entry.filename, iter(lambda: member.read(CHUNK_BYTES), b""))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise damaged(_DAMAGED_INSIDE, detail=exc) from None


def names(path: Path) -> list[str]:
    with open_checked(path) as archive:
        return archive.namelist()


def verify_members(path: Path) -> None:
    """Inflate every entry once (bounded by the checks above), so damage shows now and not halfway through a job."""
    with open_checked(path) as archive:
        try:
            bad = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise damaged(_DAMAGED_INSIDE, detail=exc) from None
        if bad is not None:
            raise damaged(_DAMAGED_INSIDE, detail=f"{bad!r} does not unpack correctly")
