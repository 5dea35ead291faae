"""Audio in and out of the server: decode anything, write marked WAVs, measure loudness.

Everything here works on ``Audio`` (mono float32 in [-1, 1]). Decoding is
plain CPU work: callers on the event loop should run it with
``asyncio.to_thread``.

PCM WAV, the tablet's usual upload and what every TTS here returns, is parsed
directly with numpy (a few hundred microseconds); any other container goes
through PyAV (FFmpeg).
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator
from typing import Any, overload

import numpy as np

from server.services.base import Audio

# Written into every generated file's metadata (issue 5: disclosure).
AI_GENERATED_COMMENT = "AI-generated voice recreation (Keepsake)"
SOFTWARE_NAME = "Keepsake"

# Below this a frame is taken as silence (room noise of a tablet mic is ~-60..-50 dBFS).
SILENCE_DBFS = -48.0
_DBFS_FLOOR = -120.0
_FRAME_S = 0.02

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_FLOAT = 0x0003
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_MAX_RIFF_CHUNKS = 64


class AudioDecodeError(ValueError):
    """The bytes are not audio we can decode (garbage, empty, no audio stream, too long)."""


class AudioTooLong(AudioDecodeError):
    """Longer than the caller's ``max_duration_s``: decoding stopped there (a small compressed
    file can hold hours of sound, so it is never decoded whole)."""


# --- decoding --------------------------------------------------------------


def decode_audio(
    data: bytes,
    target_rate: int | None = 16000,
    *,
    max_duration_s: float | None = None,
) -> Audio:
    """Decode any audio container to mono float32 at ``target_rate`` (None: keep the source rate).

    A valid file that holds no samples (an empty WAV) gives empty audio;
    bytes that are not audio raise ``AudioDecodeError``. ``max_duration_s``
    stops decoding early and raises for audio longer than that.
    """
    if not data:
        raise AudioDecodeError("no audio data")
    audio = _parse_pcm_wav(data)
    if audio is None:
        audio = _decode_with_pyav(data, target_rate, max_duration_s)
    if max_duration_s is not None and audio.duration_s > max_duration_s:
        raise AudioTooLong(f"audio is longer than {max_duration_s:g} s")
    if target_rate is not None and audio.sample_rate != target_rate:
        audio = Audio(resample(audio.samples, audio.sample_rate, target_rate), target_rate)
    return audio


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(chunk id, payload offset, payload size) for each chunk of a RIFF/WAVE file."""
    pos = 12
    end = len(data)
    for _ in range(_MAX_RIFF_CHUNKS):  # a crafted file of a million tiny chunks is not worth walking
        if pos + 8 > end:
            return
        chunk_id, size = struct.unpack_from("<4sI", data, pos)
        yield chunk_id, pos + 8, size
        pos += 8 + size + (size & 1)  # chunks are padded to an even length


def _parse_pcm_wav(data: bytes) -> Audio | None:
    """Fast path: integer or float PCM WAV with numpy. None when it is something else."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    fmt = None
    for chunk_id, offset, size in _riff_chunks(data):
        if chunk_id == b"fmt " and size >= 16:
            fmt = struct.unpack_from("<HHIIHH", data, offset)
            if size >= 26 and fmt[0] == _WAVE_FORMAT_EXTENSIBLE:
                # The real format code is the first two bytes of the sub-format GUID.
                (sub_format,) = struct.unpack_from("<H", data, offset + 24)
                fmt = (sub_format, *fmt[1:])
        elif chunk_id == b"data" and fmt is not None:
            # A streamed writer that did not know the length writes 0 or 0xFFFFFFFF.
            if size in (0, 0xFFFFFFFF) or offset + size > len(data):
                size = len(data) - offset
            return _pcm_to_audio(data[offset : offset + size], fmt)
    return None


def seal_streamed_wav(data: bytes) -> bytes:
    """A WAV streamed before its length was known (sizes 0 or 0xFFFFFFFF), with its real sizes
    written in, so that any player reads the kept recording; anything else comes back as it is."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return data
    for chunk_id, offset, size in _riff_chunks(data):
        if chunk_id == b"data":
            if size not in (0, 0xFFFFFFFF) and offset + size <= len(data):
                return data
            payload = len(data) - offset
            head = bytearray(data[:offset])
            struct.pack_into("<I", head, 4, min(len(data) - 8, 0xFFFFFFFF))
            struct.pack_into("<I", head, offset - 4, min(payload, 0xFFFFFFFF))
            return bytes(head) + data[offset:]
    return data


