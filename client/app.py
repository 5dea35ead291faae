"""The Kivy application: app state as properties, three screens, and the glue to the conversation.

Screens (one .kv file each in client/kv/):
- ``talk``: what the relative sees, the face, the captions and one big button;
- ``pin``: the caregiver's PIN pad (a long press in the top-left corner opens it);
- ``caregiver``: pairing, persona, captions, volume, talk mode, language, test, history, PIN.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from client import states, testhooks
from client.happenings import announces
from client.i18n import LANGUAGES, translate
from client.storage import CAPTION_MAX, CAPTION_MIN, Store

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
PLACEHOLDER_PORTRAIT = str(ASSETS / "placeholder-portrait.png")
DEFAULT_MOUTH = [0.5, 0.62, 0.17]  # a centred face, mouth a little below the middle
# one .kv file per screen in client/kv/ (the caregiver area's screens come after "caregiver")
SCREENS = ("talk", "pin", "caregiver", "studio", "memories", "alerts")
SCREENSHOT_WAIT_S = 60.0  # --screenshot: how long past its delay to wait for a tablet still starting


class KeepsakeApp(announces("caregiver_sign_in_failed", "paired", "pair_failed", "unpaired"), App):  # type: ignore[misc]  # see announces
    title = "Keepsake"
    icon = str(ASSETS / "icon.png")

    # what the screens show; the kv files bind to these
    state = OptionProperty("starting", options=list(states.STATES))  # moved by the table in client/states.py
    language = StringProperty("en")
    caption = StringProperty("")  # the answer being spoken
    heard = StringProperty("")  # what the relative said, smaller, above
    status = StringProperty("")  # a calm sentence when something is not right
    caption_size = NumericProperty(40)
    volume = NumericProperty(0.8)
    talk_mode = OptionProperty("tap", options=["tap", "hold"])
    persona_name = StringProperty("")
    portrait = StringProperty(PLACEHOLDER_PORTRAIT)
    mouth_point = ListProperty(DEFAULT_MOUTH)
    mouth = NumericProperty(0.0)  # how open the mouth is now, 0..1
    face = ObjectProperty(None, allownone=True)  # the persona's face landmarks (a dict); None from older servers
    viseme = StringProperty("")  # the lip shape of the sound playing; "" when the sentence has no visemes
    face_video = ObjectProperty(None, allownone=True)  # the talking-head clip of the sentence playing
    face_seconds = NumericProperty(0.0)  # how far into that sentence's audio
    mic_level = NumericProperty(0.0)
    paired = BooleanProperty(False)
    pending_count = NumericProperty(0)
    personas = ListProperty([])  # (id, name) pairs for the caregiver's choice
    persona_id = StringProperty("")
    server_url = StringProperty("")
    conversation = ObjectProperty(None, allownone=True)
    # the caregiver signed in with their family account (persona studio, alerts); in memory only,
    # dropped when the caregiver area closes
    caregiver = ObjectProperty(None, allownone=True)
    ui_scale = NumericProperty(1.0)  # 1 on a 1280x800 (dp) screen, more on bigger windows
    can_say_again = BooleanProperty(False)
    own_voice = BooleanProperty(False)  # the sentence playing is the person's own recording
    # whom to call, shown in very large type when the relative speaks of wanting to die,
    # of hurting themselves, or of an emergency; it stays until it is touched
    crisis_open = BooleanProperty(False)
    crisis_kind = OptionProperty("self_harm", options=["self_harm", "medical"])
    crisis_name = StringProperty("")
    crisis_phone = StringProperty("")
    crisis_emergency = StringProperty("")

    def __init__(
        self,
        server: str | None = None,
        pairing_code: str | None = None,
        screenshot: str | None = None,
        screenshot_after: float | None = None,
        language: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._server_arg = server
        self._pairing_code = pairing_code
        self._screenshot = screenshot
        self._screenshot_after = screenshot_after
        self._screenshot_deadline = 0.0
        self._screenshot_seen_started = False
        self._language_arg = language
        self.exit_code = 0
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        assert self._store is not None, "opened in build(), before any screen, handler or conversation exists"
        return self._store

    # ------------------------------------------------------------------ words
    def t(self, key: str, *_bindings, **values) -> str:
        """Translate ``key``; kv passes ``app.language`` (and names) as extra arguments to re-evaluate on change."""
        values.setdefault("name", self.persona_name or translate("grandma", self.language))
        return translate(key, self.language, **values)

    def talk_words(self, state: str, mode: str, *_bindings) -> tuple[str, str]:
        """The talk control's words for each state: what is happening, and what to do next."""
        doing, next_step = states.talk_word_keys(state, mode)
        return (self.t(doing) if doing else "", self.t(next_step) if next_step else "")

    def talk_caption(self, state: str, status: str, caption: str, *_bindings) -> str:
        """The caption area: a calm note when something is wrong, else the answer, else a quiet hint."""
        kind, text = states.caption_source(state, status, caption)
        return self.t(text) if kind == "hint" else text

    def _rescale(self, *_args) -> None:
        from kivy.metrics import dp

        self.ui_scale = max(1.0, min(Window.width / dp(1280), Window.height / dp(800)))

    @property
    def data_dir(self) -> str:
        """Private storage: the app's own folder (KEEPSAKE_TABLET_DIR overrides it for tests and demos)."""
        return os.environ.get("KEEPSAKE_TABLET_DIR") or self.user_data_dir

    # ------------------------------------------------------------------ start and stop
    def build(self):
        from client.uix import caregiver, pin, portrait, talk, widgets  # noqa: F401  registers the widget classes

        for name in ("widgets", *SCREENS):
            Builder.load_file(str(HERE / "kv" / f"{name}.kv"))
        Window.bind(size=self._rescale)
        self._rescale()
        self._store = Store(self.data_dir)
        s = self.store.settings
        self.language = self._language_arg or s.language or "en"
        if self.language not in LANGUAGES:
            self.language = "en"
        self.caption_size = min(max(s.caption_size, CAPTION_MIN), CAPTION_MAX)
        self.volume = s.volume
        self.talk_mode = s.talk_mode if s.talk_mode in ("tap", "hold") else "tap"
        if self._server_arg:
            self.store.update(server_url=self._server_arg.rstrip("/"))
        self.server_url = self.store.settings.server_url
        self.paired = bool(self.store.token())
        self.persona_id = s.persona_id
        if self.paired and s.persona_name:
            self.persona_name = s.persona_name
            if s.portrait_path and Path(s.portrait_path).exists():
                self.portrait = s.portrait_path
            if len(s.mouth_point) == 3:
                self.mouth_point = s.mouth_point
            self.face = s.face if isinstance(s.face, dict) else None

        root = ScreenManager(transition=FadeTransition(duration=0.25))
        root.add_widget(talk.TalkScreen(name="talk"))
        root.add_widget(pin.PinScreen(name="pin"))
        root.add_widget(caregiver.CaregiverScreen(name="caregiver"))
        from client.uix import studio  # the persona studio: who they were, consent, portrait, voice

        root.add_widget(studio.StudioScreen(name="studio"))
        from client.uix import alerts, memories  # the caregiver's memories and alerts (memories.kv holds rules alerts.kv uses)

        root.add_widget(memories.MemoriesScreen(name="memories"))
        root.add_widget(alerts.AlertsScreen(name="alerts"))
        return root

    def on_start(self) -> None:
        from client.conversation import Conversation
        from client.platform import android

        android.on_start()
        self.conversation = Conversation(self)
        self.bind(volume=self._volume_changed, state=self._state_changed)
        self._state_changed(self, self.state)
        testhooks.watch(self)  # the UI tests' eyes, when they are switched on
        if self._screenshot:
            delay = 5.0 if self._screenshot_after is None else self._screenshot_after
            self._screenshot_deadline = time.monotonic() + delay + SCREENSHOT_WAIT_S
            Clock.schedule_once(self._screenshot_when_started, delay)
        if self._pairing_code and self.server_url:
            self.pair(self.server_url, self._pairing_code, on_done=lambda ok, _msg: None if ok else self.enter_setup())
        elif self.paired and self.server_url:
            self.conversation.connect()
        else:
            self.enter_setup()

    def on_stop(self) -> None:
        if self.conversation is not None:
            self.conversation.close()

    def on_pause(self) -> bool:
        return True  # Android: keep the conversation when the screen turns off for a moment

    def on_resume(self) -> None:
        """Coming back starts nothing by itself: no greeting, no new session (the relative may have
        asked the avatar to stop). The next tap on the talk control does that."""

    # ------------------------------------------------------------------ state
    def _state_changed(self, _app, state: str) -> None:
        from client.platform import android

        android.keep_screen_on(state in ("listening", "thinking", "speaking") or self.crisis_open)

    def _volume_changed(self, _app, volume: float) -> None:
        if self.conversation is not None:
            self.conversation.set_volume(volume)
        self.store.update(volume=round(volume, 2))

    def volume_step(self, step: float) -> None:
        self.volume = round(min(1.0, max(0.0, self.volume + step)), 2)

    def enter_setup(self, reason: str = "not_set_up") -> None:
        """Not paired (or no longer): the relative sees a calm note, the caregiver the set-up screen."""
        self.state = states.next_state(self.state, "unpaired")
        self.status = self.t(reason) if reason != "not_set_up" else ""
        if not self.store.token():
            self.paired = False
            self.root.current = "caregiver"  # nothing to protect yet: no PIN before the first pairing

    def set_persona(self, persona, portrait_path: str, personas: list) -> None:
        self.persona_id = persona.id
        self.persona_name = (persona.addressed_as or [persona.display_name])[0]
        self.personas = [(p.id, p.display_name) for p in personas]
        if persona.mouth is not None:
            self.mouth_point = [persona.mouth.x, persona.mouth.y, persona.mouth.width]
        else:
            self.mouth_point = DEFAULT_MOUTH
        face = getattr(persona, "face", None)
        self.face = face.model_dump() if face is not None else None
        self.portrait = portrait_path or PLACEHOLDER_PORTRAIT
        self.store.update(persona_name=self.persona_name, portrait_path=portrait_path, mouth_point=list(self.mouth_point), face=self.face)

    # ------------------------------------------------------------------ the talk screen
    def talk_down(self) -> None:
        if self.state == "resting":
            self.conversation.retry_now()
        self.conversation.talk_down()

    def talk_up(self) -> None:
        self.conversation.talk_up()

    def say_again(self) -> None:
        self.conversation.say_again()

    def show_crisis(self, data: dict, device=None) -> None:
        """Whom to call, from the server's crisis notice (``device``, what /v1/devices/me said
        when we connected, fills in when the notice carries nothing at all)."""
        from client.platform import android

        def pick(key: str) -> str:
            value = data.get(key) if data else None
            if not data and device is not None:
                value = getattr(device, key, None)
            return str(value).strip() if value else ""

        kind = str((data or {}).get("kind") or "self_harm")
        self.crisis_kind = kind if kind in ("self_harm", "medical") else "self_harm"
        self.crisis_name = pick("contact_name")
        self.crisis_phone = pick("contact_phone")
        self.crisis_emergency = pick("emergency_number")
        self.crisis_open = True
        android.keep_screen_on(True)  # the number must not fade away with the screen

    def close_crisis(self) -> None:
        from client.platform import android

        if not self.crisis_open:
            return
        self.crisis_open = False
        android.keep_screen_on(self.state in ("listening", "thinking", "speaking"))

    def open_caregiver(self) -> None:
        self.root.current = "pin"

    def close_caregiver(self) -> None:
        self.root.current = "talk"
        self.sign_out_caregiver()
        if self.conversation is not None:
            self.conversation.refresh_face()  # the photo or mouth may have changed meanwhile

    def open_screen(self, name: str, **context) -> None:
        """Open one of the caregiver area's screens; ``context`` (e.g. persona_id) goes to its ``prepare``."""
        screen = self.root.get_screen(name)
        if hasattr(screen, "prepare"):
            screen.prepare(**context)
        self.root.current = name

    def sign_in_caregiver(self, email: str, password: str, on_done) -> None:
        """Log in with the family's caregiver account; ``on_done(ok, message)`` on the UI thread."""
        from client.api import ApiError
        from client.caregiver_api import CaregiverClient
        from client.worker import background

        if not self.server_url or not email.strip() or not password:
            on_done(False, self.t("sign_in_missing"))
            return

        def signed_in(client) -> None:
            self.caregiver = client
            on_done(True, self.t("signed_in_as", email=client.email))

        def failed(exc) -> None:
            reason = exc.message if isinstance(exc, ApiError) else self.t("err_offline")
            self.dispatch("on_caregiver_sign_in_failed", reason=reason)
            on_done(False, self.t("sign_in_failed", reason=reason))

        background(CaregiverClient.sign_in, self.server_url, email, password, on_result=signed_in, on_error=failed, name="sign-in")

    def sign_out_caregiver(self) -> None:
        from client.worker import background

        client, self.caregiver = self.caregiver, None
        if client is not None:
            background(client.sign_out, name="sign-out")

    # ------------------------------------------------------------------ the caregiver's actions
    def pair(self, server_url: str, code: str, on_done) -> None:
        from client.api import KeepsakeClient, normalize_url
        from client.worker import background

        url = normalize_url(server_url)
        if not url or not code.strip():
            on_done(False, self.t("not_paired"))
            return

        def work():
            client = KeepsakeClient(url)
            try:
                return client.pair(code.strip().upper(), name=f"Keepsake tablet {time.strftime('%Y-%m-%d')}")
            finally:
                client.close()

        def paired(device) -> None:
            self.store.set_token(device.device_token)
            self.store.update(server_url=url, device_id=device.device_id, household_id=device.household_id, persona_id="")
            self.server_url, self.paired, self.status = url, True, ""
            self.dispatch("on_paired", server=url)
            self.conversation.session_id = None
            self.conversation.connect()
            on_done(True, self.t("paired_with", server=url))

        def failed(exc) -> None:
            from client.api import ApiError

            reason = exc.message if isinstance(exc, ApiError) else self.t("err_offline")
            self.dispatch("on_pair_failed", reason=reason)
            on_done(False, self.t("pair_failed", reason=reason))

        background(work, on_result=paired, on_error=failed, name="pair")

    def unpair(self) -> None:
        self.conversation.interrupt()
        self.conversation.session_id = None
        self.store.forget_pairing()
        self.paired = False
        self.personas = []
        self.persona_name = ""
        self.portrait = PLACEHOLDER_PORTRAIT
        self.caption = self.heard = ""
        self.crisis_open = False
        self.state = states.next_state(self.state, "unpaired")
        self.dispatch("on_unpaired")

    def choose_persona(self, persona_id: str) -> None:
        if persona_id == self.store.settings.persona_id and self.conversation.session_id:
            return
        self.store.update(persona_id=persona_id)
        self.persona_id = persona_id
        self.conversation.interrupt()
        self.conversation.session_id = None
        self.caption = self.heard = ""
        self.conversation.connect()

    def set_caption_size(self, size: float) -> None:
        self.caption_size = int(min(max(size, CAPTION_MIN), CAPTION_MAX))
        self.store.update(caption_size=self.caption_size)

    def set_talk_mode(self, mode: str) -> None:
        self.talk_mode = mode
        self.store.update(talk_mode=mode)

    def set_language(self, language: str) -> None:
        self.language = language
        self.store.update(language=language)

    # ------------------------------------------------------------------ a picture, then exit (keepsake demo --screenshot)
    def _screenshot_when_started(self, _dt: float) -> None:
        """The picture shows the tablet as the relative sees it, not its start: while it is still
        connecting (a slow or busy server), look again every quarter second, for up to a minute;
        take it at the second look that finds it started, so what changed was drawn a frame since."""
        started = self.state != "starting"
        if (started and self._screenshot_seen_started) or time.monotonic() > self._screenshot_deadline:
            self._screenshot_and_exit(0)
            return
        self._screenshot_seen_started = started
        Clock.schedule_once(self._screenshot_when_started, 0.25)

    def _screenshot_and_exit(self, _dt: float) -> None:
        from client.screenshot import save_screenshot

        assert self._screenshot is not None  # scheduled in on_start only when a picture was asked for
        try:
            Logger.info(f"Keepsake: screenshot saved to {save_screenshot(self._screenshot)}")
        except Exception as exc:  # the caller asked only for a picture: report, exit non-zero
            Logger.error(f"Keepsake: screenshot failed: {exc!r}")
            self.exit_code = 1
        self.stop()
