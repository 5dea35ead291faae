"""server/audio.py: decoding every container the tablet may send, WAV writing, loudness."""

from __future__ import annotations

import io
import struct
import time
import wave

import av
import numpy as np
import pytest

from server.audio import (
    AI_GENERATED_COMMENT,
    AudioDecodeError,
    StreamResampler,
    decode_audio,
    encode_wav,
    is_silent,
    read_wav_comment,
    read_wav_info,
    resample,
    rms_dbfs,
    trim_silence,
)
from server.services.base import Audio


def tone(freq: float = 440.0, seconds: float = 1.0, rate: int = 16000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.argmax(spectrum) * audio.sample_rate / len(audio.samples))


def raw_wav(
    payload: bytes, *, fmt_code: int, channels: int, rate: int, bits: int, data_size: int | None = None, extensible: bool = False
) -> bytes:
    """A WAV built by hand, for the formats the wave module cannot write."""
    block = channels * bits // 8
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, bits)
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", fmt_code) + guid_tail
    else:
        fmt = struct.pack("<HHIIHH", fmt_code, channels, rate, rate * block, block, bits)
    size = len(payload) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def encode_with_pyav(samples: np.ndarray, rate: int, container: str, codec: str, codec_rate: int, layout: str = "mono") -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=codec_rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name,
            layout=layout,
            rate=codec_rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


# --- decoding ---------------------------------------------------------------


def test_wav_16bit_round_trip_is_exact_enough():
    samples = tone()
    audio = decode_audio(encode_wav(Audio(samples, 16000)))
    assert audio.sample_rate == 16000
    assert audio.samples.dtype == np.float32
    assert len(audio.samples) == len(samples)
    assert np.max(np.abs(audio.samples - samples)) < 1e-4


def test_wav_written_by_the_wave_module_stereo_44k_is_mixed_down_and_resampled():
    left, right = tone(440, rate=44100), tone(440, rate=44100)
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(pcm)
    audio = decode_audio(buf.getvalue())
    assert audio.sample_rate == 16000
    assert abs(audio.duration_s - 1.0) < 0.01
    assert abs(dominant_hz(audio) - 440) < 3
    assert abs(rms_dbfs(audio) - rms_dbfs(Audio(left, 44100))) < 0.5


@pytest.mark.parametrize(
    ("fmt_code", "bits", "to_bytes"),
    [
        (1, 8, lambda x: (np.round(x * 127) + 128).astype(np.uint8).tobytes()),
        (1, 24, lambda x: b"".join(int(v).to_bytes(3, "little", signed=True) for v in np.round(x * 8388607))),
        (1, 32, lambda x: np.round(x * 2147483647).astype("<i4").tobytes()),
        (3, 32, lambda x: x.astype("<f4").tobytes()),
        (3, 64, lambda x: x.astype("<f8").tobytes()),
    ],
)
@pytest.mark.parametrize("extensible", [False, True])
def test_other_pcm_wav_formats(fmt_code, bits, to_bytes, extensible):
    samples = tone(300, seconds=0.25)
    data = raw_wav(to_bytes(samples), fmt_code=fmt_code, channels=1, rate=16000, bits=bits, extensible=extensible)
    audio = decode_audio(data)
    assert len(audio.samples) == len(samples)
    assert np.max(np.abs(audio.samples - samples)) < 0.02


def test_streamed_wav_with_unknown_length_is_read_to_the_end():
    samples = tone(seconds=0.5)
    pcm = (samples * 32767).astype("<i2").tobytes()
    for size in (0, 0xFFFFFFFF):
        audio = decode_audio(raw_wav(pcm, fmt_code=1, channels=1, rate=16000, bits=16, data_size=size))
        assert len(audio.samples) == len(samples)


def test_a_streamed_wav_is_kept_with_its_real_sizes():
    from server.audio import seal_streamed_wav

    pcm = (tone(seconds=0.5) * 32767).astype("<i2").tobytes()
    for size in (0, 0xFFFFFFFF):
        sealed = seal_streamed_wav(raw_wav(pcm, fmt_code=1, channels=1, rate=16000, bits=16, data_size=size))
        with wave.open(io.BytesIO(sealed), "rb") as w:  # a strict reader: trusts the sizes
            assert w.getnframes() == len(pcm) // 2 and w.readframes(w.getnframes()) == pcm
        assert struct.unpack_from("<I", sealed, 4)[0] == len(sealed) - 8
        assert seal_streamed_wav(sealed) == sealed  # a whole file stays as it is
    assert seal_streamed_wav(b"OggS not a wav") == b"OggS not a wav"


