"""The tablet's caregiver client against a fake server at the HTTP boundary (no display needed)."""

from __future__ import annotations

import json

import httpx
import pytest

from client.api import ApiError, Offline
from client.caregiver_api import CaregiverClient
from tests.client.harness import ROOT

PERSONA = {"id": "per_1", "household_id": "hh_1", "display_name": "Rose", "addressed_as": ["Grandma"], "language": "en",
           "biography": "", "mode": "story", "created_at": "2026-11-28T10:00:00Z", "updated_at": "2026-11-28T10:00:00Z"}


def fake_server(seen: list[httpx.Request]):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/auth/login":
            body = json.loads(request.content)
            if body["password"] != "right password":
                return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "Wrong email or password."}})
            return httpx.Response(200, json={"token": "tok_caregiver"})
        if request.url.path == "/v1/personas/per_1/portrait" and request.method == "PUT":
            return httpx.Response(200, json=PERSONA)
        if request.url.path == "/v1/personas/per_1/facts" and request.method == "POST":
            return httpx.Response(201, json={"id": "fact_1", **json.loads(request.content)})
        if request.url.path == "/v1/devices/dev_old/facts/move-to/dev_new" and request.method == "POST":
            return httpx.Response(200, json={"from_device_id": "dev_old", "to_device_id": "dev_new", "moved": 3})
        if request.url.path == "/v1/alerts":
            return httpx.Response(503, json={"error": {"code": "busy", "message": "Busy."}})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Not found."}})

    return httpx.MockTransport(handle)


def test_sign_in_keeps_the_token_and_a_wrong_password_is_the_servers_plain_words():
    seen: list[httpx.Request] = []
    with pytest.raises(ApiError) as wrong:
        CaregiverClient.sign_in("http://server", "anne@example.com", "guess", transport=fake_server(seen))
    assert wrong.value.status == 401 and wrong.value.message == "Wrong email or password."
    client = CaregiverClient.sign_in("http://server", " anne@example.com ", "right password", transport=fake_server(seen))
    assert client.email == "anne@example.com"
    with pytest.raises(Offline):  # a 5xx is "try again later", not a message to show as final
        client.alerts()
    assert seen[-1].headers["authorization"] == "Bearer tok_caregiver"


def test_a_portrait_goes_up_as_an_image_with_the_caregivers_token_and_the_mouth():
    seen: list[httpx.Request] = []
    client = CaregiverClient("http://server", "tok_caregiver", transport=fake_server(seen))
    persona = client.put_portrait("per_1", ROOT / "server" / "demo" / "portrait.png", mouth=(0.5, 0.62))
    assert persona.id == "per_1"
    request = seen[-1]
    assert request.headers["content-type"] == "image/png" and request.headers["authorization"] == "Bearer tok_caregiver"
    assert request.url.params["mouth_x"] == "0.5" and request.url.params["mouth_y"] == "0.62"
    assert request.content.startswith(b"\x89PNG")


def test_a_caregiver_types_a_fact_and_moves_a_re_paired_tablets_facts():
    seen: list[httpx.Request] = []
    client = CaregiverClient("http://server", "tok_caregiver", transport=fake_server(seen))
    fact = client.add_fact("per_1", "Tom started at the bakery", shared=False)
    assert fact["id"] == "fact_1"
    assert json.loads(seen[-1].content) == {"text": "Tom started at the bakery", "shared": False}
    assert client.move_facts("dev_old", "dev_new") == 3
    assert seen[-1].method == "POST" and seen[-1].headers["authorization"] == "Bearer tok_caregiver"
    with pytest.raises(ApiError) as refused:  # the server's plain words, as for every other call
        client.move_facts("dev_old", "dev_other")
    assert refused.value.status == 404
