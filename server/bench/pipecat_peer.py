"""The field's framework beside Keepsake in ``keepsake bench --live --pipecat``: a Pipecat voice bot.

Run by a Python that has Pipecat (never the shared one; see docs/benchmarks.md):

    python -m venv /work/pipecat-venv
    /work/pipecat-venv/bin/pip install "pipecat-ai[websocket,silero,openai,runner]==1.14.0"
    /work/pipecat-venv/bin/python server/bench/pipecat_peer.py --port P --base-url http://127.0.0.1:F/v1

It imports nothing of Keepsake. Written the way Pipecat's own examples write a WebSocket voice bot:
a FastAPI WebSocket endpoint, one pipeline per connection (transport in, speech to text, the user's
context aggregator, LLM, text to speech, transport out, the assistant's aggregator), with
OpenAI's speech-to-text, LLM and text-to-speech services pointed at the bench's fakes, an LLM
context and a short system instruction, Silero VAD and Smart Turn v3 (LocalSmartTurnAnalyzerV3) as
the turn's end. Every turn setting is Pipecat 1.14's default, as a user of Pipecat runs it:
VADParams (confidence 0.7, start 0.2 s, stop 0.2 s, min volume 0.6), SmartTurnParams (stop_secs 3 s:
the longest wait after a pause Smart Turn judges unfinished, pre_speech_ms 500, max 8 s) and the
TurnAnalyzerUserTurnStopStrategy waiting for the transcript.

The wire is what the bench's tablet speaks: binary frames of 16 kHz mono 16-bit PCM in, binary
frames of the bot's 24 kHz mono 16-bit PCM out (a raw-PCM serializer, below). Once the pipeline is
running it sends one text frame, ``{"type": "ready"}``, so the bench streams nothing it would drop.
"""

from __future__ import annotations

import argparse
import json
import sys

import uvicorn
from fastapi import FastAPI, WebSocket
from loguru import logger
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.frames.frames import Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.task import PipelineParams
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair, LLMUserAggregatorParams
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.services.openai.stt import OpenAISTTService
from pipecat.services.openai.tts import OpenAITTSService
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

IN_RATE = 16_000
OUT_RATE = 24_000  # what OpenAI's text to speech returns
SYSTEM_PROMPT = "You are a warm grandmother talking with your grandchild. Answer in two or three short sentences."


class RawPCMSerializer(FrameSerializer):
    """Binary frames are mono 16-bit PCM both ways; nothing else goes on the wire."""

    async def serialize(self, frame: Frame) -> bytes | None:
        return bytes(frame.audio) if isinstance(frame, OutputAudioRawFrame) else None

    async def deserialize(self, data: str | bytes) -> Frame | None:
        if isinstance(data, bytes):
            return InputAudioRawFrame(audio=data, sample_rate=IN_RATE, num_channels=1)
        return None


async def run_bot(websocket: WebSocket, base_url: str) -> None:
    transport = FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=RawPCMSerializer()),
    )
    stt = OpenAISTTService(api_key="bench", base_url=base_url)
    llm = OpenAILLMService(api_key="bench", base_url=base_url, settings=OpenAILLMService.Settings(system_instruction=SYSTEM_PROMPT))
    tts = OpenAITTSService(api_key="bench", base_url=base_url)
    context = LLMContext()
    user, assistant = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=SileroVADAnalyzer(),
            user_turn_strategies=UserTurnStrategies(stop=[TurnAnalyzerUserTurnStopStrategy(turn_analyzer=LocalSmartTurnAnalyzerV3())]),
        ),
    )
    pipeline = Pipeline([transport.input(), stt, user, llm, tts, transport.output(), assistant])
    worker = PipelineWorker(pipeline, params=PipelineParams(audio_in_sample_rate=IN_RATE, audio_out_sample_rate=OUT_RATE))

    @transport.event_handler("on_client_connected")  # type: ignore[untyped-decorator]
    async def on_client_connected(transport: object, client: WebSocket) -> None:
        await client.send_text(json.dumps({"type": "ready"}))

    @transport.event_handler("on_client_disconnected")  # type: ignore[untyped-decorator]
    async def on_client_disconnected(transport: object, client: WebSocket) -> None:
        await worker.cancel()

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Pipecat WebSocket voice bot on the bench's fake services")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--base-url", required=True, help="the fakes' OpenAI-compatible base URL, ending in /v1")
    parser.add_argument("--log-level", default="WARNING", help="Pipecat's log (loguru) level")
    args = parser.parse_args(argv)
    # The Keepsake server beside it logs warnings only: the same for Pipecat's chatty debug log.
    logger.remove()
    logger.add(sys.stderr, level=args.log_level)
    app = FastAPI()

    @app.websocket("/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await run_bot(websocket, args.base_url)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
