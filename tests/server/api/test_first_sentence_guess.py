"""The first sentence's speech starts at its full stop, not one token later.

The splitter can only be sure a "." ends the sentence once the next token
shows a new one begins; the turn starts synthesizing its guess meanwhile and
uses it only if the sentence turns out to be exactly that.
"""

import asyncio
import json

import httpx
import numpy as np
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from tests.conftest import wav_bytes
from tests.server.api.conftest import FAKE, events, new_household
from tests.server.api.test_fallbacks import generative_persona

# Long enough that the next token's wait shows; a test that passes never waits it out.
NEXT_TOKEN_WAIT_S = 3.0


def _sse(piece: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode()


class Upstream:
    """An LLM that holds back the token after a full stop until speech for the sentence is asked for
    (or NEXT_TOKEN_WAIT_S passes), and a voice whose clips last 10 ms per character of their text."""

    def __init__(self, tokens: list[str], hold_after: str):
        self.tokens = tokens
        self.hold_after = hold_after
        self.log: list[str] = []  # "tts:<text>" and "token:<token>" in the order they happened
        self._asked: asyncio.Event | None = None

    def start_turn(self) -> None:
        """Forget the greeting's speech: only the turn's own counts."""
        self.log.clear()
        self._asked = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self._asked is None:
            self._asked = asyncio.Event()
        path = request.url.path
        if path.endswith("/chat/completions"):
            return httpx.Response(200, content=self._stream(), headers={"content-type": "text/event-stream"})
        if path.endswith("/audio/speech"):
            text = json.loads(request.content)["input"]
            self.log.append(f"tts:{text}")
            self._asked.set()
            samples = 0.3 * np.sin(np.arange(160 * len(text)) * 0.2)
            return httpx.Response(200, content=wav_bytes(samples), headers={"content-type": "audio/wav"})
        return httpx.Response(404)

    async def _stream(self):
        for token in self.tokens:
            self.log.append(f"token:{token}")
            yield _sse(token)
            if token == self.hold_after:
                try:
                    await asyncio.wait_for(self._asked.wait(), NEXT_TOKEN_WAIT_S)
                except TimeoutError:
                    pass
        yield b"data: [DONE]\n\n"


def _client(data_dir, upstream: Upstream) -> TestClient:
    remote = StageSettings(provider="openai", base_url=FAKE, model="fake", api_key="k", timeout_s=10, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, llm=remote, tts=remote)
    return TestClient(create_app(settings, http_transport=httpx.MockTransport(upstream)))


def _turn(data_dir, upstream: Upstream) -> list[dict]:
    with _client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = generative_persona(client, hh)
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        upstream.start_turn()
        response = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about your wedding."}, headers=hh["headers"])
        assert response.status_code == 200, response.text
        return events(response)


def test_speech_for_the_first_sentence_is_asked_for_before_the_next_token(data_dir):
    first = "Oh, my dear, we married in June 1952."
    upstream = Upstream(
        ["Oh,", " my", " dear,", " we", " married", " in", " June", " 1952.", " It", " rained", " all", " day."], hold_after=" 1952."
    )
    evs = _turn(data_dir, upstream)

    sentences = [e for e in evs if e["type"] == "sentence"]
    assert [s["text"] for s in sentences] == [first, "It rained all day."]
    # Speech for the first sentence was asked for while the model still held back " It".
    assert upstream.log.index(f"tts:{first}") < upstream.log.index("token: It")
    # ...and that speech is what the tablet plays: asked for once, and as long as its words.
    assert upstream.log.count(f"tts:{first}") == 1
    assert abs(sentences[0]["duration_ms"] - 10 * len(first)) <= 1


def test_a_wrong_guess_is_dropped_and_the_whole_sentence_is_spoken(data_dir):
    # "cried..." looks like an end until " but" goes on in lower case.
    whole = "It rained all day, and I think I cried... but we danced anyway."
    upstream = Upstream(
        ["It", " rained", " all", " day,", " and", " I", " think", " I", " cried...", " but", " we", " danced", " anyway."],
        hold_after=" cried...",
    )
    evs = _turn(data_dir, upstream)

    sentences = [e for e in evs if e["type"] == "sentence"]
    assert [s["text"] for s in sentences] == [whole]
    assert abs(sentences[0]["duration_ms"] - 10 * len(whole)) <= 1  # the whole sentence's speech, not the guess's
    assert "tts:It rained all day, and I think I cried..." in upstream.log  # the guess was tried...
    assert evs[-1]["type"] == "done" and not [e for e in evs if e["type"] == "notice"]  # ...and cost the relative nothing
