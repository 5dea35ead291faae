"""The tablet's side of the live socket against a real server process: a turn ended by the
server from the pause, one ended by a tap, and the fallbacks (no socket on that server, a
refused token, a server that is away) that send the tablet back to the POST turn."""

from __future__ import annotations

import http.server
import threading
import wave

import pytest

from shared.api import DoneEvent, SentenceEvent, TranscriptEvent
from client.api import KeepsakeClient, Offline
from client.live_socket import LiveEvent, LiveSocket, LiveUnavailable, live_url
from tests.live_server import free_port


@pytest.fixture(scope="module")
def talk(live_server):
    """A tablet paired with the demo server, in a conversation with the demo persona."""
    client = KeepsakeClient(live_server.url)
    device = client.pair(live_server.pairing_code, "Live socket tablet")
    client.set_token(device.device_token)
    persona = client.personas()[0]
    session = client.start_session(persona.id)
    yield live_server.url, device.device_token, session.id
    client.close()


def pcm_of(path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


def resampled_to_16k(pcm: bytes, rate: int) -> bytes:
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    positions = np.arange(0, len(samples), rate / 16_000)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.int16).tobytes()


def feed_in_mic_pieces(socket: LiveSocket, pcm: bytes, piece_ms: int = 30) -> None:
    """As a microphone delivers it: ~30 ms at a time (the socket groups them into frames)."""
    size = 2 * 16_000 * piece_ms // 1000
    for i in range(0, len(pcm), size):
        socket.feed(pcm[i : i + size])


def until_listening(socket: LiveSocket) -> list:
    """Everything the server says for one turn, up to its ``listening`` for the next."""
    seen = []
    for event in socket.events():
        seen.append(event)
        if isinstance(event, LiveEvent) and event.type == "listening":
            return seen
    raise AssertionError(seen)


def kinds(events: list) -> list[str]:
    return [event.type for event in events]


def test_the_server_hears_the_end_of_the_turn_and_answers_on_the_same_socket(talk, speak):
    base, token, session_id = talk
    pcm, rate = pcm_of(speak("Tell me about your garden."))
    socket = LiveSocket.open(base, token, session_id)
    try:
        feed_in_mic_pieces(socket, resampled_to_16k(pcm, rate) + b"\0\0" * 16_000 * 3)
        events = until_listening(socket)
    finally:
        socket.close()
    order = kinds(events)
    assert order[:2] == ["speech_started", "end_of_turn"], order
    assert order[-2:] == ["done", "listening"], order
    end = events[1]
    assert end.data["by"] == "pause"
    transcript = next(e for e in events if isinstance(e, TranscriptEvent))
    assert "garden" in transcript.text.lower()
    sentences = [e for e in events if isinstance(e, SentenceEvent)]
    assert sentences and all(s.audio_url for s in sentences)
    assert next(e for e in events if isinstance(e, DoneEvent)).turn_id


def test_a_tap_ends_the_turn_without_waiting_for_a_pause(talk, speak):
    base, token, session_id = talk
    pcm, rate = pcm_of(speak("What did you cook on Sundays?"))
    socket = LiveSocket.open(base, token, session_id)
    try:
        feed_in_mic_pieces(socket, resampled_to_16k(pcm, rate))
        socket.tap_end()
        events = until_listening(socket)
    finally:
        socket.close()
    ends = [e for e in events if isinstance(e, LiveEvent) and e.type == "end_of_turn"]
    assert [e.data["by"] for e in ends] == ["tap"], kinds(events)
    assert "done" in kinds(events)


def test_a_refused_token_sends_the_tablet_to_the_post_turn(talk):
    base, _token, session_id = talk
    with pytest.raises(LiveUnavailable):
        LiveSocket.open(base, "not-a-token", session_id)


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # an older server or a proxy: no such path, no upgrade
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_without_the_socket_sends_the_tablet_to_the_post_turn():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(LiveUnavailable):
            LiveSocket.open(f"http://127.0.0.1:{server.server_address[1]}", "token", "ses_1")
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_away_is_offline_not_unavailable():
    with pytest.raises(Offline):
        LiveSocket.open(f"http://127.0.0.1:{free_port()}", "token", "ses_1", timeout_s=2)


def test_the_socket_address_follows_the_server_address():
    assert live_url("http://10.0.0.5:8000", "ses_1") == "ws://10.0.0.5:8000/v1/sessions/ses_1/live"
    assert live_url("https://keepsake.example/", "ses_2") == "wss://keepsake.example/v1/sessions/ses_2/live"


def test_a_server_that_stops_answering_after_the_end_sends_the_recording_the_ordinary_way():
    """It says ``listening`` and takes the audio, then nothing once the relative is done: the
    tablet does not wait for ever; the turn fails as offline and the recording goes as a request."""
    from websockets.sync.server import serve

    def silent_after_start(connection) -> None:
        connection.recv()  # start
        connection.send('{"type": "listening"}')
        for _message in connection:  # audio and the tap, then nothing back
            pass

    with serve(silent_after_start, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        socket = LiveSocket.open(f"http://127.0.0.1:{port}", "token", "ses_1")
        socket.answer_quiet_s = 1.0
        try:
            socket.feed(b"\0\0" * 16_000)
            socket.tap_end()
            with pytest.raises(Offline, match="stopped answering"):
                for _event in socket.events():
                    pass
        finally:
            socket.close()
            server.shutdown()
    assert socket.closed
