"""Loads the fictional demo persona into a household, ready to talk, and makes a pairing code."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.api import ConsentCreate, MouthPoint, PersonaCreate
from server.demo.loader import load_demo_persona
from server.importers import photo
from server.state import AppState
from server.storage import accounts, memories, personas

DEMO_EMAIL = "demo@keepsake.example"
PORTRAIT = Path(__file__).with_name("portrait.png")


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    household_id: str
    persona_id: str
    persona_name: str
    pairing_code: str


def _credentials(data_dir: Path) -> dict[str, Any]:
    """The demo caregiver's password is made once per data folder and kept private there."""
    path = data_dir / "demo-credentials.json"
    if path.exists():
        kept: dict[str, Any] = json.loads(path.read_text())
        return kept
    creds = {"email": DEMO_EMAIL, "password": secrets.token_urlsafe(9)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    return creds


def seed_demo(state: AppState) -> DemoInfo:
    db = state.db
    creds = _credentials(state.settings.data_dir)
    row = db.one("SELECT household_id FROM caregivers WHERE email = ?", (creds["email"],))
    if row is None:
        household_id, _, _ = accounts.create_household(db, "The Whitfield family (demo)", creds["email"], creds["password"])
    else:
        household_id = row["household_id"]

    data = load_demo_persona()
    existing = [p for p in personas.list_all(db, household_id) if p.display_name == data["display_name"]]
    if existing:
        persona = existing[0]
    else:
        persona = personas.create(
            db,
            household_id,
            PersonaCreate(
                display_name=data["display_name"],
                addressed_as=data.get("addressed_as", []),
                language=data.get("language", "en"),
                biography=data.get("biography", ""),
                speaking_style=data.get("speaking_style"),
                boundaries=data.get("boundaries", []),
                mode=data.get("mode", "story"),
                kind=data.get("kind", "deceased"),
            ),
        )
        for memory in data["memories"]:
            memories.add(db, household_id, persona.id, memory["text"], title=memory.get("title"), source="demo")
        personas.add_consent(db, household_id, persona.id, ConsentCreate(**data["consent"]))
        if PORTRAIT.exists():
            media = state.media.put(household_id, PORTRAIT.read_bytes(), "image/png", "portrait", persona_id=persona.id)
            mouth = MouthPoint(**data["mouth"]) if data.get("mouth") else None
            personas.set_portrait(db, household_id, persona.id, media.id, mouth, photo.face_on(PORTRAIT.read_bytes()))

    code, _ = accounts.create_pairing_code(db, household_id, state.settings.pairing_code_ttl_s)
    return DemoInfo(creds["email"], creds["password"], household_id, persona.id, persona.display_name, code)
