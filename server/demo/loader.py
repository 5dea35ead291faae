"""The fictional demo persona ("Rose Whitfield") that `keepsake demo` loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).parent
PERSONA_PATH = DEMO_DIR / "persona.json"
PORTRAIT_PATH = DEMO_DIR / "portrait.png"

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
)


def load_demo_persona() -> dict[str, Any]:
    """persona.json as a dict: persona fields, "consent", "memories" [{title, text}], "portrait" (file name)."""
    with PERSONA_PATH.open(encoding="utf-8") as handle:
        persona: dict[str, Any] = json.load(handle)
    return persona


def persona_fields(persona: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the persona-creation API accepts."""
    return {key: persona[key] for key in PERSONA_FIELDS if key in persona}


def demo_portrait_bytes() -> bytes:
    """The PNG drawn by server/demo/portrait.py."""
    return PORTRAIT_PATH.read_bytes()
