"""The real tablet app streams the relative's words while they speak; a broken stream loses nothing.

Runs the app under X against the real server (embedded engines), with the
file microphone, as the other UI tests do. These are the POST turn's streamed body, the path a
tablet takes when the server has no live socket (``KEEPSAKE_LIVE_SOCKET=0`` keeps it there);
the live socket's turns are in test_live_socket_ui.py.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import threading

import pytest

from tests.client.harness import has_xdotool, new_pairing_code
from tests.live_server import free_port

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

QUESTION = "Tell me about your wedding day."
POST_TURNS = {"KEEPSAKE_LIVE_SOCKET": "0"}
TURN_REQUEST = re.compile(rb"POST /v1/sessions/[^/ ]+/turns HTTP/1\.1")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


class CuttingProxy:
    """A TCP proxy on loopback that cuts the connection of the first turn request after
    ``cut_after`` bytes of it have passed: the network failing while the relative speaks."""

    def __init__(self, upstream_port: int, cut_after: int = 24_000) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.cuts = 0
        self.turns_seen = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), name="cutting-proxy", daemon=True)
        self.thread.start()
        assert started.wait(10), "the proxy did not start"

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        started.set()
        self.loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def upward() -> None:
            tail, cut_at = b"", None
            while data := await reader.read(4096):
                seen, tail = tail + data, (tail + data)[-200:]  # a request line may come in two reads
                if cut_at is None and TURN_REQUEST.search(seen):
                    self.turns_seen += 1
                    if self.cuts == 0:
                        cut_at = self.cut_after
                if cut_at is not None:
                    cut_at -= len(data)
                    if cut_at <= 0:
                        self.cuts += 1
                        raise ConnectionResetError("cut")
                up_writer.write(data)
                await up_writer.drain()

        async def downward() -> None:
            while data := await up_reader.read(4096):
                writer.write(data)
                await writer.drain()

        tasks = [asyncio.ensure_future(upward()), asyncio.ensure_future(downward())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for w in (writer, up_writer):
                w.transport.abort()

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def test_the_words_go_up_while_the_relative_speaks(start_app, live_server, speak):
    code = new_pairing_code(live_server.url, live_server.data_dir)
    app = start_app(live_server.url, code, mic_file=speak(QUESTION), extra_env=POST_TURNS)
    app.wait_for("connected", timeout=60)
    app.settle(timeout=60)

    app.tap("talk")
    started = app.wait_for("live_turn_started", timeout=10)  # the request opens as the microphone does
    recorded = app.wait_for("recorded", timeout=30)
    finished = app.wait_for("live_turn_finished", timeout=10)
    assert finished["bytes"] / 32000 >= recorded["seconds"]  # all the words went up, and the quiet after them
    assert recorded["t"] - started["t"] > 1.0  # the request was open while they spoke
    transcript = app.wait_for("transcript", timeout=90)
    assert difflib.SequenceMatcher(None, words(QUESTION), words(transcript["text"])).ratio() >= 0.6, transcript
    assert app.wait_for("live_turn_outcome", timeout=90)["outcome"] == "ok"
    app.wait_for("played", timeout=120)
    assert not list((app.tablet_dir / "outbox").glob("*.wav"))  # the server has them: the outbox let go


def test_a_stream_cut_while_speaking_sends_the_recording_from_the_outbox(start_app, live_server, speak):
    proxy = CuttingProxy(live_server.port)
    try:
        code = new_pairing_code(live_server.url, live_server.data_dir)
        app = start_app(proxy.url, code, mic_file=speak(QUESTION), extra_env=POST_TURNS)
        app.wait_for("connected", timeout=60)
        app.settle(timeout=60)

        app.tap("talk")
        app.wait_for("live_turn_started", timeout=10)
        outcome = app.wait_for("live_turn_outcome", timeout=30)
        assert outcome["outcome"] == "offline" and proxy.cuts == 1, outcome
        recorded = app.wait_for("recorded", timeout=30, since_start=True)
        assert recorded["seconds"] > 1.0  # the recording went on as if nothing happened
        transcript = app.wait_for("transcript", timeout=120)  # the file, sent the ordinary way
        assert difflib.SequenceMatcher(None, words(QUESTION), words(transcript["text"])).ratio() >= 0.6, transcript
        assert app.wait_for("turn_outcome", timeout=120)["outcome"] == "ok"
        assert proxy.turns_seen == 2  # the cut stream, then the file: said once, heard once
        app.wait_for("played", timeout=120)
        assert not list((app.tablet_dir / "outbox").glob("*.wav"))
    finally:
        proxy.stop()
