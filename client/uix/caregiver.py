"""The caregiver's area: pairing, persona, family account, captions, volume, talk mode, language, test, history, PIN, unpair."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import StringProperty

from client.happenings import announces
from client.storage import valid_new_pin
from client.uix.screens import KeepsakeScreen
from client.worker import background

IDLE_BACK_S = 300  # a caregiver who walks away does not leave the relative stuck in settings


class AreaScreen(KeepsakeScreen):
    """A screen of the caregiver area: after five minutes without a touch it gives the tablet back to the relative."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._idle: ClockEvent | None = None

    def on_activate(self) -> None:
        self._arm_idle()

    def on_deactivate(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def on_touch_down(self, touch):
        self._arm_idle()
        return super().on_touch_down(touch)

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = Clock.schedule_once(lambda _dt: self.leave_area(), IDLE_BACK_S)

    def leave_area(self) -> None:
        """Back to the relative's face (signing the caregiver out); not before the tablet is paired."""
        app = App.get_running_app()
        if app.paired:
            app.close_caregiver()

    def back_to_settings(self) -> None:
        """From a screen of the area back to its first page."""
        App.get_running_app().root.current = "caregiver"


class CaregiverScreen(announces("personas_failed", "studio_personas", "alerts_counted", "test_played", "pin_changed"), AreaScreen):  # type: ignore[misc]  # see announces
    pair_message = StringProperty("")
    test_message = StringProperty("")
    pin_message = StringProperty("")
    history_text = StringProperty("")
    account_message = StringProperty("")

    # ------------------------------------------------------------------ coming and going
    def on_pre_enter(self, *_args) -> None:
        app = App.get_running_app()
        self.ids.server_field.text = app.server_url
        self.ids.code_field.text = ""
        self.pair_message = app.t("paired_with", server=app.server_url) if app.paired else app.t("not_paired")
        self.test_message = self.pin_message = self.history_text = ""
        self.fill_personas()
        if app.paired:
            self.refresh_personas()
        self.refresh_studio()

    # ------------------------------------------------------------------ pairing
    def pair(self) -> None:
        app = App.get_running_app()
        self.pair_message = app.t("pairing")

        def done(ok: bool, message: str) -> None:
            self.pair_message = message
            if ok:  # show the face at once: the caregiver sees the tablet work (and hears the greeting)
                self.ids.code_field.text = ""
                Clock.schedule_once(lambda _dt: self.leave_area(), 1.5)

        app.pair(self.ids.server_field.text, self.ids.code_field.text, on_done=done)

    def unpair(self) -> None:
        app = App.get_running_app()
        app.unpair()
        self.pair_message = app.t("unpaired")
        self.fill_personas()

    # ------------------------------------------------------------------ persona
    def refresh_personas(self) -> None:
        app = App.get_running_app()
        client = app.conversation.client if app.conversation else None
        if client is None:
            return

        def got(personas) -> None:
            app.personas = [(p.id, p.display_name) for p in personas if p.consent]
            self.fill_personas()

        background(
            client.personas, on_result=got, on_error=lambda exc: self.dispatch("on_personas_failed", error=str(exc)), name="personas"
        )

    def fill_personas(self) -> None:
        app = App.get_running_app()
        box = self.ids.persona_box
        box.clear_widgets()
        if not app.personas:
            box.add_widget(Factory.FieldLabel(text=app.t("no_personas")))
            return
        for persona_id, name in app.personas:
            button = Factory.ChoiceButton(text=name, group="persona", size_hint_y=None, height=dp(60) * app.ui_scale)
            button.state = "down" if persona_id == app.persona_id else "normal"
            button.bind(on_press=lambda _b, pid=persona_id: app.choose_persona(pid))
            box.add_widget(button)

    # ------------------------------------------------------------------ family account
    def sign_in(self) -> None:
        app = App.get_running_app()
        self.account_message = app.t("signing_in")

        def done(ok: bool, message: str) -> None:
            self.account_message = message
            self.ids.password_field.text = ""  # never left on screen, signed in or not
            if ok:
                self.refresh_studio()

        app.sign_in_caregiver(self.ids.email_field.text, self.ids.password_field.text, on_done=done)

    def sign_out(self) -> None:
        app = App.get_running_app()
        app.sign_out_caregiver()
        self.account_message = app.t("signed_out")
        self.ids.studio_box.clear_widgets()

    def refresh_studio(self) -> None:
        """Signed in: every persona of the household (with or without consent), to edit or fill with memories."""
        app = App.get_running_app()
        box = self.ids.studio_box
        box.clear_widgets()
        client = app.caregiver
        if client is None:
            return
        box.add_widget(Factory.FieldLabel(text=app.t("loading")))

        def got(personas) -> None:
            if app.caregiver is not client:  # signed out meanwhile
                return
            self.fill_studio(personas)

        def failed(exc) -> None:
            self.account_message = getattr(exc, "message", "") or app.t("err_offline")

        background(client.all_personas, on_result=got, on_error=failed, name="studio-personas")

    def fill_studio(self, personas) -> None:
        app = App.get_running_app()
        box = self.ids.studio_box
        box.clear_widgets()
        height = dp(56) * app.ui_scale
        top = Factory.BoxLayout(size_hint_y=None, height=height, spacing=dp(8))
        for key, action in (
            ("new_persona", lambda *_: app.open_screen("studio", persona_id=None)),
            ("alerts", lambda *_: app.open_screen("alerts")),
            ("sign_out", lambda *_: self.sign_out()),
        ):
            button = Factory.SoftButton(text=app.t(key), font_size=dp(20) * app.ui_scale)
            button.bind(on_press=action)
            top.add_widget(button)
            self.ids[f"studio_{key}"] = button  # named, so the UI tests can find it
        box.add_widget(top)
        self._count_alerts(self.ids["studio_alerts"])
        for persona in personas:
            row = Factory.BoxLayout(size_hint_y=None, height=height, spacing=dp(8))
            name = persona.display_name if persona.consent else app.t("needs_consent", persona=persona.display_name)
            row.add_widget(Factory.FieldLabel(text=name, size_hint_x=0.5, size_hint_y=1, valign="middle"))
            for key, screen in (("edit_persona", "studio"), ("memories", "memories")):
                button = Factory.SoftButton(text=app.t(key), size_hint_x=0.25, font_size=dp(20) * app.ui_scale)
                button.bind(on_press=lambda _b, s=screen, pid=persona.id: app.open_screen(s, persona_id=pid))
                row.add_widget(button)
                self.ids[f"studio_{key}_{persona.id}"] = button
            box.add_widget(row)
        self.dispatch("on_studio_personas", count=len(personas))

    def _count_alerts(self, button) -> None:
        """ "Alerts (3)" on the button: one small request, off the UI thread."""
        app = App.get_running_app()
        client = app.caregiver
        if client is None:
            return

        def got(alerts) -> None:
            if alerts and app.caregiver is client:
                button.text = app.t("alerts_count", count=len(alerts))
            self.dispatch("on_alerts_counted", count=len(alerts))

        background(client.alerts, on_result=got, name="alerts-count")

    # ------------------------------------------------------------------ test and history
    def play_test(self) -> None:
        app = App.get_running_app()
        self.test_message = app.t("test_playing")
        app.conversation.play_test(
            on_result=lambda n: self.dispatch("on_test_played", sentences=n),
            on_error=lambda exc: setattr(self, "test_message", app.t("test_failed", reason=str(exc) or app.t("err_offline"))),
        )

    def show_history(self) -> None:
        app = App.get_running_app()
        client = app.conversation.client if app.conversation else None
        sessions = list(app.store.settings.recent_sessions[:3])
        if client is None or not sessions:
            self.history_text = app.t("no_history")
            return
        name = app.persona_name

        def work() -> str:
            lines = []
            for session_id in sessions:
                try:
                    history = client.history(session_id)
                except Exception:  # an old session the server forgot: skip it
                    continue
                for item in history.items:
                    who = app.t("history_relative") if item.role == "relative" else name
                    lines.append(f"[b]{item.created_at:%d %b %H:%M}  {who}:[/b] {item.text}")
                if lines:
                    lines.append("")
            return "\n".join(lines).strip()

        background(
            work,
            on_result=lambda text: setattr(self, "history_text", text or app.t("no_history")),
            on_error=lambda exc: setattr(self, "history_text", app.t("err_offline")),
            name="history",
        )

    # ------------------------------------------------------------------ PIN
    def change_pin(self) -> None:
        app = App.get_running_app()
        new, again = self.ids.new_pin.text.strip(), self.ids.repeat_pin.text.strip()
        if new != again or not valid_new_pin(new):
            self.pin_message = app.t("pin_mismatch")
            return
        app.store.set_pin(new)
        self.ids.new_pin.text = self.ids.repeat_pin.text = ""
        self.pin_message = app.t("pin_changed")
        self.dispatch("on_pin_changed")
