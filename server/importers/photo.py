"""Photos: checked, turned upright, made in the sizes the tablet shows, and searched for a face and mouth.

The caregiver picks which photo becomes the portrait; the import only
prepares every photo so that choice is instant.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.api import FaceLandmarks
from server.importers import landmarks
from server.importers.errors import ImportRejected, damaged, too_large
from server.importers.faces import GUESS, Face, find_faces
from server.portrait import MAX_PIXELS

# name -> (longest side in pixels, format). The portrait is PNG: the tablet keeps it as a .png file.
SIZES = {"portrait": (1024, "PNG"), "preview": (512, "JPEG"), "thumb": (160, "JPEG")}
MIMES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}
_DAMAGED = "This picture is damaged or not a picture we can read."


def check(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise too_large(f"This picture has {width} x {height} pixels; send a smaller copy (under 40 megapixels).")
            image.verify()
    except ImportRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise damaged(_DAMAGED, detail=exc) from None
    if min(width, height) < 64:
        raise ImportRejected(422, "image_too_small", "This picture is too small to be a portrait; send the original photo.")
    return width, height


def load(path: Path) -> Image.Image:
    """The photo upright (as the camera held it) in RGB; transparency goes on white."""
    image: Image.Image
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # verify() in check() reads the headers only: a picture cut short is found here, in the job.
        raise damaged(_DAMAGED, detail=exc) from None
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def sized(image: Image.Image, longest: int, fmt: str) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)  # never enlarges
    out = io.BytesIO()
    if fmt == "JPEG":
        copy.save(out, "JPEG", quality=86, optimize=True)
    else:
        copy.save(out, "PNG", optimize=True)
    return out.getvalue()


def analyse(image: Image.Image) -> dict[str, Any]:
    """The face on the photo (fractions of the picture), or a guess the caregiver should correct.

    ``landmarks``: the eyes, mouth, chin and face-mesh points MediaPipe's models found
    (``landmarks.py``), or None. Without those models, OpenCV's Haar box and its proportions give
    the face and the mouth, as before them.
    """
    work = image.copy()
    work.thumbnail((800, 800))  # detection needs no more, and is much faster on fewer pixels
    found = landmarks.find(np.asarray(work.convert("RGB")))
    if found is not None:
        if not found.faces_found:
            return {"face": None, "faces_found": 0, "mouth": dict(GUESS), "mouth_found": False, "landmarks": None}
        face = found.as_face()
        (left, top), (right, bottom) = found.points.min(axis=0).clip(0, 1), found.points.max(axis=0).clip(0, 1)
        box = Face(float(left), float(top), float(right - left), float(bottom - top))
        mouth = {key: face["mouth"][key] for key in ("x", "y", "width")}
        return {
            "face": box.as_dict(),
            "faces_found": found.faces_found,
            "mouth": mouth,
            "mouth_found": True,
            "landmarks": {**face, "faces_found": found.faces_found},
        }
    faces = find_faces(np.asarray(work.convert("L")))
    if not faces:
        return {"face": None, "faces_found": 0, "mouth": dict(GUESS), "mouth_found": False, "landmarks": None}
    return {"face": faces[0].as_dict(), "faces_found": len(faces), "mouth": faces[0].mouth(), "mouth_found": True, "landmarks": None}


def face_on(data: bytes) -> FaceLandmarks | None:
    """The face found on a picture sent as bytes (already checked to be one), upright as the camera
    held it; None when no face is found or the face models are not installed."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    found = analyse(upright).get("landmarks")
    return FaceLandmarks(**found) if found else None
