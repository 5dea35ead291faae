"""The import job: read the stored file, make its memories (or picture sizes), save them all at once.

Runs on the job thread (``server.jobs``). Progress: reading up to 70 %,
splitting up to 85 %, saving to 100 %. Memories are saved in one
transaction at the end; if anything fails before, the source and every file
made for it are removed again, so the persona is as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from server.audio import encode_wav, is_silent
from server.importers import chat, ebook, letters, memoir, pdf, photo, textfile, voice_memo, word
from server.importers.blocks import Block
from server.importers.plan import Plan
from server.jobs import Job, JobFailed
from server.pipeline import speak_ahead
from server.state import AppState
from server.storage import memory_admin, sources
from server.storage.memory_admin import NewMemory

MAX_MEMORIES = 50_000
# A document with a greeting and a signing-off at least this often (in paragraphs) is letters.
PARAGRAPHS_PER_LETTER = 15


@dataclass
class ImportTask:
    state: AppState
    household_id: str
    persona_id: str
    language: str
    source_id: str
    path: Path  # the stored original
    filename: str
    plan: Plan
    created_media: list[str] = field(default_factory=list)

    def undo(self) -> None:
        """Remove the source and every file made for it: the persona is as it was."""
        for media_id in self.created_media:
            self.state.media.delete(media_id)
        sources.delete(self.state.db, self.state.media, self.source_id)


def run(task: ImportTask, job: Job) -> dict:
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
    memory_admin.insert_all(task.state.db, task.household_id, task.persona_id, task.source_id, made)
    job.counts["memories"] = sum(1 for m in made if not m.hidden)
    if any(m.hidden for m in made):
        job.counts["hidden_context"] = sum(1 for m in made if m.hidden)
    details = {"format": task.plan.file_type.format, "counts": dict(job.counts)}
    task.state.db.execute("UPDATE sources SET kind = ? WHERE id = ?", (kind, task.source_id))
    sources.update_details(task.state.db, task.source_id, details)
    speak_ahead.request(task.state, task.persona_id)  # the new memories' first sentences
    return dict(job.counts)


# --- documents: memoir or letters -------------------------------------------------


def read_blocks(path: Path, fmt: str, progress) -> list[Block]:
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


def _document(task: ImportTask, job: Job) -> tuple[str, list[NewMemory]]:
    job.progress(1, "reading", force=True)
    blocks = read_blocks(task.path, task.plan.file_type.format, lambda f: job.progress(1 + 69 * f, "reading"))
    job.counts["paragraphs"] = sum(1 for b in blocks if b.kind == "para")
    job.counts["chapters"] = sum(1 for b in blocks if b.kind == "heading")
    job.progress(70, "splitting", force=True)
    kind = task.plan.kind or ("letters" if looks_like_letters(blocks) else "memoir")
    if kind == "letters":
        made = letters.memories(blocks)
        job.counts["letters"] = len(letters.split_letters(blocks))
    else:
        made = memoir.memories(blocks)
    return kind, made


# --- chats ---------------------------------------------------------------------------


def _chat(task: ImportTask, job: Job) -> list[NewMemory]:
    job.progress(5, "reading", force=True)
    parsed = chat.parse(textfile.read_text(task.path))
    if parsed is None:
        raise JobFailed("This no longer looks like a chat export.")
    job.counts["messages"] = len(parsed.messages)
    job.counts["own_messages"] = sum(1 for m in parsed.messages if m.sender == task.plan.self_sender)
    job.progress(60, "splitting", force=True)
    made, skipped = chat.memories(parsed, task.plan.self_sender)
    job.counts["short_conversations_skipped"] = skipped
    return made


# --- voice memos ---------------------------------------------------------------------


def _voice_memo(task: ImportTask, job: Job) -> list[NewMemory]:
    job.progress(2, "decoding", force=True)
    audio = voice_memo.load(task.path)
    if is_silent(audio):
        raise JobFailed("This recording is silent: no voice could be heard in it.")
    parts = voice_memo.split(audio)
    title = voice_memo.title_from_filename(task.filename)
    asr = task.state.services.asr
    made: list[NewMemory] = []
    for index, part in enumerate(parts):
        job.progress(5 + 75 * index / len(parts), f"transcribing part {index + 1} of {len(parts)}", force=True)
        if is_silent(part.audio):
            job.count("silent_parts")
            continue
        transcript = job.run_async(asr.transcribe(part.audio, language=task.language))
        text = transcript.text.strip()
        if not text:
            job.count("silent_parts")
            continue
        clip = task.state.media.put(
            task.household_id,
            encode_wav(part.audio, comment=f"Original recording ({task.filename}), kept by Keepsake"),
            "audio/wav",
            "memory_audio",
            task.persona_id,
        )
        task.created_media.append(clip.id)
        span = f"{voice_memo.clock(part.start_s)}–{voice_memo.clock(part.end_s)}"
        made.append(NewMemory(
            text=text,
            title=title if len(parts) == 1 else f"{title} ({index + 1})",
            position=f"recording {span}",
            source="voice_memo",
            audio_media_id=clip.id,
        ))
    job.counts["parts"] = len(parts)
    job.counts["seconds"] = round(audio.duration_s)
    if not made:
        raise JobFailed("No words could be made out in this recording. Try a clearer recording, or type the memory in.")
    return made


# --- photos ----------------------------------------------------------------------------


def _photo(task: ImportTask, job: Job) -> dict:
    job.progress(5, "reading", force=True)
    image = photo.load(task.path)
    sizes = {}
    for name, (longest, fmt) in photo.SIZES.items():
        mime, _ = photo.MIMES[fmt]
        stored = task.state.media.put(task.household_id, photo.sized(image, longest, fmt), mime, f"photo_{name}", task.persona_id)
        task.created_media.append(stored.id)
        sizes[name] = stored.id
    job.progress(60, "finding the face", force=True)
    found = photo.analyse(image)
    details = {"format": task.plan.file_type.format, "width": image.width, "height": image.height, "sizes": sizes, **found}
    sources.update_details(task.state.db, task.source_id, details)
    job.counts.update({"photos": 1, "faces": found["faces_found"]})
    return dict(job.counts)
