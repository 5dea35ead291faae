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

from server.importers.errors import ImportRejected, damaged, too_large
from server.importers.faces import GUESS, find_faces
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
    """Face box and mouth point (fractions of the picture), or a guess the caregiver should correct."""
    work = image.copy()
    work.thumbnail((800, 800))  # detection needs no more, and is much faster on fewer pixels
    faces = find_faces(np.asarray(work.convert("L")))
    if not faces:
        return {"face": None, "faces_found": 0, "mouth": dict(GUESS), "mouth_found": False}
    return {"face": faces[0].as_dict(), "faces_found": len(faces), "mouth": faces[0].mouth(), "mouth_found": True}
