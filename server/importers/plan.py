"""Before anything is stored: what the uploaded file is, whether it can be read, and what it will become.

Everything that can make an import fail for a reason the caregiver can fix
(wrong type, damaged, empty, a zip bomb, too long, "who is the persona in
this chat?") is found here, while the request is still open, so the answer is
a clear 4xx and nothing is stored. The slow work (reading a whole book,
transcribing) waits for the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.importers import chat, ebook, pdf, photo, textfile, voice_memo, word
from server.importers.detect import FileType, detect
from server.importers.errors import ImportRejected, empty, unsupported

KINDS = ("memoir", "letters", "chat", "voice_memo", "photo")
_KIND_ALIASES = {
    "": None,
    "auto": None,
    "letter": "letters",
    "book": "memoir",
    "text": "memoir",
    "voice": "voice_memo",
    "audio": "voice_memo",
    "memo": "voice_memo",
    "image": "photo",
    "picture": "photo",
    "whatsapp": "chat",
}


@dataclass(frozen=True)
class Plan:
    kind: str | None  # what the file becomes; None: a document, memoir or letters decided on reading it
    file_type: FileType
    self_sender: str | None = None  # chats: which sender is the persona


def normalise_kind(kind: str | None) -> str | None:
    given = (kind or "").strip().lower()
    value = _KIND_ALIASES.get(given, given)
    if value is not None and value not in KINDS:
        raise ImportRejected(422, "invalid_kind", f"kind must be one of: {', '.join(KINDS)} (or leave it out to detect it).")
    return value


def _mismatch(file_type: FileType, kind: str) -> ImportRejected:
    what = {"audio": "a recording", "image": "a picture"}.get(file_type.family, f"a {file_type.format.upper()} document")
    can = {"audio": "a voice memo", "image": "a photo"}.get(file_type.family, "a memoir or letters")
    if file_type.format in ("txt", "md"):
        can = "a memoir, letters or a chat"
    return unsupported(f"This file is {what}; it can be imported as {can}, not as {kind.replace('_', ' ')}.")


def plan_import(path: Path, filename: str, *, kind: str | None, self_name: str | None, persona_names: list[str]) -> Plan:
    """Blocking (file reads, parsing): call it off the event loop."""
    wanted = normalise_kind(kind)
    file_type = detect(path, filename)

    if file_type.family == "image":
        if wanted not in (None, "photo"):
            raise _mismatch(file_type, wanted)
        photo.check(path)
        return Plan("photo", file_type)
    if file_type.family == "audio":
        if wanted not in (None, "voice_memo"):
            raise _mismatch(file_type, wanted)
        voice_memo.check(path)
        return Plan("voice_memo", file_type)

    if wanted in ("photo", "voice_memo"):
        raise _mismatch(file_type, wanted)
    if file_type.format == "docx":
        word.check(path)
    elif file_type.format == "pdf":
        pdf.check(path)
    elif file_type.format == "epub":
        ebook.check(path)
    else:
        text = textfile.read_text(path)
        if not text.strip():
            raise empty("The file holds no text.")
        if file_type.format in ("txt", "md") and wanted in (None, "chat"):
            parsed = chat.parse(text)
            if parsed is not None:
                return Plan("chat", file_type, chat.find_self(parsed, self_name, persona_names))
        if wanted == "chat":
            raise ImportRejected(
                422,
                "not_a_chat",
                "This does not look like a chat export. Lines should look like "
                "'31/12/2021, 21:41 - Rose: Happy new year' (WhatsApp) or 'Rose: Happy new year'.",
            )
    if wanted == "chat":
        raise _mismatch(file_type, "chat")
    return Plan(wanted, file_type)
