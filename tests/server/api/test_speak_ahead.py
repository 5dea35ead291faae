"""Speaking ahead: what a persona will surely say is made before anyone asks, so answers need no synthesis.

The voice is the real OpenAI-compatible provider against a fake service at the
HTTP boundary: every synthesis is a request the fake counts.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.server.api.conftest import FAKE, FakeUpstream, auth, events, new_household, new_persona, table_names
from tests.server.api.test_speech_cache import speech_calls


def voice_settings(data_dir, **more) -> Settings:
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=10, retries=0)
    return Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, speak_ahead=True, **more)


def voice_client(data_dir, upstream) -> TestClient:
    """The app with speaking ahead on, its speech-to-text and voice answered by ``upstream``."""
    return TestClient(create_app(voice_settings(data_dir), http_transport=httpx.MockTransport(upstream)))


def wait_until_settled(client: TestClient, timeout_s: float = 120) -> None:
    worker = client.app.state.keepsake.speak_ahead
    deadline = time.monotonic() + timeout_s
    while not worker.settled:
        assert time.monotonic() < deadline, "speaking ahead did not finish"
        time.sleep(0.05)


def pair(client, hh) -> dict:
    code = client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]
    device = client.post("/v1/devices", json={"pairing_code": code, "name": "Tablet"}).json()
    return auth(device["device_token"])


def cached_rows(client, persona_id: str) -> int:
    return client.app.state.keepsake.db.one("SELECT COUNT(*) FROM speech_cache WHERE persona_id = ?", (persona_id,))[0]


def media_id(sentence: dict) -> str:
    return sentence["audio_url"].split("?")[0].rsplit("/", 1)[-1]


def test_after_speaking_ahead_story_answers_and_the_greeting_start_without_synthesis(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)  # two memories, then consent: the persona can talk
        wait_until_settled(client)
        made = speech_calls(upstream)
        assert made > 150 and cached_rows(client, persona["id"]) == made  # greetings, phrases, memories
        db = client.app.state.keepsake.db
        made_ahead = {r["media_id"] for r in db.all("SELECT media_id FROM speech_cache WHERE persona_id = ?", (persona["id"],))}

        tablet = pair(client, hh)
        opened = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet)
        assert opened.status_code == 201
        greeting = opened.json()["greeting"]["sentences"]
        assert len(greeting) >= 3 and {media_id(s) for s in greeting} <= made_ahead
        answers = {}
        for question in (
            "Tell me about the seaside when you were a girl.",
            "Do you remember your wedding?",
            "How are you?",
            "Are you real?",
            "I love you.",
            "I miss you so much.",
            "Goodbye!",
        ):
            r = client.post(f"/v1/sessions/{opened.json()['id']}/turns", json={"text": question}, headers=tablet)
            answers[question] = [e for e in events(r) if e["type"] == "sentence"]
            assert answers[question], question
        for question, answer in answers.items():
            assert media_id(answer[0]) in made_ahead, f"the answer to {question!r} started with synthesis"
        seaside, wedding = answers["Tell me about the seaside when you were a girl."], answers["Do you remember your wedding?"]
        # An opener, then the memory: its first sentence was made ahead too.
        assert seaside[1]["text"] == "When I was a girl we lived by the sea in Whitby." and media_id(seaside[1]) in made_ahead
        assert wedding[1]["text"] == "Your grandfather and I married in June 1952." and media_id(wedding[1]) in made_ahead
        # The only speech made on the way: the memories' later sentences, while their first ones played.
        synthesized = [s["text"] for answer in answers.values() for s in answer if media_id(s) not in made_ahead]
        assert synthesized == ["I collected shells every morning with my brother.", "It rained all day and we danced anyway."]
        assert speech_calls(upstream) == made + 2


def test_a_memory_added_later_is_spoken_ahead_too(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        wait_until_settled(client)
        before = speech_calls(upstream)
        text = "My father kept bees behind the bakery. Every summer we sold the honey at the market."
        assert (
            client.post(f"/v1/personas/{persona['id']}/memories", json={"title": "Bees", "text": text}, headers=hh["headers"]).status_code
            == 201
        )
        wait_until_settled(client)
        spoken = [r.read().decode() for r in upstream.requests[-(speech_calls(upstream) - before) :]]
        # Only its first sentence, told and told again ("Like I was saying, my dear: ..."); the rest was made already.
        assert len(spoken) == 7 and all("My father kept bees behind the bakery." in body for body in spoken)


def test_news_the_relative_told_is_asked_after_in_a_greeting_made_ahead(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        grandma, grandpa = pair(client, hh), pair(client, hh)
        wait_until_settled(client)
        first = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=grandma).json()
        client.post(f"/v1/sessions/{first['id']}/turns", json={"text": "My grandson was born yesterday!"}, headers=grandma)
        wait_until_settled(client)
        before = speech_calls(upstream)
        greeting = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=grandma).json()["greeting"]
        assert "baby" in greeting["text"]  # "How is the baby?"
        # Grandpa's greeting does not ask after grandma's news, and was made ahead too.
        greeting = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=grandpa).json()["greeting"]
        assert "baby" not in greeting["text"]
        assert speech_calls(upstream) == before


def test_speaking_ahead_waits_while_a_turn_is_in_progress(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        state = client.app.state.keepsake
        release = client.portal.call(state.gate.acquire)  # a turn holds a place
        hh = new_household(client)
        new_persona(client, hh)
        time.sleep(0.5)
        assert speech_calls(upstream) == 0 and not state.speak_ahead.settled
        client.portal.call(release)
        wait_until_settled(client)
        assert speech_calls(upstream) > 0


@pytest.mark.slow
def test_a_stand_in_voice_is_not_spoken_ahead(data_dir):
    upstream = FakeUpstream()
    upstream.fail_tts = True  # the persona's voice service is down: the embedded voice stands in
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        wait_until_settled(client, timeout_s=120)
        assert speech_calls(upstream) == 1  # tried once, then left for when the voice is back
        # A memory added while the voice rests does not try it again at once.
        memory = {"title": "Bees", "text": "We kept bees behind the orchard for twenty years."}
        assert client.post(f"/v1/personas/{persona['id']}/memories", json=memory, headers=hh["headers"]).status_code == 201
        wait_until_settled(client, timeout_s=120)
        assert speech_calls(upstream) == 1
        db = client.app.state.keepsake.db
        assert cached_rows(client, persona["id"]) == 0
        assert db.one("SELECT COUNT(*) FROM media WHERE persona_id = ?", (persona["id"],))[0] == 0


@pytest.mark.slow
def test_the_voice_is_asked_again_once_its_rest_is_over(data_dir):
    upstream = FakeUpstream()
    upstream.fail_tts = True
    with voice_client(data_dir, upstream) as client:
        client.app.state.keepsake.speak_ahead.stand_in_rest_s = 0.5
        hh = new_household(client)
        persona = new_persona(client, hh)
        deadline = time.monotonic() + 120
        while speech_calls(upstream) == 0:
            assert time.monotonic() < deadline, "the voice was never tried"
            time.sleep(0.05)
        upstream.fail_tts = False  # the voice service is back
        while cached_rows(client, persona["id"]) == 0:
            assert time.monotonic() < deadline, "the voice was not asked again after its rest"
            time.sleep(0.05)


class HeldVoice(FakeUpstream):
    """A voice service that holds each synthesis until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.go = threading.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/audio/speech"):
            self.holding.set()
            while not self.go.is_set():
                await asyncio.sleep(0.01)
        return await super().__call__(request)


