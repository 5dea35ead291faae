"""Turn one sentence of the answer into what the tablet plays: audio, mouth track, URL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from shared.api import MouthTrack, Persona, SentenceEvent
from server.audio import AudioDecodeError, decode_audio, encode_wav
from server.services import visemes as lips
from server.services.base import Audio, Face, Recording, ServiceError, TextToSpeech
from server.storage import personas, speech_cache
from server.storage.blobs import StoreUnavailable
from server.storage.db import Database
from server.storage.media import MediaStore

# Written into every generated file, so the recording always says what it is.
AI_COMMENT = "AI-generated: a Keepsake recreation of {name}'s voice, not a real recording."
CAPTIONS_COMMENT = "Keepsake: silence while {name}'s words are shown in captions; no voice was made."
CAPTIONS_TTS = "captions"  # what a captions-only sentence is kept under, in place of a voice service's name
_CAPTIONS_RATE = 8000  # silence needs no more
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def reading_s(text: str) -> float:
    """How long the words stay up when no voice says them: time for an older reader, 2 to 20 seconds."""
    cjk = len(_CJK.findall(text))
    words = len(_CJK.sub(" ", text).split())
    return min(20.0, max(2.0, 1.0 + 0.45 * words + 0.3 * cjk))


class Speaker:
    """Speaks sentences for one persona in one household, in ``voice`` (None: the service's default).

    ``captions_only``: no voice suits the persona, or the family chose her own recordings only: her
    recordings play where an answer is one, and every other sentence is silence as long as its words
    take to read, marked ``captions_only``, so the tablet shows it in captions (and older tablets,
    which play every sentence, keep their pace).

    ``stand_in_fits``: whether the embedded voice suits her. When her voice's service fails and the
    embedded voice answers instead, a sentence it does not suit (a man's voice for a grandmother) is
    made a captions-only sentence, the same as above, instead of being played.

    It is handed only what speaking needs: where speech is kept (``db``, ``media``), who makes it
    (``tts``, and ``face`` for the mouth) and how long a link to it lasts. Turns, greetings and
    speaking ahead all build it the same way (``AppState.speaker``), so their cache keys agree.
    """

    def __init__(
        self,
        db: Database,
        media: MediaStore,
        tts: TextToSpeech,
        voice: str | None,
        url_ttl_s: int,
        *,
        face: Face,
        persona: Persona,
        captions_only: bool = False,
        stand_in_fits: bool = True,
    ):
        self.db = db
        self.media = media
        self.tts = tts
        self.face = face
        self.url_ttl_s = url_ttl_s
        self.household_id = persona.household_id
        self.persona_id = persona.id
        self.persona_name = persona.display_name
        self.language = persona.language
        self.voice = voice
        self.captions_only = captions_only
        self.stand_in_fits = stand_in_fits
        # Sentences whose synthesis started before they were certain (see ``prepare``).
        self._prepared: dict[str, asyncio.Task[Audio]] = {}
        self._portrait: tuple[str, bytes] | None = None  # read once, for a face service that renders video

    def cache_key(self, text: str) -> str:
        """What this sentence is remembered by: persona, voice provider, voice, language and the exact words."""
        if self.captions_only:
            return self._captions_key(text)
        return speech_cache.key(self.persona_id, self.tts.name, self.voice, self.language, text)

    def _captions_key(self, text: str) -> str:
        # The same silence whether she is captions-only or her voice failed: one key, so either finds it.
        return speech_cache.key(self.persona_id, CAPTIONS_TTS, None, self.language, text)

    async def speak(self, index: int, text: str, memory_ids: Sequence[str] = ()) -> SentenceEvent:
        """Synthesize and store one sentence (or find it made before). Raises ServiceError if no voice could speak it.

        ``memory_ids``: the memories whose words the sentence may say (those the answer drew on):
        deleting or rewording one of them deletes the speech made here."""
        if self.captions_only:
            return await self._caption(index, text, memory_ids)
        cache_key = self.cache_key(text)
        cached = speech_cache.find(self.db, cache_key)
        if cached is not None:
            media_id, duration_ms, mouth, visemes = cached.media_id, cached.duration_ms, cached.mouth, cached.visemes
            if visemes is None:  # kept before lip shapes were: work them out once from what it says
                visemes = await asyncio.to_thread(self._visemes_of_kept, media_id, text, cache_key)
        else:
            prepared = self._prepared.pop(text, None)
            if prepared is not None:
                audio: Audio = await prepared
            else:
                audio = await self.tts.synthesize(text, language=self.language, voice=self.voice)
            if audio.stand_in and not self.stand_in_fits:
                # Her voice failed and the embedded voice that answered is not one that suits her.
                return await self._caption(index, text, memory_ids)
            mouth, video = await self._animate(audio)
            visemes = await asyncio.to_thread(lips.for_speech, text, audio, self.language)
            try:
                stored = await asyncio.to_thread(self._store, audio, cache_key, mouth, memory_ids, visemes, video)
            except StoreUnavailable as err:
                # Spoken but nowhere to keep it for the tablet to fetch: the turn goes on as when the
                # voice fails (a notice, the next sentences), and its words stay in the database.
                raise ServiceError("media", "store", str(err), retryable=True) from None
            if stored is None:
                raise ServiceError("tts", self.tts.name, "the persona or its memory was deleted while this was said")
            media_id, video_id = stored
            duration_ms = round(audio.duration_s * 1000)
        if cached is not None:
            video_id = await self._video_of_kept(cached, cache_key, memory_ids)
        return SentenceEvent(
            index=index,
            text=text,
            audio_url=self.media.signed_path(media_id, self.url_ttl_s),
            audio_mime="audio/wav",
            duration_ms=duration_ms,
            mouth=mouth,
            visemes=[(ms, shape) for ms, shape in visemes],  # kept as JSON pairs; the event reads them as pairs
            video_url=self.media.signed_path(video_id, self.url_ttl_s) if video_id else None,
        )

    async def _caption(self, index: int, text: str, memory_ids: Sequence[str]) -> SentenceEvent:
        """The sentence as captions only: silence for as long as the words take to read, and no voice."""
        cache_key = self._captions_key(text)
        cached = speech_cache.find(self.db, cache_key)
        if cached is not None:
            media_id, duration_ms = cached.media_id, cached.duration_ms
        else:
            silence = Audio(np.zeros(round(reading_s(text) * _CAPTIONS_RATE), np.float32), _CAPTIONS_RATE)
            stored = await asyncio.to_thread(
                self._store, silence, cache_key, MouthTrack(fps=25, values=[]), memory_ids, (), None, CAPTIONS_COMMENT
            )
            if stored is None:
                raise ServiceError("tts", CAPTIONS_TTS, "the persona or its memory was deleted while this was said")
            media_id, duration_ms = stored[0], round(silence.duration_s * 1000)
        return SentenceEvent(
            index=index,
            text=text,
            audio_url=self.media.signed_path(media_id, self.url_ttl_s),
            audio_mime="audio/wav",
            duration_ms=duration_ms,
            mouth=MouthTrack(fps=25, values=[]),
            visemes=[],
            captions_only=True,
        )

    def prepare(self, text: str) -> None:
        """Start synthesizing a sentence the answer will most likely say; ``speak`` uses it if it does.

        For the first sentence of an answer the splitter can only be sure
        once the next token arrives; starting at the full stop saves that wait.
        """
        if self.captions_only:
            return  # no voice to start
        if text in self._prepared or speech_cache.find(self.db, self.cache_key(text)) is not None:
            return
        task = asyncio.ensure_future(self.tts.synthesize(text, language=self.language, voice=self.voice))
        # A guess nobody ends up using must not log "exception never retrieved".
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._prepared[text] = task

    def drop_prepared(self) -> None:
        """Forget guesses that were not said (the answer went another way, or the turn is over)."""
        for task in self._prepared.values():
            task.cancel()
        self._prepared.clear()

    async def make_ahead(self, text: str, memory_ids: Sequence[str] = ()) -> str:
        """Make a sentence before anyone asks for it, exactly as ``speak`` would keep it.

        Returns "known" (made before), "made", "stand_in" (a fallback voice
        answered: nothing kept, since it is not the persona's voice) or "gone"
        (the persona, or one of ``memory_ids`` whose words it says, was deleted meanwhile:
        nothing kept, the file removed).
        Raises ServiceError if no voice could speak at all.
        """
        if self.captions_only:
            return "known"  # captions cost nothing to make when they are said: nothing is made ahead
        cache_key = self.cache_key(text)
        if speech_cache.find(self.db, cache_key) is not None:
            return "known"
        audio: Audio = await self.tts.synthesize(text, language=self.language, voice=self.voice)
        if audio.stand_in:
            return "stand_in"
        mouth, video = await self._animate(audio)
        visemes = await asyncio.to_thread(lips.for_speech, text, audio, self.language)
        # Once the file is being written it is finished and either kept or removed, even if we are
        # cancelled meanwhile: a half-done store would leave a file no row owns.
        storing = asyncio.ensure_future(asyncio.to_thread(self._store, audio, cache_key, mouth, memory_ids, visemes, video))
        try:
            stored = await asyncio.shield(storing)
        except asyncio.CancelledError:
            await storing
            raise
        return "made" if stored is not None else "gone"

    def _read_portrait(self) -> tuple[str, bytes] | None:
        """The persona's portrait (its media id and bytes), for a face service that renders video."""
        if self._portrait is None:
            media_id = personas.portrait_media_id(self.db, self.household_id, self.persona_id)
            media = self.media.get(media_id) if media_id else None
            try:
                self._portrait = (media.id, self.media.read_bytes(media)) if media is not None else ("", b"")
            except OSError:
                self._portrait = ("", b"")
        return self._portrait if self._portrait[1] else None

    async def _animate(self, audio: Audio) -> tuple[MouthTrack, bytes | None]:
        """The mouth track, and the talking-head video when the face service renders one from the portrait."""
        portrait = await asyncio.to_thread(self._read_portrait) if self.face.renders_video else None
        try:
            face = await self.face.animate(audio, portrait=portrait[1] if portrait else None)
        except ServiceError:
            return MouthTrack(fps=25, values=[]), None  # the tablet falls back to its own idle mouth
        return MouthTrack(fps=face.mouth.fps, values=face.mouth.values), face.video

    async def _video_of_kept(self, kept: speech_cache.Kept, cache_key: str, memory_ids: Sequence[str]) -> str | None:
        """The video of speech kept: the one rendered from this portrait, else rendered now from the kept
        audio (a new portrait, or speech kept before the face service rendered video); None without one."""
        if not self.face.renders_video:
            return None
        portrait = await asyncio.to_thread(self._read_portrait)
        if portrait is None:
            return None
        if kept.video_media_id and kept.video_portrait_id == portrait[0]:
            return kept.video_media_id
        media = self.media.get(kept.media_id)
        try:
            audio = await asyncio.to_thread(lambda: decode_audio(self.media.read_bytes(media), None)) if media else None
            face = await self.face.animate(audio, portrait=portrait[1]) if audio is not None else None
        except (AudioDecodeError, ServiceError, OSError):
            return None  # the tablet animates the portrait itself
        if face is None or not face.video:
            return None
        video = await asyncio.to_thread(
            self.media.put, self.household_id, face.video, face.video_mime or "video/mp4", "video", self.persona_id
        )
        replaced = await asyncio.to_thread(speech_cache.set_video, self.db, cache_key, self.persona_id, video.id, portrait[0], memory_ids)
        if replaced:
            await asyncio.to_thread(self.media.delete, replaced)
        return video.id if replaced != video.id else None

    def _visemes_of_kept(self, media_id: str, text: str, cache_key: str) -> list[list[Any]]:
        """Lip shapes for speech kept without them: from its words spread over its audio, then kept."""
        media = self.media.get(media_id)
        try:
            audio = decode_audio(self.media.read_bytes(media), None) if media is not None else None
        except (AudioDecodeError, OSError):
            audio = None
        if audio is None:
            return []  # the file is gone or unreadable: the tablet opens the mouth by loudness alone
        visemes = lips.for_speech(text, audio, self.language)
        speech_cache.set_visemes(self.db, cache_key, visemes)
        return visemes

    def _store(
        self,
        audio: Audio,
        cache_key: str,
        mouth: MouthTrack,
        memory_ids: Sequence[str] = (),
        visemes: Sequence[Any] = (),
        video: bytes | None = None,
        comment: str = AI_COMMENT,
    ) -> tuple[str, str | None] | None:
        """Write the sentence's marked WAV (and its video) and remember them (one trip to a worker
        thread for all of it): the media ids of the audio and the video; another maker's (the same
        words in the same voice) when it kept this sentence first, and this one's files go again.

        None when the persona was erased, or one of ``memory_ids`` deleted, meanwhile: its files are
        removed again, so erasure stays complete.
        """
        wav = encode_wav(audio, comment=comment.format(name=self.persona_name))
        media = self.media.put(self.household_id, wav, "audio/wav", "speech", self.persona_id)
        clip = self.media.put(self.household_id, video, "video/mp4", "video", self.persona_id) if video else None
        made = [m.id for m in (media, clip) if m is not None]
        if audio.stand_in:
            # Said this once with a stand-in voice; never kept as the persona's, but its words go with the memory.
            if not all(speech_cache.tag(self.db, self.persona_id, m, memory_ids) for m in made):
                for m in made:
                    self.media.delete(m)
                return None
            return media.id, clip.id if clip else None
        portrait = self._portrait[0] if clip is not None and self._portrait else None
        stored = speech_cache.keep(
            self.db,
            cache_key,
            self.persona_id,
            media.id,
            round(audio.duration_s * 1000),
            mouth,
            memory_ids,
            visemes=visemes,
            video_media_id=clip.id if clip else None,
            video_portrait_id=portrait,
        )
        if stored is None or not stored.ours:
            for m in made:  # erased meanwhile, or made first by another: these files are not needed
                self.media.delete(m)
        return None if stored is None else (stored.media_id, stored.video_media_id)

    async def play_recording(self, index: int, recording: Recording, memory_ids: Sequence[str] = ()) -> SentenceEvent:
        """The person's own recording of these words; synthesized instead if it cannot be played."""
        media = self.media.get(recording.media_id)
        if media is None or media.household_id != self.household_id:
            return await self.speak(index, recording.text, memory_ids)
        try:
            # A file gone, or a store that does not answer (OSErrors both): synthesized instead.
            audio = await asyncio.to_thread(lambda: decode_audio(self.media.read_bytes(media), None))
            face = await self.face.animate(audio)
        except (AudioDecodeError, ServiceError, OSError):
            return await self.speak(index, recording.text, memory_ids)
        # Her own voice gives no timing: the words the recording says, spread over its voiced stretches.
        visemes = await asyncio.to_thread(lips.for_speech, recording.said or recording.text, audio, self.language)
        return SentenceEvent(
            index=index,
            text=recording.text,
            audio_url=self.media.signed_path(media.id, self.url_ttl_s),
            audio_mime=media.mime,
            duration_ms=round(audio.duration_s * 1000),
            mouth=MouthTrack(fps=face.mouth.fps, values=face.mouth.values),
            visemes=[(ms, shape) for ms, shape in visemes],
            original=True,
        )
