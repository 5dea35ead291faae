"""The conversation's turns: send the relative's words (streamed while they speak, or from the
outbox), play the answer as it streams in, and decide what happens when a turn fails. A part
of ``Conversation`` (client/conversation.py); the stream is read on worker threads and its
news comes back through the ``@mainthread`` handlers.
"""

from __future__ import annotations

from kivy.clock import mainthread
from kivy.logger import Logger

from shared.api import NoticeEvent, SentenceEvent
from client.answer import Answer, LiveTurn
from client.api import ApiError, Offline
from client.audio import decode_audio
from client.conversation_connect import RETRY_FIRST_S
from client.conversation_state import ConversationState
from client.face_video import fetch_clip
from client.happenings import announces
from client.live_upload import UploadAborted
from client.outbox import Pending
from client.player import Segment
from client.worker import background


class Sending(announces("transcript", "sentence", "notice", "done", "turn_outcome", "live_turn_outcome"), ConversationState):  # type: ignore[misc]  # see announces
    """Sending turns and hearing their answers (see Conversation for the state it shares)."""

    # ------------------------------------------------------------------ sending turns
    def send_next(self) -> None:
        if self._sending or self.session_id is None or self.client is None or self.app.state == "listening":
            return
        items = self.outbox.items()
        if not items:
            return
        answer = Answer("reply")
        self.answer = answer
        self._sending = True
        self._go("send")
        background(
            self._send_work,
            items[0],
            answer,
            self.session_id,
            on_result=lambda result: self._sent(*result),
            on_error=self._send_crashed,
            name="turn",
        )

    def _send_work(self, item: Pending, answer: Answer, session_id: str) -> tuple[str, float | None]:
        client = self.client
        assert client is not None  # send_next sends only with a client
        return self._turn_work(
            answer, lambda: item, lambda: client.turn(session_id, audio=item.audio, mime=item.mime, idempotency_key=item.key)
        )

    def _live_send_work(self, live: LiveTurn, session_id: str) -> tuple[str, float | None]:
        client = self.client
        assert client is not None  # a live turn starts only with a client
        try:
            return self._turn_work(
                live.answer,
                lambda: live.item,
                lambda: client.turn(session_id, body=live.upload.chunks(), idempotency_key=live.key),
                live,
            )
        except UploadAborted:
            return "aborted", None

    def _turn_work(self, answer: Answer, outbox_item, open_turn, live: LiveTurn | None = None) -> tuple[str, float | None]:
        """Send a turn and play its answer as it streams in. ``outbox_item()`` is the recording in the
        outbox (None while a live turn is still being recorded); it leaves once the server has the words
        (a live turn's recording that reaches the outbox only after that leaves at once: ``LiveTurn.keep``)."""
        acknowledged = False

        def acknowledge() -> None:
            nonlocal acknowledged
            if not acknowledged:  # the server has the words now: the outbox may let go
                acknowledged = True
                item = live.server_has_words() if live is not None else outbox_item()
                if item is not None:
                    self.outbox.remove(item)

        try:
            with open_turn() as events:
                for event in events:
                    if event.type == "transcript":
                        acknowledge()
                        self._on_transcript(answer, event.text)
                    elif event.type == "sentence":
                        acknowledge()
                        if not answer.cancelled:
                            self._on_segment(answer, self._fetch_segment(event, answer))
                    elif event.type == "notice":
                        self._on_notice(answer, event)
                    elif event.type == "done":
                        acknowledge()
                        answer.turn_id = event.turn_id
                        self._on_done(answer, event.ended, event.timings_ms)
            return "ok", None
        except Offline as exc:
            # away, failing, or busy (503 with Retry-After): the recording stays in the outbox
            Logger.info(f"Keepsake: turn failed, server away or busy: {exc}")
            return ("broken" if acknowledged else "offline"), exc.retry_after
        except ApiError as exc:
            Logger.warning(f"Keepsake: turn refused: {exc}")
            if exc.status in (401, 403):
                return "unauthorized", None
            if not acknowledged and (exc.status == 404 or (exc.status == 409 and exc.code == "session_ended")):
                return "session_gone", None  # a new session takes the same words
            item = outbox_item()
            if not acknowledged and item is not None:
                self.outbox.remove(item)  # the server will never take this one: do not retry it forever
            return "rejected", None

    def _fetch_segment(self, event: SentenceEvent, answer: Answer) -> Segment:
        """The sentence's audio, decoded; a silent stand-in of the right length if it cannot be had."""
        import numpy as np

        assert self.client is not None  # a sentence arrives only on a turn the client sent
        try:
            data, mime = self.client.media(event.audio_url)
            samples, rate = decode_audio(data, event.audio_mime or mime)
            mouth = event.mouth.values
        except (ApiError, Offline, ValueError, OSError) as exc:
            Logger.warning(f"Keepsake: sentence {event.index} audio unavailable: {exc}")
            rate, samples, mouth = 16_000, np.zeros(int(16 * max(event.duration_ms, 1500)), np.float32), []
        video = fetch_clip(self.client, event.video_url, f"sentence {event.index}")
        return Segment.make(
            samples,
            rate,
            mouth,
            event.mouth.fps,
            event.text,
            event.index,
            answer,
            original=event.original,
            visemes=event.visemes,
            video=video,
        )

    @mainthread  # the turn's stream is read on a worker thread
    def _on_transcript(self, answer: Answer, text: str) -> None:
        self.app.pending_count = len(self.outbox)
        if answer is self.answer:
            self.app.heard = text
        self.dispatch("on_transcript", text=text)

    @mainthread
    def _on_segment(self, answer: Answer, segment: Segment) -> None:
        if answer is not self.answer or answer.cancelled:
            return
        answer.segments.append(segment)
        self.last_answer = answer
        self.app.can_say_again = True
        self.player.enqueue(segment)
        self.dispatch("on_sentence", index=segment.index, text=segment.text, seconds=round(segment.duration_s, 2))

    @mainthread
    def _on_notice(self, answer: Answer, event: NoticeEvent) -> None:
        self.dispatch("on_notice", code=event.code, message=event.message, data=event.data)
        if event.code == "crisis":
            # whom to call: what the server says now, else what it said when we connected
            self.app.show_crisis(event.data or {}, self.device)
        elif event.code == "relative_declined" and self.device is not None:
            self.device.declined = True

    @mainthread
    def _on_done(self, answer: Answer, ended: bool, timings: dict) -> None:
        answer.done = True
        self.dispatch("on_done", turn_id=answer.turn_id, timings=timings, ended=ended)
        if answer.cancelled:
            self._report_playback(answer)
        if ended:  # goodbye, a limit, quiet hours, or "stop": the next tap starts a new session
            self.session_id = None
            self.over = True

    def _sent(self, outcome: str, retry_after: float | None = None) -> None:
        self._sending = False
        self.app.pending_count = len(self.outbox)
        self.dispatch("on_turn_outcome", outcome=outcome, outbox=len(self.outbox), retry_after=retry_after)
        if outcome == "ok":
            self._retry_delay = RETRY_FIRST_S
            if self.session_id is not None:
                self.send_next()
            elif self.outbox.items():
                self.connect()  # the relative spoke again while the goodbye played: those words open a new talk
            else:
                self._conversation_over()
            if not self._sending and not self.player.busy() and self.answer_finished():
                self._go("answered")  # the answer ended with nothing left to play
        elif outcome in ("offline", "broken"):
            if self.app.state != "listening":
                self.enter_resting(retry_after)
        elif outcome == "session_gone":
            closed = self.session_id is not None and self.session_id == self._closed_session
            self.session_id = None
            if closed:  # the server would not take words after hours: they wait for the next talk
                self._conversation_over()
            else:
                self.connect()
        elif outcome == "unauthorized":
            self.app.enter_setup("needs_setup_again")
        elif self.app.state != "listening":  # rejected: the server could not use the recording
            self.app.status = self.app.t("not_heard")
            self._go("rejected")

    def answer_finished(self) -> bool:
        answer = self.answer
        return answer is None or answer.done or answer.cancelled

    def _live_sent(self, live: LiveTurn, outcome: str, retry_after: float | None = None) -> None:
        if self._live is live:  # it failed while the relative was still speaking:
            self._live = None  # the recording goes the ordinary way when they are done
        self.dispatch("on_live_turn_outcome", outcome=outcome)
        if outcome == "aborted":
            self._sending = False
            return
        self._sent(outcome, retry_after)
        if outcome == "ok" and live.socket is not None:
            self.overhear(live)  # while the answer plays, the relative may speak over it

    def _live_crashed(self, live: LiveTurn, exc: BaseException) -> None:
        Logger.exception(f"Keepsake: live turn crashed: {exc!r}")
        self._live_sent(live, "offline")

    def _send_crashed(self, exc: BaseException) -> None:
        Logger.exception(f"Keepsake: turn crashed: {exc!r}")
        self._sent("offline")
