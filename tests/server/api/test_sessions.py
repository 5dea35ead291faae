import numpy as np

from server.audio import read_wav_comment
from tests.conftest import wav_bytes
from tests.server.api.conftest import auth, events, new_household, new_persona
from tests.server.api.test_facts_stay_theirs import pair


def start(client, hh, persona) -> dict:
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 201, r.text
    return r.json()


def speech(seconds: float = 1.5) -> bytes:
    t = np.linspace(0, seconds, int(16000 * seconds), endpoint=False)
    return wav_bytes(0.4 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2)


def test_session_needs_consent(client):
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False)
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "consent_required" and "consent" in r.json()["error"]["message"].lower()


def test_session_starts_with_a_spoken_greeting(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    assert session["id"] and session["persona"]["display_name"] == "Rose Whitfield"
    greeting = session["greeting"]
    assert greeting["text"] and greeting["sentences"]
    audio = client.get(greeting["sentences"][0]["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"


def test_text_turn_streams_sentences_then_done(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    evs = events(r)
    assert evs[-1]["type"] == "done" and set(evs[-1]["timings_ms"]) >= {"first_text", "first_audio", "total"}
    sentences = [e for e in evs if e["type"] == "sentence"]
    assert sentences and [s["index"] for s in sentences] == list(range(len(sentences)))
    assert any("Whitby" in s["text"] or "shells" in s["text"] for s in sentences)
    first = sentences[0]
    assert first["audio_mime"] == "audio/wav" and first["duration_ms"] > 0
    assert first["mouth"]["fps"] > 0 and len(first["mouth"]["values"]) > 0
    assert all(0 <= v <= 1 for v in first["mouth"]["values"])
    wav = client.get(first["audio_url"]).content
    assert "AI-generated" in (read_wav_comment(wav) or "")


def test_audio_turn_transcribes_and_answers(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    r = client.post(f"/v1/sessions/{session['id']}/turns", content=speech(), headers={**hh["headers"], "content-type": "audio/wav"})
    assert r.status_code == 200
    evs = events(r)
    assert evs[0] == {"type": "transcript", "text": upstream.transcript} or evs[0]["text"] == upstream.transcript
    assert any(e["type"] == "sentence" for e in evs) and evs[-1]["type"] == "done"
    assert "asr" in evs[-1]["timings_ms"]
    history = client.get(f"/v1/sessions/{session['id']}/history", headers=hh["headers"]).json()["items"]
    assert history[0]["role"] == "relative" and history[0]["text"] == upstream.transcript
    assert history[1]["role"] == "persona"


def test_chunked_streamed_upload(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    body = speech()

    def chunks():
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    r = client.post(f"/v1/sessions/{session['id']}/turns", content=chunks(), headers={**hh["headers"], "content-type": "audio/wav"})
    assert r.status_code == 200 and events(r)[0]["type"] == "transcript"


def test_silence_gets_a_gentle_request_to_repeat(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    r = client.post(
        f"/v1/sessions/{session['id']}/turns", content=wav_bytes(np.zeros(16000)), headers={**hh["headers"], "content-type": "audio/wav"}
    )
    evs = events(r)
    assert r.status_code == 200 and evs[0] == {"type": "transcript", "text": ""}
    spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence")
    assert "again" in spoken.lower()
    assert not [q for q in upstream.requests if q.url.path.endswith("/transcriptions")]


def test_bad_turn_bodies(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    url = f"/v1/sessions/{session['id']}/turns"
    h = hh["headers"]
    assert client.post(url, content=b"", headers={**h, "content-type": "audio/wav"}).status_code == 400
    r = client.post(url, content=b"this is not audio at all" * 10, headers={**h, "content-type": "audio/wav"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_audio"
    assert client.post(url, content=b"hello", headers={**h, "content-type": "text/plain"}).status_code == 415
    assert client.post(url, json={"text": ""}, headers=h).status_code == 422
    assert client.post(url, json={"words": "hi"}, headers=h).status_code == 422
    assert client.post(url, content=b"{not json", headers={**h, "content-type": "application/json"}).status_code == 422
    big = b"\0" * (1024 * 1024 + 10)  # the test settings allow 1 MB
    r = client.post(url, content=big, headers={**h, "content-type": "audio/wav"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert client.post(url, json={"text": "hi"}).status_code == 401
    assert client.post("/v1/sessions/ses_unknown/turns", json={"text": "hi"}, headers=h).status_code == 404
    assert client.get(f"/v1/sessions/{session['id']}/history", headers=h).json()["items"] == []


def test_other_household_cannot_touch_a_session(client):
    a = new_household(client, "a@example.com")
    b = new_household(client, "b@example.com")
    session = start(client, a, new_persona(client, a))
    sid = session["id"]
    assert client.post(f"/v1/sessions/{sid}/turns", json={"text": "hi"}, headers=b["headers"]).status_code == 404
    assert client.get(f"/v1/sessions/{sid}/history", headers=b["headers"]).status_code == 404
    assert client.delete(f"/v1/sessions/{sid}", headers=b["headers"]).status_code == 404
    media_path = session["greeting"]["sentences"][0]["audio_url"].split("?")[0]
    assert client.get(media_path, headers=b["headers"]).status_code == 404
    assert client.get(media_path).status_code == 404
    assert client.get(media_path, headers=a["headers"]).status_code == 200
    assert client.get(media_path + "?exp=99999999999&sig=forged").status_code == 404


def test_device_talks_and_session_ends(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = auth(client.post("/v1/devices", json={"pairing_code": code, "name": "x"}).json()["device_token"])
    session = start(client, {"headers": device}, persona)
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Hello Nana"}, headers=device)
    assert events(r)[-1]["type"] == "done"
    assert client.delete(f"/v1/sessions/{session['id']}", headers=device).status_code == 204
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Hello"}, headers=device)
    assert r.status_code == 409


def test_interrupted_answer_keeps_only_what_was_played(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about your wedding"}, headers=hh["headers"])
    evs = events(r)
    turn_id = evs[-1]["turn_id"]
    url = f"/v1/sessions/{session['id']}/turns/{turn_id}/playback"
    assert client.post(url, json={"sentences_played": 0}, headers=hh["headers"]).status_code == 204
    items = client.get(f"/v1/sessions/{session['id']}/history", headers=hh["headers"]).json()["items"]
    assert [i["role"] for i in items] == ["relative"]
    assert client.post(url, json={"sentences_played": -1}, headers=hh["headers"]).status_code == 422
    assert (
        client.post(f"/v1/sessions/{session['id']}/turns/turn_x/playback", json={"sentences_played": 1}, headers=hh["headers"]).status_code
        == 404
    )


def test_news_is_remembered_in_the_next_session(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Kitchen")  # the relative's news is kept; a caregiver's test keeps none
    session = start(client, tablet, persona)
    client.post(
        f"/v1/sessions/{session['id']}/turns", json={"text": "Nana, your great-grandson was born last week!"}, headers=tablet["headers"]
    )
    facts = client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"]).json()
    assert facts and "born" in facts[0]["text"]
    later = start(client, tablet, persona)
    assert "baby" in later["greeting"]["text"].lower() or "born" in later["greeting"]["text"].lower()


def test_story_mode_plays_her_own_recording(client):
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
    original = [e for e in evs if e["type"] == "sentence" and e.get("original")]
    assert len(original) == 1 and "bees" in original[0]["text"]
    assert original[0]["audio_url"].startswith(f"/v1/media/{clip.id}?")
    assert 1900 <= original[0]["duration_ms"] <= 2100 and max(original[0]["mouth"]["values"]) > 0.3
    played = client.get(original[0]["audio_url"]).content
    assert read_wav_comment(played) is None  # her real voice carries no "AI-generated" mark
