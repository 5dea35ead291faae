"""Talking-head clips made for the tests with PyAV: each stretch of the clip one flat colour, so a
frame shown says which moment of the clip it is."""

from __future__ import annotations

import io

import numpy as np

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (220, 220, 40), (40, 200, 200)]


def make_mp4(
    seconds: float = 1.0,
    fps: int = 25,
    size: tuple[int, int] = (256, 320),
    stretch_s: float = 0.2,
    face: np.ndarray | None = None,
    band: float = 0.1,
) -> bytes:
    """An H.264 MP4 ``size`` (width, height): COLOURS[i] from i * stretch_s on; over ``face`` (an RGB
    picture of that size) only a band across the bottom (``band`` of its height) is coloured, so the clip
    still looks like a face."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * fps)):
            colour = COLOURS[int(i / fps / stretch_s) % len(COLOURS)]
            if face is None:
                picture = np.empty((size[1], size[0], 3), np.uint8)
                picture[:] = colour
            else:
                picture = face.copy()
                picture[-max(1, int(size[1] * band)) :] = colour
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def colour_index(frame: np.ndarray) -> int:
    """Which of COLOURS the bottom band of a decoded frame is closest to."""
    pixel = frame[-4:, :, :].reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(pixel - np.array(c)).sum() for c in COLOURS]))
