"""The face's parts that need no window: lip shapes per viseme, where the face's parts are, how the
mesh follows them, and talking-head clips decoded in step with the audio."""

from __future__ import annotations

import numpy as np
import pytest

from client.face_shapes import SHAPES, VISEMES, face_geometry, face_mesh, lip_target, motion_weights, viseme_at
from client.player import Position, Segment

# the astronaut's face as the server finds it (docs/face.md), without the mesh: eyes, mouth, chin
ASTRONAUT = {
    "left_eye": {"x": 0.397, "y": 0.198},
    "right_eye": {"x": 0.481, "y": 0.202},
    "mouth": {"x": 0.436, "y": 0.285, "width": 0.093},
    "chin": {"x": 0.433, "y": 0.340},
    "points": [],
}


def _screen(size: float = 1000.0):
    return lambda fx, fy: (np.asarray(fx) * size, size - np.asarray(fy) * size)


def test_every_oculus_viseme_has_a_lip_shape():
    assert set(VISEMES) == set(SHAPES) and len(VISEMES) == 15


def test_the_viseme_sounding_is_the_last_one_started():
    track = [[0, "sil"], [120, "PP"], [200, "aa"], [420, "U"]]
    assert viseme_at(track, -5) == "sil"
    assert viseme_at(track, 119) == "sil"
    assert viseme_at(track, 120) == "PP"
    assert viseme_at(track, 300) == "aa"
    assert viseme_at(track, 5000) == "U"
    assert viseme_at([[50, "PP"]], 10) == "sil"  # before the first: at rest


@pytest.mark.parametrize("track", [None, [], [["x", "aa"]], [[0, "schwa"]], [[0]], "aa", [5]])
def test_a_malformed_viseme_track_means_rest_never_an_error(track):
    assert viseme_at(track, 100) == "sil"


def test_lips_shut_on_p_b_m_however_loud_the_voice():
    jaw, part, _ = lip_target("PP", 1.0)
    assert part == 0.0 and jaw < 0.06
    assert lip_target("aa", 1.0)[1] > 0.9


def test_o_and_u_are_round_e_and_i_spread_and_a_opens_widest():
    rest_width = lip_target("sil", 0.0)[2]
    assert lip_target("U", 0.7)[2] < lip_target("O", 0.7)[2] < rest_width
    assert lip_target("E", 0.7)[2] > rest_width and lip_target("I", 0.7)[2] > rest_width
    assert lip_target("aa", 0.7)[0] > lip_target("O", 0.7)[0] > lip_target("U", 0.7)[0] > lip_target("PP", 0.7)[0]


def test_a_louder_voice_opens_the_same_shape_further():
    assert lip_target("aa", 0.9)[0] > lip_target("aa", 0.3)[0] > 0


def test_without_visemes_the_loudness_alone_opens_the_mouth_as_before():
    assert lip_target(None, 0.4) == (0.4, 0.4, 1.0)
    assert lip_target(None, 0.0) == (0.0, 0.0, 1.0)


def test_the_face_s_parts_are_placed_from_the_landmarks():
    geo = face_geometry(ASTRONAUT, [0.5, 0.6, 0.2], _screen())
    assert geo.mouth == pytest.approx((436, 715))
    assert geo.mouth_width == pytest.approx(93)
    (lx, ly, *_), (rx, ry, *_) = geo.eyes
    assert (lx, ly) == pytest.approx((397, 802)) and (rx, ry) == pytest.approx((481, 798))
    assert min(geo.jaw_ys) == pytest.approx(660)  # the jaw line goes through the chin the caregiver placed


def test_older_servers_face_is_placed_from_the_mouth_point():
    geo = face_geometry(None, [0.5, 0.6, 0.2], _screen())
    (lx, ly, *_), (rx, ry, *_) = geo.eyes
    assert lx < 500 < rx and ly > 400 and ry > 400  # both eyes above the mouth, one each side
    assert min(geo.jaw_ys) < 400  # the chin below it


def test_the_mesh_follows_the_jaw_below_the_lips_and_the_lids_over_the_eyes():
    geo = face_geometry(ASTRONAUT, [0.5, 0.6, 0.2], _screen())
    mx, my = geo.mouth
    names = ["chin", "lower lip", "upper lip", "nose", "forehead", "left eye", "cheek beside the eye", "far away"]
    xs = np.array([mx, mx, mx, mx, mx, 397, 397 - 60, 50])
    ys = np.array([665, my - 12, my + 6, my + 60, 900, 810, 802, 50])
    w = motion_weights(geo, xs, ys)
    jaw, lid = dict(zip(names, w.jaw)), dict(zip(names, w.lids.offsets(1.0)))
    assert jaw["chin"] > 0.95 and jaw["lower lip"] > 0.95  # they drop with the jaw
    assert jaw["upper lip"] == 0 and jaw["nose"] == 0 and jaw["forehead"] == 0
    assert lid["left eye"] < -5  # the upper half of the eye goes down with the lid
    assert lid["cheek beside the eye"] == 0 and lid["far away"] == 0 and jaw["far away"] == 0


