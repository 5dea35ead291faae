"""The relative's voice on the live socket as WAV: a header for early recognition while the length
is unknown (as a streamed upload's), and a sealed file to keep and to recognise."""

from __future__ import annotations

import struct


def wav_header(rate: int) -> bytes:
    """A mono 16-bit WAV header whose length is still unknown (as a streamed upload's)."""
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", 0xFFFFFFFF)
    )


def sealed_wav(pcm: bytes, rate: int) -> bytes:
    head = wav_header(rate)
    return head[:4] + struct.pack("<I", 36 + len(pcm)) + head[8:40] + struct.pack("<I", len(pcm)) + pcm
