"""The pure reading steps of an import: a stored file in, plain data out. They run in the sandbox's child.

Every function here only reads the file at ``path`` and returns picklable data
(memories to save, decoded sound, picture sizes); none touches the database,
the media store or a service. ``server.importers.run`` calls them through
``server.importers.sandbox`` and does the saving in the server. This module
is what the sandbox's fork server imports ahead, so keep its imports to the
importers (no database, no speech engines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.audio import AudioDecodeError, AudioTooLong
from server.audio import _decode_with_pyav as decode_with_ffmpeg
from server.importers import chat, ebook, letters, memoir, pdf, photo, plan, textfile, voice_memo, word
from server.importers.blocks import Block
from server.importers.errors import ImportRejected, too_large
from server.importers.sandbox import report
from server.services.base import Audio
from server.storage.memory_admin import NewMemory

# A document with a greeting and a signing-off at least this often (in paragraphs) is letters.
PARAGRAPHS_PER_LETTER = 15
# In a document's reading, the share of the progress that reading the file takes (the rest is splitting).
READING_SHARE = 0.9

check_upload = plan.plan_import  # what an upload waits for: the file's type, and whether it can be read


@dataclass
class Read:
    """What reading a document or a chat made: its kind, its memories, and what was counted on the way."""

    kind: str
    memories: list[NewMemory]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class PhotoRead:
    width: int
    height: int
    sizes: dict[str, bytes]  # name in photo.SIZES -> the encoded picture
    found: dict[str, Any]  # face, faces_found, mouth, mouth_found


def read_blocks(path: Path, fmt: str, progress: Callable[[float], None] | None = None) -> list[Block]:
    if fmt == "docx":
        return word.blocks(path)
    if fmt == "pdf":
        return pdf.blocks(path, progress)
    if fmt == "epub":
        return ebook.blocks(path, progress)
    return textfile.blocks(path, fmt)


def looks_like_letters(blocks: list[Block]) -> bool:
    marks = letters.count_letter_marks(blocks)
    paragraphs = sum(1 for b in blocks if b.kind == "para")
    return marks >= 2 and marks * PARAGRAPHS_PER_LETTER >= paragraphs


def document(path: Path, fmt: str, kind: str | None) -> Read:
    """A memoir or letters (``kind`` None: decided here from the text) in any document format."""
    blocks = read_blocks(path, fmt, lambda f: report(READING_SHARE * f))
    report(READING_SHARE)
    counts = {
        "paragraphs": sum(1 for b in blocks if b.kind == "para"),
        "chapters": sum(1 for b in blocks if b.kind == "heading"),
    }
    kind = kind or ("letters" if looks_like_letters(blocks) else "memoir")
    if kind == "letters":
        made = letters.memories(blocks)
        counts["letters"] = len(letters.split_letters(blocks))
    else:
        made = memoir.memories(blocks)
    return Read(kind, made, counts)


def chat_export(path: Path, self_sender: str) -> Read:
    parsed = chat.parse(textfile.read_text(path))
    if parsed is None:
        raise ImportRejected(422, "not_a_chat", "This no longer looks like a chat export.")
    report(READING_SHARE)
    counts = {
        "messages": len(parsed.messages),
        "own_messages": sum(1 for m in parsed.messages if m.sender == self_sender),
    }
    made, skipped = chat.memories(parsed, self_sender)
    counts["short_conversations_skipped"] = skipped
    return Read("chat", made, counts)


# About 5 minutes of 48 kHz 16-bit mono: the whole-file way peaks near 12 times the file's size.
FFMPEG_WAV_BYTES = 30 * 1024 * 1024


def recording(path: Path) -> Audio:
    """A voice memo decoded to samples. Only the decoding (FFmpeg on the caregiver's bytes) is done here:
    cutting at pauses, transcribing and storing the clips are our own work on the decoded samples,
    and transcribing needs the server's speech service."""
    data = path.read_bytes()
    # Up to FFMPEG_WAV_BYTES the usual way (its resampler is the one every other recording is heard
    # through); past it, FFmpeg's frame-by-frame one, which keeps a long WAV within the memory limit.
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) > FFMPEG_WAV_BYTES:
        # The WAV fast path resamples the whole recording at once in float64 (a 29-minute 48 kHz WAV,
        # which the size limit takes, needs over 2 GB that way); FFmpeg's resampler works frame by
        # frame, so a legitimate half hour stays well inside the child's memory limit.
        try:
            return decode_with_ffmpeg(data, voice_memo.CLIP_RATE, voice_memo.MAX_MEMO_S)
        except AudioTooLong:
            raise too_large(
                f"This recording is longer than {voice_memo.MAX_MEMO_S // 60} minutes, "
                "the most that can be imported at once. Split it into parts."
            ) from None
        except AudioDecodeError:
            pass  # a WAV FFmpeg will not read (rare): the usual way, which says what is wrong
    del data
    return voice_memo.load(path)


def picture(path: Path) -> PhotoRead:
    """A photo decoded, upright, in every size the tablet shows, and searched for a face.

    The face search (OpenCV on our own small copy) would be safe in the server too, but it needs the
    decoded picture, and sending back a few small JPEGs and a face box is far cheaper than sending
    back a 40-megapixel bitmap; so all of it happens here."""
    image = photo.load(path)
    sizes = {}
    for index, (name, (longest, fmt)) in enumerate(photo.SIZES.items()):
        sizes[name] = photo.sized(image, longest, fmt)
        report(0.6 * (index + 1) / len(photo.SIZES))
    found = photo.analyse(image)
    return PhotoRead(image.width, image.height, sizes, found)