# ------------------------------------------------------------------------------------ eyelids
def _painted_eyes(size: int = 1000):
    """A picture like the test suite's drawn face: skin, brows, and eyes painted larger than the
    landmarks say (the Face Mesh model finds a drawn eye's lids inside it), with ``look`` for it."""
    skin, white, brow = (226, 184, 152), (250, 248, 244), (80, 55, 40)
    picture = np.zeros((size, size, 3), np.uint8)
    picture[:] = skin
    yy, xx = np.mgrid[0:size, 0:size]
    for ex, ey in ((397, 198), (481, 202)):
        inside = ((xx - ex) / 30) ** 2 + ((yy - ey) / 11) ** 2 <= 1  # the landmarks' eye is about 26 by 9
        picture[inside] = white
        picture[(np.abs(xx - ex) < 12) & inside] = (80, 60, 40)  # the iris
        picture[(np.abs(xx - ex) < 35) & (np.abs(yy - (ey - 32)) < 4)] = brow
    screen = _screen(size)

    def look(x, y):
        ix = np.clip(np.asarray(x).astype(int), 0, size - 1)
        iy = np.clip((size - np.asarray(y)).astype(int), 0, size - 1)
        return picture[iy, ix]

    return picture, screen, look


def _blink_mesh():
    picture, screen, look = _painted_eyes()
    geo = face_geometry(ASTRONAUT, [0.5, 0.6, 0.2], screen, look)
    x, y, triangles = face_mesh(geo, 1000, 1000)
    return picture, geo, x, y, triangles, motion_weights(geo, x, y).lids


def test_shut_the_lids_cover_all_of_the_painted_eye():
    _picture, geo, x, y, _triangles, lids = _blink_mesh()
    shut = y + lids.offsets(1.0)
    # every point of the mesh on the painted eye (short of its very edge) has gone to where the lids meet
    on_eye = np.zeros(len(x), bool)
    for ex, ey in ((397, 198), (481, 202)):
        on_eye |= ((x - ex) / 30) ** 2 + ((1000 - y - ey) / 11) ** 2 < 0.97
    assert on_eye.sum() > 40
    meets = np.concatenate([lid.lines(x[on_eye])[2][None] for lid in geo.lids]).T
    nearest = meets[np.arange(on_eye.sum()), np.argmin(np.abs(meets - shut[on_eye][:, None]), axis=1)]
    assert np.abs(shut[on_eye] - nearest).max() < 1e-6
    # and the eye's painted outline is inside the lids' outline (nothing left beside the closed lid)
    for lid in geo.lids:
        assert lid.xs[-1] - lid.xs[0] >= 60 and lid.height >= 20


def test_the_brows_and_all_beyond_the_eyes_stay_still_as_the_lids_close():
    _picture, geo, x, y, _triangles, lids = _blink_mesh()
    near = np.zeros(len(x), bool)
    for lid in geo.lids:
        bottom, _low, _meet, _up, top = lid.lines(lid.xs)
        near |= (x > lid.xs[0]) & (x < lid.xs[-1]) & (y > bottom.min() - 1) & (y < top.max() + 1)
    brows = (y > 828) & (y < 840)
    assert brows.any() and not (near & brows).any()  # the brows (32 px above the eyes) are beyond the skin that moves
    for t in (0.3, 0.6, 1.0):
        assert np.abs(lids.offsets(t)[~near]).max() < 1.0


@pytest.mark.parametrize("t", [0.2, 0.5, 0.8, 1.0])
def test_no_triangle_turns_over_as_the_lids_close(t):
    _picture, _geo, x, y, triangles, lids = _blink_mesh()

    def areas(ys):
        a, b, c = (triangles.reshape(-1, 3)[:, i] for i in range(3))
        return (x[b] - x[a]) * (ys[c] - ys[a]) - (x[c] - x[a]) * (ys[b] - ys[a])

    before, after = areas(y), areas(y + lids.offsets(t))
    assert (before > 0).all()  # all turning the same way, none flat, before the blink
    assert (after >= -1e-6).all()  # squeezed flat where the eye folds away, never turned over


def test_without_a_picture_the_lids_close_over_the_landmarks_grown():
    geo = face_geometry(ASTRONAUT, [0.5, 0.6, 0.2], _screen())
    x, y, _triangles = face_mesh(geo, 1000, 1000)
    lids = motion_weights(geo, x, y).lids
    shut = y + lids.offsets(1.0)
    for (ex, ey, rx, ry), lid in zip(geo.eyes, geo.lids):
        eye = (np.abs(x - ex) < rx) & (np.abs(y - ey) < 0.8 * ry)
        assert eye.sum() > 10
        assert np.abs(shut[eye] - lid.lines(x[eye])[2]).max() < 1e-6


