"""What the running server holds: settings, storage and the generation services.

Nothing here is per-conversation: sessions live in the database, so a second
server process on the same data folder sees everything this one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from server.config import Settings
from server.pipeline.gate import TurnGate
from server.services.registry import Services
from server.storage.db import Database
from server.storage.media import MediaStore

if TYPE_CHECKING:  # the worker imports this module
    from server.pipeline.speak_ahead import SpeakAhead


@dataclass
class AppState:
    settings: Settings
    db: Database
    media: MediaStore
    http: httpx.AsyncClient
    services: Services
    gate: TurnGate
    webhook_http: httpx.AsyncClient  # connects only to addresses a household's alerts may go to
    speak_ahead: SpeakAhead | None = None  # None when KEEPSAKE_SPEAK_AHEAD is off
