"""A talking-head service that renders video: each sentence is rendered from the portrait and its
speech, and the sentence event points at the clip; kept speech keeps its clip until the portrait changes.

The service is faked at the HTTP boundary, shaped as the ``http`` face provider's contract says
(server/services/face_http.py: multipart ``portrait`` and ``audio`` in, an MP4 out), with real MP4s.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.client.videos import make_mp4
from tests.server.api.conftest import FAKE, FakeUpstream, events, new_household, new_persona
from tests.server.importers import makers

FACE_URL = "http://talking-head.test/animate"


class TalkingHead(FakeUpstream):
    """The OpenAI-compatible voice of the other API tests, and a talking-head service beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[tuple[bytes, bytes]] = []  # (portrait, audio) of each render
        self.fail_face = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) != FACE_URL:
            return await super().__call__(request)
        self.requests.append(request)
        if self.fail_face:
            return httpx.Response(503, json={"error": "busy"})
        form = _multipart(request)
        self.rendered.append((form["portrait"], form["audio"]))
        return httpx.Response(200, content=make_mp4(0.4, size=(64, 80)), headers={"content-type": "video/mp4"})


def _multipart(request: httpx.Request) -> dict[str, bytes]:
    """The parts of a multipart/form-data body, by name."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts = {}
    for chunk in request.content.split(b"--" + boundary)[1:-1]:
        head, _, body = chunk.partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        parts[name] = body[:-2]  # the part ends with CRLF before the next boundary
    return parts


@pytest.fixture
def service() -> TalkingHead:
    return TalkingHead()


@pytest.fixture
def client(data_dir, service):
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=2, retries=0)
    face = StageSettings(provider="http", base_url=FACE_URL, timeout_s=5, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, face=face, max_upload_mb=1, speak_ahead=False)
    with TestClient(create_app(settings, http_transport=httpx.MockTransport(service))) as c:
        yield c


def _portrait(client, hh, persona, png: bytes) -> None:
    r = client.put(f"/v1/personas/{persona['id']}/portrait", content=png, headers={**hh["headers"], "Content-Type": "image/png"})
    assert r.status_code == 200, r.text


def _greeting(client, hh, persona) -> list[dict]:
    r = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"])
    assert r.status_code == 201, r.text
    return r.json()["greeting"]["sentences"]


def test_each_sentence_is_rendered_from_the_portrait_and_its_clip_is_fetched(client, service):
    hh = new_household(client)
    persona = new_persona(client, hh)
    png = makers.face_png()
    _portrait(client, hh, persona, png)
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    evs = events(client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"]))
    sentences = [e for e in evs if e["type"] == "sentence"]
    assert sentences and all(s["video_url"] for s in sentences)
    assert all(portrait == png for portrait, _ in service.rendered)  # the persona's own portrait, as it was set
    assert all(audio.startswith(b"RIFF") for _, audio in service.rendered)
    clip = client.get(sentences[0]["video_url"], headers=hh["headers"])
    assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"
    assert sentences[0]["mouth"]["values"]  # the tablet animates the portrait itself while the clip loads, or if it cannot


def test_kept_speech_keeps_its_clip_until_the_portrait_changes(client, service):
    hh = new_household(client)
    persona = new_persona(client, hh)
    _portrait(client, hh, persona, makers.face_png())
    first = _greeting(client, hh, persona)
    renders = len(service.rendered)
    again = _greeting(client, hh, persona)
    assert len(service.rendered) == renders  # kept: neither spoken nor rendered again
    assert [s["video_url"].split("?")[0] for s in again] == [s["video_url"].split("?")[0] for s in first]

    new_png = makers.face_png(500)
    _portrait(client, hh, persona, new_png)
    after = _greeting(client, hh, persona)
    assert len(service.rendered) == renders + len(after)  # rendered again from the kept speech
    assert service.rendered[-1][0] == new_png
    assert all(s["video_url"] for s in after)
    assert {s["video_url"].split("?")[0] for s in after}.isdisjoint({s["video_url"].split("?")[0] for s in first})
    assert client.get(first[0]["video_url"], headers=hh["headers"]).status_code == 404  # the old clip is gone


def test_a_failing_talking_head_service_leaves_the_portrait_talking(client, service):
    hh = new_household(client)
    persona = new_persona(client, hh)
    _portrait(client, hh, persona, makers.face_png())
    service.fail_face = True
    sentences = _greeting(client, hh, persona)
    assert sentences and all(s.get("video_url") is None for s in sentences)
    assert all(s["audio_url"] and s["mouth"]["values"] for s in sentences)


def test_without_a_portrait_nothing_is_rendered(client, service):
    hh = new_household(client)
    sentences = _greeting(client, hh, new_persona(client, hh))
    assert sentences and all(s.get("video_url") is None for s in sentences) and service.rendered == []
