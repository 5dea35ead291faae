"""OpenAI-compatible transcription and speech, and the talking-head service, faked at the HTTP boundary."""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import wave

import httpx
import numpy as np
import pytest

from server.audio import decode_audio, encode_wav
from server.services.asr_openai import OpenAISpeechToText
from server.services.base import Audio, ServiceError
from server.services.endpoint import Endpoint
from server.services.face_http import HttpTalkingHead
from server.services.http import make_http_client
from server.services.tts_openai import OpenAITextToSpeech


def tone(seconds: float = 0.5, rate: int = 16000) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.4 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def form_fields(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """The multipart fields of a request: name -> (filename, content)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.read())
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True))
    return fields


class Recorder:
    def __init__(self, *responses: httpx.Response | Exception):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
async def http_for():
    clients = []

    def make(recorder: Recorder) -> httpx.AsyncClient:
        client = make_http_client(transport=httpx.MockTransport(recorder))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# --- transcription -----------------------------------------------------------------


async def test_transcription_happy_path_uploads_a_16k_wav(http_for):
    upstream = Recorder(httpx.Response(200, json={"text": "  Hello Grandpa.  "}))
    asr = OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test/v1/", model="whisper-large", api_key="k1"))
    transcript = await asr.transcribe(tone(rate=48000), language="zh-CN")
    assert transcript.text == "Hello Grandpa."
    assert transcript.language == "zh"

    request = upstream.requests[0]
    assert str(request.url) == "http://asr.test/v1/audio/transcriptions"
    assert request.headers["authorization"] == "Bearer k1"
    fields = form_fields(request)
    assert fields["model"][1] == b"whisper-large"
    assert fields["response_format"][1] == b"json"
    assert fields["language"][1] == b"zh"
    filename, wav = fields["file"]
    assert filename.endswith(".wav")
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() == 8000


async def test_transcription_without_language_or_key(http_for):
    upstream = Recorder(httpx.Response(200, json={"text": "hi", "language": "en"}))
    transcript = await OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test")).transcribe(tone())
    assert transcript.language == "en"
    assert "language" not in form_fields(upstream.requests[0])
    assert "authorization" not in upstream.requests[0].headers


async def test_transcription_answered_as_plain_words(http_for):
    # Some OpenAI-compatible servers send the words alone, whatever response_format asked for.
    upstream = Recorder(httpx.Response(200, text="Hello Grandpa.\n", headers={"content-type": "text/plain; charset=utf-8"}))
    transcript = await OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test")).transcribe(tone(), language="en")
    assert (transcript.text, transcript.language) == ("Hello Grandpa.", "en")


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (httpx.Response(400, json={"error": {"message": "bad file"}}), "HTTP 400.*bad file"),
        (httpx.Response(200, text='{"text": "cut sh'), "not JSON"),
        (httpx.Response(401, text="no key"), "HTTP 401"),
        (httpx.Response(500, text="oops"), "HTTP 500"),
        (httpx.Response(200, text="<html>proxy page</html>"), "not JSON"),
        (httpx.Response(200, json={"words": []}), "no text"),
    ],
)
async def test_transcription_errors_become_service_errors(http_for, answer, match):
    upstream = Recorder(answer)
    asr = OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test/v1", retries=2))
    with pytest.raises(ServiceError, match=match) as info:
        await asr.transcribe(tone())
    assert info.value.stage == "asr"
    assert len(upstream.requests) == 1  # 4xx/500/garbage: never retried


async def test_transcription_retries_a_bad_gateway(http_for):
    upstream = Recorder(httpx.Response(502), httpx.Response(200, json={"text": "ok"}))
    asr = OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test/v1", retries=1))
    assert (await asr.transcribe(tone())).text == "ok"
    assert len(upstream.requests) == 2
    # the retry uploads the same audio again
    assert form_fields(upstream.requests[0])["file"] == form_fields(upstream.requests[1])["file"]


async def test_transcription_timeout(http_for):
    upstream = Recorder(httpx.ReadTimeout("slow"))
    asr = OpenAISpeechToText(Endpoint(http_for(upstream), base_url="http://asr.test/v1", retries=3))
    with pytest.raises(ServiceError, match="timed out"):
        await asr.transcribe(tone())
    assert len(upstream.requests) == 1


# --- speech ----------------------------------------------------------------------------


async def test_speech_happy_path(http_for):
    voice_audio = tone(seconds=0.8, rate=24000)
    upstream = Recorder(httpx.Response(200, content=encode_wav(voice_audio), headers={"content-type": "audio/wav"}))
    tts = OpenAITextToSpeech(Endpoint(http_for(upstream), base_url="http://tts.test/v1", model="tts-x", api_key="k2"), voice="nova")
    audio = await tts.synthesize("  Hello, my dear.  ", voice="grandma-clone")
    assert audio.sample_rate == 24000
    assert audio.duration_s == pytest.approx(0.8, abs=0.01)

    request = upstream.requests[0]
    assert str(request.url) == "http://tts.test/v1/audio/speech"
    assert request.headers["authorization"] == "Bearer k2"
    assert json.loads(request.read()) == {"model": "tts-x", "input": "Hello, my dear.", "voice": "grandma-clone", "response_format": "wav"}


async def test_speech_uses_the_configured_voice_and_decodes_mp3_answers_too(http_for):
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=24000, layout="mono")
        samples = tone(seconds=0.5, rate=24000).samples
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 24000
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=24000, frame_size=stream.codec_context.frame_size
        )
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    upstream = Recorder(httpx.Response(200, content=buf.getvalue()))
    tts = OpenAITextToSpeech(Endpoint(http_for(upstream), base_url="http://tts.test/v1"), voice="nova")
    audio = await tts.synthesize("Hi.")
    assert json.loads(upstream.requests[0].read())["voice"] == "nova"
    assert audio.duration_s > 0.4


async def test_speech_of_nothing_speakable_needs_no_upstream(http_for):
    upstream = Recorder(httpx.Response(500))
    tts = OpenAITextToSpeech(Endpoint(http_for(upstream), base_url="http://tts.test/v1"))
    for text in ("", "   ", "…", "。！"):
        audio = await tts.synthesize(text)
        assert audio.samples.size > 0 and not audio.samples.any()
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (httpx.Response(400, json={"error": {"message": "unknown voice"}}), "HTTP 400.*unknown voice"),
        (httpx.Response(404, text="not here"), "HTTP 404"),
        (httpx.Response(500, text="oops"), "HTTP 500"),
        (httpx.Response(200, content=b"<html>not audio</html>"), "not audio"),
        (httpx.Response(200, content=encode_wav(Audio(np.zeros(0, np.float32), 24000))), "no audio"),
    ],
)
async def test_speech_errors_become_service_errors(http_for, answer, match):
    upstream = Recorder(answer)
    tts = OpenAITextToSpeech(Endpoint(http_for(upstream), base_url="http://tts.test/v1", retries=2))
    with pytest.raises(ServiceError, match=match) as info:
        await tts.synthesize("Hello.")
    assert info.value.stage == "tts"
    assert len(upstream.requests) == 1


async def test_speech_retries_503_then_gives_up(http_for):
    upstream = Recorder(httpx.Response(503))
    tts = OpenAITextToSpeech(Endpoint(http_for(upstream), base_url="http://tts.test/v1", retries=1))
    with pytest.raises(ServiceError, match="HTTP 503"):
        await tts.synthesize("Hello.")
    assert len(upstream.requests) == 2


# --- talking head ----------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


async def test_talking_head_posts_portrait_and_audio_and_returns_video_plus_mouth(http_for):
    upstream = Recorder(httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"}))
    face = HttpTalkingHead(Endpoint(http_for(upstream), base_url="http://face.test/animate", model="sadtalker"))
    speech = tone(seconds=1.0, rate=22050)
    result = await face.animate(speech, portrait=PNG)
    assert result.video == MP4 and result.video_mime == "video/mp4"
    assert len(result.mouth.values) == 25
    fields = form_fields(upstream.requests[0])
    assert fields["portrait"] == ("portrait.png", PNG)
    assert decode_audio(fields["audio"][1], None).duration_s == pytest.approx(1.0, abs=0.01)
    assert fields["model"][1] == b"sadtalker"


async def test_talking_head_without_portrait_returns_the_mouth_only(http_for):
    upstream = Recorder(httpx.Response(500))
    result = await HttpTalkingHead(Endpoint(http_for(upstream), base_url="http://face.test/animate")).animate(tone())
    assert result.video is None and result.mouth.values
    assert upstream.requests == []


@pytest.mark.parametrize("answer", [httpx.Response(500), httpx.Response(200, content=b"<html>")])
async def test_talking_head_failures_are_service_errors(http_for, answer):
    face = HttpTalkingHead(Endpoint(http_for(Recorder(answer)), base_url="http://face.test/animate"))
    with pytest.raises(ServiceError) as info:
        await face.animate(tone(), portrait=PNG)
    assert info.value.stage == "face"
