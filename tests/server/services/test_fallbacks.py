"""server/services/registry.py and fallbacks.py: providers chosen from settings, fallbacks, breaker, notices.

The remote providers are the real ones, their upstreams faked at the HTTP
boundary; the fallbacks are small stand-ins for the embedded engines (which
test_local_engines.py runs for real), so these tests stay fast.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
import pytest

from server.audio import encode_wav
from server.config import Settings
from server.services.asr_local import LocalSpeechToText
from server.services.asr_openai import OpenAISpeechToText
from server.services.base import (
    Audio,
    Conversation,
    ConversationContext,
    PersonaProfile,
    ServiceError,
    ServiceFailure,
    SpeechToText,
    TextToSpeech,
    Transcript,
)
from server.services.breaker import CircuitBreaker
from server.services.endpoint import Endpoint
from server.services.face_http import HttpTalkingHead
from server.services.face_local import LocalFace
from server.services.fallback_events import FallbackEvent, collect_fallbacks, drain
from server.services.fallbacks import FallbackConversation, FallbackFace, FallbackSpeechToText, FallbackTextToSpeech
from server.services.http import make_http_client
from server.services.llm_openai import OpenAIConversation
from server.services.registry import build_services
from server.services.tts_local import LocalTextToSpeech
from server.services.tts_openai import OpenAITextToSpeech

SPEECH = Audio((0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32), 16000)
CTX = ConversationContext(
    persona=PersonaProfile(id="p", display_name="Joe", addressed_as=["Grandpa"], language="en", biography="."),
    user_text="Tell me about the lake.",
)


# --- stand-ins for the embedded engines ------------------------------------------------


class StoryStandIn(Conversation):
    name = "story"

    def __init__(self):
        self.calls = 0

    async def reply(self, ctx):
        self.calls += 1
        for piece in ("I remember ", "the lake."):
            yield piece


class LocalAsrStandIn(SpeechToText):
    name = "local"

    async def transcribe(self, audio, language=None):
        return Transcript("local words", "en")


class LocalTtsStandIn(TextToSpeech):
    name = "local"

    def __init__(self):
        self.voices: list[str | None] = []

    async def synthesize(self, text, *, language="en", voice=None):
        self.voices.append(voice)
        return Audio(np.ones(100, np.float32) * 0.1, 22050)


class Upstream:
    """Answers every request with the next scripted response (the last one repeats)."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step() if callable(step) else step


@pytest.fixture
async def client_for():
    clients: list[httpx.AsyncClient] = []

    def make(upstream) -> httpx.AsyncClient:
        clients.append(make_http_client(transport=httpx.MockTransport(upstream)))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


def sse(*contents: str, done: bool = True) -> bytes:
    text = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': c}}]})}\n\n" for c in contents)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


async def collect(conversation: Conversation) -> list:
    return [piece async for piece in conversation.reply(CTX)]


# --- speech to text ----------------------------------------------------------------------


async def test_asr_falls_back_on_an_upstream_error_and_reports_it(client_for):
    upstream = Upstream(httpx.Response(500, text="down"))
    seen: list[FallbackEvent] = []
    asr = FallbackSpeechToText(
        OpenAISpeechToText(Endpoint(client_for(upstream), base_url="http://asr.test/v1", retries=0)),
        LocalAsrStandIn(),
        on_fallback=seen.append,
    )
    with collect_fallbacks() as events:
        transcript = await asr.transcribe(SPEECH)
    assert transcript.text == "local words"
    assert [e.code for e in events] == ["asr_fallback"]
    assert events[0].stage == "asr" and "HTTP 500" in events[0].reason
    assert events[0].primary == "openai" and events[0].fallback == "local"
    assert seen == events


async def test_asr_uses_the_remote_when_it_works_and_reports_nothing(client_for):
    upstream = Upstream(httpx.Response(200, json={"text": "remote words"}))
    asr = FallbackSpeechToText(OpenAISpeechToText(Endpoint(client_for(upstream), base_url="http://asr.test")), LocalAsrStandIn())
    with collect_fallbacks() as events:
        assert (await asr.transcribe(SPEECH)).text == "remote words"
    assert events == []


