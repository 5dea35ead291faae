"""A household made, talked to and exported over HTTP: what the several-process tests do to their servers."""

from __future__ import annotations

import io
import json
import math
import struct
import wave
import zipfile
from pathlib import Path

import httpx

from client.api import KeepsakeClient
from tests.server.api.conftest import CONSENT, PERSONA

PASSWORD = "correct horse battery"


def speech_wav(path: Path, seconds: float = 1.5) -> Path:
    """A recording to send as the relative's words (the fake recogniser hears its fixed sentence)."""
    rate = 16000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * i / rate) * (0.5 + 0.5 * math.sin(2 * math.pi * 4 * i / rate))))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def household(url: str) -> tuple[dict, str]:
    """A household with Rose (memories, consent) made through ``url``: caregiver headers, persona id."""
    with httpx.Client(base_url=url, timeout=30) as http:
        made = http.post("/v1/households", json={"name": "Whitfield", "caregiver_email": "anne@example.com", "password": PASSWORD})
        assert made.status_code == 201, made.text
        headers = {"Authorization": f"Bearer {made.json()['token']}"}
        persona = http.post("/v1/personas", json=PERSONA, headers=headers).json()
        memory = {"title": "The seaside", "text": "When I was a girl we lived by the sea in Whitby and collected shells."}
        assert http.post(f"/v1/personas/{persona['id']}/memories", json=memory, headers=headers).status_code == 201
        assert http.post(f"/v1/personas/{persona['id']}/consent", json=CONSENT, headers=headers).status_code == 201
        return headers, persona["id"]


def paired_tablet(url: str, caregiver_url: str, headers: dict) -> KeepsakeClient:
    code = httpx.post(f"{caregiver_url}/v1/pairing-codes", headers=headers, timeout=30).json()["code"]
    tablet = KeepsakeClient(url)
    tablet.set_token(tablet.pair(code, "Kitchen").device_token)
    return tablet


def export(url: str, headers: dict) -> tuple[dict, set[str]]:
    """data.json of the household export, and the names of its media files."""
    answer = httpx.get(f"{url}/v1/household/export", headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    return json.loads(archive.read("data.json")), {Path(n).stem for n in archive.namelist() if n.startswith("media/")}


def turns_of(data: dict) -> list[dict]:
    return [turn for persona in data["personas"] for session in persona["sessions"] for turn in session["turns"]]
