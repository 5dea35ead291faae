"""The persona studio's plain logic, without Kivy: what the caregiver typed, turned into what the server takes.

Kept apart from the screen so it is tested without a display (tests/client/test_studio_parts.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shared.api import JobOut, VoiceOverview

KINDS = ("deceased", "living", "child", "public_figure")  # shared.api.PersonaKind
LANGUAGES = ("en", "zh")
MAX_NAMES = 20  # PersonaCreate.addressed_as
MAX_BOUNDARIES = 50  # PersonaCreate.boundaries
NAME_MAX = 200
CHILD_AGE_RANGE = (1, 17)

# Commas in either script, the Chinese enumeration comma, semicolons and new lines all separate a list:
# a caregiver typing "奶奶、外婆" or "Nainai; Grandma Rose" means two names.
_SEPARATORS = re.compile(r"[,，、;；\n]+")

# The persona API keeps no age: a child's age is the first sentence of the biography, which the server
# puts in the system prompt, so the answers stay true to that age. Read back the same way when editing.
_AGE_LINE = re.compile(r"^\s*As of age (\d{1,2})\.\s*")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".ogg", ".flac", ".aac", ".3gp", ".webm", ".amr", ".aiff")


def parse_list(text: str, limit: int = MAX_NAMES) -> list[str]:
    """ "Nainai, Grandma Rose" -> ["Nainai", "Grandma Rose"]: trimmed, no empties, no repeats, at most ``limit``."""
    seen: set[str] = set()
    out: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        item = " ".join(part.split())[:NAME_MAX]
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out[:limit]


def join_list(items: list[str] | None) -> str:
    return ", ".join(items or [])


def parse_age(text: str) -> int | None:
    """The age a child is kept at, 1 to 17; None when it is not a whole number in that range."""
    text = (text or "").strip()
    if not text.isdigit():
        return None
    age = int(text)
    return age if CHILD_AGE_RANGE[0] <= age <= CHILD_AGE_RANGE[1] else None


def compose_biography(kind: str, age: int | None, biography: str) -> str:
    biography = (biography or "").strip()
    if kind == "child" and age is not None:
        return f"As of age {age}. {biography}".strip()
    return biography


def split_biography(text: str) -> tuple[int | None, str]:
    """(age, the rest) of a biography written by ``compose_biography``."""
    match = _AGE_LINE.match(text or "")
    if not match:
        return None, (text or "").strip()
    return int(match.group(1)), text[match.end() :].strip()


def persona_fields(
    *,
    display_name: str,
    addressed_as: str,
    kind: str,
    age: str,
    language: str,
    biography: str,
    speaking_style: str,
    boundaries: str,
    disclosure: bool,
) -> tuple[dict, str | None]:
    """The body of POST/PATCH /v1/personas from the form, or an i18n key saying what is missing."""
    name = " ".join((display_name or "").split())
    if not name:
        return {}, "studio_need_name"
    if kind not in KINDS:
        return {}, "studio_need_kind"
    child_age = parse_age(age)
    if kind == "child" and child_age is None:
        return {}, "studio_need_age"
    fields = {
        "display_name": name[:NAME_MAX],
        "addressed_as": parse_list(addressed_as),
        "kind": kind,
        "language": language if language in LANGUAGES else "en",
        "biography": compose_biography(kind, child_age, biography),
        "speaking_style": (speaking_style or "").strip() or None,
        "boundaries": parse_list(boundaries, MAX_BOUNDARIES),
        "disclosure": bool(disclosure),
    }
    return fields, None


# --- consent: whose it is depends on the kind of persona ---------------------------------------

CONSENT_ROLE = {"deceased": "next_of_kin", "living": "self", "child": "parent", "public_figure": "rights_holder"}


def consent_role(kind: str) -> str:
    return CONSENT_ROLE.get(kind, "next_of_kin")


# --- the portrait import and the voice -----------------------------------------------------------


IMPORT_FAILED = "The import failed."  # when the server gave no words of its own (or never finished)


def job_finished(job: JobOut) -> bool:
    return job.state in ("done", "failed")


def job_error(job: JobOut) -> str:
    """The server's plain words for a failed import ("" when it did not fail)."""
    if job.state != "failed":
        return ""
    errors = [e for e in job.errors or [] if e]
    return errors[0] if errors else IMPORT_FAILED


