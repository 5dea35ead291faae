"""The persona studio on the tablet: build a persona in four steps, or come back to one step later.

1. Who they were: names, kind, language, life story, way of speaking, topics to avoid, disclosure.
2. Consent: from the right person for the kind (next of kin, the person themself, a parent, the rights holder).
3. Portrait: a photo from the tablet, imported by the server (which finds the face and mouth); a tap moves the mouth.
4. Voice: samples recorded here or chosen from files, each with the server's plain verdict; "Make the voice".

Every server call runs on a worker thread (client/worker.py) through the
caregiver's own client (``app.caregiver``); answers that arrive after the
caregiver moved on to another persona or left are dropped (``_generation``).
Every failure becomes one plain sentence in ``message``.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.progressbar import ProgressBar
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty

from client import testhooks
from client.uix import theme
from client.uix.caregiver import AreaScreen
from client.uix.mouth_picker import MouthPicker  # noqa: F401  studio.kv uses it
from client.uix.portrait import Portrait  # noqa: F401  studio.kv uses it (the talking face, small)
from client.uix.studio_forms import (
    AUDIO_EXTENSIONS,
    IMAGE_EXTENSIONS,
    StudioProblem,
    can_make_voice,
    caregiver_sentences,
    consent_role,
    image_suffix,
    job_error,
    job_finished,
    join_list,
    persona_fields,
    plain_error,
    split_biography,
    upload_name,
    voice_fraction,
)
from client.uix.studio_picker import StudioPicker, pick_native
from client.worker import background, on_ui

STEPS = ("who", "consent", "portrait", "voice")


@contextmanager
def sendable(path: Path, fallback_stem: str):
    """``path``, or a copy of it under a name the server's form reader takes (see ``upload_name``); on a worker."""
    name = upload_name(path, fallback_stem)
    if name is None:
        yield path
        return
    folder = Path(App.get_running_app().data_dir) / "studio" / "upload"
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / name
    shutil.copyfile(path, copy)
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


class StudioBar(ProgressBar):
    """A thick, rounded progress bar (import, microphone level, seconds of clean speech); drawn in studio.kv."""

    fill = ListProperty(theme.ACCENT)
JOB_POLL_S = 0.5
PREVIEW_S = 3.0
MOUTH_WIDTH_RANGE = (0.04, 0.4)  # of the picture's width: a face far away to a close-up
JOB_DEADLINE_S = 300  # a photo imports in seconds; past this, something is wrong at the server


