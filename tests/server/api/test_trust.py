"""Trust rules at the API: roles, guessing, alerts, the relative's say, limits, retiring, export and erasure."""

import io
import json
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from server.storage.db import iso, parse_time
from tests.server.api.conftest import CONSENT, FAKE, auth, events, new_household, new_persona, stored_files, table_names


def pair(client, hh) -> dict:
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": code, "name": "Tablet"}).json()
    return {"id": device["device_id"], "headers": auth(device["device_token"])}


def talk(client, headers, session_id, text) -> list[dict]:
    r = client.post(f"/v1/sessions/{session_id}/turns", json={"text": text}, headers=headers)
    assert r.status_code == 200, r.text
    return events(r)


def session(client, headers, persona_id) -> dict:
    r = client.post("/v1/sessions", json={"persona_id": persona_id}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_roles_owner_invites_viewer_reads_only(client):
    owner = new_household(client)
    persona = new_persona(client, owner)
    invite = client.post("/v1/invitations", json={"role": "viewer"}, headers=owner["headers"])
    assert invite.status_code == 201
    joined = client.post(
        "/v1/invitations/accept", json={"code": invite.json()["code"], "email": "v@example.com", "password": "viewer password"}
    )
    assert joined.status_code == 201 and joined.json()["role"] == "viewer"
    viewer = auth(joined.json()["token"])
    assert client.get(f"/v1/personas/{persona['id']}/memories", headers=viewer).status_code == 200
    assert client.patch(f"/v1/personas/{persona['id']}", json={"biography": "x"}, headers=viewer).status_code == 403
    assert client.post("/v1/invitations", json={"role": "caregiver"}, headers=viewer).status_code == 403
    assert client.post("/v1/pairing-codes", headers=viewer).status_code == 403
    # An invitation works once.
    again = client.post(
        "/v1/invitations/accept", json={"code": invite.json()["code"], "email": "w@example.com", "password": "viewer password"}
    )
    assert again.status_code == 400
    emails = {c["email"]: c["role"] for c in client.get("/v1/caregivers", headers=owner["headers"]).json()}
    assert emails == {"ada@example.com": "owner", "v@example.com": "viewer"}


def test_logout_everywhere_revokes_all_tokens(client):
    hh = new_household(client)
    second = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "correct horse battery"}).json()["token"]
    assert client.post("/v1/auth/logout-all", headers=hh["headers"]).status_code == 204
    assert client.get("/v1/personas", headers=hh["headers"]).status_code == 401
    assert client.get("/v1/personas", headers=auth(second)).status_code == 401


def test_guessing_pairing_codes_is_stopped(client):
    hh = new_household(client)
    real = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    for _ in range(10):
        assert client.post("/v1/devices", json={"pairing_code": "WRONG234", "name": "x"}).status_code == 400
    r = client.post("/v1/devices", json={"pairing_code": real, "name": "x"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"


def test_guessing_passwords_is_stopped(client):
    new_household(client)
    for _ in range(5):  # a few free tries, then this address waits before its next one (tests/server/api/test_limits.py)
        assert client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "guess"}).status_code == 401
    r = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "correct horse battery"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    assert 25 <= int(r.headers["retry-after"]) <= 30


def test_crisis_alerts_caregivers_and_shows_the_contact(client, upstream):
    hh = new_household(client)
    client.patch(
        "/v1/household/settings",
        json={
            "crisis_contact_name": "Anne",
            "crisis_contact_phone": "+44 7700 900123",
            "emergency_number": "999",
            "webhook_url": "http://fake-upstream.test/hook",
        },
        headers=hh["headers"],
    )
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    evs = talk(client, tablet["headers"], s["id"], "I don't want to wake up tomorrow, I'd rather be with you")
    notice = next(e for e in evs if e["type"] == "notice" and e["code"] == "crisis")
    assert notice["data"]["contact_phone"] == "+44 7700 900123" and notice["data"]["emergency_number"] == "999"
    spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence").lower()
    assert "call" in spoken
    alerts = client.get("/v1/alerts", headers=hh["headers"]).json()
    assert alerts[0]["kind"] == "crisis"
    hooks = [json.loads(r.content) for r in upstream.requests if r.url.path == "/hook"]
    assert hooks and hooks[0]["kind"] == "crisis"
    me = client.get("/v1/devices/me", headers=tablet["headers"]).json()
    assert me["crisis_contact_name"] == "Anne"


