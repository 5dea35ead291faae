"""Voice memos: cut at pauses, transcribed by the configured speech-to-text, kept with the real recording."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.audio import decode_audio, read_wav_comment
from server.config import Settings
from server.importers import voice_memo
from server.services.base import Audio
from tests.server.api.conftest import new_household, new_persona


def speech_like(seconds: float, rate: int = 24000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_long_memo_is_cut_at_pauses():
    rate = 24000
    pieces = []
    for seconds in (25, 30, 28, 12):  # talking, with a one-second pause after each stretch
        pieces += [speech_like(seconds), np.zeros(rate, np.float32)]
    parts = voice_memo.split(Audio(np.concatenate(pieces), rate))
    assert len(parts) >= 3
    for part in parts:
        assert part.end_s - part.start_s <= voice_memo.MAX_PART_S + 0.01
    # Every cut falls in a pause, never in the middle of talking.
    for part in parts[1:]:
        edge = part.audio.samples[: int(0.1 * rate)]
        assert float(np.abs(edge).max()) < 0.01


def test_short_memo_stays_one_part():
    parts = voice_memo.split(Audio(speech_like(40), 24000))
    assert len(parts) == 1 and parts[0].start_s == 0


def test_clock_and_title():
    assert voice_memo.clock(75) == "1:15" and voice_memo.clock(3725) == "1:02:05"
    assert voice_memo.title_from_filename("grandma_about-the_war.m4a") == "grandma about the war"


@pytest.mark.slow
def test_spoken_memo_with_the_embedded_engines(data_dir, spoken_wav):
    """A memo spoken by the embedded Piper voice, transcribed by the embedded Whisper, kept playable."""
    words = "When I was a girl we lived by the sea in Whitby. Every morning I collected shells on the beach with my brother Tom."
    settings = Settings(data_dir=data_dir, preload_engines=False)
    app = create_app(settings)
    with TestClient(app) as client:
        hh = new_household(client)
        persona = new_persona(client, hh, memories=False)
        r = client.post(
            f"/v1/personas/{persona['id']}/sources",
            files={"file": ("whitby memories.wav", spoken_wav(words), "audio/wav")},
            headers=hh["headers"],
        )
        assert r.status_code == 202, r.text
        assert r.json()["kind"] == "voice_memo"
        deadline = time.monotonic() + 240
        while (job := client.get(r.json()["job_url"], headers=hh["headers"]).json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert job["state"] == "done", job
        memories = client.get(f"/v1/personas/{persona['id']}/memories/search", headers=hh["headers"]).json()
        assert len(memories) == 1, memories
        memory = memories[0]
        heard = memory["text"].lower()
        # Small recognition slips are allowed: most of the words that carry the memory must be there.
        carried = [w for w in ("whitby", "sea", "morning", "shells", "beach", "brother", "tom") if w in heard]
        assert len(carried) >= 5, heard
        assert memory["source"] == "voice_memo" and memory["title"] == "whitby memories"
        assert memory["origin"]["position"].startswith("recording 0:00")
        clip = client.get(memory["audio_url"])
        assert clip.status_code == 200 and clip.headers["content-type"] == "audio/wav"
        assert "Original recording" in (read_wav_comment(clip.content) or "")
        audio = decode_audio(clip.content, None)
        assert audio.duration_s > 3 and float(np.abs(audio.samples).max()) > 0.05
        # Story mode finds it for a question about it.
        session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
        turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the beach"}, headers=hh["headers"])
        assert "beach" in turn.text.lower(), turn.text
