"""Cloning from the studio's recordings through CosyVoice and GPT-SoVITS, on fake servers on loopback.

The whole way: the caregiver's samples (spoken by the embedded voice), the
server's own speech recognition writing the clip down, the voice server
trying it, the persona then speaking in it, and a failing service leaving
the persona's voice as it was.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, TtsSettings
from server.services.reference_voice import MAX_CLIP_S, MIN_CLIP_S, ReferenceVoices
from tests.server.api.conftest import new_household, new_persona
from tests.server.api.test_voice import MORE, STORY, send
from tests.server.services.zero_shot_servers import cosyvoice_app, gptsovits_app, serve

pytestmark = pytest.mark.slow  # the embedded voice speaks the samples, the embedded recognizer hears the clip


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def record(client, hh, persona, spoken_wav) -> None:
    for text in (STORY, MORE, STORY + " " + MORE):
        assert send(client, hh, persona, spoken_wav(text)).status_code == 201


def test_clone_with_cosyvoice_then_speak_then_remove(data_dir, spoken_wav):
    fake = cosyvoice_app()
    with serve(fake) as url:
        settings = Settings(data_dir=data_dir, preload_engines=False, tts=TtsSettings(provider="cosyvoice", base_url=url, retries=0))
        with TestClient(create_app(settings)) as client:
            hh = new_household(client)
            persona = new_persona(client, hh, memories=False)
            listed = client.get(f"/v1/personas/{persona['id']}/voice-samples", headers=hh["headers"]).json()
            assert listed["cloning"]["available"] and listed["cloning"]["provider"] == "cosyvoice"
            record(client, hh, persona, spoken_wav)

            r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
            assert r.status_code == 200, r.text
            voice = r.json()["voice_id"]
            assert r.json()["provider"] == "cosyvoice"
            assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["voice_id"] == voice

            # The clip is the start of a recording, cut at a pause, and its words are what she said there.
            kept = ReferenceVoices(data_dir / "reference-voices").get(voice)
            heard = words(kept.text)
            # (Heard here: "At 49 I started at the bakery on Flowergate. I was up at 4 to light the ovens and by 6
            # the whole street smelt of bread.": the recognizer writes numbers as digits, and mishears one.)
            recording = words(STORY) if heard[0] == words(STORY)[0] else words(MORE)
            assert heard[0] == recording[0] and len(heard) >= 10
            assert sum(w in recording for w in heard) >= 0.75 * len(heard)
            ((_tried, prompt, clip, rate),) = fake.state.calls  # tried once when made
            assert prompt == kept.text and MIN_CLIP_S <= clip.size / rate <= MAX_CLIP_S

            # The persona speaks in it: every sentence sent with the clip and its words.
            session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
            spoken = [c[0] for c in fake.state.calls[1:]]
            assert spoken and " ".join(spoken) in " ".join(s["text"] for s in session["greeting"]["sentences"])
            assert all(c[1] == kept.text and c[2].size == clip.size for c in fake.state.calls[1:])

            assert client.delete(f"/v1/personas/{persona['id']}/voice", headers=hh["headers"]).status_code == 204
            assert ReferenceVoices(data_dir / "reference-voices").get(voice) is None


def test_a_failing_gptsovits_leaves_the_voice_as_it_was(data_dir, spoken_wav, tmp_path):
    refs = tmp_path / "shared-refs"
    disk = {"/mnt/keepsake-refs": refs}
    fake = gptsovits_app(disk=disk)
    with serve(fake) as url:
        tts = TtsSettings(provider="gpt-sovits", base_url=url, retries=0, reference_dir=refs, reference_dir_on_server="/mnt/keepsake-refs")
        with TestClient(create_app(Settings(data_dir=data_dir, preload_engines=False, tts=tts))) as client:
            hh = new_household(client)
            persona = new_persona(client, hh, memories=False)
            record(client, hh, persona, spoken_wav)
            first = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
            assert first.status_code == 200, first.text
            voice = first.json()["voice_id"]
            assert fake.state.loaded == [f"/mnt/keepsake-refs/{voice}.wav"]

            disk["/mnt/keepsake-refs"] = tmp_path / "not-mounted"  # the voice server lost the shared folder
            r = client.post(f"/v1/personas/{persona['id']}/voice/clone", headers=hh["headers"])
            assert r.status_code == 502 and r.json()["error"]["code"] == "voice_service_failed"
            message = r.json()["error"]["message"]
            assert "reference clip" in message and "/mnt" not in message and str(tmp_path) not in message
            # She speaks as before: the voice she had, its clip kept, and nothing left of the failed one.
            assert client.get(f"/v1/personas/{persona['id']}", headers=hh["headers"]).json()["voice_id"] == voice
            assert sorted(p.name for p in refs.iterdir()) == [f"{voice}.json", f"{voice}.wav"]
