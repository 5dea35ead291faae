"""A persona's fields are declared once (PersonaFields) and shared by create, update and the persona read back."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.api import Persona, PersonaCreate, PersonaFields, PersonaUpdate


def test_create_update_and_out_share_one_set_of_fields():
    fields = set(PersonaFields.model_fields)
    # The face is the one exception: found by the server (Persona), corrected by hand (PersonaUpdate).
    assert set(PersonaCreate.model_fields) == fields == set(PersonaUpdate.model_fields) - {"face"}
    assert fields | {"face"} < set(Persona.model_fields)


def test_an_update_names_only_what_changes_with_the_same_limits_as_a_create():
    change = PersonaUpdate(voice_id=None, mode="generative")
    assert change.model_fields_set == {"voice_id", "mode"} and change.display_name is None
    assert change.model_dump(exclude_unset=True) == {"voice_id": None, "mode": "generative"}
    for bad in (
        {"display_name": ""},
        {"language": "english!"},
        {"biography": "x" * 20_001},
        {"addressed_as": ["a"] * 21},
        {"mode": "chatty"},
        {"nickname": "Nan"},
    ):
        with pytest.raises(ValidationError):
            PersonaUpdate(**bad)
        with pytest.raises(ValidationError):
            PersonaCreate(**{"display_name": "Rose", **bad})


def test_a_create_cleans_what_it_is_given_and_fills_the_defaults():
    made = PersonaCreate(display_name="  Rose ", addressed_as=[" Nan ", " "])
    assert (made.display_name, made.addressed_as, made.language, made.mode, made.disclosure) == ("Rose", ["Nan"], "en", "story", True)
