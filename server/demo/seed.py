"""Loads the fictional demo personas into a household, ready to talk, and makes a pairing code.

Both Rose and Arthur are loaded; ``first`` is made first in a new household, and a newly paired tablet
talks to the first persona with consent. ``keepsake serve --demo`` puts Rose first (the tests and the
benchmark talk to her); ``keepsake demo`` puts Arthur first, whom the embedded voice (a man's) suits.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.api import ConsentCreate, MouthPoint, Persona, PersonaCreate
from server.demo.loader import DEMO_DIR, DEMO_PERSONAS, load_demo_persona, persona_fields
from server.importers import photo
from server.state import AppState
from server.storage import accounts, memories, personas

DEMO_EMAIL = "demo@keepsake.example"


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    household_id: str
    persona_id: str
    persona_name: str
    pairing_code: str


def _credentials(data_dir: Path) -> dict[str, Any]:
    """The demo caregiver's password is made once per data folder and kept private there. Processes
    starting together on one folder read the same one: it is written whole under another name and
    linked into place, which only one of them can do."""
    path = data_dir / "demo-credentials.json"
    if not path.exists():
        creds = {"email": DEMO_EMAIL, "password": secrets.token_urlsafe(9)}
        draft = data_dir / f".demo-credentials.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(creds, fh)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the one
        finally:
            draft.unlink()
    kept: dict[str, Any] = json.loads(path.read_text())
    return kept


def _seed_persona(state: AppState, household_id: str, who: str) -> Persona:
    """One demo persona, with its memories, consent and portrait; the one there already if it is."""
    db = state.db
    data = load_demo_persona(who)
    # Looked for and made in one transaction: of processes seeding at once, one makes the persona
    # and fills it in below; the others find it (there is one Rose, not two).
    with db.transaction():
        existing = [p for p in personas.list_all(db, household_id) if p.display_name == data["display_name"]]
        if existing:
            return existing[0]
        persona = personas.create(db, household_id, PersonaCreate(**persona_fields(data)))
    for memory in data["memories"]:
        memories.add(db, household_id, persona.id, memory["text"], title=memory.get("title"), source="demo")
    personas.add_consent(db, household_id, persona.id, ConsentCreate(**data["consent"]))
    portrait: Path = DEMO_DIR / data.get("portrait", "portrait.png")
    if portrait.exists():
        media = state.media.put(household_id, portrait.read_bytes(), "image/png", "portrait", persona_id=persona.id)
        mouth = MouthPoint(**data["mouth"]) if data.get("mouth") else None
        personas.set_portrait(db, household_id, persona.id, media.id, mouth, photo.face_on(portrait.read_bytes()))
    return persona


def seed_demo(state: AppState, first: str = "rose") -> DemoInfo:
    """The demo household with both demo personas (``first`` made first), and a fresh pairing code."""
    db = state.db
    creds = _credentials(state.settings.data_dir)
    with db.transaction():  # one demo household, however many processes start with --demo at once
        row = db.one("SELECT household_id FROM caregivers WHERE email = ?", (creds["email"],))
        if row is None:
            household_id, _, _ = accounts.create_household(db, "The Whitfield family (demo)", creds["email"], creds["password"])
        else:
            household_id = row["household_id"]
    order = [first] + [who for who in DEMO_PERSONAS if who != first]
    seeded = [_seed_persona(state, household_id, who) for who in order]
    code, _ = accounts.create_pairing_code(db, household_id, state.settings.pairing_code_ttl_s)
    return DemoInfo(creds["email"], creds["password"], household_id, seeded[0].id, seeded[0].display_name, code)
