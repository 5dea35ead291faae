"""A caregiver dictates: the words come back, and nothing is kept."""

import numpy as np
import pytest

from tests.conftest import wav_bytes
from tests.server.api.conftest import auth, new_household, new_persona

MAX_AUDIO_S = 5


@pytest.fixture
def settings(settings):
    # A short limit, so "too long" fits under the 1 MB upload limit of these tests.
    return settings.model_copy(update={"max_audio_s": MAX_AUDIO_S})


def tone(seconds: float) -> bytes:
    return wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220 * seconds, int(16000 * seconds))))


def dictate(client, persona_id: str, headers: dict, body: bytes, mime: str = "audio/wav"):
    return client.post(f"/v1/personas/{persona_id}/dictation", content=body, headers={**headers, "content-type": mime})


def stored_counts(client, household_id: str) -> dict:
    db = client.app.state.keepsake.db
    uploads = client.app.state.keepsake.settings.data_dir / "uploads"
    return {
        "memories": db.one("SELECT COUNT(*) FROM memories WHERE household_id = ?", (household_id,))[0],
        "media": db.one("SELECT COUNT(*) FROM media WHERE household_id = ?", (household_id,))[0],
        "uploads": len(list(uploads.glob("*"))) if uploads.exists() else 0,
    }


def test_the_words_come_back_and_nothing_is_stored(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    before = stored_counts(client, hh["id"])
    upstream.transcript = "My mother baked bread every Sunday."
    r = dictate(client, persona["id"], hh["headers"], tone(2))
    assert r.status_code == 200, r.text
    assert r.json() == {"text": "My mother baked bread every Sunday.", "language": "en"}
    asked = [q for q in upstream.requests if q.url.path.endswith("/audio/transcriptions")]
    assert len(asked) == 1 and b'name="language"\r\n\r\nen' in asked[0].content, "the persona's language is the hint"
    assert stored_counts(client, hh["id"]) == before
    # Multipart works too, as for voice samples.
    r = client.post(f"/v1/personas/{persona['id']}/dictation", files={"file": ("note.wav", tone(1), "audio/wav")}, headers=hh["headers"])
    assert r.status_code == 200 and r.json()["text"] == "My mother baked bread every Sunday."
    assert stored_counts(client, hh["id"]) == before


def test_a_failing_service_falls_back_to_the_embedded_recognition(client, upstream, spoken_wav):
    hh = new_household(client)
    persona = new_persona(client, hh)
    upstream.transcript = None  # the remote answers without a text: a broken service
    r = dictate(client, persona["id"], hh["headers"], spoken_wav("My mother baked bread every Sunday in the old stone oven."))
    assert r.status_code == 200, r.text
    assert "bread" in r.json()["text"].lower()


def test_another_household_and_a_viewer_cannot_dictate(client, upstream):
    a = new_household(client, "a@example.com")
    persona = new_persona(client, a)
    b = new_household(client, "b@example.com")
    assert dictate(client, persona["id"], b["headers"], tone(1)).status_code == 404
    invite = client.post("/v1/invitations", json={"role": "viewer"}, headers=a["headers"]).json()
    viewer = client.post("/v1/invitations/accept", json={"code": invite["code"], "email": "v@example.com", "password": "viewer password"})
    r = dictate(client, persona["id"], auth(viewer.json()["token"]), tone(1))
    assert r.status_code == 403, r.text
    assert not [q for q in upstream.requests if q.url.path.endswith("/audio/transcriptions")], "nothing was transcribed"


def test_what_cannot_be_dictated(client, upstream):
    hh = new_household(client)
    persona = new_persona(client, hh)
    before = stored_counts(client, hh["id"])

    r = dictate(client, persona["id"], hh["headers"], b"%PDF-1.4 not a recording at all" * 10)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_audio", r.text
    assert dictate(client, persona["id"], hh["headers"], b"hello", "text/plain").status_code == 415

    r = dictate(client, persona["id"], hh["headers"], tone(MAX_AUDIO_S + 1))
    assert r.status_code == 413 and r.json()["error"]["code"] == "audio_too_long", r.text

    r = dictate(client, persona["id"], hh["headers"], wav_bytes(np.zeros(16000 * 2)))
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("No words were heard"), r.text

    upstream.transcript = "   "  # sound, but no words in it
    r = dictate(client, persona["id"], hh["headers"], tone(2))
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_words", r.text
    assert stored_counts(client, hh["id"]) == before


def test_dictation_waits_for_a_place_among_the_turns(client, upstream):
    # The embedded speech-to-text shares the CPU with the relatives' turns: a full gate says "busy".
    hh = new_household(client)
    persona = new_persona(client, hh)
    gate = client.app.state.keepsake.gate
    gate.wait_s = 0.05
    holds = [client.portal.call(gate.acquire) for _ in range(gate.capacity)]  # every place is mid-turn
    r = dictate(client, persona["id"], hh["headers"], tone(1))
    assert r.status_code == 503 and r.json()["error"]["code"] == "busy" and r.headers["retry-after"]
    assert not [q for q in upstream.requests if q.url.path.endswith("/audio/transcriptions")]
    for hold in holds:
        client.portal.call(hold)
    assert dictate(client, persona["id"], hh["headers"], tone(1)).status_code == 200
    assert not gate.busy  # the place is given back after the words come back