async def test_the_breaker_skips_a_failing_remote_then_tries_it_again(client_for):
    now = [0.0]
    upstream = Upstream(httpx.ConnectError("refused"))
    asr = FallbackSpeechToText(
        OpenAISpeechToText(Endpoint(client_for(upstream), base_url="http://asr.test/v1", retries=0)),
        LocalAsrStandIn(),
        breaker=CircuitBreaker(failure_threshold=2, cooldown_s=30, clock=lambda: now[0]),
    )
    for _ in range(5):
        with collect_fallbacks() as events:
            assert (await asr.transcribe(SPEECH)).text == "local words"
        assert [e.code for e in events] == ["asr_fallback"]  # every turn still gets its notice
    assert upstream.calls == 2  # skipped after two failures in a row
    assert "skipped" in events[0].reason

    now[0] += 31
    upstream.script = [httpx.Response(200, json={"text": "back again"})]
    assert (await asr.transcribe(SPEECH)).text == "back again"
    assert asr.breaker.state == "closed"


async def test_when_both_fail_the_error_reaches_the_pipeline(client_for):
    class Broken(SpeechToText):
        name = "local"

        async def transcribe(self, audio, language=None):
            raise ServiceError("asr", "local", "engine missing")

    asr = FallbackSpeechToText(
        OpenAISpeechToText(Endpoint(client_for(Upstream(httpx.Response(503))), base_url="http://a/v1", retries=0)), Broken()
    )
    with pytest.raises(ServiceError, match="engine missing"):
        await asr.transcribe(SPEECH)


# --- text to speech ---------------------------------------------------------------------------


async def test_tts_falls_back_on_timeout_and_does_not_pass_the_remote_voice(client_for):
    local = LocalTtsStandIn()
    tts = FallbackTextToSpeech(
        OpenAITextToSpeech(Endpoint(client_for(Upstream(httpx.ReadTimeout("slow"))), base_url="http://tts.test/v1")), local
    )
    with collect_fallbacks() as events:
        audio = await tts.synthesize("Hello.", voice="cloned-grandma")
    assert audio.sample_rate == 22050
    assert local.voices == [None]
    assert [e.code for e in events] == ["tts_fallback"] and "timed out" in events[0].reason


async def test_tts_remote_success(client_for):
    wav = encode_wav(Audio(np.full(2400, 0.2, np.float32), 24000))
    tts = FallbackTextToSpeech(
        OpenAITextToSpeech(Endpoint(client_for(Upstream(httpx.Response(200, content=wav))), base_url="http://tts.test/v1")),
        LocalTtsStandIn(),
    )
    with collect_fallbacks() as events:
        assert (await tts.synthesize("Hello.")).sample_rate == 24000
    assert events == []


# --- conversation -----------------------------------------------------------------------------


def llm(client) -> OpenAIConversation:
    return OpenAIConversation(Endpoint(client, base_url="http://llm.test/v1", model="m", retries=0, timeout_s=2))


async def test_llm_down_before_any_text_answers_from_story_mode(client_for):
    story = StoryStandIn()
    conversation = FallbackConversation(llm(client_for(Upstream(httpx.Response(500)))), story)
    with collect_fallbacks() as events:
        pieces = await collect(conversation)
    assert pieces == ["I remember ", "the lake."]
    assert [e.code for e in events] == ["llm_fallback"]


async def test_llm_empty_answer_also_falls_back(client_for):
    upstream = Upstream(lambda: httpx.Response(200, content=sse("", "  ")))
    with collect_fallbacks() as events:
        pieces = await collect(FallbackConversation(llm(client_for(upstream)), StoryStandIn()))
    assert "".join(pieces) == "I remember the lake."
    assert events[0].reason == "the answer was empty"


