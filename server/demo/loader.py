"""The fictional demo personas that `keepsake demo` loads: Rose Whitfield and her husband Arthur."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).parent
PERSONA_PATH = DEMO_DIR / "persona.json"
PORTRAIT_PATH = DEMO_DIR / "portrait.png"
# Who each demo persona is: Rose (persona.json, the first demo persona, which tests and the benchmark
# talk to) and Arthur, who recorded his memoir for his grandchildren (the one `keepsake demo` shows:
# the embedded voice, a man's, suits him).
DEMO_PERSONAS = {"rose": PERSONA_PATH, "arthur": DEMO_DIR / "grandfather.json"}

# The keys of persona.json that are PersonaCreate fields (shared.api), so a
# caller can do PersonaCreate(**persona_fields(load_demo_persona())).
PERSONA_FIELDS = (
    "display_name",
    "addressed_as",
    "language",
    "biography",
    "speaking_style",
    "boundaries",
    "mode",
    "kind",
    "mouth",
    "disclosure",
    "sex",
    "voice_choice",
)


def load_demo_persona(who: str = "rose") -> dict[str, Any]:
    """persona.json (or Arthur's) as a dict: persona fields, "consent", "memories" [{title, text}], "portrait" (file name)."""
    with DEMO_PERSONAS[who].open(encoding="utf-8") as handle:
        persona: dict[str, Any] = json.load(handle)
    return persona


def persona_fields(persona: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the persona-creation API accepts."""
    return {key: persona[key] for key in PERSONA_FIELDS if key in persona}


def demo_portrait_bytes() -> bytes:
    """The PNG drawn by server/demo/portrait.py."""
    return PORTRAIT_PATH.read_bytes()
