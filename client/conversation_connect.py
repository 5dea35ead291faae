"""The conversation's connecting: find the persona and its portrait, open a session, say the
greeting; and when the server is away or busy, calm words and a retry. A part of
``Conversation`` (client/conversation.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kivy.clock import Clock
from kivy.logger import Logger

from client.answer import Answer
from client.api import ApiError, KeepsakeClient, Offline
from client.conversation_state import ConversationState
from client.happenings import announces
from client.worker import background

RETRY_FIRST_S, RETRY_MAX_S = 3.0, 30.0


class NoPersona(Exception):
    pass


class Connecting(announces("face_refreshed", "connected", "conversation_over", "retry_scheduled", "health"), ConversationState):  # type: ignore[misc]  # see announces
    """Opening the conversation, and coming back when the server was away (see Conversation)."""

    # ------------------------------------------------------------------ connecting
    def connect(self) -> None:
        """(Re)open the conversation: find the persona, its portrait, a new session, the greeting."""
        token = self.store.token()
        url = self.store.settings.server_url
        if not token or not url:
            self.app.enter_setup()
            return
        if self.client is None or self.client.base_url != url:
            self.client = KeepsakeClient(url, token)
        self.client.set_token(token)
        if self._connecting:
            return
        self._connecting = True
        self._go("connect")
        background(
            self._connect_work, self.store.settings.persona_id, on_result=self._connected, on_error=self._connect_failed, name="connect"
        )

    def _connect_work(self, wanted_id: str):
        client = self.client
        assert client is not None  # connect() made it before handing this work over
        me = None
        try:
            me = client.me()
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            Logger.info(f"Keepsake: the server does not describe this tablet ({exc})")  # an older server
        personas = client.personas()
        persona = next((p for p in personas if p.id == wanted_id), None) or next((p for p in personas if p.consent), None)
        if persona is None:
            raise NoPersona()
        try:
            portrait: Path | None = self._keep_portrait(persona.id, client.portrait(persona.id))
        except (ApiError, Offline, OSError) as exc:
            Logger.info(f"Keepsake: no new portrait ({exc})")
            portrait = self._kept_portrait(persona.id)  # the last one, or the placeholder
        if me is not None and me.declined and not self.outbox.items():
            # The relative asked the avatar to stop: no session, no greeting, until they tap.
            # (Words waiting in the outbox were said after a tap: those do open a session.)
            return personas, persona, portrait, None, me
        session = client.start_session(persona.id)
        return personas, persona, portrait, session, me

    def _portraits(self) -> Path:
        return Path(self.app.data_dir) / "portraits"

    def _kept_portrait(self, persona_id: str) -> Path | None:
        legacy = self._portraits() / f"{persona_id}.png"  # the name tablets used before
        return next(iter(sorted(self._portraits().glob(f"{persona_id}-*.png"))), legacy if legacy.exists() else None)

    def _keep_portrait(self, persona_id: str, data: bytes) -> Path:
        """Keep the photo under a name that follows its content: a new photo is a new path, so the
        face on screen reloads (Kivy caches an image by its path). Older photos of the persona go."""
        folder = self._portraits()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{persona_id}-{hashlib.sha256(data).hexdigest()[:16]}.png"
        if not path.exists():
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(path)
        for old in [*folder.glob(f"{persona_id}-*.png"), folder / f"{persona_id}.png"]:
            if old != path:
                old.unlink(missing_ok=True)
        return path

    def refresh_face(self) -> None:
        """Show the persona's photo and mouth as the family left them (a caregiver may have just
        changed them, here or on another device) now, not at the next conversation."""
        if self.client is None or self.persona is None:
            return
        client, persona_id = self.client, self.persona.id

        def work():
            personas = client.personas()
            persona = next((p for p in personas if p.id == persona_id), None)
            if persona is None:
                return None
            try:
                portrait = self._keep_portrait(persona.id, client.portrait(persona.id))
            except ApiError:
                portrait = None  # the photo was removed: the placeholder it is
            return personas, persona, portrait

        def refreshed(result) -> None:
            if result is None or self.persona is None or result[1].id != self.persona.id:
                return
            personas, persona, portrait = result
            self.persona = persona
            self.app.set_persona(persona, str(portrait) if portrait else "", personas)
            self.dispatch("on_face_refreshed", portrait=str(portrait or ""), mouth=list(self.app.mouth_point))

        background(
            work, on_result=refreshed, on_error=lambda exc: Logger.info(f"Keepsake: the face stays as it was ({exc})"), name="refresh-face"
        )

    def _connected(self, result) -> None:
        self._connecting = False
        personas, persona, portrait, session, me = result
        if me is not None:
            self.device = me
        self.persona = persona
        self.app.set_persona(persona, str(portrait) if portrait else "", personas)
        self._retry_delay = RETRY_FIRST_S
        self.app.status = ""
        if session is None:
            self.session_id = None
            self._conversation_over()
            self.dispatch("on_connected", session=None, persona=persona.display_name, declined=True)
            return
        self.session_id = session.id
        recent = [session.id] + [s for s in self.store.settings.recent_sessions if s != session.id]
        self.store.update(persona_id=persona.id, session_id=session.id, recent_sessions=recent[:10])
        self.dispatch("on_connected", session=session.id, persona=persona.display_name, ended=session.ended)
        if session.ended:
            # Quiet hours or the day's minutes are used up: a warm goodbye, then rest until a tap.
            if self.outbox.items():
                # The relative tapped and spoke: the words go now, not with the morning's talk. The
                # server hears crisis words at any hour (care, the crisis card, the caregivers alerted)
                # and answers anything else with a short goodnight that ends this session again.
                self.over = True
                self.session_id = self._closed_session = session.id
                self.send_next()
                return
            self.session_id = None
            self._conversation_over()
            if session.greeting and session.greeting.sentences:
                self.app.caption = session.greeting.text
                self._play_sentences(Answer("greeting"), session.greeting.sentences)
            elif session.greeting:
                self.app.caption = session.greeting.text
            return
        self.over = False
        self._go("connected")
        self.open_socket()
        if session.greeting and session.greeting.sentences and not self.outbox.items():
            self.app.caption = session.greeting.text
            self._play_sentences(Answer("greeting"), session.greeting.sentences)
        self.send_next()

    def _conversation_over(self) -> None:
        """Nothing more happens by itself: no retry, no new session, until the relative taps."""
        self.over = True
        if self._retry_event is not None:
            self._retry_event.cancel()
            self._retry_event = None
        self._retry_delay = RETRY_FIRST_S
        if not self.player.busy():
            self._go("over")
        self.dispatch("on_conversation_over")

    def _connect_failed(self, exc: BaseException) -> None:
        self._connecting = False
        Logger.warning(f"Keepsake: connecting failed: {exc!r}")
        if isinstance(exc, NoPersona):
            self.app.enter_setup("no_personas")
        elif isinstance(exc, ApiError) and exc.status in (401, 403):
            self.app.enter_setup("needs_setup_again")
        else:  # offline, busy, a server error, a conflict: calm words and try again later
            self.enter_resting(getattr(exc, "retry_after", None))

    # ------------------------------------------------------------------ the server is away, or busy
    def enter_resting(self, retry_after: float | None = None) -> None:
        """Calm words, the recording kept on disk, and a retry: after the server's Retry-After
        when it said it was busy, else after a delay that doubles up to half a minute."""
        self._go("away")
        self.app.status = self.app.t("resting", name=self.app.persona_name)
        if self.outbox.items():
            self.app.status += " " + self.app.t("resting_kept")
        if retry_after is not None:
            if self._retry_event is not None:
                self._retry_event.cancel()
            delay = max(1.0, retry_after)
            self._retry_event = Clock.schedule_once(self._retry, delay)
            self.dispatch("on_retry_scheduled", seconds=delay, busy=True)
        elif self._retry_event is None:
            self._retry_event = Clock.schedule_once(self._retry, self._retry_delay)
            self.dispatch("on_retry_scheduled", seconds=self._retry_delay, busy=False)
            self._retry_delay = min(self._retry_delay * 2, RETRY_MAX_S)

    def retry_now(self) -> None:
        if self._retry_event is not None:
            self._retry_event.cancel()
        self._retry(0)

    def _retry(self, _dt: float) -> None:
        self._retry_event = None
        if self.client is None:
            self.connect()
            return
        background(self.client.health, on_result=self._health_checked, name="health")

    def _health_checked(self, healthy: bool) -> None:
        self.dispatch("on_health", ok=healthy)
        if not healthy:
            if self.app.state == "resting":
                self.enter_resting()
            else:
                self._retry_event = Clock.schedule_once(self._retry, self._retry_delay)
            return
        self._retry_delay = RETRY_FIRST_S
        if self.app.state == "resting":
            self.app.status = ""
            self._go("back")
        if self.session_id is None:
            if self.over and not self.outbox.items():
                return  # the talk had ended: only the relative's tap starts another
            self.connect()
        else:
            self.send_next()