async def test_llm_failing_mid_answer_stops_cleanly_without_switching_voice(client_for):
    story = StoryStandIn()
    upstream = Upstream(lambda: httpx.Response(200, content=sse("We swam in the ", "lake every", done=False)))
    with collect_fallbacks() as events:
        pieces = await collect(FallbackConversation(llm(client_for(upstream)), story))
    # The text so far, then one failure that marks the answer as unfinished; no story text added.
    assert pieces[:2] == ["We swam in the ", "lake every"]
    assert len(pieces) == 3 and isinstance(pieces[2], ServiceFailure)
    assert story.calls == 0
    assert [e.code for e in events] == ["llm_interrupted"] and events[0].fallback is None


async def test_llm_success_passes_text_through(client_for):
    upstream = Upstream(lambda: httpx.Response(200, content=sse("Yes, ", "dear.")))
    conversation = FallbackConversation(llm(client_for(upstream)), StoryStandIn())
    with collect_fallbacks() as events:
        assert await collect(conversation) == ["Yes, ", "dear."]
    assert events == [] and conversation.breaker.state == "closed"


async def test_a_provider_that_raises_is_treated_as_a_failure():
    class Raising(Conversation):
        name = "buggy"

        async def reply(self, ctx):
            raise RuntimeError("bug")
            yield  # pragma: no cover

    with collect_fallbacks() as events:
        assert "".join(await collect(FallbackConversation(Raising(), StoryStandIn()))) == "I remember the lake."
    assert "RuntimeError" in events[0].reason


async def test_llm_breaker_skips_the_remote_after_repeated_failures(client_for):
    upstream = Upstream(httpx.Response(503))
    conversation = FallbackConversation(
        llm(client_for(upstream)), StoryStandIn(), breaker=CircuitBreaker(failure_threshold=2, cooldown_s=60)
    )
    for _ in range(4):
        assert "".join(await collect(conversation)) == "I remember the lake."
    assert upstream.calls == 2


async def test_stopping_early_closes_the_upstream_stream(client_for):
    class TrackedStream(httpx.AsyncByteStream):
        """The body as the transport hands it over; httpx closes it when the response is closed."""

        closed = False

        async def __aiter__(self):
            for piece in ("One. ", "Two. ", "Three. "):
                yield sse(piece, done=False)
                await asyncio.sleep(0)
            yield b"data: [DONE]\n\n"

        async def aclose(self):
            TrackedStream.closed = True

    conversation = FallbackConversation(llm(client_for(Upstream(lambda: httpx.Response(200, stream=TrackedStream())))), StoryStandIn())
    pieces = conversation.reply(CTX)
    assert await anext(pieces) == "One. "
    assert not TrackedStream.closed
    await pieces.aclose()  # the relative interrupted: the pipeline drops the answer
    assert TrackedStream.closed


# --- face --------------------------------------------------------------------------------------


async def test_face_falls_back_to_the_local_mouth_track(client_for):
    face = FallbackFace(
        HttpTalkingHead(Endpoint(client_for(Upstream(httpx.Response(502))), base_url="http://f/animate", retries=0)), LocalFace()
    )
    with collect_fallbacks() as events:
        result = await face.animate(SPEECH, portrait=b"\x89PNG....")
    assert result.video is None and result.mouth.values
    assert [e.code for e in events] == ["face_fallback"]


# --- collecting notices -------------------------------------------------------------------------


async def test_fallbacks_in_tasks_started_inside_the_turn_are_collected(client_for):
    tts = FallbackTextToSpeech(
        OpenAITextToSpeech(Endpoint(client_for(Upstream(httpx.Response(500))), base_url="http://t/v1", retries=0)),
        LocalTtsStandIn(),
        breaker=CircuitBreaker(failure_threshold=100),
    )
    with collect_fallbacks() as events:
        await asyncio.gather(*(asyncio.create_task(tts.synthesize(f"Sentence {i}.")) for i in range(3)))
        assert len(drain(events)) == 3
        assert events == []
    # outside a turn nothing is collected, and nothing breaks
    await tts.synthesize("Hello.")


