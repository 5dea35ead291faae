"""The caregiver's side of the server, for the tablet's caregiver area: sign-in, persona studio, alerts.

Every answer is parsed into the model the server answered with (``shared.api``), so the two sides
cannot disagree about a field; the caregiver screens read them.

A ``CaregiverClient`` is a ``KeepsakeClient`` holding a caregiver's token
instead of the tablet's device token, so the same error handling applies
(``Offline`` to retry, ``ApiError`` with the server's plain message to show).
Like its parent it is synchronous and used from worker threads only.

The token lives in memory only: it is never written to the tablet's storage,
and the caregiver area drops it when it closes, so a relative who later finds
the caregiver area open cannot act as the caregiver.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from shared.api import (
    Alert,
    CloneResult,
    ConsentOut,
    Dictation,
    Fact,
    FactsMoved,
    HouseholdOut,
    ImportStarted,
    JobOut,
    Memory,
    MemoryOut,
    Persona,
    SampleAdded,
    SourceOut,
    TokenOut,
    VoiceOverview,
)
from client.api import KeepsakeClient

# Lists are read straight from the answer's bytes into the shared models, as single answers are.
_ALERTS = TypeAdapter(list[Alert])
_SOURCES = TypeAdapter(list[SourceOut])
_MEMORIES = TypeAdapter(list[MemoryOut])
_FACTS = TypeAdapter(list[Fact])


class CaregiverClient(KeepsakeClient):
    def __init__(self, base_url: str, token: str, email: str = "", transport=None) -> None:
        super().__init__(base_url, token, transport=transport)
        self.email = email

    @classmethod
    def sign_in(cls, base_url: str, email: str, password: str, transport=None) -> CaregiverClient:
        """Log in with the caregiver's email and password; raises ApiError (401) on a wrong password."""
        client = cls(base_url, "", email=email.strip(), transport=transport)
        try:
            body = {"email": email.strip(), "password": password}
            client.set_token(TokenOut.model_validate_json(client._request("POST", "/v1/auth/login", json=body).content).token)
        except BaseException:
            client.close()
            raise
        return client

    def sign_out(self) -> None:
        """Revoke the token at the server (best effort: offline, it simply expires), then forget it."""
        try:
            self._request("POST", "/v1/auth/logout")
        except Exception:
            pass
        finally:
            self.set_token(None)
            self.close()

    # ------------------------------------------------------------------ household and alerts
    def household(self) -> HouseholdOut:
        return HouseholdOut.model_validate_json(self._request("GET", "/v1/household").content)

    def alerts(self) -> list[Alert]:
        """Crisis words, blocked sentences, a relative who asked to stop: newest first."""
        return _ALERTS.validate_json(self._request("GET", "/v1/alerts").content)

    # ------------------------------------------------------------------ personas
    def all_personas(self) -> list[Persona]:
        """Every persona of the household, with or without consent (the tablet's own list hides those without)."""
        return self.personas()

    def persona(self, persona_id: str) -> Persona:
        return Persona.model_validate(self._request("GET", f"/v1/personas/{persona_id}").json())

    def create_persona(self, **fields: Any) -> Persona:
        return Persona.model_validate(self._request("POST", "/v1/personas", json=fields).json())

    def update_persona(self, persona_id: str, **fields: Any) -> Persona:
        return Persona.model_validate(self._request("PATCH", f"/v1/personas/{persona_id}", json=fields).json())

    def give_consent(self, persona_id: str, *, given_by: str, relation: str, scope: str, statement: str) -> ConsentOut:
        body = {"given_by": given_by, "relation": relation, "scope": scope, "statement": statement}
        return ConsentOut.model_validate_json(self._request("POST", f"/v1/personas/{persona_id}/consent", json=body).content)

    def put_portrait(self, persona_id: str, image: Path, mouth: tuple[float, float] | None = None) -> Persona:
        """Upload a PNG or JPEG as the portrait; ``mouth`` is (x, y) in 0..1 from the top-left, when known."""
        mime = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
        params = {"mouth_x": mouth[0], "mouth_y": mouth[1]} if mouth else None
        response = self._request(
            "PUT", f"/v1/personas/{persona_id}/portrait", content=image.read_bytes(), params=params, headers={"Content-Type": mime}
        )
        return Persona.model_validate(response.json())

    def set_mouth(self, persona_id: str, x: float, y: float, width: float = 0.18) -> Persona:
        return self.update_persona(persona_id, mouth={"x": x, "y": y, "width": width})

    def set_face(self, persona_id: str, eyes: list[float], mouth: tuple[float, float, float]) -> Persona:
        """The eyes and the mouth where the caregiver put them (``eyes``: left x, y, right x, y as fractions).
        Eyes dragged past each other are sent in the order the server wants: left is the image's left."""
        left, right = sorted([(eyes[0], eyes[1]), (eyes[2], eyes[3])])
        face = {
            "left_eye": {"x": left[0], "y": left[1]},
            "right_eye": {"x": right[0], "y": right[1]},
            "mouth": {"x": mouth[0], "y": mouth[1], "width": mouth[2]},
        }
        return self.update_persona(persona_id, face=face)

    # ------------------------------------------------------------------ sources and import jobs
    def upload_source(
        self, persona_id: str, path: Path, kind: str | None = None, self_name: str | None = None, filename: str | None = None
    ) -> ImportStarted:
        """Start importing a file (memoir, letters, chat, voice memo, photo): returns job_id, source_id, kind.
        ``filename`` is the name the caregiver knows it by, when the file on the tablet has another."""
        data = {k: v for k, v in (("kind", kind), ("self_name", self_name)) if v}
        name = filename or path.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with open(path, "rb") as fh:
            files = {"file": (name, fh, mime)}
            response = self._request("POST", f"/v1/personas/{persona_id}/sources", files=files, data=data)
        return ImportStarted.model_validate_json(response.content)

    def job(self, job_id: str) -> JobOut:
        """state (queued, running, done, failed), percent, stage, counts, errors."""
        return JobOut.model_validate_json(self._request("GET", f"/v1/jobs/{job_id}").content)

    def sources(self, persona_id: str) -> list[SourceOut]:
        return _SOURCES.validate_json(self._request("GET", f"/v1/personas/{persona_id}/sources").content)

    def use_photo_as_portrait(self, persona_id: str, source_id: str) -> Persona:
        """An imported photo becomes the portrait, with the mouth the server found on it."""
        response = self._request("POST", f"/v1/personas/{persona_id}/sources/{source_id}/portrait")
        return Persona.model_validate(response.json())

    # ------------------------------------------------------------------ memories and what the relative told
    def memories(self, persona_id: str, query: str = "", limit: int = 50, offset: int = 0) -> list[MemoryOut]:
        """Memories with where each came from (``origin``); ``query`` searches, empty lists them all."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if query.strip():
            params["q"] = query.strip()
        return _MEMORIES.validate_json(self._request("GET", f"/v1/personas/{persona_id}/memories/search", params=params).content)

    def add_memory(self, persona_id: str, text: str, title: str | None = None) -> Memory:
        body = {"text": text, **({"title": title} if title else {})}
        return Memory.model_validate_json(self._request("POST", f"/v1/personas/{persona_id}/memories", json=body).content)

    def edit_memory(self, persona_id: str, memory_id: str, **fields: Any) -> MemoryOut:
        """``text``, ``title`` and/or ``hidden``."""
        response = self._request("PATCH", f"/v1/personas/{persona_id}/memories/{memory_id}", json=fields)
        return MemoryOut.model_validate_json(response.content)

    def delete_memory(self, persona_id: str, memory_id: str) -> None:
        self._request("DELETE", f"/v1/personas/{persona_id}/memories/{memory_id}")

    def facts(self, persona_id: str) -> list[Fact]:
        """What the relative has told the persona since (long-term memory), dated."""
        return _FACTS.validate_json(self._request("GET", f"/v1/personas/{persona_id}/facts").content)

    def add_fact(self, persona_id: str, text: str, shared: bool = True) -> Fact:
        """Tell the persona something for the tablets' greetings; ``shared`` False keeps it from every tablet for now."""
        response = self._request("POST", f"/v1/personas/{persona_id}/facts", json={"text": text, "shared": shared})
        return Fact.model_validate_json(response.content)

    def move_facts(self, old_device_id: str, new_device_id: str) -> int:
        """A re-paired tablet takes over what its relative told the old one; how many facts moved."""
        response = self._request("POST", f"/v1/devices/{old_device_id}/facts/move-to/{new_device_id}")
        return FactsMoved.model_validate_json(response.content).moved

    def edit_fact(self, persona_id: str, fact_id: str, **fields: Any) -> Fact:
        return Fact.model_validate_json(self._request("PATCH", f"/v1/personas/{persona_id}/facts/{fact_id}", json=fields).content)

    def delete_fact(self, persona_id: str, fact_id: str) -> None:
        self._request("DELETE", f"/v1/personas/{persona_id}/facts/{fact_id}")

    # ------------------------------------------------------------------ voice
    def voice(self, persona_id: str) -> VoiceOverview:
        """Samples with their verdicts, clean seconds against the 30 asked for, and whether cloning is there."""
        return VoiceOverview.model_validate_json(self._request("GET", f"/v1/personas/{persona_id}/voice-samples").content)

    def add_voice_sample(self, persona_id: str, path: Path) -> SampleAdded:
        mime = mimetypes.guess_type(path.name)[0] or "audio/wav"
        with open(path, "rb") as fh:
            files = {"file": (path.name, fh, mime)}
            response = self._request("POST", f"/v1/personas/{persona_id}/voice-samples", files=files)
        return SampleAdded.model_validate_json(response.content)

    def delete_voice_sample(self, persona_id: str, sample_id: str) -> None:
        self._request("DELETE", f"/v1/personas/{persona_id}/voice-samples/{sample_id}")

    def clone_voice(self, persona_id: str) -> CloneResult:
        return CloneResult.model_validate_json(self._request("POST", f"/v1/personas/{persona_id}/voice/clone").content)

    # ------------------------------------------------------------------ dictation
    def dictate(self, persona_id: str, wav_path: Path) -> Dictation:
        """The words of the caregiver's recording (``text``, ``language``), to check before saving them as a
        typed memory. The server keeps nothing: a caregiver's voice is never kept as the person's."""
        path = Path(wav_path)
        mime = mimetypes.guess_type(path.name)[0] or "audio/wav"
        with open(path, "rb") as fh:
            response = self._request("POST", f"/v1/personas/{persona_id}/dictation", content=fh.read(), headers={"Content-Type": mime})
        return Dictation.model_validate_json(response.content)
