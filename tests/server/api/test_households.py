from tests.server.api.conftest import auth, new_household


def test_healthz_and_openapi(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/v1/households",
        "/v1/auth/login",
        "/v1/personas",
        "/v1/personas/{persona_id}",
        "/v1/personas/{persona_id}/memories",
        "/v1/personas/{persona_id}/consent",
        "/v1/pairing-codes",
        "/v1/devices",
        "/v1/sessions",
        "/v1/sessions/{session_id}/history",
        "/v1/sessions/{session_id}",
        "/v1/sessions/{session_id}/turns",
    ]:
        assert path in paths, path


def test_create_household_and_login(client):
    hh = new_household(client)
    assert hh["id"] and len(hh["token"]) >= 32
    r = client.post("/v1/auth/login", json={"email": "ADA@example.com", "password": "correct horse battery"})
    assert r.status_code == 200 and r.json()["token"] != hh["token"]
    assert client.get("/v1/personas", headers=auth(r.json()["token"])).status_code == 200


def test_wrong_password_is_401_with_error_shape(client):
    new_household(client)
    r = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_credentials"
    r = client.post("/v1/auth/login", json={"email": "nobody@example.com", "password": "nope"})
    assert r.status_code == 401


def test_duplicate_email_is_409(client):
    new_household(client)
    r = client.post("/v1/households", json={"name": "x", "caregiver_email": "ada@example.com", "password": "another password"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "email_taken"


def test_bad_household_bodies_are_422_and_change_nothing(client):
    for body in [
        {},
        {"name": "", "caregiver_email": "a@b.c", "password": "longenough"},
        {"name": "x", "caregiver_email": "not-an-email", "password": "longenough"},
        {"name": "x", "caregiver_email": "a@b.c", "password": "short"},
        {"name": "x", "caregiver_email": "a@b.c", "password": "longenough", "extra": 1},
    ]:
        r = client.post("/v1/households", json=body)
        assert r.status_code == 422, body
        assert set(r.json()["error"]) >= {"code", "message"}
    r = client.post("/v1/households", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert client.post("/v1/auth/login", json={"email": "a@b.c", "password": "longenough"}).status_code == 401


def test_no_token_and_bad_token_are_401(client):
    assert client.get("/v1/personas").status_code == 401
    r = client.get("/v1/personas", headers=auth("made-up"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