async def test_two_turns_do_not_see_each_other_s_notices(client_for):
    bad = FallbackTextToSpeech(
        OpenAITextToSpeech(Endpoint(client_for(Upstream(httpx.Response(500))), base_url="http://t/v1", retries=0)),
        LocalTtsStandIn(),
        breaker=CircuitBreaker(failure_threshold=100),
    )
    good = FallbackTextToSpeech(
        OpenAITextToSpeech(Endpoint(client_for(Upstream(httpx.Response(200, content=encode_wav(SPEECH)))), base_url="http://t/v1")),
        LocalTtsStandIn(),
    )

    async def turn(tts):
        with collect_fallbacks() as events:
            await tts.synthesize("Hi there.")
            await asyncio.sleep(0.01)
            return len(events)

    assert await asyncio.gather(turn(bad), turn(good)) == [1, 0]


# --- building from settings -------------------------------------------------------------------


async def test_default_settings_build_the_embedded_engines():
    story = StoryStandIn()
    async with make_http_client() as http:
        services = build_services(Settings(), http, story=story)
    assert isinstance(services.asr, LocalSpeechToText)
    assert isinstance(services.tts, LocalTextToSpeech)
    assert isinstance(services.face, LocalFace)
    assert services.llm is story and services.story is story


async def test_openai_settings_build_remote_providers_with_fallbacks(monkeypatch):
    for stage in ("ASR", "LLM", "TTS"):
        monkeypatch.setenv(f"KEEPSAKE_{stage}__PROVIDER", "openai")
        monkeypatch.setenv(f"KEEPSAKE_{stage}__BASE_URL", f"http://{stage.lower()}.test")
        monkeypatch.setenv(f"KEEPSAKE_{stage}__API_KEY", f"key-{stage}")
    monkeypatch.setenv("KEEPSAKE_TTS__VOICE", "nova")
    monkeypatch.setenv("KEEPSAKE_FACE__PROVIDER", "http")
    monkeypatch.setenv("KEEPSAKE_FACE__BASE_URL", "http://face.test/animate")
    requests: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=encode_wav(SPEECH))

    seen: list[FallbackEvent] = []
    async with make_http_client(transport=httpx.MockTransport(upstream)) as http:
        services = build_services(Settings(), http, story=StoryStandIn(), on_fallback=seen.append)
        assert isinstance(services.asr, FallbackSpeechToText)
        assert isinstance(services.llm, FallbackConversation)
        assert isinstance(services.tts, FallbackTextToSpeech)
        assert isinstance(services.face, FallbackFace)
        await services.tts.synthesize("Hello.")
    [request] = requests
    assert str(request.url) == "http://tts.test/v1/audio/speech"
    assert request.headers["authorization"] == "Bearer key-TTS"
    assert json.loads(request.read())["voice"] == "nova"
    assert seen == []


async def test_story_mode_is_the_real_story_conversation_by_default():
    story_module = pytest.importorskip("server.conversation.story")  # written by another engineer
    async with make_http_client() as http:
        services = build_services(Settings(), http)
    assert isinstance(services.story, story_module.StoryConversation)
    assert services.llm is services.story


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEEPSAKE_ASR__PROVIDER": "azure"}, "KEEPSAKE_ASR__PROVIDER"),
        ({"KEEPSAKE_LLM__PROVIDER": "magic"}, "local, openai"),
        ({"KEEPSAKE_FACE__PROVIDER": "http"}, "KEEPSAKE_FACE__BASE_URL"),
    ],
)
def test_bad_provider_settings_fail_with_a_clear_message(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The settings refuse them as they load, before any provider is built.
    with pytest.raises(ValueError, match=message):
        Settings()


def test_failure_objects_never_leak_from_the_fallback_conversation():
    # A ServiceFailure from the fallback itself is passed on (the pipeline handles it);
    # from the primary it never is.
    class FailingStory(Conversation):
        name = "story"

        async def reply(self, ctx):
            yield ServiceFailure(ServiceError("llm", "story", "no memories"))

    class FailingPrimary(Conversation):
        name = "openai"

        async def reply(self, ctx):
            yield ServiceFailure(ServiceError("llm", "openai", "down"))

    pieces = asyncio.run(collect(FallbackConversation(FailingPrimary(), FailingStory())))
    assert [p.error.provider for p in pieces] == ["story"]
