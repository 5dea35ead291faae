"""The import job: read the stored file in the sandbox, make its memories (or picture sizes), save them all at once.

Runs on the job thread of whichever server process claimed it (``server.jobs``), rebuilt from
the job's row (``task_json``, ``from_job``): the source row, the stored original and the plan
the upload's check made. The reading of the caregiver's file
(any parser on its bytes) happens in the sandbox's child process
(``server.importers.sandbox``, with ``import_time_s`` and ``import_memory_mb``);
what comes back is plain data, and only our own work on it (saving, speech to
text of a memo's parts, storing files) happens here. Progress: reading up to
70 %, splitting up to 85 %, saving to 100 %. Memories are saved in one
transaction at the end, with the job's "done"; if anything fails before, the source and every
file made for it are removed again, so the persona is as it was. Each file made (a recording's
parts, a photo's sizes) is written down in the job before it is stored: if the process dies,
the attempt that takes the job up again removes them first (``server.jobs.run_claimed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from shared.api import MemoryPlace, Span
from server.audio import encode_wav, is_silent
from server.importers import parse, photo, sandbox, voice_memo
from server.importers.detect import FileType
from server.importers.errors import ImportRejected
from server.importers.plan import Plan
from server.jobs import Job, JobFailed
from server.pipeline import speak_ahead
from server.state import AppState
from server.storage import memory_admin, sources
from server.storage.db import Connection, dumps, new_id
from server.storage.jobs import Claimed
from server.storage.media import MediaFile
from server.storage.memory_admin import NewMemory

MAX_MEMORIES = 50_000


T = TypeVar("T")


@dataclass
class ImportTask:
    state: AppState
    household_id: str
    persona_id: str
    language: str
    source_id: str
    original: MediaFile  # the stored original
    filename: str
    plan: Plan
    created_media: list[str] = field(default_factory=list)
    # Where the sandbox reads the original while the job runs: the file itself in the media folder,
    # a temporary copy when it is in S3 (``run`` sets it).
    path: Path = field(default_factory=Path)

    def run(self, job: Job) -> dict[str, Any]:
        return run(self, job)

    def undo(self) -> None:
        """Remove the source and every file made for it: the persona is as it was."""
        for media_id in self.created_media:
            self.state.media.delete(media_id)
        sources.delete(self.state.db, self.state.media, self.source_id)

    def task_json(self) -> dict[str, Any]:
        """What the job's row keeps beside the source row, so any server process can rebuild this task."""
        plan = self.plan
        return {
            "language": self.language,
            "plan": {"kind": plan.kind, "self_sender": plan.self_sender, "file_type": asdict(plan.file_type)},
        }


GONE = "The server stopped while importing. Nothing was added; please upload the file again."


@dataclass
class _Unrebuildable:
    """A job whose work cannot be rebuilt (queued before jobs kept their task, or its source is gone): it fails plainly."""

    state: AppState
    source_id: str | None

    def run(self, job: Job) -> dict[str, Any]:
        raise JobFailed(GONE)

    def undo(self) -> None:
        if self.source_id is not None:
            sources.delete(self.state.db, self.state.media, self.source_id)


def from_job(state: AppState, claimed: Claimed) -> ImportTask | _Unrebuildable:
    """The import task of a claimed job, from its row, its source row and the stored original."""
    plan = claimed.task.get("plan")
    row = state.db.one("SELECT filename, media_id FROM sources WHERE id = ?", (claimed.source_id,)) if claimed.source_id else None
    original = state.media.get(row["media_id"]) if row is not None and row["media_id"] else None
    if plan is None or row is None or original is None or claimed.persona_id is None:
        return _Unrebuildable(state, claimed.source_id if row is not None else None)
    assert claimed.source_id is not None  # the source row was found by it
    return ImportTask(
        state=state,
        household_id=claimed.household_id,
        persona_id=claimed.persona_id,
        language=claimed.task["language"],
        source_id=claimed.source_id,
        original=original,
        filename=row["filename"],
        plan=Plan(plan["kind"], FileType(**plan["file_type"]), plan["self_sender"]),
    )


def _store(task: ImportTask, job: Job, data: bytes, mime: str, kind: str) -> MediaFile:
    """Store a file the import made, written down in the job first (see the module's docstring)."""
    media_id = new_id("med")
    job.will_store(media_id, task.state.media.key_for(task.household_id, media_id, mime))
    stored = task.state.media.put(task.household_id, data, mime, kind, task.persona_id, media_id=media_id)
    task.created_media.append(stored.id)
    return stored


def read_in_sandbox(task: ImportTask, fn: Callable[..., T], *args: Any, progress: Callable[[float], None] | None = None) -> T:
    """``fn(*args)`` in the sandbox's child under the server's limits; a refusal becomes the job's plain message."""
    settings = task.state.settings
    try:
        return sandbox.jobs.call(fn, *args, time_s=settings.import_time_s, memory_mb=settings.import_memory_mb, progress=progress)
    except ImportRejected as exc:
        raise JobFailed(exc.message) from None


def run(task: ImportTask, job: Job) -> dict[str, Any]:
    with task.state.media.local_file(task.original) as local:
        if local is None:
            raise JobFailed("The uploaded file is gone; please upload it again.")
        task.path = local
        return _run(task, job)


