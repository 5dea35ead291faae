"""The tablet's caregiver client against a fake server at the HTTP boundary (no display needed)."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.api import Fact, JobOut, MemoryOrigin, MemoryOut, VoiceOverview, VoiceSampleOut
from client.api import ApiError, Offline
from client.caregiver_api import CaregiverClient
from tests.client.harness import ROOT

PERSONA = {
    "id": "per_1",
    "household_id": "hh_1",
    "display_name": "Rose",
    "addressed_as": ["Grandma"],
    "language": "en",
    "biography": "",
    "mode": "story",
    "created_at": "2026-11-28T10:00:00Z",
    "updated_at": "2026-11-28T10:00:00Z",
}


MEMORY = {
    "id": "mem_1",
    "persona_id": "per_1",
    "title": "The seaside",
    "text": "We went every summer.",
    "source": "memoir",
    "hidden": False,
    "created_at": "2026-11-28T10:00:00Z",
    "audio_url": None,
    "origin": {
        "kind": "memoir",
        "source_id": "src_1",
        "filename": "rose.txt",
        "position": "chapter 2, paragraphs 4–7",
        "chapter": 2,
        "paragraphs": {"first": 4, "last": 7},
    },
}
JOB = {
    "id": "job_1",
    "kind": "import",
    "persona_id": "per_1",
    "source_id": "src_1",
    "state": "running",
    "percent": 40.0,
    "stage": "splitting",
    "counts": {"chapters": 3},
    "errors": [],
    "created_at": "2026-11-28T10:00:00Z",
    "updated_at": "2026-11-28T10:00:01Z",
    "finished_at": None,
}
SAMPLE = {
    "id": "vs_1",
    "persona_id": "per_1",
    "filename": "hello.wav",
    "duration_s": 12.0,
    "speech_s": 10.0,
    "clean_s": 9.5,
    "usable": True,
    "verdict": "good",
    "message": "Good.",
    "metrics": {},
    "created_at": "2026-11-28T10:00:00Z",
}
ANSWERS = {
    "/v1/personas/per_1/memories/search": [MEMORY],
    "/v1/jobs/job_1": JOB,
    "/v1/personas/per_1/voice-samples": {
        "total_clean_s": 9.5,
        "needed_s": 30.0,
        "enough": False,
        "message": "20 more seconds.",
        "samples": [SAMPLE],
        "voice_id": None,
        "cloning": {"available": False, "provider": None, "message": "No service."},
    },
}


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
            told = {
                "persona_id": "per_1",
                "told_by": {"kind": "caregiver", "id": "cg_1", "name": "anne@example.com"},
                "created_at": "2026-12-06T16:07:00Z",
            }
            return httpx.Response(201, json={"id": "fact_1", **told, **json.loads(request.content)})
        if request.url.path in ANSWERS and request.method == "GET":
            return httpx.Response(200, json=ANSWERS[request.url.path])
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
    assert isinstance(fact, Fact) and fact.id == "fact_1" and fact.shared is False and fact.told_by.kind == "caregiver"
    assert json.loads(seen[-1].content) == {"text": "Tom started at the bakery", "shared": False}
    assert client.move_facts("dev_old", "dev_new") == 3
    assert seen[-1].method == "POST" and seen[-1].headers["authorization"] == "Bearer tok_caregiver"
    with pytest.raises(ApiError) as refused:  # the server's plain words, as for every other call
        client.move_facts("dev_old", "dev_other")
    assert refused.value.status == 404


def test_answers_are_the_shared_models_the_screens_read_by_attribute():
    client = CaregiverClient("http://server", "tok_caregiver", transport=fake_server([]))
    [memory] = client.memories("per_1")
    assert isinstance(memory, MemoryOut) and isinstance(memory.origin, MemoryOrigin)
    assert memory.origin.filename == "rose.txt" and memory.origin.paragraphs is not None and memory.origin.paragraphs.last == 7
    assert memory.model_dump(mode="json", exclude_none=True) == {k: v for k, v in MEMORY.items() if v is not None}
    assert memory.title == "The seaside"
    with pytest.raises(TypeError):
        memory["title"]  # a model, not a dict: nothing reads it by key any more

    job = client.job("job_1")
    assert isinstance(job, JobOut) and job.state == "running" and job.counts.get("chapters") == 3

    overview = client.voice("per_1")
    assert isinstance(overview, VoiceOverview) and isinstance(overview.samples[0], VoiceSampleOut)
    assert overview.cloning.available is False and overview.cloning.message == "No service."


def test_an_answer_of_the_wrong_shape_is_refused_not_passed_on():
    def wrong(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "job_1", "state": "running"})  # no percent, no times

    client = CaregiverClient("http://server", "tok_caregiver", transport=httpx.MockTransport(wrong))
    with pytest.raises(ValueError):
        client.job("job_1")
