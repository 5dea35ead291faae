"""Recordings waiting to reach the server.

Every recording is written here before it is sent and removed only once the
server has acknowledged it (its transcript came back), so nothing the
relative said is lost when the network or the server is down.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pending:
    audio: Path
    mime: str
    session_id: str
    created: float

    @property
    def meta(self) -> Path:
        return self.audio.with_suffix(".json")


class Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def add(self, audio: Path, mime: str, session_id: str) -> Pending:
        """Move a finished recording in (same file system: a rename, not a copy)."""
        with self._lock:
            target = self.folder / audio.name
            if audio != target:
                audio.replace(target)
            item = Pending(target, mime, session_id, time.time())
            item.meta.write_text(json.dumps({"mime": mime, "session_id": session_id, "created": item.created}))
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
                if audio is not None:
                    found.append(Pending(audio, data.get("mime", "audio/wav"), data.get("session_id", ""), data.get("created", 0)))
            return sorted(found, key=lambda p: p.created)

    def remove(self, item: Pending) -> None:
        with self._lock:
            item.audio.unlink(missing_ok=True)
            item.meta.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self.items())
