"""The memories screen's microphone: the person's own voice recorded on the tablet (imported as a
voice memo, played as theirs), or a caregiver's dictation (only transcribed, its words go into the
typed memory to be checked; a caregiver's voice is never played as the dead person's).

A part of ``MemoriesScreen`` (client/uix/memories.py), as the studio's steps are of its screen.
"""

from __future__ import annotations

import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, ClockEvent, mainthread
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from shared.api import Dictation, MemoryOut
from client.caregiver_words import level_percent
from client.happenings import announces
from client.platform.mic_base import Mic
from client.uix.memories_files import reason_words
from client.uix.memory_rows import ItemRow
from client.worker import background

MAX_RECORDING_S = 600  # ten minutes: a long story, not a forgotten tablet
MAX_DICTATION_S = 115  # a dictation stops itself under the server's default limit for one recording (KEEPSAKE_MAX_AUDIO_S=120)


class MicrophonePart(announces("recording", "dictation_done", "dictation_failed", "memory_played")):  # type: ignore[misc]  # see announces
    recording = BooleanProperty(False)  # the microphone is on, for record_purpose
    record_purpose = OptionProperty("voice", options=["voice", "dictation"])  # her own voice, or the caregiver dictating
    dictation_busy = BooleanProperty(False)  # a dictation is at the server, its words not back yet
    record_level = NumericProperty(0)  # 0..100, from the microphone's dB while recording
    record_message = StringProperty("")

    # what this part keeps, set up in MemoriesScreen.__init__
    _mic: Mic | None  # made at the first recording
    _record_clock: ClockEvent | None
    _record_started: float

    # ------------------------------------------------------------------ add: the microphone (her own voice, or dictation)
    def _say(self, purpose: str, text: str) -> None:
        """A recording's news goes to the status line of its own column."""
        if purpose == "dictation":
            self.add_message = text
        else:
            self.record_message = text

    def start_recording(self, purpose: str = "voice") -> None:
        from client.platform import NoMic, make_mic

        app = App.get_running_app()
        if self.recording or (purpose == "voice" and self.import_active) or (purpose == "dictation" and self.dictation_busy):
            return
        if self._mic is None:
            self._mic = make_mic()
        if isinstance(self._mic, NoMic):
            self._say(purpose, app.t("no_mic"))
            return
        if app.conversation is not None:
            app.conversation.interrupt()  # one microphone, one speaker: the face is quiet meanwhile
        self.record_purpose = purpose
        self.recording = True
        self._record_started = time.monotonic()
        self._say(purpose, app.t("recording_now", seconds=0))
        # the caregiver says when it ends, pauses and all: only the loudness is shown
        self._mic.start(self._on_mic)
        self._record_clock = Clock.schedule_interval(self._recording_tick, 0.5)
        self.dispatch("on_recording", started=True, mic=self._mic.name, purpose=purpose)

    @mainthread  # the microphone calls from its own thread
    def _on_mic(self, kind: str, value: float) -> None:
        if kind == "level" and self.recording:
            # a peak that falls back slowly: frames between syllables would make the bar flicker to nothing
            self.record_level = max(level_percent(value), self.record_level * 0.92)

    def _recording_tick(self, _dt) -> None:
        seconds = int(time.monotonic() - self._record_started)
        self._say(self.record_purpose, App.get_running_app().t("recording_now", seconds=seconds))
        if seconds >= (MAX_DICTATION_S if self.record_purpose == "dictation" else MAX_RECORDING_S):
            self.stop_recording()

    def _end_recording_clock(self) -> None:
        self.recording = False
        self.record_level = 0
        if self._record_clock is not None:
            self._record_clock.cancel()
            self._record_clock = None

    def stop_recording(self) -> None:
        """Use what was said: her own voice is imported as a voice memo; a dictation is turned into words."""
        app = App.get_running_app()
        if not self.recording:
            return
        self._end_recording_clock()
        folder = Path(app.data_dir) / "dictation"
        mic, purpose = self._mic, self.record_purpose
        assert mic is not None  # recording: start_recording made the microphone

        def made(recording) -> None:
            if recording is None or not recording.heard_speech:
                self._say(purpose, app.t("recording_empty"))
                self.dispatch("on_recording", started=False, kept=False, purpose=purpose)
                if recording is not None:
                    recording.path.unlink(missing_ok=True)
                return
            self._say(purpose, "")
            self.dispatch("on_recording", started=False, kept=True, seconds=round(recording.duration_s, 1), purpose=purpose)
            if purpose == "dictation":
                self.transcribe_dictation(recording.path)
                return
            name = f"{self.name_for_words} {time.strftime('%Y-%m-%d %H.%M')}.wav"
            self.import_file(recording.path, kind="voice_memo", filename=name, remove_after=True)

        background(
            mic.stop, folder, on_result=made, on_error=lambda exc: self._say(purpose, str(exc) or app.t("err_unknown")), name="mic-stop"
        )

    def cancel_recording(self) -> None:
        if not self.recording:
            return
        self._end_recording_clock()
        self._say(self.record_purpose, "")
        assert self._mic is not None  # recording: start_recording made the microphone
        background(self._mic.cancel, name="mic-cancel")
        self.dispatch("on_recording", started=False, kept=False, purpose=self.record_purpose)

    # ------------------------------------------------------------------ add: dictated by the caregiver
    def toggle_dictation(self) -> None:
        """The Dictate button: start listening, or (reading Stop) end it and fetch the words."""
        if self.recording and self.record_purpose == "dictation":
            self.stop_recording()
        else:
            self.start_recording("dictation")

    def transcribe_dictation(self, path: Path) -> None:
        """Send the caregiver's recording to be written down; the words join the memory's text to be checked."""
        app = App.get_running_app()
        client, persona_id = app.caregiver, self.persona_id
        if client is None:
            path.unlink(missing_ok=True)
            return
        self.dictation_busy = True
        self.add_message = app.t("dictation_sending")

        def send() -> Dictation:
            try:
                return client.dictate(persona_id, path)
            finally:
                path.unlink(missing_ok=True)  # the caregiver's voice is not kept, here either

        def got(answer: Dictation) -> None:
            self.dictation_busy = False
            if persona_id != self.persona_id:
                return  # the caregiver moved on to another persona meanwhile
            words = (answer.text or "").strip()
            field = self.ids.text_field
            before = field.text.rstrip()
            joint = "" if not before or answer.language == "zh" else " "  # Chinese has no spaces between sentences
            field.text = before + joint + words
            self.add_message = app.t("dictation_check")
            self.dispatch("on_dictation_done", text=words, language=answer.language)

        def failed(exc) -> None:
            self.dictation_busy = False
            self.add_message = reason_words(app, exc)  # the server's own plain sentence, e.g. "No words were heard..."
            self.dispatch("on_dictation_failed", reason=self.add_message)

        background(send, on_result=got, on_error=failed, name="dictate")

    def play_recording(self, row: ItemRow) -> None:
        """Play the person's own recording of a memory through the tablet's speaker, as the relative would hear it."""
        from client.audio import decode_wav
        from client.player import Segment

        app = App.get_running_app()
        memory = row.item
        client, url = app.caregiver, memory.audio_url if isinstance(memory, MemoryOut) else None
        if client is None or not url or app.conversation is None:
            return
        text = memory.text

        def fetch():
            data, _mime = client.media(url)
            return decode_wav(data)

        def play(decoded) -> None:
            samples, rate = decoded
            app.conversation.interrupt()  # one speaker: whatever the face was saying stops
            app.conversation.player.enqueue(Segment.make(samples, rate, [], 25, text, 0, None, original=True))
            self.dispatch("on_memory_played", id=memory.id, seconds=round(len(samples) / rate, 2))

        def failed(exc) -> None:
            row.message = app.t("listen_failed", reason=reason_words(app, exc))

        background(fetch, on_result=play, on_error=failed, name="listen")