def test_the_lips_open_into_an_oval_the_corners_stay_together():
    geo = face_geometry(ASTRONAUT, [0.5, 0.6, 0.2], _screen())
    mx, my = geo.mouth
    below = np.array([my - 5, my - 5])
    jaw = motion_weights(geo, np.array([mx, mx + 0.48 * geo.mouth_width]), below).jaw
    assert jaw[0] > 0.9 and jaw[1] < 0.5


def test_the_face_shows_the_viseme_playing_at_the_audio_s_position():
    segment = Segment.make(
        np.zeros(22_050, np.float32),
        22_050,
        [0.5] * 25,
        25,
        "Mama",
        0,
        visemes=[[0, "sil"], [100, "PP"], [180, "aa"], [420, "PP"], [500, "aa"]],
    )
    assert [Position(segment, s).viseme for s in (0.05, 0.15, 0.3, 0.45, 0.6)] == ["sil", "PP", "aa", "PP", "aa"]
    older = Segment.make(np.zeros(22_050, np.float32), 22_050, [0.5] * 25, 25, "Mama", 0)
    assert Position(older, 0.3).viseme == "" and Position(None).viseme == ""


# ------------------------------------------------------------------------------------ video
def test_a_clip_s_frames_are_picked_by_the_audio_s_position():
    from client.face_video import VideoClip
    from tests.client.videos import colour_index, make_mp4

    clip = VideoClip(make_mp4(seconds=1.0), "sentence 0")
    assert clip.frames == 25 and clip.size == (256, 320)
    shown = [colour_index(clip.frame_at(t)) for t in (0.05, 0.25, 0.45, 0.65, 0.85)]
    assert shown == [0, 1, 2, 3, 4]
    assert colour_index(clip.frame_at(0.1)) == 0  # "say that again": from the start once more
    assert clip.frame_at(3.0) is None  # long after its end: the portrait takes over


def test_a_big_clip_is_scaled_down_to_what_the_screen_needs():
    from client.face_video import MAX_SIDE, VideoClip
    from tests.client.videos import make_mp4

    clip = VideoClip(make_mp4(seconds=0.2, size=(1280, 1440)), "big")
    assert max(clip.size) <= MAX_SIDE and clip.frame_at(0.0).shape == (clip.size[1], clip.size[0], 3)


@pytest.mark.parametrize("data", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + bytes(5000)])
def test_bytes_that_do_not_decode_are_refused(data):
    from client.face_video import VideoClip

    with pytest.raises(ValueError):
        VideoClip(data, "broken")


def test_a_clip_cut_short_is_refused_or_played_as_far_as_it_goes():
    from client.face_video import VideoClip
    from tests.client.videos import make_mp4

    data = make_mp4(seconds=1.0)
    try:
        clip = VideoClip(data[: len(data) // 2], "cut")
    except ValueError:
        return
    assert clip.frame_at(0.0) is not None


class _Media:
    def __init__(self, data=None, error=None):
        self.data, self.error = data, error

    def media(self, url):
        if self.error:
            raise self.error
        return self.data, "video/mp4"


def test_a_clip_that_cannot_be_had_leaves_the_portrait_and_a_line_in_the_log(monkeypatch):
    from client import face_video
    from client.face_video import fetch_clip
    from tests.client.videos import make_mp4

    logged = []
    monkeypatch.setattr(face_video.Logger, "warning", logged.append)

    assert fetch_clip(_Media(make_mp4(seconds=0.2)), "/v1/media/x.mp4", "sentence 1").frames == 5
    assert fetch_clip(_Media(b"garbage"), "/v1/media/x.mp4", "sentence 1") is None
    assert fetch_clip(_Media(error=OSError("connection reset")), "/v1/media/x.mp4", "sentence 1") is None
    assert fetch_clip(_Media(b"anything"), None, "sentence 1") is None  # no video: nothing asked
    assert len(logged) == 2 and all("sentence 1" in line and "portrait" in line for line in logged)


# ------------------------------------------------------------------------------------ the studio's marks
def test_a_finger_takes_the_nearest_ring_within_reach():
    from client.uix.mouth_picker import nearest_mark

    marks = {"mouth": (100, 100), "left": (80, 160), "right": (120, 160)}
    assert nearest_mark(102, 104, marks, 30) == "mouth"
    assert nearest_mark(85, 150, marks, 30) == "left"
    assert nearest_mark(100, 160, marks, 30) in ("left", "right")  # halfway: one of them, never the mouth
    assert nearest_mark(300, 300, marks, 30) is None


def test_a_ring_dragged_off_the_photo_stays_on_its_edge():
    from client.uix.mouth_picker import clamp_to_picture

    rect = (10, 20, 200, 100)
    assert clamp_to_picture(110, 70, rect) == (0.5, 0.5)
    assert clamp_to_picture(-50, 500, rect) == (0.0, 0.0)  # past the top-left corner
    assert clamp_to_picture(1000, -5, rect) == (1.0, 1.0)


def test_eyes_to_drag_are_offered_where_eyes_usually_are_when_none_was_found():
    from client.uix.studio_portrait import guessed_eyes

    lx, ly, rx, ry = guessed_eyes([0.5, 0.6, 0.2])
    assert lx < 0.5 < rx and ly == ry < 0.6
    assert all(0 <= v <= 1 for v in guessed_eyes([0.02, 0.05, 0.4]))  # never off the picture


def test_the_caregiver_s_eyes_and_mouth_go_to_the_server_left_eye_first():
    import json

    import httpx

    from client.caregiver_api import CaregiverClient

    seen = []

    def handle(request):
        seen.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "id": "per_1",
                "household_id": "hh_1",
                "display_name": "Rose",
                "language": "en",
                "addressed_as": [],
                "biography": "",
                "mode": "story",
                "created_at": "2026-11-28T10:00:00Z",
                "updated_at": "2026-11-28T10:00:00Z",
            },
        )

    client = CaregiverClient("http://keepsake.test", "tok_caregiver", transport=httpx.MockTransport(handle))
    client.set_face("per_1", [0.6, 0.4, 0.4, 0.41], (0.5, 0.6, 0.16))  # dragged past each other
    assert seen == [
        {"face": {"left_eye": {"x": 0.4, "y": 0.41}, "right_eye": {"x": 0.6, "y": 0.4}, "mouth": {"x": 0.5, "y": 0.6, "width": 0.16}}}
    ]


