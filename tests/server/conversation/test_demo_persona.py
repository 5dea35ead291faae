"""The fictional demo persona: valid for the API, rich enough for story mode, with a matching portrait."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from shared.api import ConsentCreate, MemoryCreate, PersonaCreate
from server.demo import demo_portrait_bytes, load_demo_persona, persona_fields
from server.demo.loader import PORTRAIT_PATH
from server.demo.portrait import MOUTH, SIZE, draw_portrait

DEMO = load_demo_persona()


def test_persona_is_valid_for_the_api() -> None:
    persona = PersonaCreate(**persona_fields(DEMO))
    assert persona.display_name == "Rose Whitfield"
    assert persona.kind == "deceased" and persona.language == "en"
    assert {"Grandma Rose", "Nana"} <= set(persona.addressed_as)
    assert persona.boundaries
    consent = ConsentCreate(**DEMO["consent"])
    assert consent.scope == "own_words"
    assert DEMO["fictional"] is True


def test_memories_are_many_first_person_and_short() -> None:
    memories = [MemoryCreate(**m) for m in DEMO["memories"]]
    assert len(memories) >= 30
    assert len({m.title for m in memories}) == len(memories)
    for memory in memories:
        sentences = re.findall(r"[^.!?]+[.!?]", memory.text)
        assert 2 <= len(sentences) <= 6, memory.title
        assert re.search(r"\b(I|my|we|our|me|us)\b", memory.text, re.IGNORECASE), memory.title


def test_portrait_is_a_small_square_png() -> None:
    data = demo_portrait_bytes()
    assert len(data) < 300_000
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (1024, 1024)


def test_mouth_point_matches_the_drawn_mouth() -> None:
    assert DEMO["mouth"] == MOUTH
    image = np.asarray(Image.open(PORTRAIT_PATH).convert("RGB")).astype(int)
    x, y = round(MOUTH["x"] * SIZE), round(MOUTH["y"] * SIZE)
    # Just below the mouth line sit the lips: clearly redder than the skin around them.
    r, g, b = image[y + 6, x]
    assert r - g > 60, (r, g, b)
    skin = image[y - 40, x]
    assert skin[0] - skin[1] < 50
    # The mouth is about as wide as MOUTH says: lip colour at its ends, skin beyond.
    half = MOUTH["width"] * SIZE / 2
    assert image[y - 2, round(x + half * 0.8)][0] - image[y - 2, round(x + half * 0.8)][1] > 50
    assert image[y - 2, round(x + half * 1.4)][0] - image[y - 2, round(x + half * 1.4)][1] < 50


def test_committed_portrait_is_what_the_code_draws() -> None:
    drawn = np.asarray(draw_portrait().convert("RGB")).astype(int)
    stored = np.asarray(Image.open(PORTRAIT_PATH).convert("RGB")).astype(int)
    assert np.abs(drawn - stored).mean() < 2.0


ARTHUR = load_demo_persona("arthur")


def test_the_grandfather_is_valid_and_told_in_his_own_words() -> None:
    persona = PersonaCreate(**persona_fields(ARTHUR))
    assert persona.display_name == "Arthur Whitfield" and persona.sex == "man" and persona.language == "en"
    assert ConsentCreate(**ARTHUR["consent"]).scope == "own_words" and ARTHUR["fictional"] is True
    memories = [MemoryCreate(**m) for m in ARTHUR["memories"]]
    assert len(memories) >= 12 and len({m.title for m in memories}) == len(memories)
    for memory in memories:
        assert 2 <= len(re.findall(r"[^.!?]+[.!?]", memory.text)) <= 6, memory.title
        assert re.search(r"\b(I|my|we|our|me|us)\b", memory.text, re.IGNORECASE), memory.title


def test_the_grandfathers_portrait_is_his_own_and_small() -> None:
    data = (PORTRAIT_PATH.parent / ARTHUR["portrait"]).read_bytes()
    assert len(data) < 300_000 and data != demo_portrait_bytes()
    assert ARTHUR["mouth"] == MOUTH  # drawn with the same face as Rose's


def test_the_demo_voice_suits_arthur_and_roses_says_it_does_not(data_dir) -> None:
    """The embedded voice is a man's: it suits Arthur; Rose is given it only by the demo family's choice, which says so."""
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.config import Settings
    from server.demo.seed import seed_demo

    with TestClient(create_app(Settings(data_dir=data_dir, preload_engines=False))) as client:
        state = client.app.state.keepsake
        demo = seed_demo(state, first="arthur")
        assert demo.persona_name == "Arthur Whitfield"
        arthur, rose = [state.with_voice_fit(p) for p in personas_of(state, demo.household_id)]
        assert rose.display_name == "Rose Whitfield" and rose.sex == "woman"
        assert arthur.voice_fit.fits and arthur.voice_fit.speaks_with == "built_in"
        assert not rose.voice_fit.fits and rose.voice_fit.speaks_with == "built_in"
        assert "a man's voice" in rose.voice_fit.why and rose.voice_fit.why.endswith("The family chose it anyway.")
        assert seed_demo(state, first="arthur").persona_id == demo.persona_id  # seeded once: a second start adds nobody
        assert len(personas_of(state, demo.household_id)) == 2


def personas_of(state, household_id):
    from server.storage import personas

    return personas.list_all(state.db, household_id)