def test_stop_ends_kindly_and_the_tablet_is_told_not_to_restart(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    assert "talk with me" in s["greeting"]["text"]  # the first time, she asks
    evs = talk(client, tablet["headers"], s["id"], "I don't want this. Go away.")
    assert evs[-1]["ended"] is True
    assert any(e["type"] == "notice" and e["code"] == "relative_declined" for e in evs)
    assert any(e["type"] == "sentence" for e in evs)
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "relative_stopped"
    assert client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "hello"}, headers=tablet["headers"]).status_code == 409


def test_asking_if_it_is_real_gets_the_truth(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    assert "AI" in s["greeting"]["text"]  # disclosure is on by default
    spoken = " ".join(e["text"] for e in talk(client, hh["headers"], s["id"], "Is this really you, Nana?") if e["type"] == "sentence")
    assert "AI recreation" in spoken


def test_quiet_hours_end_with_a_goodbye_not_an_error(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    r = client.patch(f"/v1/devices/{tablet['id']}", json={"quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}, headers=hh["headers"])
    assert r.status_code == 200
    s = session(client, tablet["headers"], persona["id"])
    assert s["ended"] is True and "tomorrow" in s["greeting"]["text"] and s["greeting"]["sentences"]
    assert client.patch(f"/v1/devices/{tablet['id']}", json={"quiet_hours_start": "25:00"}, headers=hh["headers"]).status_code == 422
    assert client.patch(f"/v1/devices/{tablet['id']}", json={"timezone": "Mars/Olympus"}, headers=hh["headers"]).status_code == 422


def test_daily_limit_reached_mid_conversation(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    # Ten minutes back must still be today where the tablet is: not so in the first minutes after midnight.
    zone = next(z for z in ("UTC", "Asia/Shanghai", "America/New_York") if datetime.now(ZoneInfo(z)).hour >= 1)
    client.patch(f"/v1/devices/{tablet['id']}", json={"daily_minutes": 5, "timezone": zone}, headers=hh["headers"])
    s = session(client, tablet["headers"], persona["id"])
    # Ten minutes of talking already today.
    db = client.app.state.keepsake.db
    began = parse_time(db.first("SELECT created_at FROM sessions WHERE id = ?", (s["id"],))[0])
    db.execute("UPDATE sessions SET created_at = ? WHERE id = ?", (iso(began - timedelta(minutes=10)), s["id"]))
    evs = talk(client, tablet["headers"], s["id"], "Tell me about the seaside")
    assert evs[-1]["ended"] is True and any(e.get("code") == "daily_limit" for e in evs)
    assert "tomorrow" in " ".join(e["text"] for e in evs if e["type"] == "sentence")


def test_retire_with_a_farewell_then_archive(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    r = client.post(
        f"/v1/personas/{persona['id']}/retire",
        json={"then": "archive", "farewell": "My darling, it is time for me to rest. Goodbye."},
        headers=hh["headers"],
    )
    assert r.status_code == 200 and r.json()["status"] == "retiring"
    s = session(client, hh["headers"], persona["id"])
    assert s["greeting"]["text"].startswith("My darling")
    assert client.delete(f"/v1/sessions/{s['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["status"] == "archived"
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "persona_archived"
    assert client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json()  # kept for the family


def test_export_holds_data_and_media(client, media_backend):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    talk(client, hh["headers"], s["id"], "Tell me about your wedding")
    talk(client, hh["headers"], s["id"], "Some days I want to die")
    r = client.get(f"/v1/personas/{persona['id']}/export", headers=hh["headers"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    data = json.loads(archive.read("data.json"))
    exported = data["personas"][0]
    assert exported["persona"]["id"] == persona["id"] and len(exported["memories"]) == 2
    assert exported["sessions"][0]["turns"][0]["user_text"] == "Tell me about your wedding"
    assert any(name.startswith("media/") and name.endswith(".wav") for name in archive.namelist())
    assert "password" not in json.dumps(data)
    assert [a["kind"] for a in exported["alerts"]] == ["crisis"] and exported["sources"] == [] and "voice_samples" in exported
    assert any(entry["action"] == "create_persona" for entry in data["audit_log"])
    assert "token" not in json.dumps(data["tablets"])
    actions = [e["action"] for e in client.get("/v1/audit", headers=hh["headers"]).json()]
    assert "export_persona" in actions and "create_persona" in actions and "record_consent" in actions


def test_household_export_holds_every_persona(client):
    hh = new_household(client)
    first, second = new_persona(client, hh), new_persona(client, hh, consent=False)
    r = client.get("/v1/household/export", headers=hh["headers"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("data.json"))
    assert {p["persona"]["id"] for p in data["personas"]} == {first["id"], second["id"]}
    assert data["caregivers"][0]["email"] == "ada@example.com"
    other = new_household(client, "other@example.com")
    assert (
        json.loads(zipfile.ZipFile(io.BytesIO(client.get("/v1/household/export", headers=other["headers"]).content)).read("data.json"))[
            "personas"
        ]
        == []
    )


def test_erasing_a_persona_leaves_no_file_or_row(client, media_backend):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    client.post(
        f"/v1/sessions/{s['id']}/turns", content=Path(__file__).read_bytes()[:10], headers={**hh["headers"], "content-type": "audio/wav"}
    )
    talk(client, hh["headers"], s["id"], "My grandson was born yesterday")
    assert any(key.endswith(".wav") for key in stored_files(client))
    assert client.delete(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 204
    db = client.app.state.keepsake.db
    pid = persona["id"]
    for table, column in [
        ("personas", "id"),
        ("memories", "persona_id"),
        ("memory_fts", "persona_id"),
        ("facts", "persona_id"),
        ("sessions", "persona_id"),
        ("consents", "persona_id"),
        ("media", "persona_id"),
        ("alerts", "persona_id"),
    ]:
        assert db.one(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (pid,))[0] == 0, table
    assert db.one("SELECT COUNT(*) FROM turns")[0] == 0
    assert stored_files(client) == []
    assert "erase_persona" in [e["action"] for e in client.get("/v1/audit", headers=hh["headers"]).json()]


class ScamLLM:
    def __call__(self, request: httpx.Request) -> httpx.Response:
        pieces = ["My dear, I need your help. ", "Please send me money by gift card today. ", "And don't tell your family."]
        body = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n" for p in pieces) + "data: [DONE]\n\n"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


def test_a_scam_sentence_from_the_model_is_never_spoken(data_dir):
    llm = StageSettings(provider="openai", base_url=FAKE, model="m", timeout_s=5, retries=0)
    with TestClient(
        create_app(Settings(data_dir=data_dir, preload_engines=False, llm=llm), http_transport=httpx.MockTransport(ScamLLM()))
    ) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, consent=False)
        client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
        client.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=hh["headers"])
        s = session(client, hh["headers"], persona["id"])
        evs = talk(client, hh["headers"], s["id"], "How are you?")
        spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence").lower()
        assert "gift card" not in spoken and "money" not in spoken and "don't tell" not in spoken
        assert sum(1 for e in evs if e.get("code") == "sentence_blocked") == 2
        kinds = [a["kind"] for a in client.get("/v1/alerts", headers=hh["headers"]).json()]
        assert kinds.count("blocked_sentence") == 2


def test_busy_gate_answers_503_and_stores_nothing(data_dir):
    settings = Settings(data_dir=data_dir, preload_engines=False, max_concurrent_turns=1, turn_wait_s=0.05)
    with TestClient(create_app(settings)) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        s = session(client, hh["headers"], persona["id"])
        gate = client.app.state.keepsake.gate
        hold = client.portal.call(gate.acquire)  # someone else is mid-turn
        r = client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "hello"}, headers=hh["headers"])
        assert r.status_code == 503 and r.json()["error"]["code"] == "busy" and r.headers["retry-after"]
        assert client.app.state.keepsake.db.one("SELECT COUNT(*) FROM turns")[0] == 0
        client.portal.call(hold)
        assert client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "hello"}, headers=hh["headers"]).status_code == 200


def test_a_crisis_is_heard_even_after_the_daily_limit(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    client.patch(f"/v1/devices/{tablet['id']}", json={"quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}, headers=hh["headers"])
    evs = talk(client, tablet["headers"], s["id"], "I've fallen and I can't get up")
    assert any(e.get("code") == "crisis" for e in evs)
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "crisis"


def quiet_all_day(client, hh, tablet) -> None:
    r = client.patch(f"/v1/devices/{tablet['id']}", json={"quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}, headers=hh["headers"])
    assert r.status_code == 200


def test_crisis_words_in_quiet_hours_reach_the_caregivers_at_once(client, upstream):
    hh = new_household(client)
    client.patch(
        "/v1/household/settings", json={"emergency_number": "112", "webhook_url": "http://fake-upstream.test/hook"}, headers=hh["headers"]
    )
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    quiet_all_day(client, hh, tablet)
    s = session(client, tablet["headers"], persona["id"])
    assert s["ended"] is True  # the goodnight; the tablet rests
    ended_at = client.app.state.keepsake.db.one("SELECT ended_at FROM sessions WHERE id = ?", (s["id"],))[0]
    # The relative taps in the night: the words go to this session at once, not with the morning's talk.
    evs = talk(client, tablet["headers"], s["id"], "I'm tired of living, I just want to go to sleep and not wake up")
    notice = next(e for e in evs if e.get("code") == "crisis")
    assert notice["data"]["emergency_number"] == "112"
    assert "call" in " ".join(e["text"] for e in evs if e["type"] == "sentence").lower()
    assert evs[-1]["ended"] is True  # care first, then the tablet rests again
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "crisis"
    assert [json.loads(r.content)["kind"] for r in upstream.requests if r.url.path == "/hook"] == ["crisis"]
    # Anything else said at night gets a short goodnight, and nothing is lost.
    evs = talk(client, tablet["headers"], s["id"], "I miss you so much")
    spoken = " ".join(e["text"] for e in evs if e["type"] == "sentence")
    assert "tomorrow" in spoken and evs[-1]["ended"] is True and any(e.get("code") == "quiet_hours" for e in evs)
    said = [
        i["text"] for i in client.get(f"/v1/sessions/{s['id']}/history", headers=hh["headers"]).json()["items"] if i["role"] == "relative"
    ]
    assert said == ["I'm tired of living, I just want to go to sleep and not wake up", "I miss you so much"]
    # Words said after the end never stretch the day's minutes.
    assert client.app.state.keepsake.db.one("SELECT ended_at FROM sessions WHERE id = ?", (s["id"],))[0] == ended_at


def test_a_closed_session_takes_no_words_once_the_limit_is_over(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    quiet_all_day(client, hh, tablet)
    s = session(client, tablet["headers"], persona["id"])
    # Only its own tablet may speak into it, and only while the limit lasts.
    r = client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "help"}, headers=hh["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"  # a caregiver never speaks in it
    client.patch(f"/v1/devices/{tablet['id']}", json={"quiet_hours_start": None, "quiet_hours_end": None}, headers=hh["headers"])  # morning
    r = client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Good morning"}, headers=tablet["headers"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "session_ended"  # a new session takes them
    # A conversation that ended with a goodbye stays ended whatever the hour.
    s = session(client, tablet["headers"], persona["id"])
    assert talk(client, tablet["headers"], s["id"], "Goodbye Nana, see you soon")[-1]["ended"] is True
    quiet_all_day(client, hh, tablet)
    assert client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "hello"}, headers=tablet["headers"]).status_code == 409


def test_stop_in_quiet_hours_is_still_the_relatives_say(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    quiet_all_day(client, hh, tablet)
    s = session(client, tablet["headers"], persona["id"])
    evs = talk(client, tablet["headers"], s["id"], "Stop. I don't want this.")
    assert any(e.get("code") == "relative_declined" for e in evs) and evs[-1]["ended"] is True
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True


def test_the_caregivers_test_never_undoes_the_relatives_stop(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    talk(client, tablet["headers"], s["id"], "Go away, I don't want this")
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True
    r = client.post("/v1/sessions", json={"persona_id": persona["id"], "test": True}, headers=tablet["headers"])
    assert r.status_code == 201 and r.json()["greeting"]["sentences"]
    assert "talk with me" not in r.json()["greeting"]["text"]  # the first-time question is for the relative
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True
    # A test is the greeting only: it takes no turns.
    assert client.post(f"/v1/sessions/{r.json()['id']}/turns", json={"text": "hello"}, headers=tablet["headers"]).status_code == 409
    # The relative's own tap does start a talk again.
    session(client, tablet["headers"], persona["id"])
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is False


def test_a_test_of_a_retiring_persona_keeps_the_farewell_for_the_relative(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    client.post(f"/v1/personas/{persona['id']}/retire", json={"then": "archive"}, headers=hh["headers"])
    r = client.post("/v1/sessions", json={"persona_id": persona["id"], "test": True}, headers=hh["headers"])
    assert r.status_code == 201
    client.delete(f"/v1/sessions/{r.json()['id']}", headers=hh["headers"])
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["status"] == "retiring"


class CountingLLM:
    """An OpenAI-compatible chat server that says a plain sentence and counts how often it was asked."""

    def __init__(self):
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404)
        self.calls += 1
        body = f"data: {json.dumps({'choices': [{'delta': {'content': 'I went peacefully in the hospital, dear.'}}]})}\n\ndata: [DONE]\n\n"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


def test_boundaries_are_steered_away_from_in_both_modes(data_dir):
    llm = CountingLLM()
    remote = StageSettings(provider="openai", base_url=FAKE, model="m", timeout_s=5, retries=0)
    with TestClient(
        create_app(Settings(data_dir=data_dir, preload_engines=False, llm=remote), http_transport=httpx.MockTransport(llm))
    ) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, consent=False)  # boundaries: "how she died"
        client.post(
            f"/v1/personas/{persona['id']}/memories",
            json={"title": "The end", "text": "I died in the hospital in March, with Anne beside me."},
            headers=hh["headers"],
        )
        client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
        for mode in ("story", "generative"):
            client.patch(f"/v1/personas/{persona['id']}", json={"mode": mode}, headers=hh["headers"])
            s = session(client, hh["headers"], persona["id"])
            spoken = " ".join(e["text"] for e in talk(client, hh["headers"], s["id"], "Nana, how did you die?") if e["type"] == "sentence")
            assert spoken and "hospital" not in spoken.lower() and "died" not in spoken.lower(), (mode, spoken)
        assert llm.calls == 0  # no model improvises on a topic the family closed
        s = session(client, hh["headers"], persona["id"])
        talk(client, hh["headers"], s["id"], "Tell me about your garden")
        assert llm.calls == 1  # and the model is used for everything else


def test_stop_and_crisis_in_chinese(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    evs = talk(client, tablet["headers"], s["id"], "活着没意思，不想拖累你们了")
    assert any(e.get("code") == "crisis" for e in evs)
    evs = talk(client, tablet["headers"], s["id"], "别说了，我不想聊了")
    assert any(e.get("code") == "relative_declined" for e in evs) and evs[-1]["ended"] is True
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True
    assert [a["kind"] for a in client.get("/v1/alerts", headers=hh["headers"]).json()][:2] == ["relative_stopped", "crisis"]


def test_without_disclosure_at_the_start_the_truth_is_still_told_when_asked(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    client.patch(f"/v1/personas/{persona['id']}", json={"disclosure": False}, headers=hh["headers"])
    s = session(client, hh["headers"], persona["id"])
    assert "AI" not in s["greeting"]["text"]
    spoken = " ".join(e["text"] for e in talk(client, hh["headers"], s["id"], "Are you real?") if e["type"] == "sentence")
    assert "AI" in spoken


def test_retire_with_a_farewell_then_erase(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    client.post(f"/v1/personas/{persona['id']}/retire", json={"then": "erase"}, headers=hh["headers"])
    s = session(client, hh["headers"], persona["id"])
    talk(client, hh["headers"], s["id"], "I love you, Nana")
    assert client.delete(f"/v1/sessions/{s['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 404
    db = client.app.state.keepsake.db
    for table in ("memories", "sessions", "media", "consents"):
        assert db.one(f"SELECT COUNT(*) FROM {table} WHERE persona_id = ?", (persona["id"],))[0] == 0, table


def test_the_greeting_is_checked_like_every_answer(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    # A farewell someone typed carries a request: it is never spoken, and the caregivers hear of it.
    client.post(
        f"/v1/personas/{persona['id']}/retire",
        json={"then": "archive", "farewell": "Goodbye, my love. Send me the code the bank texts you."},
        headers=hh["headers"],
    )
    s = session(client, hh["headers"], persona["id"])
    assert "code" not in s["greeting"]["text"] and s["greeting"]["text"].startswith("Goodbye, my love.")
    assert "code" not in " ".join(x["text"] for x in s["greeting"]["sentences"])
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "blocked_sentence"


def test_crisis_words_of_a_turn_cut_by_a_crash_still_reach_the_caregivers(client):
    from server.recovery import recover_cut_turns
    from server.storage import sessions as session_store

    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    state = client.app.state.keepsake
    # The server went down right after storing the words, before answering them.
    turn_id = session_store.start_turn(state.db, hh["id"], s["id"], text="I don't want to live any more", audio_media_id=None)
    assert client.portal.call(recover_cut_turns, state, 0) == 1
    alerts = client.get("/v1/alerts", headers=hh["headers"]).json()
    assert [(a["kind"], a["session_id"]) for a in alerts] == [("crisis", s["id"])]
    assert state.db.one("SELECT status FROM turns WHERE id = ?", (turn_id,))[0] == "interrupted"
    # A turn that had raised its alert before the crash is not alerted twice.
    session_store.start_turn(state.db, hh["id"], s["id"], text="I don't want to live any more", audio_media_id=None)
    client.portal.call(recover_cut_turns, state, 0)
    assert len(client.get("/v1/alerts", headers=hh["headers"]).json()) == 1


def test_a_test_in_quiet_hours_takes_no_turns_either(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    quiet_all_day(client, hh, tablet)
    r = client.post("/v1/sessions", json={"persona_id": persona["id"], "test": True}, headers=tablet["headers"])
    assert r.status_code == 201 and r.json()["ended"] is True
    assert client.post(f"/v1/sessions/{r.json()['id']}/turns", json={"text": "hello"}, headers=tablet["headers"]).status_code == 409


def test_erasing_a_persona_leaves_nothing_anywhere(client, data_dir):
    import numpy as np

    from tests.conftest import wav_bytes

    hh = new_household(client)
    persona = new_persona(client, hh)
    pid = persona["id"]
    keep = new_persona(client, hh)  # another persona of the same household stays whole
    r = client.post(
        f"/v1/personas/{pid}/sources",
        files={"file": ("letter.txt", b"Dear Anne,\nThe garden is lovely.\nLove, Mum", "text/plain")},
        headers=hh["headers"],
    )
    assert r.status_code == 202
    job_url = r.json()["job_url"]
    for _ in range(100):
        if client.get(job_url, headers=hh["headers"]).json()["state"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    tone = wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220 * 3, 16000 * 3)))
    assert (
        client.post(f"/v1/personas/{pid}/voice-samples", content=tone, headers={**hh["headers"], "content-type": "audio/wav"}).status_code
        == 201
    )
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], pid)
    talk(client, tablet["headers"], s["id"], "I don't want to wake up tomorrow")  # an alert about this persona
    talk(client, tablet["headers"], s["id"], "My grandson was born yesterday")  # a fact
    assert client.delete(f"/v1/personas/{pid}", headers=hh["headers"]).status_code == 204

    db = client.app.state.keepsake.db
    for table in table_names(db):
        if table == "audit_log":
            continue  # who erased what, and when, is kept on purpose
        for row in db.all(f"SELECT * FROM {table}"):
            assert pid not in " ".join(str(v) for v in tuple(row)), f"{table} still mentions the erased persona"
    assert db.one("SELECT COUNT(*) FROM turns")[0] == 0
    kept = {"keepsake.db", "keepsake.db-wal", "keepsake.db-shm", "keepsake.db-migrate.lock", "secret.key"}
    files = [p for p in data_dir.rglob("*") if p.is_file() and p.name not in kept]
    assert all(db.one("SELECT 1 FROM media WHERE ? LIKE '%' || id || '%'", (p.name,)) for p in files), f"files no row owns: {files}"
    assert client.get(f"/v1/personas/{keep['id']}/memories", headers=hh["headers"]).json()


def test_changing_one_limit_keeps_the_others(client):
    hh = new_household(client)
    tablet = pair(client, hh)
    url = f"/v1/devices/{tablet['id']}"
    client.patch(url, json={"quiet_hours_start": "21:00", "quiet_hours_end": "07:00", "timezone": "Europe/London"}, headers=hh["headers"])
    settings = client.patch(url, json={"daily_minutes": 45}, headers=hh["headers"]).json()["settings"]
    assert settings == {"daily_minutes": 45, "quiet_hours_start": "21:00", "quiet_hours_end": "07:00", "timezone": "Europe/London"}
    assert client.patch(url, json={"timezone": "Mars/Olympus"}, headers=hh["headers"]).status_code == 422
    assert client.get("/v1/devices", headers=hh["headers"]).json()[0]["settings"]["timezone"] == "Europe/London"
    cleared = client.patch(url, json={"daily_minutes": None}, headers=hh["headers"]).json()["settings"]
    assert cleared["daily_minutes"] is None and cleared["quiet_hours_start"] == "21:00"


def test_no_thank_you_to_the_first_time_question_is_the_relatives_say(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    assert "talk with me" in s["greeting"]["text"]
    evs = talk(client, tablet["headers"], s["id"], "No, thank you.")
    assert any(e.get("code") == "relative_declined" for e in evs) and evs[-1]["ended"] is True
    assert client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is True
    # Later, once they have talked, a plain "no" is just a "no".
    s = session(client, tablet["headers"], persona["id"])
    assert "talk with me" not in s["greeting"]["text"]
    talk(client, tablet["headers"], s["id"], "Tell me about the seaside")
    evs = talk(client, tablet["headers"], s["id"], "No.")
    assert not any(e.get("code") == "relative_declined" for e in evs) and evs[-1]["ended"] is False


def test_yes_to_the_first_time_question_goes_on(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    s = session(client, tablet["headers"], persona["id"])
    evs = talk(client, tablet["headers"], s["id"], "Yes please, I'd like that.")
    assert evs[-1]["ended"] is False and client.get("/v1/devices/me", headers=tablet["headers"]).json()["declined"] is False


def test_caregivers_find_every_conversation_to_read(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    tablet = pair(client, hh)
    first = session(client, tablet["headers"], persona["id"])
    talk(client, tablet["headers"], first["id"], "Tell me about the seaside")
    second = session(client, tablet["headers"], persona["id"])
    listed = client.get("/v1/sessions", headers=hh["headers"]).json()
    assert [s["id"] for s in listed] == [second["id"], first["id"]] and listed[1]["turns"] == 1
    assert client.get(f"/v1/sessions?persona_id={persona['id']}&limit=1", headers=hh["headers"]).json()[0]["id"] == second["id"]
    assert client.get("/v1/sessions", headers=tablet["headers"]).status_code == 403  # a tablet does not list the family's talks
    other = new_household(client, "other@example.com")
    assert client.get("/v1/sessions", headers=other["headers"]).json() == []
    assert client.get(f"/v1/sessions?persona_id={persona['id']}", headers=other["headers"]).json() == []


def test_words_speech_to_text_could_not_hear_are_recognised_later_and_crisis_reaches_the_caregivers(client, upstream):
    import numpy as np

    from server.recovery import recover_cut_turns
    from server.storage import sessions as session_store
    from tests.conftest import wav_bytes

    hh = new_household(client)
    persona = new_persona(client, hh)
    s = session(client, hh["headers"], persona["id"])
    state = client.app.state.keepsake
    # Speech to text was down when the relative spoke: the recording was kept, the turn marked so.
    media = state.media.put(
        hh["id"], wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 200, 16000))), "audio/wav", "relative_speech", persona["id"]
    )
    turn_id = session_store.start_turn(state.db, hh["id"], s["id"], text=None, audio_media_id=media.id)
    state.db.execute("UPDATE turns SET status = 'asr_failed' WHERE id = ?", (turn_id,))
    upstream.transcript = "I don't want to live any more"  # it is back
    assert client.portal.call(recover_cut_turns, state, 0) == 1
    history = client.get(f"/v1/sessions/{s['id']}/history", headers=hh["headers"]).json()["items"]
    assert history[0]["text"] == "I don't want to live any more"
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "crisis"
    assert state.db.one("SELECT status FROM turns WHERE id = ?", (turn_id,))[0] == "recognised_later"
    assert client.portal.call(recover_cut_turns, state, 0) == 0  # done once understood