# ------------------------------------------------------------------------------------ the studio's note
def _step():
    from kivy.event import EventDispatcher

    from client.uix.studio_portrait import PortraitStep

    class Step(PortraitStep, EventDispatcher):
        def t(self, key, **values):
            return key + "".join(f" {k}={v}" for k, v in sorted(values.items()))

    return Step()


def _persona(face=None, mouth=(0.5, 0.6, 0.18)):
    from shared.api import FaceLandmarks, MouthPoint

    class Persona:
        pass

    persona = Persona()
    persona.mouth = MouthPoint(x=mouth[0], y=mouth[1], width=mouth[2])
    persona.face = FaceLandmarks.model_validate(face) if face else None
    return persona


def test_the_studio_says_plainly_when_no_face_or_several_were_found():
    step = _step()
    step._show_portrait(_persona(), "/tmp/portrait.png", faces=0)
    assert step.portrait_note == "face_none"
    assert len(step.eyes) == 4 and not step._face_marked  # rings to drag, where eyes usually are
    found = {**ASTRONAUT, "points": [(0.4, 0.2)] * 468, "source": "mediapipe-face-mesh", "faces_found": 3}
    step._show_portrait(_persona(found), "/tmp/portrait.png", faces=None)
    assert step.portrait_note == "face_many count=3"
    assert step.eyes == [0.397, 0.198, 0.481, 0.202] and len(step.face_points) == 468 and step._face_marked
    step._show_portrait(_persona({**found, "faces_found": 1}), "/tmp/portrait.png", faces=1)
    assert step.portrait_note == "face_found"
    step._show_portrait(None, "", faces=None)
    assert step.portrait_note == "portrait_none"


def test_the_notes_are_in_english_and_chinese():
    from client.i18n import translate

    for key in ("face_found", "face_none", "face_many", "face_drag_hint", "face_saving", "face_saved"):
        english, chinese = translate(key, "en", count=2), translate(key, "zh", count=2)
        assert english and chinese and english != chinese
    assert "2" in translate("face_many", "zh", count=2) and "biggest" in translate("face_many", "en", count=2)


def test_the_tablet_keeps_the_face_for_its_next_start_and_forgets_it_when_unpaired(tmp_path):
    from client.storage import Store

    Store(tmp_path).update(face=ASTRONAUT)
    assert Store(tmp_path).settings.face == ASTRONAUT
    Store(tmp_path).forget_pairing()
    assert Store(tmp_path).settings.face is None


@pytest.mark.parametrize("face", [{"mouth": {}}, {"left_eye": None}, {"mouth": {"x": "left"}, "left_eye": {"y": 1}, "right_eye": {}}])
def test_a_damaged_face_places_the_face_from_the_mouth_point(face):
    with pytest.raises((KeyError, TypeError, ValueError)):
        face_geometry(face, [0.5, 0.6, 0.2], _screen())  # the portrait catches this and uses the mouth point
    assert face_geometry(None, [0.5, 0.6, 0.2], _screen()).mouth == pytest.approx((500, 400))
