"""The found chin and mesh follow a caregiver's correction of the eyes and mouth (server/face_correction.py)."""

from __future__ import annotations

import cmath

import pytest

from shared.api import FaceCorrection, FaceLandmarks
from server.face_correction import corrected

FOUND = FaceLandmarks(
    left_eye={"x": 0.4, "y": 0.30},
    right_eye={"x": 0.6, "y": 0.30},
    mouth={"x": 0.5, "y": 0.42, "width": 0.1},
    chin={"x": 0.5, "y": 0.50},
    points=[(0.35, 0.32), (0.65, 0.32), (0.5, 0.5), (0.45, 0.40)],
    source="mediapipe-face-mesh",
    faces_found=2,
)


def _turned(aspect: float, degrees: float):
    """Turn a point (as fractions of the sides) about the face's centre, in the picture's own pixels."""
    centre = complex(0.5 * aspect, (0.30 + 0.30 + 0.42) / 3)
    turn = cmath.exp(1j * cmath.pi * degrees / 180)

    def move(x: float, y: float) -> tuple[float, float]:
        z = centre + turn * (complex(x * aspect, y) - centre)
        return z.real / aspect, z.imag

    return move


@pytest.mark.parametrize("aspect", [1.0, 0.5, 1.5])
def test_a_face_turned_by_hand_turns_its_chin_and_mesh_in_the_picture_s_own_proportions(aspect):
    move = _turned(aspect, 12)
    parts = {name: dict(zip("xy", move(p.x, p.y))) for name, p in (("left_eye", FOUND.left_eye), ("right_eye", FOUND.right_eye))}
    mouth = dict(zip("xy", move(FOUND.mouth.x, FOUND.mouth.y)))
    face = corrected(FOUND, FaceCorrection(**parts, mouth={**mouth, "width": 0.1}), aspect)
    assert (face.chin.x, face.chin.y) == pytest.approx(move(FOUND.chin.x, FOUND.chin.y), abs=2e-4)
    assert face.points == [pytest.approx(move(x, y), abs=2e-4) for x, y in FOUND.points]
    assert face.source == "caregiver" and face.faces_found == 2


def test_points_carried_off_the_picture_stay_on_its_edge_and_in_their_place():
    down = {"left_eye": {"x": 0.4, "y": 0.80}, "right_eye": {"x": 0.6, "y": 0.80}, "mouth": {"x": 0.5, "y": 0.92, "width": 0.1}}
    face = corrected(FOUND, FaceCorrection(**down))
    assert len(face.points) == len(FOUND.points)
    assert face.chin is not None and face.chin.y == 1.0 and face.points[2] == (0.5, 1.0)
    assert face.points[0] == pytest.approx((0.35, 0.82))


def test_a_face_marked_where_none_was_found_has_no_chin_or_mesh():
    marked = FaceCorrection(left_eye={"x": 0.4, "y": 0.4}, right_eye={"x": 0.6, "y": 0.4}, mouth={"x": 0.5, "y": 0.6, "width": 0.1})
    face = corrected(None, marked)
    assert face.chin is None and face.points == [] and face.source == "caregiver"
