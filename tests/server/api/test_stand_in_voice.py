"""When her voice's service fails, the embedded voice stands in only where it suits her: a grandmother
whose voice is down is shown in captions, never given the embedded man's voice; her own recordings
still play. The voice service is the conftest's OpenAI-compatible fake, told to fail."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from server.services.fallbacks import TTS_CAPTIONS_MESSAGE
from tests.server.api.conftest import CONSENT, PERSONA, events, new_household
from tests.server.api.test_safety_in_turns import _recorded_memory
from tests.server.api.test_speech_cache import speech_calls

pytestmark = pytest.mark.slow  # the embedded voice speaks where it suits


def _persona(client, hh, **fields) -> dict:
    r = client.post("/v1/personas", json={**PERSONA, **fields}, headers=hh["headers"])
    assert r.status_code == 201, r.text
    persona = r.json()
    assert client.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=hh["headers"]).status_code == 201
    client.post(
        f"/v1/personas/{persona['id']}/memories",
        json={"title": "The seaside", "text": "When I was a girl we lived by the sea in Whitby. I collected shells every morning."},
        headers=hh["headers"],
    )
    return persona


def _talk(client, hh, persona, text: str) -> tuple[list[dict], list[dict]]:
    """The greeting's sentences and one turn's events."""
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert session.status_code == 201, session.text
    r = client.post(f"/v1/sessions/{session.json()['id']}/turns", json={"text": text}, headers=hh["headers"])
    assert r.status_code == 200, r.text
    return session.json()["greeting"]["sentences"], events(r)


def _silent(client, sentence: dict) -> bool:
    with wave.open(io.BytesIO(client.get(sentence["audio_url"]).content)) as wav:
        return not np.frombuffer(wav.readframes(wav.getnframes()), np.int16).any()


@pytest.mark.parametrize(
    ("fields", "her_voice"),
    [
        # The server's voice (not described: it suits anyone) is down.
        pytest.param({"sex": "woman"}, None, id="woman-server-voice"),
        pytest.param({"sex": "woman"}, "her-voice", id="woman-cloned-voice"),
        # The embedded voice speaks English only.
        pytest.param({"display_name": "王秀英", "addressed_as": ["奶奶"], "language": "zh"}, None, id="chinese"),
    ],
)
def test_a_voice_down_shows_her_words_in_captions_when_the_stand_in_does_not_suit_her(client, upstream, fields, her_voice):
    hh = new_household(client)
    persona = _persona(client, hh, **fields)
    if her_voice is not None:
        r = client.patch(f"/v1/personas/{persona['id']}", json={"voice_id": her_voice}, headers=hh["headers"])
        assert r.json()["voice_fit"]["speaks_with"] == "cloned"
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["voice_fit"]["fits"] is True
    _recorded_memory(client, hh, persona, "I kept bees behind the orchard. We sold the honey at the church fete for a shilling a jar.")
    upstream.fail_tts = True

    greeting, evs = _talk(client, hh, persona, "Tell me about your bees in the orchard")
    _, more = _talk(client, hh, persona, "Tell me about the seaside")

    assert speech_calls(upstream) > 0  # her voice was asked for, and failed
    sentences = [e for e in evs + more if e["type"] == "sentence"]
    assert any(s.get("original") for s in sentences)  # her own recording still plays
    captions = greeting + [s for s in sentences if not s.get("original")]
    assert len(captions) >= 2
    for sentence in captions:
        assert sentence["captions_only"] is True and sentence["mouth"]["values"] == [] and sentence["visemes"] == []
        assert sentence["duration_ms"] >= 2000 and _silent(client, sentence)  # time to read, and no voice
    notices = [e for e in evs + more if e["type"] == "notice" and e["code"] == "tts_fallback"]
    assert notices and all(n["message"] == TTS_CAPTIONS_MESSAGE for n in notices)
    assert "captions" in TTS_CAPTIONS_MESSAGE


@pytest.mark.parametrize("sex", ["man", None])
def test_a_voice_down_speaks_with_the_embedded_voice_where_it_suits(client, upstream, sex):
    hh = new_household(client)
    fields = {"sex": sex, "display_name": "Arthur Whitfield", "addressed_as": ["Grandad"]} if sex else {}
    persona = _persona(client, hh, **fields)
    upstream.fail_tts = True

    greeting, evs = _talk(client, hh, persona, "Tell me about the seaside")

    sentences = greeting + [e for e in evs if e["type"] == "sentence"]
    assert sentences and not any(s.get("captions_only") for s in sentences)
    assert any(s["visemes"] for s in sentences) and not all(_silent(client, s) for s in sentences)
    notices = [e for e in evs if e["type"] == "notice" and e["code"] == "tts_fallback"]
    assert notices and all("built-in voice was used" in n["message"] for n in notices)