def test_a_persona_erased_while_speaking_ahead_leaves_no_row_or_file(data_dir):
    upstream = HeldVoice()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        pid = persona["id"]
        # An event, not a time: the bound only keeps a broken run from hanging (a busy machine took >10 s).
        assert upstream.holding.wait(180)  # a sentence is being synthesized right now
        assert client.delete(f"/v1/personas/{pid}", headers=hh["headers"]).status_code == 204
        upstream.go.set()  # ...and comes back after the erasure
        wait_until_settled(client)
        db = client.app.state.keepsake.db
        for table in table_names(db):
            if table == "audit_log":
                continue
            for row in db.all(f"SELECT * FROM {table}"):
                assert pid not in " ".join(str(v) for v in tuple(row)), f"{table} still mentions the erased persona"
        media_dir = data_dir / "media"
        assert not [p for p in media_dir.rglob("*") if p.is_file()], "a file outlived its persona"


@pytest.mark.slow
def test_the_embedded_voice_speaks_the_greeting_ahead(data_dir):
    app = create_app(Settings(data_dir=data_dir, preload_engines=False, speak_ahead=True))
    state = app.state.keepsake
    state.speak_ahead.max_sentences = 8  # today's greeting comes first: enough to prove it, quick on a small machine
    with TestClient(app) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, memories=False)
        wait_until_settled(client, timeout_s=300)
        made_ahead = {r["media_id"] for r in state.db.all("SELECT media_id FROM speech_cache WHERE persona_id = ?", (persona["id"],))}
        assert len(made_ahead) == 8
        opened = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        played = {s["audio_url"].split("?")[0].rsplit("/", 1)[-1] for s in opened["greeting"]["sentences"]}
        assert played and played <= made_ahead  # every sentence of the greeting was made ahead with Piper
        assert cached_rows(client, persona["id"]) == 8  # and nothing new had to be made
