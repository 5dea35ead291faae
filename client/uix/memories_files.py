"""The memories screen's files: a file chosen on the tablet is sent to the server, which answers
at once with a job; the job is watched by polling once a second from the Clock, one request at a
time, so a slow server never piles requests up nor freezes the screen.

A part of ``MemoriesScreen`` (client/uix/memories.py), as the studio's steps are of its screen.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, ClockEvent, mainthread
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.utils import platform

from shared.api import ImportStarted, JobOut
from client.caregiver_words import progress_text
from client.happenings import announces
from client.uix.studio_forms import server_words
from client.worker import background

POLL_S = 1.0
IMPORT_KINDS = ("auto", "memoir", "letters", "chat", "voice_memo")


def reason_words(app, exc) -> str:
    """What went wrong, in the server's own plain sentence when it gave one."""
    message = getattr(exc, "message", "")
    return server_words(exc.code, message, app.t) if message and hasattr(exc, "code") else message or app.t("err_offline")


class FilePart(announces("file_chooser", "file_chosen", "import_started", "import_failed", "import_progress", "import_finished")):  # type: ignore[misc]  # see announces
    import_kind = StringProperty("auto")
    import_message = StringProperty("")
    import_percent = NumericProperty(0)
    import_active = BooleanProperty(False)
    chooser_message = StringProperty("")

    # what this part keeps, set up in MemoriesScreen.__init__
    _job: dict[str, str] | None  # the import being watched: its job's id, the file's name, the persona's id
    _poll: ClockEvent | None
    _polling: bool  # a request for the job is out

    # ------------------------------------------------------------------ add: a file
    def choose_file(self) -> None:
        """The platform's own picker where plyer has one (Android, Windows, macOS); Kivy's list elsewhere."""
        app = App.get_running_app()
        if platform in ("android", "win", "macosx"):
            try:
                from plyer import filechooser

                filechooser.open_file(on_selection=self._picked, title=app.t("chooser_title"))
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
        self.dispatch("on_file_chooser", folder=chooser.path, files=sorted(Path(p).name for p in chooser.files if p))

    def chooser_selected(self, selection: list) -> None:
        if selection:
            self.ids.chooser_path.text = (
                Path(selection[0]).name if Path(selection[0]).parent == Path(self.ids.chooser.path) else selection[0]
            )

    @mainthread  # the system's file picker answers from its own thread
    def _picked(self, paths) -> None:
        if paths:
            self.import_file(Path(paths[0]), kind=None if self.import_kind == "auto" else self.import_kind)

    def chooser_accept(self) -> None:
        app = App.get_running_app()
        typed = self.ids.chooser_path.text.strip()
        if not typed:
            self.chooser_message = app.t("chooser_nothing")
            self.dispatch("on_file_chosen", path="", found=False)
            return
        path = Path(typed).expanduser()
        if not path.is_absolute():
            path = Path(self.ids.chooser.path) / path
        if not path.is_file():
            self.chooser_message = app.t("chooser_missing", file=typed)
            self.dispatch("on_file_chosen", path=str(path), found=False)
            return
        self.dispatch("on_file_chosen", path=str(path), found=True)
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

        def send() -> ImportStarted:
            try:
                return client.upload_source(persona_id, path, kind=kind, filename=shown_name)
            finally:
                if remove_after:
                    path.unlink(missing_ok=True)

        def started(answer: ImportStarted) -> None:
            self._job = {"id": answer.job_id, "file": shown_name, "persona_id": persona_id}
            self.dispatch("on_import_started", job_id=answer.job_id, source_kind=answer.kind, file=shown_name)
            self._start_polling()

        def failed(exc) -> None:
            self.import_active = False
            self.import_message = app.t("import_failed", file=shown_name, reason=reason_words(app, exc))
            self.dispatch("on_import_failed", file=shown_name, reason=self.import_message)

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

        def got(state: JobOut) -> None:
            self._polling = False
            if self._job is not job:
                return
            self.import_percent = float(state.percent or 0)
            self.import_message = progress_text(state, app.language, job["file"])
            self.dispatch(
                "on_import_progress",
                job_id=job["id"],
                state=state.state,
                percent=state.percent,
                stage=state.stage,
                counts=state.counts,
                text=self.import_message,
            )
            if state.state in ("done", "failed"):
                self._stop_polling()
                self.import_percent = 100 if state.state == "done" else self.import_percent
                self.dispatch("on_import_finished", job_id=job["id"], state=state.state, counts=state.counts, errors=state.errors)
                if state.state == "done" and job["persona_id"] == self.persona_id:
                    self.load_page()

        def failed(exc) -> None:
            self._polling = False  # offline for a moment: the next tick asks again
            self.import_message = app.t("import_running", file=job["file"], stage=reason_words(app, exc), percent=int(self.import_percent))

        background(client.job, job["id"], on_result=got, on_error=failed, name="job-poll")
