"""What the running server holds: settings, storage and the generation services.

Nothing here is per-conversation: sessions live in the database, so a second
server process on the same data folder sees everything this one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from shared.api import Persona
from server.config import Settings
from server.pipeline.gate import TurnGate
from server.pipeline.speech import Speaker
from server.services.registry import Services
from server.storage.alert_outbox import Delivery
from server.storage.db import Database
from server.storage.media import MediaStore
from server.voice import catalog


class SpeakAheadRequests(Protocol):
    """All a turn or a route needs of the speak-ahead worker (``server.pipeline.speak_ahead``):
    to ask it to look at a persona again. Seen through this, the worker's module (which builds
    speakers from this state) and this one do not import each other."""

    def request(self, persona_id: str) -> None: ...


class JobQueueWake(Protocol):
    """What a route needs of this process's job runner (``server.job_runner``): to be told a job was queued."""

    def wake(self) -> None: ...


class AlertSender(Protocol):
    """What raising an alert needs of the delivery loop (``server.alerts.AlertDelivery``)."""

    process_id: str
    lease_s: float

    def on_its_loop(self) -> bool: ...
    def send(self, delivery: Delivery) -> None: ...
    def nudge(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    db: Database
    media: MediaStore
    http: httpx.AsyncClient
    services: Services
    gate: TurnGate
    webhook_http: httpx.AsyncClient  # connects only to addresses a household's alerts may go to
    speak_ahead: SpeakAheadRequests | None = None  # None when KEEPSAKE_SPEAK_AHEAD is off
    job_runner: JobQueueWake | None = None  # None until the app starts: the queued job waits for a poll
    alert_delivery: AlertSender | None = None  # sends the stored alerts' webhooks (any process may)

    def voices(self, persona: Persona) -> catalog.Voices:
        """The voices ``persona`` can be given, the one she speaks with, and whether it suits her."""
        cloner = self.services.cloner
        return catalog.voices_for(self.settings.tts, cloner.name if cloner else None, persona)

    def with_voice_fit(self, persona: Persona) -> Persona:
        """The persona as the API returns it: with whether the voice she speaks with suits her."""
        return persona.model_copy(update={"voice_fit": self.voices(persona).fit})

    def speaker(self, persona: Persona) -> Speaker:
        """The speaker of ``persona``: turns, greetings and speaking ahead all build it here, so their cache keys agree."""
        voices = self.voices(persona)
        return Speaker(
            self.db,
            self.media,
            self.services.tts,
            voices.voice_id,
            self.settings.media_url_ttl_s,
            face=self.services.face,
            persona=persona,
            captions_only=voices.fit.speaks_with == "own_recordings_only",
            stand_in_fits=voices.stand_in_fits,
        )

    def ask_ahead(self, persona_id: str) -> None:
        """Ask the speak-ahead worker to look at this persona again; nothing if it is turned off. Any thread."""
        if self.speak_ahead is not None:
            self.speak_ahead.request(persona_id)
