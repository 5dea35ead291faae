"""The studio's step 3: the portrait from a photo, the face found on it (eyes and mouth dragged
into place when they are wrong, or marked by hand when no face was found), the mouth's width, a look
at it talking.

A mixin of ``StudioScreen`` (client/uix/studio.py), which brings ``_call``,
``_client``, ``t``, ``message`` and the persona; the kv is in kv/studio.kv.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty

from shared.api import JobOut
from client.happenings import announces
from client.uix.mouth_picker import MouthPicker  # noqa: F401  studio.kv uses it
from client.uix.portrait import Portrait  # noqa: F401  studio.kv uses it (the talking face, small)
from client.uix.studio_forms import IMAGE_EXTENSIONS, IMPORT_FAILED, StudioProblem, image_suffix, job_error, job_finished, plain_error
from client.uix.studio_picker import pick_native
from client.worker import background, on_ui

JOB_POLL_S = 0.5
JOB_DEADLINE_S = 300  # a photo imports in seconds; past this, something is wrong at the server
PREVIEW_S = 3.0
MOUTH_WIDTH_RANGE = (0.04, 0.4)  # of the picture's width: a face far away to a close-up


class PortraitStep(announces("studio_portrait", "studio_mouth", "studio_face", "studio_preview")):  # type: ignore[misc]  # see announces
    portrait_path = StringProperty("")  # the portrait as the server keeps it, downloaded
    mouth_point = ListProperty([0.5, 0.6, 0.18])  # x, y, width: fractions of the picture from its top-left
    eyes = ListProperty([])  # [left x, left y, right x, right y], fractions, once there is a portrait
    face_points = ListProperty([])  # the points the face model placed, drawn over the photo
    preview_face = ObjectProperty(None, allownone=True)  # the persona's face as the small talking face uses it
    portrait_note = StringProperty("")
    import_percent = NumericProperty(0)
    importing = BooleanProperty(False)
    previewing = BooleanProperty(False)  # the small face is moving its mouth, as it will when talking
    preview_mouth = NumericProperty(0)

    _mouth_sending = False  # one mouth request at a time ...
    _mouth_dirty = False  # ... and the latest point goes next
    _width_trigger = None
    _face_marked = False  # the eyes are the persona's (found, or placed by the caregiver): save them with the mouth

    def reset_portrait(self) -> None:
        self.portrait_path, self.portrait_note, self.import_percent = "", "", 0
        self.mouth_point = [0.5, 0.6, 0.18]
        self.eyes, self.face_points, self._face_marked, self.preview_face = [], [], False, None
        self.importing = self.previewing = False

    def choose_photo(self) -> None:
        if not pick_native(IMAGE_EXTENSIONS, self.import_photo):
            self.open_picker("picker_photo", IMAGE_EXTENSIONS, self.import_photo)

    def import_photo(self, path: Path) -> None:
        """Upload the photo as a source; the server finds face and mouth; it becomes the portrait."""
        persona_id, generation = self.persona_id, self._generation
        self.importing, self.import_percent = True, 0
        self.portrait_note = self.t("portrait_sending")
        self.message = ""

        def progress(job: JobOut) -> None:
            if generation == self._generation and self.importing:
                self.import_percent = float(job.percent or 0)
                self.portrait_note = self.t("portrait_working", percent=round(self.import_percent))

        def work():
            client = self._client()
            started = client.upload_source(persona_id, path, kind="photo")
            deadline = time.monotonic() + JOB_DEADLINE_S
            while True:
                job = client.job(started.job_id)
                on_ui(progress, job)
                if job_finished(job):
                    break
                if time.monotonic() > deadline or generation != self._generation:
                    raise StudioProblem(IMPORT_FAILED)
                time.sleep(JOB_POLL_S)
            if job.state == "failed":
                raise StudioProblem(job_error(job))
            persona = client.use_photo_as_portrait(persona_id, started.source_id)
            return persona, self._download_portrait(client, persona), int(job.counts.get("faces", 0))

        def imported(result) -> None:
            persona, portrait, faces = result
            self.importing, self.import_percent = False, 100
            self._set_persona(persona)
            self._show_portrait(persona, portrait, faces)
            self.dispatch("on_studio_portrait", persona_id=persona_id, faces=faces, mouth=list(self.mouth_point), eyes=list(self.eyes))

        def failed() -> None:  # the portrait stays as it was, and the note says so again
            self.import_percent = 0
            self._show_portrait(self.persona, self.portrait_path, faces=None)

        self._call(work, on_result=imported, name="studio-photo", on_error=failed)

    def _download_portrait(self, client, persona) -> str:
        """Runs on a worker: the portrait as the server keeps it, in a new file (Kivy caches by name)."""
        data = client.portrait(persona.id)
        folder = Path(App.get_running_app().data_dir) / "studio"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"portrait-{persona.id}-*"):
            old.unlink(missing_ok=True)
        path = folder / f"portrait-{persona.id}-{int(time.time() * 1000)}{image_suffix(data)}"
        path.write_bytes(data)
        return str(path)

    def _show_portrait(self, persona, portrait: str, faces: int | None) -> None:
        self.portrait_path = portrait
        face = getattr(persona, "face", None) if persona is not None else None
        self.preview_face = face.model_dump() if face is not None else None
        if face is not None:
            self.mouth_point = [face.mouth.x, face.mouth.y, face.mouth.width]
            self.eyes = [face.left_eye.x, face.left_eye.y, face.right_eye.x, face.right_eye.y]
            self.face_points = [tuple(p) for p in face.points]
            self._face_marked = True
            if faces is None and face.source != "caregiver":
                faces = face.faces_found
        else:
            if persona is not None and persona.mouth is not None:
                self.mouth_point = [persona.mouth.x, persona.mouth.y, persona.mouth.width]
            self.eyes, self.face_points, self._face_marked = guessed_eyes(self.mouth_point), [], False
        if not portrait:
            self.portrait_note = self.t("portrait_none")
        elif faces == 0:
            self.portrait_note = self.t("face_none")
        elif faces and faces > 1:
            self.portrait_note = self.t("face_many", count=faces)
        elif faces:
            self.portrait_note = self.t("face_found")
        else:
            self.portrait_note = self.t("face_drag_hint")

    def move_mouth(self, x: float, y: float) -> None:
        """The caregiver tapped or dragged the mouth on the photo: save it there, keeping the width."""
        self.mouth_point = [x, y, self.mouth_point[2]]
        self._queue_mouth()

    def move_eye(self, side: str, x: float, y: float) -> None:
        """The caregiver dragged an eye's ring: the eyes and the mouth are saved together, as theirs."""
        eyes = list(self.eyes) if len(self.eyes) == 4 else guessed_eyes(self.mouth_point)
        i = 0 if side == "left" else 2
        eyes[i : i + 2] = [x, y]
        self.eyes = eyes
        self._face_marked = True
        self._queue_mouth()

    def mouth_width_changed(self, width: float) -> None:
        """The width slider moved: the ring follows at once; it is saved once the finger has rested a moment."""
        width = round(min(MOUTH_WIDTH_RANGE[1], max(MOUTH_WIDTH_RANGE[0], width)), 3)
        if abs(width - self.mouth_point[2]) < 0.001:
            return
        self.mouth_point = [self.mouth_point[0], self.mouth_point[1], width]
        if self._width_trigger is None:
            self._width_trigger = Clock.create_trigger(lambda _dt: self._queue_mouth(), 0.6)
        self._width_trigger()

    def _queue_mouth(self) -> None:
        """Save the mouth point; changes in quick succession send only the last one, one request at a time."""
        if not self.persona_id or not self.portrait_path:
            return
        self._mouth_dirty = True
        self.portrait_note = self.t("face_saving" if self._face_marked else "mouth_saving")
        if not self._mouth_sending:
            self._send_mouth()

    def _send_mouth(self) -> None:
        if not self._mouth_dirty:
            self._mouth_sending = False
            return
        self._mouth_dirty, self._mouth_sending = False, True
        persona_id, generation = self.persona_id, self._generation
        x, y, width = self.mouth_point
        eyes = list(self.eyes) if self._face_marked and len(self.eyes) == 4 else None

        def sent(persona) -> None:
            self._mouth_sending = False
            if generation != self._generation:
                return
            self.persona = persona
            if self._mouth_dirty:
                self._send_mouth()
                return
            self.portrait_note = self.t("face_saved" if eyes else "mouth_saved")
            mouth = persona.mouth
            self.dispatch("on_studio_mouth", persona_id=persona_id, x=mouth.x, y=mouth.y, width=mouth.width)
            if eyes and persona.face is not None:
                self.preview_face = persona.face.model_dump()
                self.face_points = []  # moved by hand: the model's points no longer agree, the server dropped them
                face = persona.face
                self.dispatch(
                    "on_studio_face",
                    persona_id=persona_id,
                    source=face.source,
                    left_eye=[face.left_eye.x, face.left_eye.y],
                    right_eye=[face.right_eye.x, face.right_eye.y],
                )

        def failed(exc) -> None:
            self._mouth_sending = False
            if generation == self._generation:
                self.portrait_note = ""
                self.message = self.t("studio_failed", reason=plain_error(exc, App.get_running_app().t))

        def save():
            if eyes:  # the persona's face: the server keeps the mouth in step with it for older tablets
                return self._client().set_face(persona_id, eyes, (x, y, width))
            return self._client().set_mouth(persona_id, x, y, width)

        background(save, on_result=sent, on_error=failed, name="studio-mouth")

    def try_mouth(self) -> None:
        """Open and close the mouth for a few seconds, like speech: the caregiver sees whether the point is right."""
        if self.previewing or not self.portrait_path:
            return
        self.previewing = True
        started = time.monotonic()

        def step(_dt) -> bool:
            t = time.monotonic() - started
            if t >= PREVIEW_S or not self.previewing:
                self.preview_mouth, self.previewing = 0, False
                return False
            # syllables about five a second, louder and softer words: near enough to speech to judge by
            self.preview_mouth = max(0.0, math.sin(t * 2 * math.pi * 2.6)) * (0.55 + 0.45 * abs(math.sin(t * 1.7)))
            return True

        Clock.schedule_interval(step, 1 / 25)
        self.dispatch("on_studio_preview", persona_id=self.persona_id)


def guessed_eyes(mouth_point) -> list[float]:
    """Where the eyes usually are, from the mouth: rings for the caregiver to drag onto the real ones."""
    x, y, width = mouth_point
    return [
        round(max(0.0, x - 0.64 * width), 4),
        round(max(0.0, y - 1.15 * width), 4),
        round(min(1.0, x + 0.64 * width), 4),
        round(max(0.0, y - 1.15 * width), 4),
    ]
