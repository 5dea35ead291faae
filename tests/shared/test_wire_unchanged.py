"""The API's JSON is what it was before its models all moved into shared.api (wire_before.json, written by the models of that time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import api
from tests.shared.wire_samples import SAMPLES, written

BEFORE = json.loads((Path(__file__).parent / "wire_before.json").read_text(encoding="utf-8"))
NOW = written({name: getattr(api, name) for name in SAMPLES})
# The one deliberate addition: where a memory came from, as fields beside its English words.
PLACE_FIELDS = set(api.MemoryPlace.model_fields)


@pytest.mark.parametrize("name", [n for n in SAMPLES if n != "MemoryOut"])
def test_each_answer_is_written_byte_for_byte_as_before(name):
    assert NOW[name] == BEFORE[name]


def test_a_memorys_answer_only_adds_the_places_fields_to_its_origin():
    before, now = json.loads(BEFORE["MemoryOut"]), json.loads(NOW["MemoryOut"])
    added = {key: now["origin"].pop(key) for key in set(now["origin"]) - set(before["origin"])}
    assert set(added) == PLACE_FIELDS and now == before


def test_every_sample_is_checked():
    assert set(BEFORE) == set(SAMPLES) and len(SAMPLES) >= 10
