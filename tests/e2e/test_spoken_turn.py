"""The real server on loopback with the embedded engines: speak to the demo persona, hear her answer."""

from __future__ import annotations

import difflib
import json
import re

import httpx
import numpy as np
import pytest

from server.audio import decode_audio
from tests.live_server import start_server

pytestmark = pytest.mark.slow

QUESTION = "Tell me about your wedding day."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("e2e-data"))
    yield live
    live.stop()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_spoken_turn_to_the_demo_persona(server, spoken_wav):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        device = http.post("/v1/devices", json={"pairing_code": server.pairing_code, "name": "e2e tablet"})
        assert device.status_code == 201, device.text
        headers = {"Authorization": f"Bearer {device.json()['device_token']}"}
        personas = http.get("/v1/personas", headers=headers).json()
        assert personas and personas[0]["consent"] is not None
        session = http.post("/v1/sessions", json={"persona_id": personas[0]["id"]}, headers=headers).json()

        wav = spoken_wav(QUESTION)
        events = []
        with http.stream(
            "POST", f"/v1/sessions/{session['id']}/turns", content=wav, headers={**headers, "content-type": "audio/wav"}
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.strip():
                    events.append(json.loads(line))

        transcript = events[0]
        assert transcript["type"] == "transcript"
        similarity = difflib.SequenceMatcher(None, words(QUESTION), words(transcript["text"])).ratio()
        assert similarity >= 0.7, transcript

        sentences = [e for e in events if e["type"] == "sentence"]
        assert sentences, events
        audio = http.get(sentences[0]["audio_url"])  # the signed URL, as a player without headers would
        assert audio.status_code == 200
        decoded = decode_audio(audio.content)
        assert decoded.duration_s > 0.3
        assert float(np.sqrt(np.mean(decoded.samples**2))) > 0.01

        done = events[-1]
        assert done["type"] == "done"
        assert done["timings_ms"]["asr"] > 0 and done["timings_ms"]["first_audio"] >= done["timings_ms"]["asr"]
        print(f"\nembedded engines, spoken turn: first audio {done['timings_ms']['first_audio']:.0f} ms, timings {done['timings_ms']}")
