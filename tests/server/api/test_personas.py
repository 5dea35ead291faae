from tests.server.api.conftest import CONSENT, PERSONA, auth, new_household, new_persona


def test_persona_crud(client):
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False, memories=False)
    assert persona["id"] and persona["display_name"] == "Rose Whitfield" and persona["addressed_as"] == ["Grandma Rose", "Nana"]
    assert persona["consent"] is None
    assert [p["id"] for p in client.get("/v1/personas", headers=hh["headers"]).json()] == [persona["id"]]
    r = client.patch(f"/v1/personas/{persona['id']}", json={"biography": "A baker.", "boundaries": ["the hospital"]}, headers=hh["headers"])
    assert r.status_code == 200 and r.json()["biography"] == "A baker." and r.json()["boundaries"] == ["the hospital"]
    assert r.json()["display_name"] == "Rose Whitfield"
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["biography"] == "A baker."
    assert client.delete(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).status_code == 404


def test_persona_validation(client):
    hh = new_household(client)
    for body in [
        {},
        {**PERSONA, "display_name": "  "},
        {**PERSONA, "mode": "magic"},
        {**PERSONA, "language": "english please"},
        {**PERSONA, "addressed_as": "Nana"},
        {**PERSONA, "biography": "x" * 20_001},
    ]:
        assert client.post("/v1/personas", json=body, headers=hh["headers"]).status_code == 422, body
    assert client.get("/v1/personas", headers=hh["headers"]).json() == []
    persona = new_persona(client, hh, consent=False, memories=False)
    assert client.patch(f"/v1/personas/{persona['id']}", json={"mode": "loud"}, headers=hh["headers"]).status_code == 422


def test_other_household_sees_nothing(client):
    a = new_household(client, "a@example.com")
    b = new_household(client, "b@example.com")
    persona = new_persona(client, a)
    pid = persona["id"]
    assert client.get("/v1/personas", headers=b["headers"]).json() == []
    assert client.get(f"/v1/personas/{pid}", headers=b["headers"]).status_code == 404
    assert client.patch(f"/v1/personas/{pid}", json={"biography": "hacked"}, headers=b["headers"]).status_code == 404
    assert client.delete(f"/v1/personas/{pid}", headers=b["headers"]).status_code == 404
    assert client.get(f"/v1/personas/{pid}/memories", headers=b["headers"]).status_code == 404
    assert client.post(f"/v1/personas/{pid}/memories", json={"text": "x"}, headers=b["headers"]).status_code == 404
    assert client.post(f"/v1/personas/{pid}/consent", json=CONSENT, headers=b["headers"]).status_code == 404
    assert client.post("/v1/sessions", json={"persona_id": pid}, headers=b["headers"]).status_code == 404
    assert client.get(f"/v1/personas/{pid}", headers=a["headers"]).json()["biography"] != "hacked"


def test_memories(client):
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False, memories=False)
    url = f"/v1/personas/{persona['id']}/memories"
    r = client.post(url, json={"title": "Bread", "text": "I baked bread every Sunday."}, headers=hh["headers"])
    assert r.status_code == 201 and r.json()["id"]
    assert client.post(url, json={"text": "   "}, headers=hh["headers"]).status_code == 422
    assert client.post(url, json={}, headers=hh["headers"]).status_code == 422
    listed = client.get(url, headers=hh["headers"]).json()
    assert [m["text"] for m in listed] == ["I baked bread every Sunday."]
    assert client.get("/v1/personas/per_unknown/memories", headers=hh["headers"]).status_code == 404


def test_consent_scope_rules(client):
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False, memories=False)
    url = f"/v1/personas/{persona['id']}"
    assert client.post(f"{url}/consent", json={**CONSENT, "scope": "everything"}, headers=hh["headers"]).status_code == 422
    r = client.post(f"{url}/consent", json=CONSENT, headers=hh["headers"])
    assert r.status_code == 201 and r.json()["scope"] == "own_words"
    r = client.patch(url, json={"mode": "generative"}, headers=hh["headers"])
    assert r.status_code == 409 and "own words" in r.json()["error"]["message"]
    assert client.get(url, headers=hh["headers"]).json()["mode"] == "story"
    assert client.post(f"{url}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"]).status_code == 201
    assert client.patch(url, json={"mode": "generative"}, headers=hh["headers"]).json()["mode"] == "generative"


def test_devices_cannot_manage_personas(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": code, "name": "Tablet"}).json()
    headers = auth(device["device_token"])
    assert [p["id"] for p in client.get("/v1/personas", headers=headers).json()] == [persona["id"]]
    assert client.post("/v1/personas", json=PERSONA, headers=headers).status_code == 403
    assert client.delete(f"/v1/personas/{persona['id']}", headers=headers).status_code == 403
    assert client.post(f"/v1/personas/{persona['id']}/memories", json={"text": "x"}, headers=headers).status_code == 403
