"""The API's JSON is what it was before its models all moved into shared.api (wire_before.json, written by the models of that time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import api
from tests.shared.wire_samples import SAMPLES, written

BEFORE = json.loads((Path(__file__).parent / "wire_before.json").read_text(encoding="utf-8"))
NOW = written({name: getattr(api, name) for name in SAMPLES})
# The deliberate additions: where a memory came from, as fields beside its English words; and,
# since, a persona's ``face`` (the face found on its portrait) and a sentence's ``visemes`` (its
# lip shapes), both new optional fields that older readers ignore; then a persona's ``sex``,
# ``voice_choice`` and ``voice_fit`` (whom her voice must suit, what she speaks with, whether it does),
# a sentence's ``captions_only`` and the voice overview's ``voices``, ``choice`` and ``voice_fit``.
PLACE_FIELDS = set(api.MemoryPlace.model_fields)
ADDED_SINCE = {
    "face": None,
    "visemes": [],
    "sex": None,
    "voice_choice": None,
    "voice_fit": None,
    "captions_only": False,
    "voices": [],
    "choice": None,
}  # each at its default in the samples


def _without_added(value):
    if isinstance(value, dict):
        return {k: _without_added(v) for k, v in value.items() if not (k in ADDED_SINCE and v == ADDED_SINCE[k])}
    if isinstance(value, list):
        return [_without_added(v) for v in value]
    return value


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("name", [n for n in SAMPLES if n != "MemoryOut"])
def test_each_answer_is_written_byte_for_byte_as_before(name):
    # Byte for byte once the additions at their defaults are taken out (the key order is kept).
    assert _compact(_without_added(json.loads(NOW[name]))) == _compact(json.loads(BEFORE[name]))


def test_a_memorys_answer_only_adds_the_places_fields_to_its_origin():
    before, now = json.loads(BEFORE["MemoryOut"]), json.loads(NOW["MemoryOut"])
    added = {key: now["origin"].pop(key) for key in set(now["origin"]) - set(before["origin"])}
    assert set(added) == PLACE_FIELDS and now == before


def test_every_sample_is_checked():
    assert set(BEFORE) == set(SAMPLES) and len(SAMPLES) >= 10