def _run(task: ImportTask, job: Job) -> dict[str, Any]:
    if task.plan.kind == "photo":
        return _photo(task, job)
    if task.plan.kind == "voice_memo":
        kind, made = "voice_memo", _voice_memo(task, job)
    elif task.plan.kind == "chat":
        kind, made = "chat", _chat(task, job)
    else:
        kind, made = _document(task, job)
    if not made:
        raise JobFailed("Nothing to remember was found in this file.")
    if len(made) > MAX_MEMORIES:
        raise JobFailed(f"This file would make {len(made)} memories; at most {MAX_MEMORIES} can be imported at once. Split it.")
    job.progress(85, "saving", force=True)
    job.counts["memories"] = sum(1 for m in made if not m.hidden)
    if any(m.hidden for m in made):
        job.counts["hidden_context"] = sum(1 for m in made if m.hidden)
    details = {"format": task.plan.file_type.format, "counts": dict(job.counts)}

    def with_the_memories(conn: Connection) -> None:
        conn.execute("UPDATE sources SET kind = ? WHERE id = ?", (kind, task.source_id))
        conn.execute("UPDATE sources SET details = ? WHERE id = ?", (dumps(details), task.source_id))
        job.finish_in(conn)  # this attempt still holds the job, or nothing of it is saved

    memory_admin.insert_all(task.state.db, task.household_id, task.persona_id, task.source_id, made, then=with_the_memories)
    speak_ahead.request(task.state, task.persona_id)  # the new memories' first sentences
    return dict(job.counts)


# --- documents and chats: read and split in the child -------------------------------


def _reading_progress(job: Job, first: float, last: float) -> Callable[[float], None]:
    """The child's progress (0..1, its reading share then the splitting) as the job's percent and stage."""

    def progress(fraction: float) -> None:
        if fraction >= parse.READING_SHARE:
            job.progress(last, "splitting")
        else:
            job.progress(first + (last - first) * fraction / parse.READING_SHARE, "reading")

    return progress


def _document(task: ImportTask, job: Job) -> tuple[str, list[NewMemory]]:
    job.progress(1, "reading", force=True)
    read = read_in_sandbox(
        task, parse.document, task.path, task.plan.file_type.format, task.plan.kind, progress=_reading_progress(job, 1, 70)
    )
    job.counts.update(read.counts)
    return read.kind, read.memories


def _chat(task: ImportTask, job: Job) -> list[NewMemory]:
    job.progress(5, "reading", force=True)
    read = read_in_sandbox(task, parse.chat_export, task.path, task.plan.self_sender, progress=_reading_progress(job, 5, 60))
    job.counts.update(read.counts)
    return read.memories


# --- voice memos ---------------------------------------------------------------------


def _voice_memo(task: ImportTask, job: Job) -> list[NewMemory]:
    job.progress(2, "decoding", force=True)
    audio = read_in_sandbox(task, parse.recording, task.path)
    if is_silent(audio):
        raise JobFailed("This recording is silent: no voice could be heard in it.")
    parts = voice_memo.split(audio)
    title = voice_memo.title_from_filename(task.filename)
    asr = task.state.services.asr
    made: list[NewMemory] = []
    for index, part in enumerate(parts):
        job.keep_going()
        job.progress(5 + 75 * index / len(parts), f"transcribing part {index + 1} of {len(parts)}", force=True)
        if is_silent(part.audio):
            job.count("silent_parts")
            continue
        transcript = job.run_async(asr.transcribe(part.audio, language=task.language))
        text = transcript.text.strip()
        if not text:
            job.count("silent_parts")
            continue
        clip = _store(
            task,
            job,
            encode_wav(part.audio, comment=f"Original recording ({task.filename}), kept by Keepsake"),
            "audio/wav",
            "memory_audio",
        )
        made.append(
            NewMemory(
                text=text,
                title=title if len(parts) == 1 else f"{title} ({index + 1})",
                place=MemoryPlace(recording_s=Span(first=round(part.start_s), last=round(part.end_s))),
                source="voice_memo",
                audio_media_id=clip.id,
            )
        )
    job.counts["parts"] = len(parts)
    job.counts["seconds"] = round(audio.duration_s)
    if not made:
        raise JobFailed("No words could be made out in this recording. Try a clearer recording, or type the memory in.")
    return made


# --- photos ----------------------------------------------------------------------------


def _photo(task: ImportTask, job: Job) -> dict[str, Any]:
    job.progress(5, "reading", force=True)
    read = read_in_sandbox(task, parse.picture, task.path, progress=lambda f: job.progress(5 + 85 * f, "reading"))
    job.progress(90, "saving", force=True)
    sizes = {}
    for name, (_, fmt) in photo.SIZES.items():
        mime, _ = photo.MIMES[fmt]
        sizes[name] = _store(task, job, read.sizes[name], mime, f"photo_{name}").id
    found = read.found
    details = {"format": task.plan.file_type.format, "width": read.width, "height": read.height, "sizes": sizes, **found}
    job.counts.update({"photos": 1, "faces": found["faces_found"]})
    with task.state.db.transaction() as conn:
        conn.execute("UPDATE sources SET details = ? WHERE id = ?", (dumps(details), task.source_id))
        job.finish_in(conn)
    return dict(job.counts)
