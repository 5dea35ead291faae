"""Each sentence event carries its lip shapes; speech from the cache carries the same ones."""

from __future__ import annotations

import numpy as np

from shared.api import SentenceEvent
from server.services.visemes import VISEMES
from tests.conftest import wav_bytes
from tests.server.api.conftest import events, new_household, new_persona
from tests.server.api.test_speech_cache import speech_calls


def start(client, hh, persona) -> dict:
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 201, r.text
    return r.json()


def assert_lips(sentence: dict) -> None:
    track = sentence["visemes"]
    starts = [start for start, _ in track]
    assert starts == sorted(starts) and all(0 <= s < sentence["duration_ms"] for s in starts), track
    assert all(v in VISEMES for _, v in track), track
    assert len({v for _, v in track} - {"sil"}) >= 3, track  # the words move the lips, not only open and close


def test_turn_sentences_from_a_remote_voice_carry_visemes(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"]))
    sentences = [e for e in evs if e["type"] == "sentence"]
    assert sentences
    for sentence in sentences:
        assert_lips(sentence)
        assert sentence["mouth"]["values"]  # the loudness track stays for older tablets
    whitby = next(s for s in sentences if "Whitby" in s["text"])
    # "...lived by the sea in Whitby": the b of "by" and "Whitby" close the lips.
    assert "PP" in [v for _, v in whitby["visemes"]]


def test_cached_speech_carries_the_same_visemes(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    first = start(client, hh, persona)["greeting"]["sentences"]
    made = speech_calls(upstream)
    again = start(client, hh, persona)["greeting"]["sentences"]
    assert speech_calls(upstream) == made  # from the cache
    assert [s["visemes"] for s in again] == [s["visemes"] for s in first]
    for sentence in again:
        assert_lips(sentence)


def test_speech_kept_before_visemes_gets_them_when_said_again(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    first = start(client, hh, persona)["greeting"]["sentences"]
    db = client.app.state.keepsake.db
    db.execute("UPDATE speech_cache SET visemes = NULL WHERE persona_id = ?", (persona["id"],))
    made = speech_calls(upstream)
    again = start(client, hh, persona)["greeting"]["sentences"]
    assert speech_calls(upstream) == made  # worked out from the kept audio, not spoken again
    for before, after in zip(first, again):
        assert_lips(after)
        assert [v for _, v in after["visemes"]] == [v for _, v in before["visemes"]]
    kept = db.all("SELECT visemes FROM speech_cache WHERE persona_id = ?", (persona["id"],))
    assert kept and all(row["visemes"] is not None for row in kept)


def test_her_own_recording_moves_the_lips_to_its_words(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    state = client.app.state.keepsake
    t = np.linspace(0, 2, 32000, endpoint=False)
    clip = state.media.put(
        hh["id"],
        wav_bytes(0.3 * np.sin(2 * np.pi * 200 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))),
        "audio/wav",
        "memory_audio",
        persona["id"],
    )
    from server.storage import memories

    memories.add(
        state.db,
        hh["id"],
        persona["id"],
        "I kept bees behind the orchard for thirty years.",
        title="The bees",
        source="voice_memo",
        audio_media_id=clip.id,
    )
    session = start(client, hh, persona)
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about your bees"}, headers=hh["headers"]))
    original = next(e for e in evs if e["type"] == "sentence" and e.get("original"))
    assert_lips(original)
    assert "PP" in [v for _, v in original["visemes"]]  # the b of "bees"


def test_older_servers_events_still_parse():
    event = SentenceEvent.model_validate(
        {"index": 0, "text": "Hello.", "audio_url": "/v1/media/x", "duration_ms": 500, "mouth": {"fps": 25, "values": [0.0, 0.5]}}
    )
    assert event.visemes == []
    event = SentenceEvent.model_validate({**event.model_dump(), "visemes": [[0, "sil"], [40, "PP"]]})
    assert event.visemes == [(0, "sil"), (40, "PP")]


def test_a_chinese_greeting_from_a_remote_voice_carries_visemes(client):
    from tests.server.api.conftest import CONSENT, PERSONA

    hh = new_household(client)
    r = client.post(
        "/v1/personas", json={**PERSONA, "display_name": "王秀英", "addressed_as": ["奶奶"], "language": "zh"}, headers=hh["headers"]
    )
    assert r.status_code == 201, r.text
    persona = r.json()
    assert client.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=hh["headers"]).status_code == 201
    sentences = start(client, hh, persona)["greeting"]["sentences"]
    chinese = [s for s in sentences if any("\u4e00" <= ch <= "\u9fff" for ch in s["text"])]
    assert chinese, [s["text"] for s in sentences]
    for sentence in chinese:
        assert_lips(sentence)
