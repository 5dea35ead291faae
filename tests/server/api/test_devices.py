from datetime import datetime

from tests.server.api.conftest import auth, new_household


def test_pairing_code_is_short_single_use_and_expires(client):
    hh = new_household(client)
    r = client.post("/v1/pairing-codes", headers=hh["headers"])
    assert r.status_code == 201
    code = r.json()["code"]
    assert 6 <= len(code) <= 8 and code.isalnum()
    assert datetime.fromisoformat(r.json()["expires_at"]) > datetime.now(datetime.fromisoformat(r.json()["expires_at"]).tzinfo)
    # People type it with spaces and lower case.
    typed = " ".join([code[:4].lower(), code[4:]])
    r = client.post("/v1/devices", json={"pairing_code": typed, "name": "Kitchen tablet"})
    assert r.status_code == 201
    device = r.json()
    assert device["device_id"] and device["device_token"] and device["household_id"] == hh["id"]
    assert client.get("/v1/personas", headers=auth(device["device_token"])).status_code == 200
    again = client.post("/v1/devices", json={"pairing_code": code, "name": "Second"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "bad_pairing_code"


def test_expired_pairing_code(client):
    hh = new_household(client)
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    client.app.state.keepsake.db.execute("UPDATE pairing_codes SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert client.post("/v1/devices", json={"pairing_code": code, "name": "x"}).status_code == 400


def test_pairing_needs_a_caregiver(client):
    assert client.post("/v1/pairing-codes").status_code == 401
    assert client.post("/v1/devices", json={"pairing_code": "ABCDEFGH", "name": "x"}).status_code == 400
    assert client.post("/v1/devices", json={}).status_code == 422


def test_unpair_revokes_the_token(client):
    hh = new_household(client)
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": code, "name": "x"}).json()
    assert [d["id"] for d in client.get("/v1/devices", headers=hh["headers"]).json()] == [device["device_id"]]
    assert client.delete(f"/v1/devices/{device['device_id']}", headers=hh["headers"]).status_code == 204
    assert client.get("/v1/personas", headers=auth(device["device_token"])).status_code == 401
    other = new_household(client, "other@example.com")
    assert client.delete(f"/v1/devices/{device['device_id']}", headers=other["headers"]).status_code == 404
