"""One memory, one fact, one alert: the rows the caregiver's lists are made of (their look is in the screens' kv).

A row shows one item and changes its own mode ("view", "edit", "confirm") so that editing and
the delete question happen in place, next to the words they are about, without a pop-up. The
screen owns the network: a row only asks it (``screen.save_row``, ``screen.hide_row``,
``screen.delete_row``).
"""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.filechooser import FileChooserListView

from shared.api import Alert, Fact, MemoryOut
from client.caregiver_words import alert_kind_words, alert_message, is_urgent, origin_line, sharing_line, teller_line, when

PREVIEW_CHARS = 420  # a long memoir passage is cut in the list; Edit shows all of it


def preview(text: str, limit: int = PREVIEW_CHARS, around: str = "") -> str:
    """The start of a long memory, or, when the caregiver searched, the part with the words they looked for."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    found = text.lower().find(around.strip().lower()) if around.strip() else -1
    if found > limit - len(around) - 40:  # the words are past the cut: start a little before them
        start = text.rfind(" ", 0, max(0, found - 120)) + 1
        rest = text[start:]
        cut = rest if len(rest) <= limit else rest[:limit].rsplit(" ", 1)[0].rstrip(" ,.;") + " …"
        return "… " + cut
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;") + " …"


class ItemRow(BoxLayout):
    """A memory or a fact, with Edit, Hide and Delete; a fact also with Share (every tablet may hear it)."""

    item = ObjectProperty(None, allownone=True)  # the MemoryOut or Fact shown, once shown
    screen = ObjectProperty(None)
    kind = StringProperty("memory")  # memory or fact
    mode = OptionProperty("view", options=["view", "edit", "confirm", "busy"])
    hidden = BooleanProperty(False)
    shared = BooleanProperty(False)  # a fact: heard on every tablet, not only where it was told
    has_audio = BooleanProperty(False)  # the person's own recording of these words can be played
    heading = StringProperty("")
    detail = StringProperty("")  # where it came from, or when and by whom it was told
    sharing = StringProperty("")  # a fact: who hears the persona ask about it
    body = StringProperty("")
    message = StringProperty("")

    def on_has_audio(self, _row, has_audio: bool) -> None:
        # Listen is there only for her own recording; out of the row otherwise, so the other
        # buttons keep their places (a zero-wide button would still take a gap)
        button = self._listen
        actions = self.ids.edit.parent
        if has_audio and button.parent is None:
            actions.add_widget(button, index=len(actions.children))
        elif not has_audio and button.parent is not None:
            actions.remove_widget(button)

    _share = None  # the Share button, held while it is out of the row

    def on_kind(self, _row, kind: str) -> None:
        # Share is a fact's alone (a memory is the family's already): out of a memory's row, as Listen is
        button = self._share
        if button is None:
            return  # ItemRow(kind=...) sets it before the kv rules made the buttons: on_kv_post places it
        actions = self.ids.edit.parent
        if kind == "fact" and button.parent is None:
            actions.add_widget(button, index=actions.children.index(self.ids.hide))  # just after Hide
        elif kind != "fact" and button.parent is not None:
            actions.remove_widget(button)

    def on_kv_post(self, _base_widget) -> None:
        # kv ids are weak: the button must be held here while it is out of the row
        self._listen = self.ids.listen.__self__
        self._share = self.ids.share.__self__
        self.on_has_audio(self, self.has_audio)
        self.on_kind(self, self.kind)

    @property
    def item_id(self) -> str | None:
        return self.item.id if self.item is not None else None

    def show(self, item: MemoryOut | Fact, language: str, name: str, query: str = "") -> None:
        self.item = item
        self.hidden = item.hidden
        self.has_audio = isinstance(item, MemoryOut) and bool(item.audio_url)  # only a memory has her own recording
        self.body = preview(item.text, around=query)
        if isinstance(item, MemoryOut):  # a memory's row (kind "memory"); else a fact's
            self.heading = item.title or App.get_running_app().t("untitled")
            self.detail = origin_line(item, language, name)
        else:
            self.heading = ""
            self.detail = teller_line(item, language)
            self.shared = item.shared
            self.sharing = sharing_line(item, language, name)
        self.mode = "view"

    def start_edit(self) -> None:
        self.ids.editor.text = self.item.text
        if isinstance(self.item, MemoryOut):
            self.ids.title_editor.text = self.item.title or ""
        self.message = ""
        self.mode = "edit"
        # the row grew: bring all of it (the words and Save) into the list's view once it is laid out
        Clock.schedule_once(lambda _dt: self.screen.show_row(self), 0.15)

    def save(self) -> None:
        fields = {"text": self.ids.editor.text.strip()}
        if self.kind == "memory":
            fields["title"] = self.ids.title_editor.text.strip()
        self.mode = "busy"
        self.screen.save_row(self, fields)

    def toggle_hidden(self) -> None:
        self.mode = "busy"
        self.screen.save_row(self, {"hidden": not self.hidden})

    def toggle_shared(self) -> None:
        self.mode = "busy"
        self.screen.save_row(self, {"shared": not self.shared})

    def listen(self) -> None:
        self.screen.play_recording(self)

    def ask_delete(self) -> None:
        self.mode = "confirm"
        Clock.schedule_once(lambda _dt: self.screen.show_row(self), 0.15)

    def delete(self) -> None:
        self.mode = "busy"
        self.screen.delete_row(self)


class AlertRow(BoxLayout):
    """One alert: what kind in plain words, when and with whom, and the words that were said."""

    urgent = BooleanProperty(False)
    heading = StringProperty("")
    detail = StringProperty("")
    body = StringProperty("")

    def show(self, alert: Alert, language: str, persona_names: dict[str, str]) -> None:
        app = App.get_running_app()
        self.urgent = is_urgent(alert)
        self.heading = alert_kind_words(alert.kind, language)
        stamp = when(alert.created_at, language)
        persona = persona_names.get(alert.persona_id or "")
        self.detail = app.t("alert_with", when=stamp, persona=persona) if persona else stamp
        message = alert_message(alert)
        self.body = app.t("alert_said", message=message) if message else ""


class BigFileChooser(FileChooserListView):
    """Kivy's file list with entries a finger can hit and eyes can read (see MemFileEntry in memories.kv)."""

    _ENTRY_TEMPLATE = "MemFileEntry"