def test_empty_wav_is_empty_audio_not_an_error():
    audio = decode_audio(encode_wav(Audio(np.zeros(0, np.float32), 16000)))
    assert audio.samples.size == 0
    assert is_silent(audio)


@pytest.mark.parametrize(
    ("container", "codec", "codec_rate", "layout"),
    [
        ("mp3", "libmp3lame", 44100, "stereo"),
        ("ogg", "libopus", 48000, "mono"),
        ("webm", "libopus", 48000, "mono"),
        ("3gp", "libopencore_amrnb", 8000, "mono"),
        ("mp4", "aac", 44100, "mono"),
        ("flac", "flac", 16000, "mono"),
    ],
)
def test_compressed_containers_decode_to_16k_mono(container, codec, codec_rate, layout):
    import av

    try:
        av.codec.Codec(codec, "w")
    except av.codec.codec.UnknownCodecError:
        # Only the test's own clip needs the encoder; some PyAV wheels ship AMR's decoder without it.
        pytest.skip(f"this PyAV has no {codec} encoder to make the clip with")
    data = encode_with_pyav(tone(440, seconds=1.0), 16000, container, codec, codec_rate, layout)
    audio = decode_audio(data)
    assert audio.sample_rate == 16000
    assert audio.samples.dtype == np.float32
    assert 0.9 < audio.duration_s < 1.2  # codecs add a little padding
    assert abs(dominant_hz(audio) - 440) < 10
    assert not is_silent(audio)


def test_target_rate_none_keeps_the_source_rate():
    data = encode_with_pyav(tone(440, seconds=0.5), 16000, "ogg", "libopus", 48000)
    assert decode_audio(data, None).sample_rate == 48000
    assert decode_audio(encode_wav(Audio(tone(rate=22050), 22050)), None).sample_rate == 22050


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello, this is not audio at all" * 20,
        bytes(range(256)) * 40,
        b"RIFF\x00\x00\x00\x00WAVEjunk",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
        b'{"text": "hi"}',
    ],
)
def test_garbage_raises_a_clear_decode_error(garbage):
    with pytest.raises(AudioDecodeError):
        decode_audio(garbage)
    assert issubclass(AudioDecodeError, ValueError)


def test_max_duration_is_enforced_for_wav_and_compressed_audio():
    long_wav = encode_wav(Audio(tone(seconds=3.0), 16000))
    with pytest.raises(AudioDecodeError, match="longer"):
        decode_audio(long_wav, max_duration_s=2.0)
    long_mp3 = encode_with_pyav(tone(seconds=3.0), 16000, "mp3", "libmp3lame", 44100, "stereo")
    with pytest.raises(AudioDecodeError, match="longer"):
        decode_audio(long_mp3, max_duration_s=1.0)
    assert decode_audio(long_wav, max_duration_s=5.0).duration_s == pytest.approx(3.0)


def test_wav_decoding_is_fast():
    minute = encode_wav(Audio(tone(seconds=60.0), 16000))
    started = time.perf_counter()
    decode_audio(minute)
    assert time.perf_counter() - started < 0.5  # numpy path: in practice a few ms


# --- writing ------------------------------------------------------------------


def test_encode_wav_writes_a_standard_16bit_file_with_the_ai_generated_comment():
    data = encode_wav(Audio(tone(seconds=0.3, rate=22050), 22050), comment=AI_GENERATED_COMMENT)
    with wave.open(io.BytesIO(data)) as w:  # standard readers accept it
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() == int(0.3 * 22050)
    assert read_wav_comment(data) == AI_GENERATED_COMMENT
    assert read_wav_info(data)["ISFT"] == "Keepsake"
    with av.open(io.BytesIO(data)) as container:  # and FFmpeg sees it as the file's comment
        assert container.metadata["comment"] == AI_GENERATED_COMMENT


def test_comment_with_non_ascii_text_and_odd_lengths_round_trips():
    for comment in ("AI-generated", "由 AI 生成的声音", "x"):
        data = encode_wav(Audio(tone(seconds=0.02)[:161], 16000), comment=comment)
        assert len(data) % 2 == 0
        assert read_wav_comment(data) == comment
        assert len(decode_audio(data).samples) == 161


