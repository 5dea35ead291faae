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

from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.progressbar import ProgressBar

from client.happenings import announces
from client.uix import theme
from client.uix.caregiver import AreaScreen
from client.uix.studio_forms import (
    IMAGE_EXTENSIONS,
    StudioProblem,
    consent_role,
    join_list,
    persona_fields,
    plain_error,
    split_biography,
)
from client.uix.studio_picker import StudioPicker
from client.uix.studio_portrait import PortraitStep
from client.uix.studio_voice import VoiceStep
from client.worker import background

STEPS = ("who", "consent", "portrait", "voice")


class StudioBar(ProgressBar):
    """A thick, rounded progress bar (import, microphone level, seconds of clean speech); drawn in studio.kv."""

    fill = ListProperty(theme.ACCENT)


class StudioScreen(
    PortraitStep,
    VoiceStep,
    announces(  # type: ignore[misc]  # see announces
        "studio_opened", "studio_loaded", "studio_step", "studio_done", "studio_error", "studio_saved", "studio_consent", "studio_picker"
    ),
    AreaScreen,
):
    """The four steps on one screen (steps 3 and 4 in studio_portrait.py and studio_voice.py)."""

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
    picking = BooleanProperty(False)  # the built-in file chooser is open

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._generation = 0
        self._saved_fields: dict | None = None  # step 1 as last saved: Done saves only a changed form
        self._picker: StudioPicker | None = None
        self._problem_shown = False
        self._leave_unsaved = False  # Done was pressed on a form that cannot be saved: the next Done leaves
        self._suggested: dict[str, str] = {}  # consent words the studio filled in, not the caregiver

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
        self.busy = False
        self._fill_who(None)
        self._fill_consent_form(reset=True)
        self.reset_portrait()
        self._fill_voice(None)
        if not self._unsent or self._unsent[0] != self.persona_id:
            self.forget_unsent()
        if persona_id:
            self.message = self.t("studio_loading_persona")
            self._call(self._load, persona_id, on_result=self._loaded, name="studio-load")
        self.dispatch("on_studio_opened", persona_id=self.persona_id)

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
        self.dispatch("on_studio_loaded", persona_id=persona.id)

    def on_deactivate(self) -> None:
        super().on_deactivate()
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
        self.dispatch("on_studio_step", step=step)

    def footer_action(self) -> None:
        """Step 1: save and go on. Later steps: go on without doing anything (a step can be skipped)."""
        if self.step == "who":
            self.save_who(then="consent")
        elif self.step == "voice":
            self.done()
        else:
            self.go(STEPS[STEPS.index(self.step) + 1])

    def done(self) -> None:
        """Back to the caregiver area (its list of personas refreshes as it opens); what was typed in step 1
        is saved first. Typed but not savable (no name): say so once; a second Done leaves without it."""
        fields, problem = self._form_fields()
        if fields and fields != self._saved_fields and not problem:
            self.save_who(then="done")
            return
        if problem and self._form_typed() and not self._leave_unsaved:
            self._leave_unsaved = True
            self.go("who")
            self.message = self.t("studio_done_unsaved", problem=self.t(problem))
            self._problem_shown = True
            return
        self._stop_recording(keep=False)
        self.dispatch("on_studio_done", persona_id=self.persona_id)
        self.back_to_settings()

    # ------------------------------------------------------------------ plumbing
    def _client(self):
        client = App.get_running_app().caregiver
        if client is None:  # signed out (the area closed): nothing to talk to
            raise StudioProblem(App.get_running_app().t("sign_in_missing"))
        return client

    def _call(
        self, fn: Callable, *args, on_result: Callable, name: str, quiet: bool = False, on_error: Callable[[], None] | None = None
    ) -> None:
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
            self.dispatch("on_studio_error", where=name, message=self.message)

        background(fn, *args, on_result=result, on_error=failed, name=name)

    def _set_persona(self, persona) -> None:
        self.persona = persona
        self.persona_id = persona.id
        self.persona_label = persona.display_name  # the caregiver's words: the full name, not "Grandpa"
        if persona.consent:
            c = persona.consent
            scope = self.t("scope_own_words" if c.scope == "own_words" else "scope_generated")
            self.consent_status = self.t(
                "consent_recorded", date=c.created_at.date().isoformat(), given_by=c.given_by, relation=c.relation, scope=scope
            )
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
        return persona_fields(
            display_name=ids.name_field.text,
            addressed_as=ids.addressed_field.text,
            kind=self.kind,
            age=ids.age_field.text,
            language=self.speaks,
            biography=ids.bio_field.text,
            speaking_style=ids.style_field.text,
            boundaries=ids.boundaries_field.text,
            disclosure=self.disclosure,
        )

    def _form_typed(self) -> bool:
        ids = self.ids
        return any(
            ids[f].text.strip() for f in ("name_field", "addressed_field", "age_field", "bio_field", "style_field", "boundaries_field")
        )

    def form_edited(self) -> None:
        """The caregiver typed: a "please type their name" from before no longer applies."""
        self._leave_unsaved = False
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
            self.dispatch("on_studio_saved", persona_id=persona.id, created=created)
            if then == "done":
                self.done()
            elif then:
                self.go(then)

        self._call(work, on_result=saved, name="studio-save")

    # ------------------------------------------------------------------ step 2: consent
    def consent_role(self, *_bindings) -> str:
        return consent_role(self.kind)

    def _fill_consent_form(self, reset: bool) -> None:
        """Suggest the words that fit the kind. What the caregiver typed is kept; a suggestion made for
        another kind (the kind was changed since) is replaced by the one for this kind."""
        ids = self.ids
        if reset:
            ids.given_by_field.text = ids.relation_field.text = ids.statement_field.text = ""
            self.scope = "own_words"
            self._suggested = {}
        if not self.persona_id or self.persona is None:
            return
        role = consent_role(self.kind)
        name = self.persona.display_name
        suggestions = {
            "given_by_field": name if role == "self" else "",
            "relation_field": self.t("consent_relation_self") if role == "self" else "",
            "statement_field": self.t(f"consent_statement_{role}", persona=name),
        }
        for field, words in suggestions.items():
            text = ids[field].text
            if not text.strip() or text == self._suggested.get(field):
                ids[field].text = words
                self._suggested[field] = words

    def record_consent(self) -> None:
        ids = self.ids
        given_by, relation, statement = (ids.given_by_field.text.strip(), ids.relation_field.text.strip(), ids.statement_field.text.strip())
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
            self.dispatch("on_studio_consent", persona_id=persona_id, scope=scope)
            self.go("portrait")

        self._call(work, on_result=recorded, name="studio-consent")

    # ------------------------------------------------------------------ the built-in file chooser
    def open_picker(self, title_key: str, extensions: tuple[str, ...], on_pick: Callable[[Path], None]) -> None:
        self.close_picker()
        picker = StudioPicker(
            extensions, on_pick=on_pick, on_close=self.close_picker, title=self.t(title_key), preview=extensions == IMAGE_EXTENSIONS
        )
        self._picker = picker
        self.add_widget(picker)
        self.ids["picker"] = picker  # so the layout report (and the tests' taps) find its rows
        self.picking = True
        self.dispatch("on_studio_picker", open=True, folder=picker.folder)

    def close_picker(self) -> None:
        if self._picker is not None:
            self.remove_widget(self._picker)
            self._picker = None
            self.ids.pop("picker", None)
            self.picking = False
            self.dispatch("on_studio_picker", open=False)
