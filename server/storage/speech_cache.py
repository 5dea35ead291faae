"""Speech already made for a persona, found again by what was said and with which voice.

Story mode says the same memories and phrases again and again, and greetings
repeat: each is synthesized once and then only fetched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from shared.api import MouthTrack
from server.storage.db import Connection, Database, iso
from server.storage.media import MediaStore


def key(persona_id: str, provider: str, voice: str | None, language: str, text: str) -> str:
    return hashlib.sha256("\x1f".join([persona_id, provider, voice or "", language, text]).encode()).hexdigest()


class Kept(NamedTuple):
    media_id: str
    duration_ms: int
    mouth: MouthTrack
    visemes: list[list[Any]] | None  # None: kept before lip shapes were (see ``set_visemes``)
    video_media_id: str | None = None  # the talking-head video, when the face service renders one
    video_portrait_id: str | None = None  # the portrait that video was rendered from


def find(db: Database, cache_key: str) -> Kept | None:
    row = db.one(
        "SELECT media_id, duration_ms, mouth, visemes, video_media_id, video_portrait_id FROM speech_cache WHERE key = ?",
        (cache_key,),
    )
    if row is None:
        return None
    visemes = json.loads(row["visemes"]) if row["visemes"] is not None else None
    return Kept(
        row["media_id"],
        row["duration_ms"],
        MouthTrack.model_validate(json.loads(row["mouth"])),
        visemes,
        row["video_media_id"],
        row["video_portrait_id"],
    )


def set_video(
    db: Database, cache_key: str, persona_id: str, video_media_id: str, portrait_id: str, memory_ids: Iterable[str] = ()
) -> str | None:
    """Keep a video rendered afterwards (for a new portrait) with speech kept; the video it replaces,
    to delete, or None. False-y and nothing kept when the speech is gone meanwhile: the caller deletes the file."""
    memory_ids = sorted(set(memory_ids))
    with db.transaction() as conn:
        row = conn.execute("SELECT video_media_id FROM speech_cache WHERE key = ? AND persona_id = ?", (cache_key, persona_id)).fetchone()
        if row is None or not _memories_exist(conn, persona_id, memory_ids):
            return video_media_id  # nothing kept: the new file goes
        conn.execute(
            "UPDATE speech_cache SET video_media_id = ?, video_portrait_id = ? WHERE key = ?", (video_media_id, portrait_id, cache_key)
        )
        _tag(conn, video_media_id, memory_ids)
        kept: str | None = row["video_media_id"]
        return kept


def set_visemes(db: Database, cache_key: str, visemes: Sequence[Any]) -> None:
    """Keep the lip shapes worked out afterwards for speech kept without them."""
    db.execute("UPDATE speech_cache SET visemes = ? WHERE key = ?", (json.dumps([list(v) for v in visemes]), cache_key))


class Stored(NamedTuple):
    """Where a sentence's speech is kept: the caller's own files, or (``ours`` False) those another
    maker kept first (a turn and speaking ahead, on one process or two, made the same sentence):
    the caller's files are then not needed, and the first maker's serve every tablet."""

    media_id: str
    video_media_id: str | None
    ours: bool


def keep(
    db: Database,
    cache_key: str,
    persona_id: str,
    media_id: str,
    duration_ms: int,
    mouth: MouthTrack,
    memory_ids: Iterable[str] = (),
    *,
    visemes: Sequence[Any] = (),
    video_media_id: str | None = None,
    video_portrait_id: str | None = None,
) -> Stored | None:
    """Remember speech made for a persona, and the memories whose words it may say; None (nothing
    kept) if the persona is gone, or one of those memories was deleted meanwhile. The first speech
    kept under a key stays: a second maker is told where it is (``Stored.ours`` False), and the
    memories are tagged on it, so no file is left that no row owns.

    The checks and the inserts are one transaction: an erasure deletes the persona
    row before it sweeps the persona's media, and a memory's deletion removes its
    row before its speech, so speech stored meanwhile is either swept with them or
    refused here (the caller then deletes the file it made), never left behind.
    """
    memory_ids = sorted(set(memory_ids))
    with db.transaction() as conn:
        if not _memories_exist(conn, persona_id, memory_ids):
            return None
        cursor = conn.execute(
            "INSERT OR IGNORE INTO speech_cache"
            " (key, persona_id, media_id, duration_ms, mouth, visemes, video_media_id, video_portrait_id, created_at)"
            " SELECT ?,?,?,?,?,?,?,?,? WHERE EXISTS (SELECT 1 FROM personas WHERE id = ?)",
            (
                cache_key,
                persona_id,
                media_id,
                duration_ms,
                mouth.model_dump_json(),
                json.dumps([list(v) for v in visemes]),
                video_media_id,
                video_portrait_id,
                iso(),
                persona_id,
            ),
        )
        if cursor.rowcount != 1:
            first = conn.execute("SELECT media_id, video_media_id FROM speech_cache WHERE key = ?", (cache_key,)).fetchone()
            if first is None:
                return None  # not a row kept first: the persona is gone
            stored = Stored(first["media_id"], first["video_media_id"], ours=False)
        else:
            stored = Stored(media_id, video_media_id, ours=True)
        _tag(conn, stored.media_id, memory_ids)
        if stored.video_media_id is not None:
            _tag(conn, stored.video_media_id, memory_ids)
    return stored


def tag(db: Database, persona_id: str, media_id: str, memory_ids: Iterable[str]) -> bool:
    """Note that speech kept outside the cache (a stand-in voice's) may say these memories' words;
    False if one of them was deleted meanwhile (the caller then deletes the file)."""
    memory_ids = sorted(set(memory_ids))
    with db.transaction() as conn:
        if not _memories_exist(conn, persona_id, memory_ids):
            return False
        _tag(conn, media_id, memory_ids)
    return True


def speech_of_memory(db: Database, memory_id: str) -> list[str]:
    """The media ids of every piece of speech that may say this memory's words."""
    return [r["media_id"] for r in db.all("SELECT media_id FROM speech_memories WHERE memory_id = ?", (memory_id,))]


def forget_memory(db: Database, media: MediaStore, memory_id: str) -> int:
    """Delete the speech that may say this memory's words: files, media rows and (by cascade)
    cache rows. Speech some other memory also said is made again when next needed."""
    spoken = speech_of_memory(db, memory_id)
    for media_id in spoken:
        media.delete(media_id)
    db.execute("DELETE FROM speech_memories WHERE memory_id = ?", (memory_id,))
    return len(spoken)


def _memories_exist(conn: Connection, persona_id: str, memory_ids: list[str]) -> bool:
    if not memory_ids:
        return True
    marks = ",".join("?" * len(memory_ids))
    found: int = conn.execute(
        f"SELECT COUNT(*) FROM memories WHERE persona_id = ? AND id IN ({marks})", (persona_id, *memory_ids)
    ).fetchone()[0]
    return found == len(memory_ids)


def _tag(conn: Connection, media_id: str, memory_ids: list[str]) -> None:
    conn.executemany("INSERT OR IGNORE INTO speech_memories (media_id, memory_id) VALUES (?,?)", [(media_id, m) for m in memory_ids])


def missing(db: Database, cache_keys: list[str]) -> list[str]:
    """The keys (in the order given) with no speech made yet."""
    if not cache_keys:
        return []
    known: set[str] = set()
    for start in range(0, len(cache_keys), 500):  # SQLite's limit on parameters, with room to spare
        part = cache_keys[start : start + 500]
        marks = ",".join("?" * len(part))
        known.update(r["key"] for r in db.all(f"SELECT key FROM speech_cache WHERE key IN ({marks})", tuple(part)))
    return [k for k in cache_keys if k not in known]