def _pcm_to_audio(payload: bytes, fmt: tuple[int, ...]) -> Audio | None:
    format_code, channels, rate, _byte_rate, _block_align, bits = fmt
    if channels < 1 or rate < 1:
        return None
    width = bits // 8
    frame_bytes = width * channels
    if frame_bytes == 0:
        return None
    payload = payload[: len(payload) - len(payload) % frame_bytes]
    if format_code == _WAVE_FORMAT_PCM and bits == 8:
        samples = (np.frombuffer(payload, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif format_code == _WAVE_FORMAT_PCM and bits == 16:
        samples = np.frombuffer(payload, "<i2").astype(np.float32) / 32768.0
    elif format_code == _WAVE_FORMAT_PCM and bits == 24:
        raw = np.frombuffer(payload, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    elif format_code == _WAVE_FORMAT_PCM and bits == 32:
        samples = (np.frombuffer(payload, "<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif format_code == _WAVE_FORMAT_FLOAT and bits in (32, 64):
        samples = np.frombuffer(payload, "<f4" if bits == 32 else "<f8").astype(np.float32)
        samples = np.nan_to_num(np.clip(samples, -1.0, 1.0))
    else:
        return None  # ADPCM, mu-law...: let FFmpeg do it
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return Audio(np.ascontiguousarray(samples, dtype=np.float32), rate)


def _decode_with_pyav(data: bytes, target_rate: int | None, max_duration_s: float | None) -> Audio:
    import av  # imported here: the tablet and WAV-only paths never need FFmpeg

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream in the data")
            stream = container.streams.audio[0]
            rate = target_rate or stream.codec_context.sample_rate or stream.rate or 16000
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            limit = None if max_duration_s is None else int(max_duration_s * rate) + rate
            parts: list[np.ndarray] = []
            total = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
                    total += out.samples
                if limit is not None and total > limit:
                    raise AudioTooLong(f"audio is longer than {max_duration_s:g} s")
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
        raise AudioDecodeError(f"not decodable audio: {exc}") from exc
    if not parts:
        raise AudioDecodeError("no audio samples in the data")
    samples = np.concatenate(parts).astype(np.float32, copy=False)
    return Audio(np.clip(samples, -1.0, 1.0), rate)


# --- resampling ------------------------------------------------------------


class StreamResampler:
    """Changes the sample rate of audio that arrives in pieces (an upload as it streams).

    FFmpeg's resampler (libswresample, through PyAV) keeps its filter's state from one
    piece to the next, so the seams between pieces are as clean as the middle of one;
    ``flush`` gives the last few samples it holds back at the end.
    """

    def __init__(self, from_rate: int, to_rate: int):
        import av  # imported here: the tablet and WAV-only paths at one rate never need FFmpeg

        self.from_rate, self.to_rate = int(from_rate), int(to_rate)
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.to_rate)
        self._av = av

    def feed(self, samples: np.ndarray) -> np.ndarray:
        samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return np.zeros(0, dtype=np.float32)
        frame = self._av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.from_rate
        return self._joined(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        return self._joined(self._resampler.resample(None))

    @staticmethod
    def _joined(frames: list[Any]) -> np.ndarray:
        parts = [frame.to_ndarray().reshape(-1) for frame in frames]
        return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, dtype=np.float32)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Change the sample rate of a whole clip with FFmpeg's resampler (band-limited, so high
    frequencies do not fold back as noise when going down). The result is exactly
    ``len(samples) * to_rate / from_rate`` long, rounded, as a caller timing speech expects.
    """
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    resampler = StreamResampler(from_rate, to_rate)
    out = np.concatenate([resampler.feed(samples), resampler.flush()])
    # The resampler's own rounding can leave a sample more or less at the very end.
    out_len = max(1, round(samples.size * to_rate / from_rate))
    if out.size < out_len:
        out = np.concatenate([out, np.zeros(out_len - out.size, dtype=np.float32)])
    return np.ascontiguousarray(out[:out_len], dtype=np.float32)


# --- encoding --------------------------------------------------------------


def _info_entry(tag: bytes, text: str) -> bytes:
    value = text.encode("utf-8") + b"\x00"
    if len(value) & 1:
        value += b"\x00"
    return tag + struct.pack("<I", len(value)) + value


def encode_wav(audio: Audio, *, comment: str | None = None) -> bytes:
    """16-bit PCM mono WAV. ``comment`` goes in a LIST/INFO ICMT chunk (with ISFT "Keepsake")."""
    samples = np.clip(np.nan_to_num(np.asarray(audio.samples, dtype=np.float32)), -1.0, 1.0)
    pcm = (samples * 32767.0).round().astype("<i2").tobytes()
    rate = int(audio.sample_rate)
    fmt = struct.pack("<HHIIHH", _WAVE_FORMAT_PCM, 1, rate, rate * 2, 2, 16)
    chunks = [b"fmt " + struct.pack("<I", len(fmt)) + fmt]
    if comment is not None:
        info = b"INFO" + _info_entry(b"ICMT", comment) + _info_entry(b"ISFT", SOFTWARE_NAME)
        chunks.append(b"LIST" + struct.pack("<I", len(info)) + info)
    chunks.append(b"data" + struct.pack("<I", len(pcm)) + pcm + (b"\x00" if len(pcm) & 1 else b""))
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read_wav_info(data: bytes) -> dict[str, str]:
    """The LIST/INFO entries of a WAV (``{"ICMT": ..., "ISFT": ...}``); empty if none."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioDecodeError("not a WAV file")
    info: dict[str, str] = {}
    for chunk_id, offset, size in _riff_chunks(data):
        if chunk_id != b"LIST" or data[offset : offset + 4] != b"INFO":
            continue
        pos, end = offset + 4, min(offset + size, len(data))
        while pos + 8 <= end:
            tag, length = struct.unpack_from("<4sI", data, pos)
            value = data[pos + 8 : pos + 8 + length].split(b"\x00", 1)[0]
            info[tag.decode("ascii", "replace")] = value.decode("utf-8", "replace")
            pos += 8 + length + (length & 1)
    return info


def read_wav_comment(data: bytes) -> str | None:
    """The ICMT comment of a WAV, or None."""
    return read_wav_info(data).get("ICMT")


# --- loudness --------------------------------------------------------------


@overload
def _to_dbfs(rms: np.ndarray) -> np.ndarray: ...
@overload
def _to_dbfs(rms: float) -> float: ...
def _to_dbfs(rms: np.ndarray | float) -> np.ndarray | float:
    return 20.0 * np.log10(np.maximum(rms, 10 ** (_DBFS_FLOOR / 20.0)))


def rms_dbfs(audio: Audio) -> float:
    """Loudness of the whole clip in dBFS (-120 for empty or digital silence)."""
    if audio.samples.size == 0:
        return _DBFS_FLOOR
    rms = math.sqrt(float(np.mean(np.square(audio.samples, dtype=np.float64))))
    return float(_to_dbfs(rms))


def frame_dbfs(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """dBFS of each consecutive ``frame_len``-sample frame (the last one zero-padded)."""
    if samples.size == 0 or frame_len < 1:
        return np.zeros(0, dtype=np.float64)
    frames = -(-samples.size // frame_len)
    padded = np.zeros(frames * frame_len, dtype=np.float64)
    padded[: samples.size] = samples
    rms = np.sqrt(np.mean(np.square(padded.reshape(frames, frame_len)), axis=1))
    return _to_dbfs(rms)


def is_silent(audio: Audio, threshold_dbfs: float = SILENCE_DBFS) -> bool:
    """True when no 20 ms frame is louder than ``threshold_dbfs`` (a tap with nothing said)."""
    frame_len = max(1, int(audio.sample_rate * _FRAME_S))
    levels = frame_dbfs(audio.samples, frame_len)
    return levels.size == 0 or float(levels.max()) < threshold_dbfs


def trim_silence(audio: Audio, threshold_dbfs: float = SILENCE_DBFS, *, pad_s: float = 0.05) -> Audio:
    """Cut the quiet start and end, keeping ``pad_s`` of margin. All-quiet audio becomes empty."""
    frame_len = max(1, int(audio.sample_rate * _FRAME_S))
    loud = np.nonzero(frame_dbfs(audio.samples, frame_len) >= threshold_dbfs)[0]
    if loud.size == 0:
        return Audio(np.zeros(0, dtype=np.float32), audio.sample_rate)
    pad = int(pad_s * audio.sample_rate)
    start = max(0, int(loud[0]) * frame_len - pad)
    end = min(audio.samples.size, (int(loud[-1]) + 1) * frame_len + pad)
    return Audio(audio.samples[start:end].copy(), audio.sample_rate)


def silence(duration_s: float, sample_rate: int = 16000) -> Audio:
    """``duration_s`` of digital silence."""
    return Audio(np.zeros(int(duration_s * sample_rate), dtype=np.float32), sample_rate)
