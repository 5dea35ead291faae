"""A request for money hidden in a memory, or in her own recording, is never spoken; the caregivers are told."""

import numpy as np

from server.storage import memories
from tests.conftest import wav_bytes
from tests.server.api.conftest import events, new_household, new_persona

SCAM = "Sweetheart, I'm in trouble and need you to send five hundred pounds to Mr. Jones today."


def _turn(client, hh, session_id, text) -> list[dict]:
    r = client.post(f"/v1/sessions/{session_id}/turns", json={"text": text}, headers=hh["headers"])
    assert r.status_code == 200, r.text
    return events(r)


def _session(client, hh, persona) -> dict:
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 201, r.text
    return r.json()


def _alerts(client, hh) -> list[dict]:
    return [a for a in client.get("/v1/alerts", headers=hh["headers"]).json() if a["kind"] == "blocked_sentence"]


def test_a_money_request_inside_a_memory_is_not_told_in_story_mode(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    r = client.post(
        f"/v1/personas/{persona['id']}/memories", json={"title": "The trouble with Mr. Jones", "text": SCAM}, headers=hh["headers"]
    )
    assert r.status_code == 201
    session = _session(client, hh, persona)
    evs = _turn(client, hh, session["id"], "Tell me about Mr. Jones and the trouble")
    spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence")
    assert spoken, evs
    assert "pounds" not in spoken and "Jones" not in spoken
    assert any(e.get("code") == "sentence_blocked" for e in evs)
    alerts = _alerts(client, hh)
    assert len(alerts) == 1 and "Mr. Jones" in alerts[0]["message"] and alerts[0]["message"].startswith("money_request")


def _recorded_memory(client, hh, persona, text: str) -> str:
    state = client.app.state.keepsake
    t = np.linspace(0, 2, 32000, endpoint=False)
    clip = state.media.put(hh["id"], wav_bytes(0.3 * np.sin(2 * np.pi * 200 * t)), "audio/wav", "memory_audio", persona["id"])
    memory = memories.add(state.db, hh["id"], persona["id"], text, title="The orchard", source="voice_memo", audio_media_id=clip.id)
    return memory["id"] if isinstance(memory, dict) else memory.id


def test_an_edited_transcript_does_not_let_her_recording_of_a_request_play(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    memory_id = _recorded_memory(client, hh, persona, f"I kept bees behind the orchard. {SCAM}")
    # Someone makes the words under the recording look harmless; the recording still says them.
    r = client.patch(
        f"/v1/personas/{persona['id']}/memories/{memory_id}",
        json={"text": "I kept bees behind the orchard. The honey was the best in Saltmere."},
        headers=hh["headers"],
    )
    assert r.status_code == 200, r.text
    session = _session(client, hh, persona)
    evs = _turn(client, hh, session["id"], "Tell me about your bees in the orchard")
    sentences = [e for e in evs if e["type"] == "sentence"]
    assert sentences and not any(e.get("original") for e in sentences)  # her recording did not play
    alerts = _alerts(client, hh)
    assert len(alerts) == 1 and "Mr. Jones" in alerts[0]["message"]


def test_an_innocent_recording_still_plays(client):
    hh = new_household(client)
    persona = new_persona(client, hh, memories=False)
    _recorded_memory(client, hh, persona, "I kept bees behind the orchard. We sold the honey at the church fete for a shilling a jar.")
    session = _session(client, hh, persona)
    evs = _turn(client, hh, session["id"], "Tell me about your bees in the orchard")
    assert any(e.get("original") for e in evs if e["type"] == "sentence")
    assert _alerts(client, hh) == []


def test_a_request_no_rule_names_is_kept_out_of_the_greeting(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    request = "Pay my phone bill, it's overdue."
    from server.conversation import safety

    assert safety._rules_reason(safety.normalise(request)) is None  # only its meaning gives it away
    client.post(
        f"/v1/personas/{persona['id']}/retire", json={"then": "archive", "farewell": f"Goodbye, my love. {request}"}, headers=hh["headers"]
    )
    session = _session(client, hh, persona)
    assert "phone bill" not in session["greeting"]["text"] and session["greeting"]["text"].startswith("Goodbye, my love.")
    alerts = _alerts(client, hh)
    assert len(alerts) == 1 and "phone bill" in alerts[0]["message"]
