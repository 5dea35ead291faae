"""Turn one sentence of the answer into what the tablet plays: audio, mouth track, URL."""

from __future__ import annotations

import asyncio

from shared.api import MouthTrack, SentenceEvent
from server.audio import AudioDecodeError, decode_audio, encode_wav
from server.services.base import Audio, Recording, ServiceError
from server.state import AppState
from server.storage import speech_cache

# Written into every generated file, so the recording always says what it is.
AI_COMMENT = "AI-generated: a Keepsake recreation of {name}'s voice, not a real recording."


class Speaker:
    """Speaks sentences for one persona in one household."""

    def __init__(self, state: AppState, *, household_id: str, persona_id: str, persona_name: str, language: str, voice: str | None):
        self.state = state
        self.household_id = household_id
        self.persona_id = persona_id
        self.persona_name = persona_name
        self.language = language
        self.voice = voice

    async def speak(self, index: int, text: str) -> SentenceEvent:
        """Synthesize and store one sentence (or find it made before). Raises ServiceError if no voice could speak it."""
        state = self.state
        tts = state.services.tts
        cache_key = speech_cache.key(self.persona_id, tts.name, self.voice, self.language, text)
        cached = speech_cache.find(state.db, cache_key)
        if cached is not None:
            media_id, duration_ms, mouth = cached
        else:
            audio: Audio = await tts.synthesize(text, language=self.language, voice=self.voice)
            try:
                face = await state.services.face.animate(audio)
                mouth = MouthTrack(fps=face.mouth.fps, values=face.mouth.values)
            except ServiceError:
                mouth = MouthTrack(fps=25, values=[])  # the tablet falls back to its own idle mouth
            media_id = await asyncio.to_thread(self._store, audio, cache_key, mouth)
            duration_ms = round(audio.duration_s * 1000)
        return SentenceEvent(
            index=index,
            text=text,
            audio_url=state.media.signed_path(media_id, state.settings.media_url_ttl_s),
            audio_mime="audio/wav",
            duration_ms=duration_ms,
            mouth=mouth,
        )

    def _store(self, audio: Audio, cache_key: str, mouth: MouthTrack) -> str:
        """Write the sentence's marked WAV and remember it (one trip to a worker thread for all of it)."""
        state = self.state
        wav = encode_wav(audio, comment=AI_COMMENT.format(name=self.persona_name))
        media = state.media.put(self.household_id, wav, "audio/wav", "speech", self.persona_id)
        if not audio.stand_in:
            speech_cache.keep(state.db, cache_key, self.persona_id, media.id, round(audio.duration_s * 1000), mouth)
        return media.id

    async def play_recording(self, index: int, recording: Recording) -> SentenceEvent:
        """The person's own recording of these words; synthesized instead if it cannot be played."""
        state = self.state
        media = state.media.get(recording.media_id)
        if media is None or media.household_id != self.household_id or not media.path.exists():
            return await self.speak(index, recording.text)
        try:
            audio = await asyncio.to_thread(lambda: decode_audio(media.path.read_bytes(), None))
            face = await state.services.face.animate(audio)
        except (AudioDecodeError, ServiceError, OSError):
            return await self.speak(index, recording.text)
        return SentenceEvent(
            index=index,
            text=recording.text,
            audio_url=state.media.signed_path(media.id, state.settings.media_url_ttl_s),
            audio_mime=media.mime,
            duration_ms=round(audio.duration_s * 1000),
            mouth=MouthTrack(fps=face.mouth.fps, values=face.mouth.values),
            original=True,
        )
