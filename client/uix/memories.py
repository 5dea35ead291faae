"""The caregiver's memories of one persona: review (list, search, edit, hide, delete), add (typed or
dictated, the person's own voice recorded on the tablet, a file brought in with live progress), and
what the family has told the persona in conversations (facts).

Every call to the server runs on a worker thread (``client.worker.background``); results come
back on the UI thread. An import is watched by polling its job once a second from the Clock,
one request at a time, so a slow server never piles requests up nor freezes the screen.

One microphone, two purposes. The person's own voice is imported as a voice memo: kept and played
as theirs (story mode plays it, the relative is told "Recorded in Grandma Rose's own voice"). A
caregiver's dictation is only transcribed (``/dictation``: the server keeps nothing) and its words
go into the typed memory's field, to be checked and saved as typed. A caregiver's voice must never
be played as the dead person's.
"""

from __future__ import annotations

import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.utils import platform

from client import testhooks
from client.caregiver_words import level_percent, page_words, progress_text
from client.uix.caregiver import AreaScreen
from client.uix.memory_rows import ItemRow
from client.uix.studio_forms import server_words
from client.worker import background

PAGE_SIZE = 8
POLL_S = 1.0
MAX_RECORDING_S = 600  # ten minutes: a long story, not a forgotten tablet
MAX_DICTATION_S = 115  # a dictation stops itself under the server's default limit for one recording (KEEPSAKE_MAX_AUDIO_S=120)
IMPORT_KINDS = ("auto", "memoir", "letters", "chat", "voice_memo")


def _reason(app, exc) -> str:
    message = getattr(exc, "message", "")
    return server_words(exc.code, message, app.t) if message and hasattr(exc, "code") else message or app.t("err_offline")


