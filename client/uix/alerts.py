"""The household's alerts for the caregiver: crisis words, a sentence stopped before it was spoken,
a relative who asked to stop. Newest first, crisis alerts stand out; shown a page at a time."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty

from shared.api import Alert
from client.happenings import announces
from client.uix.caregiver import AreaScreen
from client.uix.memory_rows import AlertRow
from client.worker import background

PAGE_SIZE = 20  # the server keeps the last 200; more come with "Show more"


def newest_first(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: str(a.created_at), reverse=True)


class AlertsScreen(announces("alerts_shown"), AreaScreen):  # type: ignore[misc]  # see announces
    message = StringProperty("")
    has_more = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._alerts: list[Alert] = []
        self._names: dict[str, str] = {}
        self._shown = 0
        self._row_ids: list[str] = []

    def prepare(self, **_context) -> None:
        self._alerts, self._shown = [], 0
        self._clear()
        self.refresh()

    def refresh(self) -> None:
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return
        self.message = app.t("loading")

        def work():
            # the persona's name says which conversation it was; a failure there must not hide the alerts
            try:
                names = {p.id: p.display_name for p in client.all_personas()}
            except Exception:
                names = {}
            return client.alerts(), names

        def got(result) -> None:
            alerts, names = result
            self._alerts, self._names = newest_first(alerts), names
            self._clear()
            self._shown = 0
            self.show_more()

        def failed(exc) -> None:
            self.message = getattr(exc, "message", "") or app.t("err_offline")

        background(work, on_result=got, on_error=failed, name="alerts")

    def show_more(self) -> None:
        app = App.get_running_app()
        box = self.ids.alert_box
        page = self._alerts[self._shown : self._shown + PAGE_SIZE]
        for offset, alert in enumerate(page):
            index = self._shown + offset
            row = AlertRow()
            row.show(alert, app.language, self._names)
            box.add_widget(row)
            for key, widget in row.ids.items():
                self.ids[f"alert_{index}_{key}"] = widget
                self._row_ids.append(f"alert_{index}_{key}")
        self._shown += len(page)
        self.has_more = self._shown < len(self._alerts)
        self.message = "" if self._alerts else app.t("no_alerts")
        self.dispatch("on_alerts_shown", count=self._shown, total=len(self._alerts), kinds=[a.kind for a in self._alerts[: self._shown]])

    def _clear(self) -> None:
        self.ids.alert_box.clear_widgets()
        for name in self._row_ids:
            self.ids.pop(name, None)
        self._row_ids.clear()
