"""Zero-shot voices: a short clip of the person and its words, kept by Keepsake, spoken from by a server.

CosyVoice and GPT-SoVITS register no voice: every sentence is spoken from a
reference clip and its transcript sent along with the text. So cloning here
means choosing that clip from the samples the caregiver recorded in the
studio, writing down what it says (the server's own speech recognition) and
keeping both in a folder; the "voice id" handed to the TTS stage names them.

The clip is 3 to 9.5 seconds of speech, cut at a pause: GPT-SoVITS refuses a
reference outside 3-10 s (``TTS._set_ref_spec``, after adding 0.3 s of
silence), and CosyVoice speaks worse when the sentence is much shorter than
the reference's words (``CosyVoiceModel.inference_zero_shot`` warns).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from server.audio import (
    AudioDecodeError,
    decode_audio,
    encode_wav,
    frame_dbfs,
    trim_silence,
)
from server.config import Settings, StageSettings
from server.services.base import Audio, ServiceError, SpeechToText
from server.services.cloning import MIN_CLONE_TIMEOUT_S, VoiceCloner, VoiceSample
from server.services.cloning_openai import voice_name
from server.services.endpoint import Endpoint, EndpointDefaults, HttpProvider

CLIP_RATE = 24000  # both servers resample; CosyVoice refuses anything under 16 kHz
MIN_CLIP_S = 3.0
MAX_CLIP_S = 9.5
_EARLIEST_CUT_S = 5.0  # a long sample is cut at its quietest pause between 5 and 9.5 s
_FRAME_S = 0.02
_PAUSE_FRAMES = 7  # a pause is ~140 ms quiet, not the short dip of a "p" or "t"
NO_REFERENCE = "no reference voice: clone the persona's voice in the studio first"
_VOICE_ID = re.compile(r"^[a-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class Reference:
    voice_id: str
    wav: bytes
    text: str  # what the clip says
    language: str | None  # as the speech recognition heard it
    path: Path


class ReferenceVoices:
    """The kept clips: ``{voice_id}.wav`` and ``{voice_id}.json`` (its words) in one folder."""

    def __init__(self, folder: Path, folder_on_server: str | None = None):
        self.folder = Path(folder)
        # The same folder as a server that reads clips from its own disk sees it (GPT-SoVITS).
        self.folder_on_server = folder_on_server or str(self.folder.resolve())

    @classmethod
    def for_settings(cls, settings: Settings) -> ReferenceVoices:
        tts = settings.tts
        return cls(tts.reference_dir or settings.data_dir / "reference-voices", tts.reference_dir_on_server)

    def path(self, voice_id: str) -> Path:
        return self.folder / f"{voice_id}.wav"

    def path_on_server(self, voice_id: str) -> str:
        return f"{self.folder_on_server.rstrip('/')}/{voice_id}.wav"

    def save(self, voice_id: str, clip: Audio, text: str, language: str | None) -> Reference:
        self.folder.mkdir(parents=True, exist_ok=True)
        wav = encode_wav(clip)
        meta = json.dumps({"text": text, "language": language, "duration_s": round(clip.duration_s, 2)}, ensure_ascii=False)
        for suffix, data in ((".wav", wav), (".json", meta.encode())):
            final = self.folder / f"{voice_id}{suffix}"
            part = final.with_suffix(suffix + ".part")
            part.write_bytes(data)
            os.replace(part, final)  # never a half-written clip for a sentence to be spoken from
        return Reference(voice_id, wav, text, language, self.path(voice_id))

    def get(self, voice_id: str | None) -> Reference | None:
        # The id comes from the persona: anything but our own names never reaches the disk.
        if not voice_id or not _VOICE_ID.match(voice_id):
            return None
        try:
            meta = json.loads((self.folder / f"{voice_id}.json").read_text())
            wav = self.path(voice_id).read_bytes()
        except (OSError, ValueError):
            return None
        return Reference(voice_id, wav, str(meta.get("text") or ""), meta.get("language"), self.path(voice_id))

    def has(self, voice_id: str | None) -> bool:
        return bool(
            voice_id and _VOICE_ID.match(voice_id) and self.path(voice_id).is_file() and (self.folder / f"{voice_id}.json").is_file()
        )

    def delete(self, voice_id: str) -> None:
        if not _VOICE_ID.match(voice_id):
            return
        for suffix in (".wav", ".json"):
            (self.folder / f"{voice_id}{suffix}").unlink(missing_ok=True)


def _cut_at_pause(audio: Audio) -> Audio:
    """The speech up to its quietest pause before ``MAX_CLIP_S`` (all of it when short enough)."""
    rate = audio.sample_rate
    if audio.duration_s <= MAX_CLIP_S:
        return audio
    frame = int(rate * _FRAME_S)
    levels = frame_dbfs(audio.samples[: int(MAX_CLIP_S * rate)], frame)
    # The loudest frame around each point: low only where the whole stretch is quiet.
    padded = np.pad(levels, _PAUSE_FRAMES // 2, mode="edge")
    around = np.lib.stride_tricks.sliding_window_view(padded, _PAUSE_FRAMES).max(axis=1)
    first = int(_EARLIEST_CUT_S / _FRAME_S)
    cut = first + int(np.argmin(around[first:]))
    return trim_silence(Audio(audio.samples[: cut * frame + frame // 2].copy(), rate))


def choose_clip(samples: list[VoiceSample]) -> Audio | None:
    """The longest 3-9.5 s stretch of speech the samples give, cut at a pause; None if there is none."""
    best: Audio | None = None
    for sample in samples:
        try:
            audio = trim_silence(decode_audio(sample.data, CLIP_RATE))
        except AudioDecodeError:
            continue
        clip = _cut_at_pause(audio)
        if MIN_CLIP_S <= clip.duration_s <= MAX_CLIP_S and (best is None or clip.duration_s > best.duration_s):
            best = clip
    return best


def new_voice_id(name: str) -> str:
    return f"{voice_name(name)[:60]}-{secrets.token_hex(4)}"


def language_tag(language: str | None) -> str:
    """``en`` from ``en-GB``, ``zh`` from ``zh_CN``: the part both servers know."""
    return (language or "").replace("_", "-").split("-")[0].lower()


class ReferenceVoiceProvider(HttpProvider):
    """A provider that speaks from, or makes, the kept clips: built with the folder that holds them."""

    # Given by the stage's base (TextToSpeech, VoiceCloner), which comes after this class: declared, never set here.
    stage: str
    name: str

    def __init__(self, endpoint: Endpoint, voices: ReferenceVoices, *, voice: str | None = None, asr: SpeechToText | None = None):
        super().__init__(endpoint)
        self.voices = voices
        self.voice = voice  # KEEPSAKE_TTS__VOICE: a kept clip's id, for every persona without its own
        self.asr = asr

    @classmethod
    def from_references(
        cls, stage: StageSettings, http: httpx.AsyncClient, voices: ReferenceVoices, *, asr: SpeechToText | None = None
    ) -> ReferenceVoiceProvider:
        return cls(Endpoint.from_settings(stage, http, cls.defaults), voices, voice=stage.voice, asr=asr)

    def reference(self, voice: str | None) -> Reference:
        reference = self.voices.get(voice or self.voice)
        if reference is None:
            raise ServiceError(self.stage, self.name, NO_REFERENCE)
        return reference

    def unserved(self, *, language: str, voice: str | None) -> str | None:
        return None if self.voices.has(voice or self.voice) else NO_REFERENCE


class ReferenceCloner(ReferenceVoiceProvider, VoiceCloner):
    """Cloning for a zero-shot server: choose the clip, write down its words, keep both, let the server try it."""

    defaults = EndpointDefaults(min_timeout_s=MIN_CLONE_TIMEOUT_S)

    async def create_voice(self, name: str, samples: list[VoiceSample], *, description: str | None = None) -> str:
        if self.asr is None:
            raise ServiceError(self.stage, self.name, "no speech recognition to write down the reference clip")
        clip = await asyncio.to_thread(choose_clip, samples)
        if clip is None:
            raise ServiceError(self.stage, self.name, "no stretch of 3 to 10 seconds of clear speech in the samples")
        heard = await self.asr.transcribe(clip)
        if not heard.text.strip():
            raise ServiceError(self.stage, self.name, "no words could be heard in the reference clip")
        voice_id = new_voice_id(name)
        reference = await asyncio.to_thread(self.voices.save, voice_id, clip, heard.text.strip(), heard.language)
        try:
            await self.try_reference(reference)
        except BaseException:
            self.voices.delete(voice_id)  # the voice was not made: nothing of it is kept
            raise
        return voice_id

    async def try_reference(self, reference: Reference) -> None:
        """Ask the server to take the clip, so a voice it cannot speak in is refused now. Raises ServiceError."""

    async def delete_voice(self, voice_id: str) -> None:
        await asyncio.to_thread(self.voices.delete, voice_id)
