"""Checks on uploaded portraits."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from server.errors import ApiError

MAX_PIXELS = 40_000_000  # a decompression bomb would claim far more


def check_image(data: bytes) -> tuple[int, int]:
    """The image's size, or a 4xx if it is not a sane picture."""
    if not data:
        raise ApiError(400, "empty_body", "The portrait is empty.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ApiError(413, "too_large", "The portrait has too many pixels.")
            image.verify()
    except ApiError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses to open a picture claiming far more pixels than ours allows: the same answer.
        raise ApiError(413, "too_large", "The portrait has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApiError(422, "invalid_image", "This file is not a picture we can read.") from None
    return width, height


def aspect(data: bytes) -> float | None:
    """The picture's width over its height; None when it cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return width / height if width and height else None