class MemoriesScreen(AreaScreen):
    persona_id = StringProperty("")
    persona_full = StringProperty("")  # "Rose Whitfield"
    persona_name = StringProperty("")  # how the family addresses her: "Grandma Rose"
    tab = OptionProperty("list", options=["list", "add", "facts", "choose"])
    # review
    query = StringProperty("")
    offset = NumericProperty(0)
    has_next = BooleanProperty(False)
    list_message = StringProperty("")
    facts_message = StringProperty("")
    # adding
    add_message = StringProperty("")
    import_kind = StringProperty("auto")
    import_message = StringProperty("")
    import_percent = NumericProperty(0)
    import_active = BooleanProperty(False)
    recording = BooleanProperty(False)  # the microphone is on, for record_purpose
    record_purpose = OptionProperty("voice", options=["voice", "dictation"])  # her own voice, or the caregiver dictating
    dictation_busy = BooleanProperty(False)  # a dictation is at the server, its words not back yet
    record_level = NumericProperty(0)  # 0..100, from the microphone's dB while recording
    record_message = StringProperty("")
    chooser_message = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._row_ids: list[str] = []
        self._fact_ids: list[str] = []
        self._job: dict | None = None  # {"id", "file"} of the import being watched
        self._poll = None
        self._polling = False
        self._mic = None
        self._record_clock = None
        self._record_started = 0.0

    # ------------------------------------------------------------------ coming and going
    def prepare(self, persona_id: str | None = None, **_context) -> None:
        app = App.get_running_app()
        if persona_id != self.persona_id:
            # another persona: an import still going on for the last one goes on at the server
            # (its memories will be there); this screen stops watching it
            self._stop_polling()
            self._job = None
            self.import_message, self.import_percent = "", 0
        self.persona_id = persona_id or ""
        self.persona_full = self.persona_name = ""
        self.query, self.offset = "", 0
        self.list_message = self.facts_message = self.add_message = self.record_message = self.chooser_message = ""
        self.ids.search_field.text = ""
        self.ids.title_field.text = self.ids.text_field.text = ""
        self.tab = "list"
        self._clear(self.ids.memory_box, self._row_ids)
        self._clear(self.ids.fact_box, self._fact_ids)
        client = app.caregiver
        if client is None or not self.persona_id:
            return

        def got(persona) -> None:
            self.persona_full = persona.display_name
            self.persona_name = (persona.addressed_as or [persona.display_name])[0]
            self.load_page()
            self.load_facts()

        background(client.persona, self.persona_id, on_result=got,
                   on_error=lambda exc: setattr(self, "list_message", _reason(app, exc)), name="memories-persona")

    def on_deactivate(self) -> None:
        super().on_deactivate()
        if self.recording:  # nobody is there to press Stop: what was recorded is thrown away
            self.cancel_recording()
        # an import is still watched while the caregiver looks elsewhere in the area (coming back
        # shows where it is); signing out or leaving the area ends the watching (no client)

    @property
    def name_for_words(self) -> str:
        return self.persona_name or App.get_running_app().t("grandma")

    def words(self, key: str, *_bindings, **values) -> str:
        """Translate with this persona's names (kv passes app.language and the names to re-evaluate)."""
        app = App.get_running_app()
        values.setdefault("persona", self.persona_full or self.name_for_words)
        return app.t(key, name=self.name_for_words, **values)

    def on_tab(self, _screen, tab: str) -> None:
        self.ids.pages.current = tab

    def show_tab(self, tab: str) -> None:
        self.tab = tab
        testhooks.emit("memories_tab", tab=tab)

    # ------------------------------------------------------------------ review: list and search
    def search(self) -> None:
        self.query = self.ids.search_field.text.strip()
        self.offset = 0
        self.load_page()

    def show_all(self) -> None:
        self.ids.search_field.text = ""
        self.search()

    def page(self, step: int) -> None:
        new = max(0, int(self.offset) + step * PAGE_SIZE)
        if new == self.offset or (step > 0 and not self.has_next):
            return
        self.offset = new
        self.load_page()

    def load_page(self) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        query, offset = self.query, int(self.offset)
        self.list_message = app.t("loading")

        def got(memories) -> None:
            if (query, offset) != (self.query, int(self.offset)):
                return  # the caregiver asked for something else meanwhile
            self.has_next = len(memories) > PAGE_SIZE
            self.fill_memories(memories[:PAGE_SIZE])

        background(client.memories, self.persona_id, query, PAGE_SIZE + 1, offset, on_result=got,
                   on_error=lambda exc: setattr(self, "list_message", _reason(app, exc)), name="memories-page")

    def fill_memories(self, memories: list[dict]) -> None:
        app = App.get_running_app()
        box = self.ids.memory_box
        self._clear(box, self._row_ids)
        for index, memory in enumerate(memories):
            row = ItemRow(kind="memory", screen=self)
            row.show(memory, app.language, self.name_for_words, self.query)
            box.add_widget(row)
            self._register(row, f"memory_{index}", self._row_ids)
        if self.query:
            self.list_message = (app.t("found_for", query=self.query, count=len(memories) + (int(self.offset))) if memories
                                 else app.t("nothing_found", query=self.query))
            if memories and (self.offset or self.has_next):
                self.list_message += " · " + page_words(int(self.offset), len(memories), app.language)
        else:
            self.list_message = page_words(int(self.offset), len(memories), app.language)
        self.ids.list_scroll.scroll_y = 1
        testhooks.emit("memories_shown", query=self.query, offset=int(self.offset), count=len(memories),
                       ids=[m["id"] for m in memories], titles=[m.get("title") for m in memories])

    # ------------------------------------------------------------------ facts
    def load_facts(self) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        self.facts_message = app.t("loading")
        background(client.facts, self.persona_id, on_result=self.fill_facts,
                   on_error=lambda exc: setattr(self, "facts_message", _reason(app, exc)), name="facts")

    def fill_facts(self, facts: list[dict]) -> None:
        app = App.get_running_app()
        box = self.ids.fact_box
        self._clear(box, self._fact_ids)
        newest_first = sorted(facts, key=lambda f: f.get("created_at") or "", reverse=True)
        for index, fact in enumerate(newest_first):
            row = ItemRow(kind="fact", screen=self)
            row.show(fact, app.language, self.name_for_words)
            box.add_widget(row)
            self._register(row, f"fact_{index}", self._fact_ids)
        self.facts_message = "" if facts else self.words("no_facts")
        testhooks.emit("facts_shown", count=len(facts), ids=[f["id"] for f in newest_first])

    # ------------------------------------------------------------------ a row's edit, hide, delete
    def save_row(self, row: ItemRow, fields: dict) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        if "text" in fields and not fields["text"]:
            row.message, row.mode = app.t("memory_text_missing"), "edit"
            return
        item_id = row.item["id"]
        call = client.edit_memory if row.kind == "memory" else client.edit_fact

        def saved(item: dict) -> None:
            if row.kind == "memory":
                # the row keeps where it came from even if a server leaves it out of the answer
                item = {**row.item, **item}
            row.show(item, app.language, self.name_for_words, self.query)
            row.message = app.t("saved")
            testhooks.emit(f"{row.kind}_saved", id=item_id, fields=sorted(fields), hidden=bool(item.get("hidden")),
                           shared=bool(item.get("shared")))

        def failed(exc) -> None:
            row.message = app.t("not_saved", reason=_reason(app, exc))
            row.mode = "edit" if "text" in fields else "view"
            testhooks.emit(f"{row.kind}_save_failed", id=item_id, reason=row.message)

        persona_id = self.persona_id
        background(lambda: call(persona_id, item_id, **fields), on_result=saved, on_error=failed, name="save-row")

    def delete_row(self, row: ItemRow) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        item_id = row.item["id"]
        call = client.delete_memory if row.kind == "memory" else client.delete_fact

        def deleted(_none) -> None:
            testhooks.emit(f"{row.kind}_deleted", id=item_id)
            if row.kind == "memory":
                self.load_page()
            else:
                self.load_facts()

        def failed(exc) -> None:
            row.message = app.t("not_saved", reason=_reason(app, exc))
            row.mode = "view"

        background(call, self.persona_id, item_id, on_result=deleted, on_error=failed, name="delete-row")

    # ------------------------------------------------------------------ add: typed
    def save_typed(self) -> None:
        app = App.get_running_app()
        client = app.caregiver
        title, text = self.ids.title_field.text.strip(), self.ids.text_field.text.strip()
        if client is None:
            return
        if not text:
            self.add_message = app.t("memory_text_missing")
            return
        self.add_message = app.t("loading")

        def saved(memory: dict) -> None:
            self.ids.title_field.text = self.ids.text_field.text = ""
            self.add_message = self.words("memory_saved")
            testhooks.emit("memory_added", id=memory.get("id"), title=memory.get("title"))
            self.load_page()

        def failed(exc) -> None:
            self.add_message = app.t("not_saved", reason=_reason(app, exc))
            testhooks.emit("memory_add_failed", reason=self.add_message)

        background(client.add_memory, self.persona_id, text, title or None, on_result=saved, on_error=failed,
                   name="add-memory")

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
        testhooks.emit("recording", started=True, mic=self._mic.name, purpose=purpose)

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

        def made(recording) -> None:
            if recording is None or not recording.heard_speech:
                self._say(purpose, app.t("recording_empty"))
                testhooks.emit("recording", started=False, kept=False, purpose=purpose)
                if recording is not None:
                    recording.path.unlink(missing_ok=True)
                return
            self._say(purpose, "")
            testhooks.emit("recording", started=False, kept=True, seconds=round(recording.duration_s, 1), purpose=purpose)
            if purpose == "dictation":
                self.transcribe_dictation(recording.path)
                return
            name = f"{self.name_for_words} {time.strftime('%Y-%m-%d %H.%M')}.wav"
            self.import_file(recording.path, kind="voice_memo", filename=name, remove_after=True)

        background(mic.stop, folder, on_result=made,
                   on_error=lambda exc: self._say(purpose, str(exc) or app.t("err_unknown")), name="mic-stop")

    def cancel_recording(self) -> None:
        if not self.recording:
            return
        self._end_recording_clock()
        self._say(self.record_purpose, "")
        background(self._mic.cancel, name="mic-cancel")
        testhooks.emit("recording", started=False, kept=False, purpose=self.record_purpose)

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

        def send() -> dict:
            try:
                return client.dictate(persona_id, path)
            finally:
                path.unlink(missing_ok=True)  # the caregiver's voice is not kept, here either

        def got(answer: dict) -> None:
            self.dictation_busy = False
            if persona_id != self.persona_id:
                return  # the caregiver moved on to another persona meanwhile
            words = (answer.get("text") or "").strip()
            field = self.ids.text_field
            before = field.text.rstrip()
            joint = "" if not before or answer.get("language") == "zh" else " "  # Chinese has no spaces between sentences
            field.text = before + joint + words
            self.add_message = app.t("dictation_check")
            testhooks.emit("dictation_done", text=words, language=answer.get("language"))

        def failed(exc) -> None:
            self.dictation_busy = False
            self.add_message = _reason(app, exc)  # the server's own plain sentence, e.g. "No words were heard..."
            testhooks.emit("dictation_failed", reason=self.add_message)

        background(send, on_result=got, on_error=failed, name="dictate")

    def play_recording(self, row: ItemRow) -> None:
        """Play the person's own recording of a memory through the tablet's speaker, as the relative would hear it."""
        from client.audio import decode_wav
        from client.player import Segment

        app = App.get_running_app()
        client, url = app.caregiver, row.item.get("audio_url")
        if client is None or not url or app.conversation is None:
            return
        text = row.item.get("text", "")

        def fetch():
            data, _mime = client.media(url)
            return decode_wav(data)

        def play(decoded) -> None:
            samples, rate = decoded
            app.conversation.interrupt()  # one speaker: whatever the face was saying stops
            app.conversation.player.enqueue(Segment.make(samples, rate, [], 25, text, 0, None, original=True))
            testhooks.emit("memory_played", id=row.item.get("id"), seconds=round(len(samples) / rate, 2))

        def failed(exc) -> None:
            row.message = app.t("listen_failed", reason=_reason(app, exc))

        background(fetch, on_result=play, on_error=failed, name="listen")

    # ------------------------------------------------------------------ add: a file
    def choose_file(self) -> None:
        """The platform's own picker where plyer has one (Android, Windows, macOS); Kivy's list elsewhere."""
        app = App.get_running_app()
        if platform in ("android", "win", "macosx"):
            try:
                from plyer import filechooser

                filechooser.open_file(on_selection=self._picked,
                                      title=app.t("chooser_title"))
                return
            except Exception:  # plyer without a picker here: the list below always works
                pass
        chooser = self.ids.chooser
        home = str(Path.home())
        chooser.rootpath = home
        if not chooser.path.startswith(home):
            chooser.path = home
        chooser._update_files()
        self.ids.chooser_path.text = ""
        self.chooser_message = ""
        self.show_tab("choose")
        testhooks.emit("file_chooser", folder=chooser.path, files=sorted(Path(p).name for p in chooser.files if p))

    def chooser_selected(self, selection: list) -> None:
        if selection:
            self.ids.chooser_path.text = Path(selection[0]).name if Path(selection[0]).parent == Path(self.ids.chooser.path) else selection[0]

    @mainthread  # the system's file picker answers from its own thread
    def _picked(self, paths) -> None:
        if paths:
            self.import_file(Path(paths[0]), kind=None if self.import_kind == "auto" else self.import_kind)

    def chooser_accept(self) -> None:
        app = App.get_running_app()
        typed = self.ids.chooser_path.text.strip()
        if not typed:
            self.chooser_message = app.t("chooser_nothing")
            testhooks.emit("file_chosen", path="", found=False)
            return
        path = Path(typed).expanduser()
        if not path.is_absolute():
            path = Path(self.ids.chooser.path) / path
        if not path.is_file():
            self.chooser_message = app.t("chooser_missing", file=typed)
            testhooks.emit("file_chosen", path=str(path), found=False)
            return
        testhooks.emit("file_chosen", path=str(path), found=True)
        self.show_tab("add")
        self.import_file(path, kind=None if self.import_kind == "auto" else self.import_kind)

    def import_file(self, path: Path, kind: str | None = None, filename: str | None = None, remove_after: bool = False) -> None:
        """Send the file; the server answers at once with a job, which is then watched until it ends."""
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        shown_name = filename or path.name
        self.import_active, self.import_percent = True, 0
        self.import_message = app.t("import_sending", file=shown_name)
        persona_id = self.persona_id

        def send() -> dict:
            try:
                return client.upload_source(persona_id, path, kind=kind, filename=shown_name)
            finally:
                if remove_after:
                    path.unlink(missing_ok=True)

        def started(answer: dict) -> None:
            self._job = {"id": answer["job_id"], "file": shown_name, "persona_id": persona_id}
            testhooks.emit("import_started", job_id=answer["job_id"], source_kind=answer.get("kind"), file=shown_name)
            self._start_polling()

        def failed(exc) -> None:
            self.import_active = False
            self.import_message = app.t("import_failed", file=shown_name, reason=_reason(app, exc))
            testhooks.emit("import_failed", file=shown_name, reason=self.import_message)

        background(send, on_result=started, on_error=failed, name="upload-source")

    def _start_polling(self) -> None:
        self._stop_polling()
        self._poll = Clock.schedule_interval(self._poll_job, POLL_S)
        self._poll_job(0)

    def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        self.import_active = False

    def _poll_job(self, _dt) -> None:
        app = App.get_running_app()
        client, job = app.caregiver, self._job
        if client is None or job is None:
            self._stop_polling()
            return
        if self._polling:  # the last answer has not come yet: never pile requests up
            return
        self._polling = True

        def got(state: dict) -> None:
            self._polling = False
            if self._job is not job:
                return
            self.import_percent = float(state.get("percent") or 0)
            self.import_message = progress_text(state, app.language, job["file"])
            testhooks.emit("import_progress", job_id=job["id"], state=state.get("state"), percent=state.get("percent"),
                           stage=state.get("stage"), counts=state.get("counts"), text=self.import_message)
            if state.get("state") in ("done", "failed"):
                self._stop_polling()
                self.import_percent = 100 if state.get("state") == "done" else self.import_percent
                testhooks.emit("import_finished", job_id=job["id"], state=state.get("state"), counts=state.get("counts"),
                               errors=state.get("errors"))
                if state.get("state") == "done" and job["persona_id"] == self.persona_id:
                    self.load_page()

        def failed(exc) -> None:
            self._polling = False  # offline for a moment: the next tick asks again
            self.import_message = app.t("import_running", file=job["file"], stage=_reason(app, exc), percent=int(self.import_percent))

        background(client.job, job["id"], on_result=got, on_error=failed, name="job-poll")

    def show_row(self, row: ItemRow) -> None:
        """Scroll the list so all of ``row`` shows, when it does not (a row that shows is left still)."""
        scroll = self.ids.list_scroll if row.kind == "memory" else self.ids.facts_scroll
        if row.parent is None:
            return
        _x, bottom = row.to_window(*row.pos)
        _x, view_bottom = scroll.to_window(*scroll.pos)
        if bottom < view_bottom or bottom + row.height > view_bottom + scroll.height:
            scroll.scroll_to(row, padding=dp(10), animate=False)
            testhooks.emit("row_scrolled", row=row.kind, id=row.item.get("id"))

    # ------------------------------------------------------------------ row bookkeeping (ids let the tests find rows)
    def _register(self, row: ItemRow, prefix: str, names: list[str]) -> None:
        for key, widget in row.ids.items():
            name = f"{prefix}_{key}"
            self.ids[name] = widget
            names.append(name)
        self.ids[prefix] = row
        names.append(prefix)

    def _clear(self, box, names: list[str]) -> None:
        box.clear_widgets()
        for name in names:
            self.ids.pop(name, None)
        names.clear()