def voice_fraction(total_clean_s: float, needed_s: float) -> float:
    """How far along the 30 seconds of clean speech are, 0..1, for the progress bar."""
    if needed_s <= 0:
        return 1.0
    return max(0.0, min(1.0, total_clean_s / needed_s))


def can_make_voice(overview: VoiceOverview) -> bool:
    return bool(overview.cloning.available) and bool(overview.enough)


_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*")


def caregiver_sentences(message: str) -> str:
    """A server message without its sentences for the server's administrator (those naming a setting).

    "... will speak with the built-in voice. The samples are kept: once a service is set up
    (KEEPSAKE_TTS__PROVIDER=elevenlabs, for one), ask again." keeps only what the caregiver can act on.
    """
    kept = [s.strip() for s in _SENTENCE.findall(message or "") if s.strip() and "=" not in s and "KEEPSAKE_" not in s]
    return " ".join(kept)


def image_suffix(data: bytes) -> str:
    """The file ending Kivy needs to read a portrait the server sent (it reads by ending, not content)."""
    return ".jpg" if data[:3] == b"\xff\xd8\xff" else ".png"


# --- picking files on the tablet --------------------------------------------------------------------


def list_folder(folder: Path, extensions: tuple[str, ...]) -> tuple[list[Path], list[Path]]:
    """(folders, files with one of ``extensions``) in ``folder``, by name, hidden ones left out."""
    folders: list[Path] = []
    files: list[Path] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name.casefold())
    except OSError:
        return [], []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir():
                folders.append(Path(entry.path))
            elif entry.is_file() and entry.name.lower().endswith(extensions):
                files.append(Path(entry.path))
        except OSError:  # a broken link or a folder we may not read: simply not offered
            continue
    return folders, files


# --- errors, in plain words ------------------------------------------------------------------------


class StudioProblem(Exception):
    """A plain sentence to show as it is (e.g. the server's words for a failed import)."""


_STATUS_PREFIX = re.compile(r"^\d{3} ([a-z_]+): ")


def sentence(text: str) -> str:
    """``text`` ending like a sentence (a full stop, or 。 after Chinese), so more words can follow it."""
    text = text.strip()
    if not text or text[-1] in ".!?。！？":
        return text
    return text + ("。" if re.search(r"[\u4e00-\u9fff]$", text) else ".")


def server_words(code: str, message: str, t) -> str:
    """What the server said, in the tablet's language: the server writes English, so a known
    error code has its own Chinese sentence (``api_<code>``, empty in English: the server's words are best)."""
    key = f"api_{code}"
    words = t(key, server=message)
    return message if not words or words == key else words


def plain_error(exc: BaseException, t) -> str:
    """The sentence the caregiver sees for a failure: the server's own message where there is one.

    ``t`` translates a key (the app's ``t``). Never a traceback, never a class name.
    """
    from client.api import ApiError, Offline

    if isinstance(exc, ApiError) and exc.message:
        return sentence(server_words(exc.code, exc.message, t))
    if isinstance(exc, StudioProblem):
        return sentence(str(exc))
    if isinstance(exc, Offline):
        # a 5xx carries the server's words after "502 code: "; a refused connection carries none worth showing
        text = str(exc)
        said = _STATUS_PREFIX.match(text)
        return sentence(server_words(said.group(1), text[said.end() :], t) if said else t("err_offline"))
    if isinstance(exc, OSError):
        return sentence(t("studio_file_unreadable"))
    return sentence(t("studio_unexpected"))
