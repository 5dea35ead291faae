"""The studio's step 4: voice samples recorded on the tablet or picked from its files, their verdicts,
the seconds of clean speech against the 30 needed, and "Make the voice"; and what the persona speaks
with (the built-in voice, the cloned one, or their own recordings and captions only), each voice as
the server describes it, with whether it suits the person in plain words.

A mixin of ``StudioScreen`` (client/uix/studio.py), which brings ``_call``,
``_client``, ``t``, ``message`` and the persona; the kv is in kv/studio.kv.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from shared.api import SampleAdded, VoiceDescription, VoiceOverview
from client.happenings import announces
from client.uix import theme
from client.uix.studio_forms import AUDIO_EXTENSIONS, can_make_voice, caregiver_sentences, plain_error, voice_fraction
from client.uix.studio_picker import pick_native


class VoiceStep(announces("studio_recording", "studio_sample", "studio_voice_made", "studio_voice_choice")):  # type: ignore[misc]  # see announces
    recording = BooleanProperty(False)
    record_seconds = NumericProperty(0)
    mic_level = NumericProperty(0)
    voice_fraction = NumericProperty(0)
    voice_progress = StringProperty("")
    cloning_note = StringProperty("")
    can_clone = BooleanProperty(False)
    has_voice = BooleanProperty(False)  # a voice was made from the samples already
    unsent = NumericProperty(0)  # recordings made here that did not reach the server yet (kept to send again)
    # the voices as the server describes them, in the studio's language; which one the persona speaks with
    voice_label_built_in = StringProperty("")
    voice_label_cloned = StringProperty("")
    voice_label_own = StringProperty("")
    cloned_available = BooleanProperty(False)
    voice_speaks_with = StringProperty("")
    voice_fit_note = StringProperty("")
    voice_fits = BooleanProperty(True)

    _recorder = None  # made at the first recording: the microphone is opened only when needed
    _record_clock = None
    _voice: VoiceOverview | None = None  # the server's last overview of the samples
    _unsent: tuple[str, list[Path]] | None = None  # (persona id, recordings) for "Send again"

    def refresh_voice(self) -> None:
        if self.persona_id:
            self._call(lambda pid: self._client().voice(pid), self.persona_id, on_result=self._fill_voice, name="studio-voice", quiet=True)

    def _fill_voice(self, overview: VoiceOverview | None) -> None:
        self._voice = overview
        box = self.ids.samples_box
        box.clear_widgets()
        for key in [k for k in self.ids if k.startswith("sample_")]:
            del self.ids[key]
        if overview is None:
            self.voice_fraction, self.voice_progress, self.cloning_note, self.can_clone = 0, "", "", False
            self.has_voice = False
            self._fill_choice(None)
            return
        app = App.get_running_app()
        self._fill_choice(overview)
        self.voice_fraction = voice_fraction(overview.total_clean_s, overview.needed_s)
        key = "voice_progress_enough" if overview.enough else "voice_progress"
        self.voice_progress = self.t(key, total=round(overview.total_clean_s), needed=round(overview.needed_s))
        self.has_voice = bool(overview.voice_id)
        self.can_clone = can_make_voice(overview)
        cloning = overview.cloning
        if overview.voice_id:
            self.cloning_note = self.t("voice_has_clone")
        elif not cloning.available:
            # the server's own sentence in English (less the server settings); the same sentence in Chinese
            message = caregiver_sentences(cloning.message)
            self.cloning_note = message if app.language == "en" and message else self.t("no_cloning")
        else:
            self.cloning_note = self.t("voice_enough") if overview.enough else overview.message
        samples = overview.samples
        if not samples:
            box.add_widget(Factory.FieldLabel(text=self.t("no_samples")))
        for i, sample in enumerate(samples):
            row = Factory.StudioSampleRow()
            name = sample.filename or self.t("sample_recorded")
            if name.startswith("sample-") and name.endswith(".wav"):
                name = self.t("sample_recorded")
            row.title = self.t("sample_line", name=name, seconds=round(sample.duration_s, 1))
            verdict = sample.message if app.language == "en" else self.t(f"verdict_{sample.verdict}")
            if verdict.startswith("verdict_"):
                verdict = sample.message
            row.verdict = verdict
            row.usable = bool(sample.usable)
            row.ids.delete.bind(on_press=lambda button, sid=sample.id: self.delete_sample(sid, button))
            box.add_widget(row)
            self.ids[f"sample_{i}"] = row
            self.ids[f"sample_{i}_delete"] = row.ids.delete

    def _fill_choice(self, overview: VoiceOverview | None) -> None:
        """The three voices (the server's own words for each, in the studio's language), the one the
        persona speaks with, and why it does not suit them when it does not. Older servers describe none."""
        language = App.get_running_app().language
        voices: dict[str, VoiceDescription] = {v.kind: v for v in (overview.voices if overview is not None else [])}
        fit = overview.voice_fit if overview is not None else None

        def label(kind: str) -> str:
            voice = voices.get(kind)
            return (voice.label.get(language) or voice.label.get("en", "")) if voice is not None else ""

        self.voice_label_built_in, self.voice_label_cloned, self.voice_label_own = (
            label("built_in"),
            label("cloned"),
            label("own_recordings_only"),
        )
        self.cloned_available = bool(voices.get("cloned") and voices["cloned"].available)
        self.voice_speaks_with = fit.speaks_with if fit is not None else ""
        self.voice_fits = fit is None or fit.fits
        if fit is None:
            self.voice_fit_note = ""
        elif not fit.fits:
            self.voice_fit_note = (fit.why_zh if language == "zh" else fit.why) or ""
        else:
            self.voice_fit_note = self.t("voice_fits" if fit.speaks_with != "own_recordings_only" else "voice_own_only")
        self.dispatch("on_studio_voice_choice", speaks_with=self.voice_speaks_with, fits=self.voice_fits, note=self.voice_fit_note)

    def choose_voice(self, choice: str) -> None:
        """What the persona speaks with, as the caregiver taps it; the step then shows whether it suits them."""
        persona_id = self.persona_id
        if not persona_id or (choice == "cloned" and not self.cloned_available):
            return

        def work():
            client = self._client()
            client.update_persona(persona_id, voice_choice=choice)
            return client.voice(persona_id)

        self._call(work, on_result=self._fill_voice, name="studio-voice-choice")

    def toggle_recording(self) -> None:
        if self.recording:
            self._stop_recording(keep=True)
        else:
            self._start_recording()

    def _start_recording(self) -> None:
        from client.platform import make_mic
        from client.uix.studio_recorder import SampleRecorder

        if self._recorder is None:
            mic = make_mic()
            if mic.name == "none":
                self.message = self.t("voice_no_mic")
                return
            folder = Path(App.get_running_app().data_dir) / "studio" / "samples"
            folder.mkdir(parents=True, exist_ok=True)
            self._recorder = SampleRecorder(mic, folder, on_level=self._on_level, on_done=self._recorded)
        self.message = self.t("recording_hint")
        try:
            self._recorder.start()
        except Exception as exc:  # no permission, the device went away
            self.message = self.t("studio_failed", reason=plain_error(exc, App.get_running_app().t))
            return
        self.recording, self.record_seconds = True, 0
        self._record_clock = Clock.schedule_interval(self._tick, 0.25)
        self.dispatch("on_studio_recording", started=True)

    def _tick(self, _dt) -> None:
        if self._recorder is not None:
            self.record_seconds = int(self._recorder.seconds)
            if not self._recorder.recording:  # it ended by itself (quiet, or the length limit)
                self._end_recording_ui()

    def _on_level(self, level: float) -> None:
        self.mic_level = level

    def _end_recording_ui(self) -> None:
        self.recording, self.mic_level = False, 0
        if self._record_clock is not None:
            self._record_clock.cancel()
            self._record_clock = None

    def _stop_recording(self, keep: bool) -> None:
        if self._recorder is None or not self._recorder.recording:
            self._end_recording_ui()
            return
        if keep:
            self._recorder.stop()  # calls _recorded
        else:
            self._recorder.cancel()
        self._end_recording_ui()

    def _recorded(self, paths: list[Path]) -> None:
        self._end_recording_ui()
        self.dispatch("on_studio_recording", started=False, files=len(paths))
        if not paths:
            self.message = self.t("voice_nothing_heard")
            return
        self.upload_samples(paths, recorded=True)

    def choose_audio(self) -> None:
        if not pick_native(AUDIO_EXTENSIONS, lambda p: self.upload_samples([p])):
            self.open_picker("picker_audio", AUDIO_EXTENSIONS, lambda p: self.upload_samples([p]))

    def upload_samples(self, paths: list[Path], recorded: bool = False) -> None:
        persona_id = self.persona_id
        self.message = self.t("voice_checking")
        if recorded:
            self._unsent, self.unsent = None, 0

        def work() -> tuple[list[SampleAdded], VoiceOverview]:
            client = self._client()
            added: list[SampleAdded] = []
            for path in paths:
                added.append(client.add_voice_sample(persona_id, path))
                if recorded:  # kept at the server now; the tablet needs no copy of the person's voice
                    path.unlink(missing_ok=True)
            return added, client.voice(persona_id)

        def failed() -> None:
            # a recording of the person is not thrown away because the network failed: offer to send it again
            left = [p for p in paths if p.exists()] if recorded else []
            if left:
                self._unsent, self.unsent = (persona_id, left), len(left)
                self.message += " " + self.t("voice_kept")

        def uploaded(result: tuple[list[SampleAdded], VoiceOverview]) -> None:
            added, overview = result
            last = added[-1].sample
            self.message = ""
            self._fill_voice(overview)
            self.dispatch(
                "on_studio_sample",
                persona_id=persona_id,
                verdict=last.verdict,
                usable=last.usable,
                clean_s=last.clean_s,
                total_clean_s=overview.total_clean_s,
            )

        self._call(work, on_result=uploaded, name="studio-sample", on_error=failed)

    def send_again(self) -> None:
        if self._unsent and self._unsent[0] == self.persona_id:
            self.upload_samples(self._unsent[1], recorded=True)

    def forget_unsent(self) -> None:
        """Another persona is opened: the button goes (the files stay on the tablet, in studio/samples)."""
        self._unsent, self.unsent = None, 0

    def delete_sample(self, sample_id: str, button=None) -> None:
        """The first tap asks "Delete?" on the button itself; the second deletes (a recording of a voice
        that is gone cannot be made again)."""
        if button is not None and not getattr(button, "armed", False):
            button.armed = True
            button.text, button.bg = self.t("delete_sure"), list(theme.DANGER)
            return
        persona_id = self.persona_id

        def work():
            client = self._client()
            client.delete_voice_sample(persona_id, sample_id)
            return client.voice(persona_id)

        self._call(work, on_result=self._fill_voice, name="studio-delete-sample")

    def make_voice(self) -> None:
        persona_id = self.persona_id
        self.message = self.t("making_voice")

        def work():
            client = self._client()
            client.clone_voice(persona_id)
            return client.voice(persona_id)

        def made(overview) -> None:
            self.message = self.t("voice_made")
            self._fill_voice(overview)
            self.dispatch("on_studio_voice_made", persona_id=persona_id)

        self._call(work, on_result=made, name="studio-clone")