class StudioScreen(AreaScreen):
    persona_id = StringProperty("")
    persona = ObjectProperty(None, allownone=True)  # shared.api.Persona, as the server last said
    persona_label = StringProperty("")  # the name the steps' sentences use
    step = OptionProperty("who", options=list(STEPS))
    message = StringProperty("")
    busy = BooleanProperty(False)
    # step 1
    kind = StringProperty("deceased")
    speaks = StringProperty("en")
    disclosure = BooleanProperty(True)
    # step 2
    scope = StringProperty("own_words")
    consent_status = StringProperty("")
    # step 3
    portrait_path = StringProperty("")
    mouth_point = ListProperty([0.5, 0.6, 0.18])
    portrait_note = StringProperty("")
    import_percent = NumericProperty(0)
    importing = BooleanProperty(False)
    previewing = BooleanProperty(False)  # the small face is moving its mouth, as it will when talking
    preview_mouth = NumericProperty(0)
    # step 4
    recording = BooleanProperty(False)
    record_seconds = NumericProperty(0)
    mic_level = NumericProperty(0)
    voice_fraction = NumericProperty(0)
    voice_progress = StringProperty("")
    cloning_note = StringProperty("")
    can_clone = BooleanProperty(False)
    has_voice = BooleanProperty(False)  # a voice was made from the samples already
    picking = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._generation = 0
        self._saved_fields: dict | None = None
        self._recorder = None
        self._record_clock = None
        self._mouth_sending = False
        self._mouth_dirty = False
        self._width_trigger = None
        self._picker = None
        self._voice = None
        self._problem_shown = False

    # ------------------------------------------------------------------ words
    def t(self, key: str, *_bindings, **values) -> str:
        """Translate with ``{persona}`` filled in; kv passes app.language and persona_label to re-evaluate."""
        app = App.get_running_app()
        values.setdefault("persona", self.persona_label or app.t("studio_title_new"))
        return app.t(key, **values)

    # ------------------------------------------------------------------ opening
    def prepare(self, persona_id: str | None = None, **_context) -> None:
        """Called by ``app.open_screen("studio", persona_id=...)``: a new persona (None) or one to edit."""
        self._generation += 1
        self._stop_recording(keep=False)
        self.close_picker()
        self.persona_id = persona_id or ""
        self.persona = None
        self.persona_label = ""
        self._saved_fields = None
        self._voice = None
        self.step = "who"
        self.message = ""
        self.busy = self.importing = False
        self._fill_who(None)
        self._fill_consent_form(reset=True)
        self.portrait_path, self.portrait_note, self.import_percent = "", "", 0
        self.mouth_point = [0.5, 0.6, 0.18]
        self._fill_voice(None)
        if persona_id:
            self.message = self.t("studio_loading_persona")
            self._call(self._load, persona_id, on_result=self._loaded, name="studio-load")
        testhooks.emit("studio_opened", persona_id=self.persona_id)

    def _load(self, persona_id: str):
        client = self._client()
        persona = client.persona(persona_id)
        portrait = self._download_portrait(client, persona) if persona.portrait_url else ""
        return persona, portrait, client.voice(persona_id)

    def _loaded(self, result) -> None:
        persona, portrait, voice = result
        self.message = ""
        self._set_persona(persona)
        self._fill_who(persona)
        self._saved_fields = self._form_fields()[0]
        self._fill_consent_form(reset=True)
        self._show_portrait(persona, portrait, faces=None)
        self._fill_voice(voice)
        testhooks.emit("studio_loaded", persona_id=persona.id)

    def on_leave(self, *args) -> None:
        super().on_leave(*args)
        self.previewing = False
        self._stop_recording(keep=False)
        self.close_picker()

    # ------------------------------------------------------------------ moving between steps
    def go(self, step: str) -> None:
        if step != "who" and not self.persona_id:
            self.message = self.t("studio_save_first")
            return
        if self.recording and step != "voice":
            self._stop_recording(keep=True)
        self.step = step
        self.ids.steps.current = step
        if step == "consent":
            self._fill_consent_form(reset=False)
        elif step == "voice" and self._voice is None:
            self.refresh_voice()
        testhooks.emit("studio_step", step=step)

    def footer_action(self) -> None:
        """Step 1: save and go on. Later steps: go on without doing anything (a step can be skipped)."""
        if self.step == "who":
            self.save_who(then="consent")
        elif self.step == "voice":
            self.done()
        else:
            self.go(STEPS[STEPS.index(self.step) + 1])

    def done(self) -> None:
        """Back to the caregiver area (its list of personas refreshes as it opens); unsaved names are saved first."""
        fields, problem = self._form_fields()
        if fields and fields != self._saved_fields and not problem:
            self.save_who(then="done")
            return
        self._stop_recording(keep=False)
        testhooks.emit("studio_done", persona_id=self.persona_id)
        self.back_to_settings()

    # ------------------------------------------------------------------ plumbing
    def _client(self):
        client = App.get_running_app().caregiver
        if client is None:  # signed out (the area closed): nothing to talk to
            raise StudioProblem(App.get_running_app().t("sign_in_missing"))
        return client

    def _call(self, fn: Callable, *args, on_result: Callable, name: str, quiet: bool = False,
              on_error: Callable[[], None] | None = None) -> None:
        """Run ``fn(*args)`` on a worker; its result or its error comes back here unless the caregiver moved on."""
        generation = self._generation
        if not quiet:
            self.busy = True

        def result(value) -> None:
            if generation != self._generation:
                return
            self.busy = False
            on_result(value)

        def failed(exc) -> None:
            if generation != self._generation:
                return
            self.busy = False
            self.importing = False
            self.message = self.t("studio_failed", reason=plain_error(exc, App.get_running_app().t))
            if on_error is not None:
                on_error()
            testhooks.emit("studio_error", where=name, message=self.message)

        background(fn, *args, on_result=result, on_error=failed, name=name)

    def _set_persona(self, persona) -> None:
        self.persona = persona
        self.persona_id = persona.id
        self.persona_label = persona.display_name  # the caregiver's words: the full name, not "Grandpa"
        if persona.consent:
            c = persona.consent
            scope = self.t("scope_own_words" if c.scope == "own_words" else "scope_generated")
            self.consent_status = self.t("consent_recorded", date=c.created_at.date().isoformat(), given_by=c.given_by,
                                         relation=c.relation, scope=scope)
        else:
            self.consent_status = self.t("consent_missing")

    # ------------------------------------------------------------------ step 1: who they were
    def _fill_who(self, persona) -> None:
        ids = self.ids
        if persona is None:
            for field in ("name_field", "addressed_field", "age_field", "bio_field", "style_field", "boundaries_field"):
                ids[field].text = ""
            self.kind, self.speaks, self.disclosure = "deceased", App.get_running_app().language, True
            return
        age, biography = split_biography(persona.biography)
        ids.name_field.text = persona.display_name
        ids.addressed_field.text = join_list(persona.addressed_as)
        ids.age_field.text = str(age) if age is not None else ""
        ids.bio_field.text = biography
        ids.style_field.text = persona.speaking_style or ""
        ids.boundaries_field.text = join_list(persona.boundaries)
        self.kind = persona.kind
        self.speaks = persona.language if persona.language in ("en", "zh") else "en"
        self.disclosure = persona.disclosure

    def _form_fields(self) -> tuple[dict, str | None]:
        ids = self.ids
        return persona_fields(display_name=ids.name_field.text, addressed_as=ids.addressed_field.text, kind=self.kind,
                              age=ids.age_field.text, language=self.speaks, biography=ids.bio_field.text,
                              speaking_style=ids.style_field.text, boundaries=ids.boundaries_field.text,
                              disclosure=self.disclosure)

    def form_edited(self) -> None:
        """The caregiver typed: a "please type their name" from before no longer applies."""
        if self._problem_shown:
            self._problem_shown = False
            self.message = ""

    def save_who(self, then: str = "consent") -> None:
        fields, problem = self._form_fields()
        if problem:
            self.message = self.t(problem)
            self._problem_shown = True
            return
        persona_id = self.persona_id
        self.message = self.t("studio_saving")

        def work():
            client = self._client()
            return client.update_persona(persona_id, **fields) if persona_id else client.create_persona(**fields)

        def saved(persona) -> None:
            created = not persona_id
            self._set_persona(persona)
            self._saved_fields = fields
            self.message = self.t("studio_created" if created else "studio_saved")
            testhooks.emit("studio_saved", persona_id=persona.id, created=created)
            if then == "done":
                self.done()
            elif then:
                self.go(then)

        self._call(work, on_result=saved, name="studio-save")

    # ------------------------------------------------------------------ step 2: consent
    def consent_role(self, *_bindings) -> str:
        return consent_role(self.kind)

    def _fill_consent_form(self, reset: bool) -> None:
        """Suggest the words that fit the kind; what the caregiver already typed is kept."""
        ids = self.ids
        role = consent_role(self.kind)
        if reset:
            ids.given_by_field.text = ids.relation_field.text = ids.statement_field.text = ""
            self.scope = "own_words"
        if not self.persona_id:
            return
        if role == "self":
            if not ids.given_by_field.text:
                ids.given_by_field.text = self.persona.display_name if self.persona else ""
            if not ids.relation_field.text:
                ids.relation_field.text = self.t("consent_relation_self")
        if not ids.statement_field.text:
            name = self.persona.display_name if self.persona else self.persona_label
            ids.statement_field.text = self.t(f"consent_statement_{role}", persona=name)

    def record_consent(self) -> None:
        ids = self.ids
        given_by, relation, statement = (ids.given_by_field.text.strip(), ids.relation_field.text.strip(),
                                         ids.statement_field.text.strip())
        if not (given_by and relation and statement):
            self.message = self.t("consent_need_all")
            self._problem_shown = True
            return
        persona_id, scope = self.persona_id, self.scope
        self.message = self.t("studio_saving")

        def work():
            client = self._client()
            client.give_consent(persona_id, given_by=given_by, relation=relation, scope=scope, statement=statement)
            return client.persona(persona_id)

        def recorded(persona) -> None:
            self._set_persona(persona)
            self.message = self.t("consent_saved")
            testhooks.emit("studio_consent", persona_id=persona_id, scope=scope)
            self.go("portrait")

        self._call(work, on_result=recorded, name="studio-consent")

    # ------------------------------------------------------------------ step 3: portrait and mouth
    def choose_photo(self) -> None:
        if not pick_native(IMAGE_EXTENSIONS, self.import_photo):
            self.open_picker("picker_photo", IMAGE_EXTENSIONS, self.import_photo)

    def import_photo(self, path: Path) -> None:
        """Upload the photo as a source; the server finds face and mouth; it becomes the portrait."""
        persona_id, generation = self.persona_id, self._generation
        self.importing, self.import_percent = True, 0
        self.portrait_note = self.t("portrait_sending")
        self.message = ""

        def progress(job: dict) -> None:
            if generation == self._generation and self.importing:
                self.import_percent = float(job.get("percent") or 0)
                self.portrait_note = self.t("portrait_working", percent=round(self.import_percent))

        def work():
            client = self._client()
            with sendable(path, "photo") as upload:
                started = client.upload_source(persona_id, upload, kind="photo")
            deadline = time.monotonic() + JOB_DEADLINE_S
            while True:
                job = client.job(started["job_id"])
                on_ui(progress, job)
                if job_finished(job):
                    break
                if time.monotonic() > deadline or generation != self._generation:
                    raise StudioProblem(job_error({"state": "failed"}))
                time.sleep(JOB_POLL_S)
            if job["state"] == "failed":
                raise StudioProblem(job_error(job))
            persona = client.use_photo_as_portrait(persona_id, started["source_id"])
            return persona, self._download_portrait(client, persona), int(job.get("counts", {}).get("faces", 0))

        def imported(result) -> None:
            persona, portrait, faces = result
            self.importing, self.import_percent = False, 100
            self._set_persona(persona)
            self._show_portrait(persona, portrait, faces)
            testhooks.emit("studio_portrait", persona_id=persona_id, faces=faces, mouth=list(self.mouth_point))

        def failed() -> None:  # the portrait stays as it was, and the note says so again
            self.import_percent = 0
            self._show_portrait(self.persona, self.portrait_path, faces=None)

        self._call(work, on_result=imported, name="studio-photo", on_error=failed)

    def _download_portrait(self, client, persona) -> str:
        """Runs on a worker: the portrait as the server keeps it, in a new file (Kivy caches by name)."""
        data = client.portrait(persona.id)
        folder = Path(App.get_running_app().data_dir) / "studio"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"portrait-{persona.id}-*"):
            old.unlink(missing_ok=True)
        path = folder / f"portrait-{persona.id}-{int(time.time() * 1000)}{image_suffix(data)}"
        path.write_bytes(data)
        return str(path)

    def _show_portrait(self, persona, portrait: str, faces: int | None) -> None:
        self.portrait_path = portrait
        if persona is not None and persona.mouth is not None:
            self.mouth_point = [persona.mouth.x, persona.mouth.y, persona.mouth.width]
        if not portrait:
            self.portrait_note = self.t("portrait_none")
        elif faces == 0:
            self.portrait_note = self.t("portrait_guess")
        elif faces:
            self.portrait_note = self.t("portrait_found")
        else:
            self.portrait_note = self.t("portrait_tap_hint")

    def move_mouth(self, x: float, y: float) -> None:
        """The caregiver tapped the mouth on the photo: save it there, keeping the width."""
        self.mouth_point = [x, y, self.mouth_point[2]]
        self._queue_mouth()

    def mouth_width_changed(self, width: float) -> None:
        """The width slider moved: the ring follows at once; it is saved once the finger has rested a moment."""
        width = round(min(MOUTH_WIDTH_RANGE[1], max(MOUTH_WIDTH_RANGE[0], width)), 3)
        if abs(width - self.mouth_point[2]) < 0.001:
            return
        self.mouth_point = [self.mouth_point[0], self.mouth_point[1], width]
        if self._width_trigger is None:
            self._width_trigger = Clock.create_trigger(lambda _dt: self._queue_mouth(), 0.6)
        self._width_trigger()

    def _queue_mouth(self) -> None:
        """Save the mouth point; changes in quick succession send only the last one, one request at a time."""
        if not self.persona_id or not self.portrait_path:
            return
        self._mouth_dirty = True
        self.portrait_note = self.t("mouth_saving")
        if not self._mouth_sending:
            self._send_mouth()

    def _send_mouth(self) -> None:
        if not self._mouth_dirty:
            self._mouth_sending = False
            return
        self._mouth_dirty, self._mouth_sending = False, True
        persona_id, generation = self.persona_id, self._generation
        x, y, width = self.mouth_point

        def sent(persona) -> None:
            self._mouth_sending = False
            if generation != self._generation:
                return
            self.persona = persona
            if self._mouth_dirty:
                self._send_mouth()
                return
            self.portrait_note = self.t("mouth_saved")
            mouth = persona.mouth
            testhooks.emit("studio_mouth", persona_id=persona_id, x=mouth.x, y=mouth.y, width=mouth.width)

        def failed(exc) -> None:
            self._mouth_sending = False
            if generation == self._generation:
                self.portrait_note = ""
                self.message = self.t("studio_failed", reason=plain_error(exc, App.get_running_app().t))

        background(lambda: self._client().set_mouth(persona_id, x, y, width), on_result=sent, on_error=failed,
                   name="studio-mouth")

    def try_mouth(self) -> None:
        """Open and close the mouth for a few seconds, like speech: the caregiver sees whether the point is right."""
        if self.previewing or not self.portrait_path:
            return
        self.previewing = True
        started = time.monotonic()

        def step(_dt) -> bool:
            t = time.monotonic() - started
            if t >= PREVIEW_S or not self.previewing:
                self.preview_mouth, self.previewing = 0, False
                return False
            # syllables about five a second, louder and softer words: near enough to speech to judge by
            self.preview_mouth = max(0.0, math.sin(t * 2 * math.pi * 2.6)) * (0.55 + 0.45 * abs(math.sin(t * 1.7)))
            return True

        Clock.schedule_interval(step, 1 / 25)
        testhooks.emit("studio_preview", persona_id=self.persona_id)

    # ------------------------------------------------------------------ step 4: voice
    def refresh_voice(self) -> None:
        if self.persona_id:
            self._call(lambda pid: self._client().voice(pid), self.persona_id, on_result=self._fill_voice,
                       name="studio-voice", quiet=True)

    def _fill_voice(self, overview: dict | None) -> None:
        self._voice = overview
        box = self.ids.samples_box
        box.clear_widgets()
        for key in [k for k in self.ids if k.startswith("sample_")]:
            del self.ids[key]
        if overview is None:
            self.voice_fraction, self.voice_progress, self.cloning_note, self.can_clone = 0, "", "", False
            self.has_voice = False
            return
        app = App.get_running_app()
        self.voice_fraction = voice_fraction(overview["total_clean_s"], overview["needed_s"])
        key = "voice_progress_enough" if overview.get("enough") else "voice_progress"
        self.voice_progress = self.t(key, total=round(overview["total_clean_s"]), needed=round(overview["needed_s"]))
        self.has_voice = bool(overview.get("voice_id"))
        self.can_clone = can_make_voice(overview)
        cloning = overview.get("cloning", {})
        if overview.get("voice_id"):
            self.cloning_note = self.t("voice_has_clone")
        elif not cloning.get("available"):
            # the server's own sentence in English (less the server settings); the same sentence in Chinese
            message = caregiver_sentences(cloning.get("message", ""))
            self.cloning_note = message if app.language == "en" and message else self.t("no_cloning")
        else:
            self.cloning_note = self.t("voice_enough") if overview.get("enough") else overview.get("message", "")
        samples = overview.get("samples", [])
        if not samples:
            box.add_widget(Factory.FieldLabel(text=self.t("no_samples")))
        for i, sample in enumerate(samples):
            row = Factory.StudioSampleRow()
            name = sample.get("filename") or self.t("sample_recorded")
            if name.startswith("sample-") and name.endswith(".wav"):
                name = self.t("sample_recorded")
            row.title = self.t("sample_line", name=name, seconds=round(sample["duration_s"], 1))
            verdict = sample["message"] if app.language == "en" else self.t(f"verdict_{sample['verdict']}")
            if verdict.startswith("verdict_"):
                verdict = sample["message"]
            row.verdict = verdict
            row.usable = bool(sample["usable"])
            row.ids.delete.bind(on_press=lambda button, sid=sample["id"]: self.delete_sample(sid, button))
            box.add_widget(row)
            self.ids[f"sample_{i}"] = row
            self.ids[f"sample_{i}_delete"] = row.ids.delete

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
        testhooks.emit("studio_recording", started=True)

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
        testhooks.emit("studio_recording", started=False, files=len(paths))
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

        def work():
            client = self._client()
            added = []
            for path in paths:
                with sendable(path, "recording") as upload:
                    added.append(client.add_voice_sample(persona_id, upload))
            if recorded:  # kept at the server now; the tablet needs no copy of the person's voice
                for path in paths:
                    path.unlink(missing_ok=True)
            return added, client.voice(persona_id)

        def uploaded(result) -> None:
            added, overview = result
            last = added[-1]["sample"]
            self.message = ""
            self._fill_voice(overview)
            testhooks.emit("studio_sample", persona_id=persona_id, verdict=last["verdict"], usable=last["usable"],
                           clean_s=last["clean_s"], total_clean_s=overview["total_clean_s"])

        self._call(work, on_result=uploaded, name="studio-sample")

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
            testhooks.emit("studio_voice_made", persona_id=persona_id)

        self._call(work, on_result=made, name="studio-clone")

    # ------------------------------------------------------------------ the built-in file chooser
    def open_picker(self, title_key: str, extensions: tuple[str, ...], on_pick: Callable[[Path], None]) -> None:
        self.close_picker()
        picker = StudioPicker(extensions, on_pick=on_pick, on_close=self.close_picker, title=self.t(title_key),
                              preview=extensions == IMAGE_EXTENSIONS)
        self._picker = picker
        self.add_widget(picker)
        self.ids["picker"] = picker  # so the layout report (and the tests' taps) find its rows
        self.picking = True
        testhooks.emit("studio_picker", open=True, folder=picker.folder)

    def close_picker(self) -> None:
        if self._picker is not None:
            self.remove_widget(self._picker)
            self._picker = None
            self.ids.pop("picker", None)
            self.picking = False
            testhooks.emit("studio_picker", open=False)
