"""A caregiver's correction of the face on the portrait, with the rest of the face moved along.

The caregiver drags the eyes and the mouth when the ones found are wrong. The chin and the face
mesh the model found would then no longer agree with them, and the tablet would lose the jaw line
and the lips' shape if they were dropped, so they follow the correction: the similarity (scale,
turn and shift) that best takes the old eyes and mouth to the new ones, in least squares, is
applied to them. A face marked by hand where none was found has no chin or mesh to move.
"""

from __future__ import annotations

import numpy as np

from shared.api import FaceCorrection, FaceLandmarks, FacePoint

_PLACES = 4  # as the face model's points are kept (server/importers/landmarks.py)


def corrected(found: FaceLandmarks | None, correction: FaceCorrection, aspect: float = 1.0) -> FaceLandmarks:
    """The face to keep: the caregiver's eyes and mouth (and chin, when sent), and the found chin
    and mesh moved with them.

    ``aspect`` is the portrait's width over its height. Points are fractions of each side, so the
    fit is made in the picture's own proportions: otherwise turning a face on a tall portrait
    would shear it.
    """
    face = FaceLandmarks(**correction.model_dump(), source="caregiver")
    if found is None:
        return face
    old = _complex([found.left_eye, found.right_eye, found.mouth], aspect)
    new = _complex([correction.left_eye, correction.right_eye, correction.mouth], aspect)
    scale_turn, shift = _similarity(old, new)

    def move(xy: np.ndarray) -> np.ndarray:
        z = scale_turn * (xy[:, 0] * aspect + 1j * xy[:, 1]) + shift
        # Clipped, not dropped: the tablet reads the mesh by the model's point numbers (eyelids
        # 33/133/159/145, lips 78…308, jaw 234…454), so every point must keep its place in the list.
        return np.clip(np.column_stack([z.real / aspect, z.imag]), 0.0, 1.0).round(_PLACES)

    chin = correction.chin  # a chin the caregiver placed is kept as placed
    if chin is None and found.chin is not None:
        ((x, y),) = move(np.array([[found.chin.x, found.chin.y]]))
        chin = FacePoint(x=float(x), y=float(y))
    points = [(float(x), float(y)) for x, y in move(np.array(found.points, dtype=float).reshape(-1, 2))]
    return face.model_copy(update={"chin": chin, "points": points, "faces_found": found.faces_found})


def _complex(points: list[FacePoint], aspect: float) -> np.ndarray:
    return np.array([p.x * aspect + 1j * p.y for p in points])


def _similarity(old: np.ndarray, new: np.ndarray) -> tuple[complex, complex]:
    """``a`` and ``b`` of the map z -> a z + b (``a``: scale and turn, ``b``: shift) that takes
    ``old`` nearest to ``new`` in least squares. Written with complex numbers, it can turn and scale
    but never mirror, as a face dragged back into place never is."""
    old_mean, new_mean = old.mean(), new.mean()
    spread = float(np.vdot(old - old_mean, old - old_mean).real)
    if spread < 1e-12:  # the old points on top of one another: only a shift can be told
        return 1 + 0j, complex(new_mean - old_mean)
    a = complex(np.vdot(old - old_mean, new - new_mean) / spread)
    return a, complex(new_mean - a * old_mean)
