"""Recordings waiting to reach the server.

Every recording is written here before it is sent and removed only once the
server has acknowledged it (its transcript came back), so nothing the
relative said is lost when the network or the server is down.

Each recording has its own key, given when it comes in and kept in its metadata
file (so across restarts too), sent with every try of it as the
``Idempotency-Key`` header: however often it is sent, the server makes one turn of it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pending:
    audio: Path
    mime: str
    session_id: str
    created: float
    key: str  # the recording's idempotency key, the same on every send

    @property
    def meta(self) -> Path:
        return self.audio.with_suffix(".json")


class Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def add(self, audio: Path, mime: str, session_id: str, key: str | None = None) -> Pending:
        """Move a finished recording in (same file system: a rename, not a copy). ``key``: the one
        its words were already being sent with (a live turn's), else a new one."""
        with self._lock:
            target = self.folder / audio.name
            if audio != target:
                audio.replace(target)
            item = Pending(target, mime, session_id, time.time(), key or str(uuid.uuid4()))
            _write_meta(item)
            return item

    def items(self) -> list[Pending]:
        """Oldest first, so the conversation reaches the server in the order it was said."""
        with self._lock:
            found = []
            for meta in sorted(self.folder.glob("*.json")):
                try:
                    data = json.loads(meta.read_text())
                except (OSError, ValueError):
                    continue
                audio = next((p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json"), None)
                if audio is None:
                    continue
                item = Pending(
                    audio, data.get("mime", "audio/wav"), data.get("session_id", ""), data.get("created", 0), data.get("key", "")
                )
                if not item.key:  # kept by an app from before keys: it gets one now, and keeps it
                    item.key = str(uuid.uuid4())
                    _write_meta(item)
                found.append(item)
            return sorted(found, key=lambda p: p.created)

    def remove(self, item: Pending) -> None:
        with self._lock:
            item.audio.unlink(missing_ok=True)
            item.meta.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self.items())


def _write_meta(item: Pending) -> None:
    meta = {"mime": item.mime, "session_id": item.session_id, "created": item.created, "key": item.key}
    item.meta.write_text(json.dumps(meta))
