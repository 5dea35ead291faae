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

from kivy.app import App
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from shared.api import Fact, Memory, MemoryOut
from client.caregiver_words import page_words
from client.happenings import announces
from client.uix.caregiver import AreaScreen
from client.uix.memories_files import FilePart, reason_words
from client.uix.memories_microphone import MicrophonePart
from client.uix.memory_rows import ItemRow
from client.worker import background

PAGE_SIZE = 8


class MemoriesScreen(
    MicrophonePart,
    FilePart,
    announces(  # type: ignore[misc]  # see announces
        "memories_tab",
        "memories_shown",
        "facts_shown",
        "row_saved",
        "row_save_failed",
        "row_deleted",
        "memory_added",
        "memory_add_failed",
        "row_scrolled",
        "row_mode_changed",
    ),
    AreaScreen,
):
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
    # adding (typed here; the microphone and files in their parts)
    add_message = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._row_ids: list[str] = []
        self._fact_ids: list[str] = []
        self._job = None
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

        background(
            client.persona,
            self.persona_id,
            on_result=got,
            on_error=lambda exc: setattr(self, "list_message", reason_words(app, exc)),
            name="memories-persona",
        )

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
        self.dispatch("on_memories_tab", tab=tab)

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

        background(
            client.memories,
            self.persona_id,
            query,
            PAGE_SIZE + 1,
            offset,
            on_result=got,
            on_error=lambda exc: setattr(self, "list_message", reason_words(app, exc)),
            name="memories-page",
        )

    def fill_memories(self, memories: list[MemoryOut]) -> None:
        app = App.get_running_app()
        box = self.ids.memory_box
        self._clear(box, self._row_ids)
        for index, memory in enumerate(memories):
            row = ItemRow(kind="memory", screen=self)
            row.show(memory, app.language, self.name_for_words, self.query)
            box.add_widget(row)
            self._register(row, f"memory_{index}", self._row_ids)
        if self.query:
            self.list_message = (
                app.t("found_for", query=self.query, count=len(memories) + (int(self.offset)))
                if memories
                else app.t("nothing_found", query=self.query)
            )
            if memories and (self.offset or self.has_next):
                self.list_message += " · " + page_words(int(self.offset), len(memories), app.language)
        else:
            self.list_message = page_words(int(self.offset), len(memories), app.language)
        self.ids.list_scroll.scroll_y = 1
        self.dispatch(
            "on_memories_shown",
            query=self.query,
            offset=int(self.offset),
            count=len(memories),
            ids=[m.id for m in memories],
            titles=[m.title for m in memories],
        )

    # ------------------------------------------------------------------ facts
    def load_facts(self) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        self.facts_message = app.t("loading")
        background(
            client.facts,
            self.persona_id,
            on_result=self.fill_facts,
            on_error=lambda exc: setattr(self, "facts_message", reason_words(app, exc)),
            name="facts",
        )

    def fill_facts(self, facts: list[Fact]) -> None:
        app = App.get_running_app()
        box = self.ids.fact_box
        self._clear(box, self._fact_ids)
        newest_first = sorted(facts, key=lambda f: f.created_at, reverse=True)
        for index, fact in enumerate(newest_first):
            row = ItemRow(kind="fact", screen=self)
            row.show(fact, app.language, self.name_for_words)
            box.add_widget(row)
            self._register(row, f"fact_{index}", self._fact_ids)
        self.facts_message = "" if facts else self.words("no_facts")
        self.dispatch("on_facts_shown", count=len(facts), ids=[f.id for f in newest_first])

    # ------------------------------------------------------------------ a row's edit, hide, delete
    def save_row(self, row: ItemRow, fields: dict) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        if "text" in fields and not fields["text"]:
            row.message, row.mode = app.t("memory_text_missing"), "edit"
            return
        item_id = row.item.id
        call = client.edit_memory if row.kind == "memory" else client.edit_fact

        def saved(item: MemoryOut | Fact) -> None:
            row.show(item, app.language, self.name_for_words, self.query)
            row.message = app.t("saved")
            self.dispatch(
                "on_row_saved",
                row=row.kind,
                id=item_id,
                fields=sorted(fields),
                hidden=item.hidden,
                shared=isinstance(item, Fact) and item.shared,  # a memory is the family's already
            )

        def failed(exc) -> None:
            row.message = app.t("not_saved", reason=reason_words(app, exc))
            row.mode = "edit" if "text" in fields else "view"
            self.dispatch("on_row_save_failed", row=row.kind, id=item_id, reason=row.message)

        persona_id = self.persona_id
        background(lambda: call(persona_id, item_id, **fields), on_result=saved, on_error=failed, name="save-row")

    def delete_row(self, row: ItemRow) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        item_id = row.item.id
        call = client.delete_memory if row.kind == "memory" else client.delete_fact

        def deleted(_none) -> None:
            self.dispatch("on_row_deleted", row=row.kind, id=item_id)
            if row.kind == "memory":
                self.load_page()
            else:
                self.load_facts()

        def failed(exc) -> None:
            row.message = app.t("not_saved", reason=reason_words(app, exc))
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

        def saved(memory: Memory) -> None:
            self.ids.title_field.text = self.ids.text_field.text = ""
            self.add_message = self.words("memory_saved")
            self.dispatch("on_memory_added", id=memory.id, title=memory.title)
            self.load_page()

        def failed(exc) -> None:
            self.add_message = app.t("not_saved", reason=reason_words(app, exc))
            self.dispatch("on_memory_add_failed", reason=self.add_message)

        background(client.add_memory, self.persona_id, text, title or None, on_result=saved, on_error=failed, name="add-memory")

    def show_row(self, row: ItemRow) -> None:
        """Scroll the list so all of ``row`` shows, when it does not (a row that shows is left still)."""
        scroll = self.ids.list_scroll if row.kind == "memory" else self.ids.facts_scroll
        if row.parent is None:
            return
        _x, bottom = row.to_window(*row.pos)
        _x, view_bottom = scroll.to_window(*scroll.pos)
        if bottom < view_bottom or bottom + row.height > view_bottom + scroll.height:
            scroll.scroll_to(row, padding=dp(10), animate=False)
            self.dispatch("on_row_scrolled", row=row.kind, id=row.item_id)

    # ------------------------------------------------------------------ row bookkeeping (ids let the tests find rows)
    def _register(self, row: ItemRow, prefix: str, names: list[str]) -> None:
        for key, widget in row.ids.items():
            name = f"{prefix}_{key}"
            self.ids[name] = widget
            names.append(name)
        self.ids[prefix] = row
        names.append(prefix)
        row.fbind("mode", self._row_mode_changed)

    def _row_mode_changed(self, row: ItemRow, mode: str) -> None:
        self.dispatch("on_row_mode_changed", row=row.kind, id=row.item_id, mode=mode)

    def _clear(self, box, names: list[str]) -> None:
        box.clear_widgets()
        for name in names:
            self.ids.pop(name, None)
        names.clear()