def test_no_comment_means_no_info_chunk_and_clipping_is_safe():
    data = encode_wav(Audio(np.array([2.0, -2.0, np.nan, 0.5], np.float32), 16000))
    assert read_wav_comment(data) is None
    assert np.allclose(decode_audio(data).samples, [1.0, -1.0, 0.0, 0.5], atol=1e-4)
    with pytest.raises(AudioDecodeError):
        read_wav_info(b"not a wav")


# --- loudness and silence -------------------------------------------------------


def test_rms_dbfs():
    assert rms_dbfs(Audio(tone(amp=1.0), 16000)) == pytest.approx(-3.01, abs=0.05)
    assert rms_dbfs(Audio(tone(amp=0.1), 16000)) == pytest.approx(-23.01, abs=0.05)
    assert rms_dbfs(Audio(np.zeros(100, np.float32), 16000)) == -120.0
    assert rms_dbfs(Audio(np.zeros(0, np.float32), 16000)) == -120.0


def test_is_silent():
    rng = np.random.default_rng(1)
    room_noise = (rng.standard_normal(16000) * 0.001).astype(np.float32)  # about -60 dBFS
    assert is_silent(Audio(np.zeros(16000, np.float32), 16000))
    assert is_silent(Audio(room_noise, 16000))
    quiet_voice = room_noise.copy()
    quiet_voice[8000:9600] += tone(200, seconds=0.1, amp=0.03)  # a short soft word
    assert not is_silent(Audio(quiet_voice, 16000))


def test_trim_silence_keeps_the_loud_part_with_a_margin():
    samples = np.concatenate([np.zeros(16000), tone(seconds=0.5), np.zeros(8000)]).astype(np.float32)
    trimmed = trim_silence(Audio(samples, 16000), pad_s=0.05)
    assert 0.5 <= trimmed.duration_s <= 0.5 + 2 * 0.05 + 0.04
    assert trim_silence(Audio(np.zeros(1600, np.float32), 16000)).samples.size == 0


# --- resampling --------------------------------------------------------------------


def test_resample_keeps_pitch_and_duration():
    for src, dst in ((48000, 16000), (8000, 16000), (22050, 16000), (16000, 24000)):
        out = resample(tone(440, rate=src), src, dst)
        assert abs(len(out) - dst) <= 1
        assert abs(dominant_hz(Audio(out, dst)) - 440) < 3
    same = tone()
    assert np.array_equal(resample(same, 16000, 16000), same)
    assert resample(np.zeros(0, np.float32), 48000, 16000).size == 0


def test_a_1khz_tone_from_22050_to_16000_keeps_its_frequency_and_level():
    source = tone(1000, rate=22050)
    out = resample(source, 22050, 16000)
    assert out.size == 16000
    assert abs(dominant_hz(Audio(out, 16000)) - 1000) < 1.5  # one bin of a 1 s spectrum
    # The level, away from the ends where the filter starts and stops: within 0.1 dB.
    level = rms_dbfs(Audio(out[800:-800], 16000))
    assert abs(level - rms_dbfs(Audio(source, 22050))) < 0.1
    # And the tone is all there is: what is left once it is taken out is 60 dB down.
    t = np.arange(out.size) / 16000
    fit = np.linalg.lstsq(np.stack([np.sin(2 * np.pi * 1000 * t), np.cos(2 * np.pi * 1000 * t)], axis=1), out, rcond=None)[0]
    rest = out - (fit[0] * np.sin(2 * np.pi * 1000 * t) + fit[1] * np.cos(2 * np.pi * 1000 * t))
    assert rms_dbfs(Audio(rest[800:-800].astype(np.float32), 16000)) < level - 60


def test_resampling_in_pieces_matches_the_whole_clip():
    """An upload resampled as it streams: the seams between pieces leave no trace."""
    source = tone(300, seconds=0.7, rate=22050) + tone(2500, seconds=0.7, rate=22050, amp=0.2)
    whole = resample(source, 22050, 16000)
    for size in (1, 37, 441, 5000):
        streamed = StreamResampler(22050, 16000)
        pieces = [streamed.feed(source[i : i + size]) for i in range(0, source.size, size)] + [streamed.flush()]
        out = np.concatenate(pieces)
        assert abs(out.size - whole.size) <= 1, size
        n = min(out.size, whole.size)
        assert np.max(np.abs(out[:n] - whole[:n])) < 1e-5, size


def test_downsampling_filters_out_what_would_fold_back():
    high = tone(11000, rate=48000)  # above the 8 kHz Nyquist of 16 kHz audio
    out = resample(high, 48000, 16000)
    assert rms_dbfs(Audio(out, 16000)) < rms_dbfs(Audio(high, 48000)) - 20
