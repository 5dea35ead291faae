"""Voices cloned through CosyVoice and GPT-SoVITS, against fake servers on loopback shaped as the real ones."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from server.audio import decode_audio, frame_dbfs
from server.config import Settings, StageSettings, TtsSettings
from server.services.base import (
    Audio,
    ServiceError,
    SpeechToText,
    TextToSpeech,
    Transcript,
)
from server.services.cloning import VoiceSample
from server.services.cloning_cosyvoice import (
    CosyVoiceCloner,
    CosyVoiceTextToSpeech,
    model_rate,
)
from server.services.cloning_gptsovits import GptSovitsCloner, GptSovitsTextToSpeech
from server.services.fallback_events import collect_fallbacks
from server.services.fallbacks import FallbackTextToSpeech
from server.services.http import make_http_client
from server.services.reference_voice import (
    MAX_CLIP_S,
    MIN_CLIP_S,
    NO_REFERENCE,
    ReferenceVoices,
    choose_clip,
)
from server.services.registry import build_cloner, build_services
from tests.conftest import wav_bytes
from tests.server.services.zero_shot_servers import (
    SECONDS_PER_CHAR,
    cosyvoice_app,
    gptsovits_app,
    serve,
)

HEARD = "When I was a girl we lived by the sea in Whitby."
RATE = 22050


def spoken(sentences: int, *, word_s: float = 0.35, gap_s: float = 0.06, pause_s: float = 0.6, words: int = 6) -> np.ndarray:
    """Speech-like sound: words of tone with short gaps, sentences with real pauses between them."""
    t = np.arange(int(word_s * RATE)) / RATE
    word = (0.3 * np.sin(2 * np.pi * 190 * t) * np.hanning(t.size)).astype(np.float32)
    sentence = np.concatenate([np.concatenate([word, np.zeros(int(gap_s * RATE), np.float32)]) for _ in range(words)])
    pause = np.zeros(int(pause_s * RATE), np.float32)
    return np.concatenate([np.concatenate([sentence, pause]) for _ in range(sentences)])


def sample(name: str, samples: np.ndarray) -> VoiceSample:
    return VoiceSample(name, wav_bytes(samples, RATE), "audio/wav")


class Heard(SpeechToText):
    """The server's speech recognition, standing in: what the clip says, and what it was asked about."""

    name = "heard"

    def __init__(self, text: str = HEARD, language: str | None = "en"):
        self.text, self.language, self.clips = text, language, []

    async def transcribe(self, audio: Audio, language: str | None = None) -> Transcript:
        self.clips.append(audio)
        return Transcript(self.text, self.language)


class Plain(TextToSpeech):
    name = "embedded"

    async def synthesize(self, text, *, language="en", voice=None):
        return Audio(np.zeros(1600, np.float32), 16000)


SAMPLES = [sample("short.wav", spoken(1)), sample("long.wav", spoken(6)), VoiceSample("bad.wav", b"not audio", "audio/wav")]


@pytest.fixture
async def http():
    client = make_http_client()
    yield client
    await client.aclose()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- the reference clip ------------------------------------------------------------------------


def test_the_clip_is_the_longest_stretch_cut_at_a_pause():
    clip = choose_clip(SAMPLES)
    assert clip is not None and 5.0 <= clip.duration_s <= MAX_CLIP_S
    # Cut at a pause between sentences (2.46 s each), never inside a word: the clip ends on a whole sentence.
    sentence_s = 6 * (0.35 + 0.06)
    assert min(abs(clip.duration_s - k * (sentence_s + 0.6) + 0.6) for k in (1, 2, 3)) < 0.2
    assert float(frame_dbfs(clip.samples[-480:], 480).max()) < -30  # it ends quiet
    # A sample too short for any clip, alone, gives none.
    assert choose_clip([sample("tiny.wav", spoken(1)[: int(2.0 * RATE)])]) is None
    # One short enough is taken whole.
    assert choose_clip([sample("two.wav", spoken(2))]).duration_s == pytest.approx(2 * (6 * 0.41 + 0.6) - 0.6, abs=0.15)


def test_kept_clips_are_found_only_by_their_own_names(tmp_path):
    voices = ReferenceVoices(tmp_path / "refs", "/srv/refs/")
    voices.save("rose-1a2b", Audio(np.zeros(24000, np.float32), 24000), HEARD, "en")
    kept = voices.get("rose-1a2b")
    assert kept.text == HEARD and kept.language == "en" and decode_audio(kept.wav, None).duration_s == 1.0
    assert voices.path_on_server("rose-1a2b") == "/srv/refs/rose-1a2b.wav"
    for foreign in ("../refs/rose-1a2b", "Rose-1a2b", "", None, "elevenlabs voice"):
        assert voices.get(foreign) is None
    voices.delete("rose-1a2b")
    assert voices.get("rose-1a2b") is None and list((tmp_path / "refs").iterdir()) == []


# --- CosyVoice -----------------------------------------------------------------------------------


async def test_cosyvoice_clones_from_the_clip_and_its_words_then_speaks_in_it(http, tmp_path):
    app = cosyvoice_app()
    voices = ReferenceVoices(tmp_path / "refs")
    with serve(app) as url:
        settings = Settings(data_dir=tmp_path, tts=TtsSettings(provider="cosyvoice", base_url=url, reference_dir=tmp_path / "refs"))
        asr = Heard()
        cloner = build_cloner(settings, http, asr=asr)
        assert isinstance(cloner, CosyVoiceCloner)
        voice = await cloner.create_voice("Keepsake Rose Whitfield", SAMPLES)
        assert voice.startswith("keepsake-rose-whitfield-")
        kept = voices.get(voice)
        assert kept.text == HEARD and kept.language == "en"
        # What was written down is the clip that was kept, and the server tried it once with its own first words.
        assert asr.clips[0].duration_s == pytest.approx(decode_audio(kept.wav, None).duration_s, abs=0.01)
        ((tried, prompt, clip, clip_rate),) = app.state.calls
        assert tried == "When I was a girl we lived by" and prompt == HEARD and clip_rate == 24000
        assert MIN_CLIP_S <= clip.size / clip_rate <= MAX_CLIP_S

        tts = build_services(settings, http).tts
        assert isinstance(tts, FallbackTextToSpeech) and isinstance(tts.primary, CosyVoiceTextToSpeech)
        text = "I kept the sea glass in a jam jar."
        audio = await tts.primary.synthesize(text, voice=voice)
        assert audio.sample_rate == 24000 and audio.duration_s == pytest.approx(SECONDS_PER_CHAR * len(text), abs=0.01)
        assert float(np.abs(audio.samples).max()) > 0.25  # the stream's int16, read as sound
        said, prompt, clip_sent, _ = app.state.calls[-1]
        assert said == text and prompt == HEARD and np.allclose(clip_sent, clip, atol=1e-4)

        await cloner.delete_voice(voice)
        assert voices.get(voice) is None
        with pytest.raises(ServiceError, match="no reference voice"):
            await tts.primary.synthesize(text, voice=voice)


async def test_cosyvoice_300m_speaks_at_its_own_rate(http, tmp_path):
    assert (model_rate("iic/CosyVoice-300M-SFT"), model_rate("CosyVoice2-0.5B"), model_rate(None)) == (22050, 24000, 24000)
    app = cosyvoice_app(rate=22050)
    voices = ReferenceVoices(tmp_path)
    with serve(app) as url:
        stage = StageSettings(provider="cosyvoice", base_url=url, model="CosyVoice-300M")
        voice = await CosyVoiceCloner.from_references(stage, http, voices, asr=Heard()).create_voice("Rose", SAMPLES)
        audio = await CosyVoiceTextToSpeech.from_references(stage, http, voices).synthesize("Hello, my love.", voice=voice)
    assert audio.sample_rate == 22050 and audio.duration_s == pytest.approx(SECONDS_PER_CHAR * 15, abs=0.01)


async def test_a_failing_cosyvoice_leaves_the_embedded_voice_with_a_notice(http, tmp_path):
    app = cosyvoice_app()
    voices = ReferenceVoices(tmp_path)
    with serve(app) as url:
        stage = StageSettings(provider="cosyvoice", base_url=url, retries=0)
        voice = await CosyVoiceCloner.from_references(stage, http, voices, asr=Heard()).create_voice("Rose", SAMPLES)
        primary = CosyVoiceTextToSpeech.from_references(stage, http, voices)
        app.state.fail_after_chunks = 1  # the model breaks after its first piece: the stream is cut short
        with pytest.raises(ServiceError):
            await primary.synthesize("A sentence long enough to come in several pieces.", voice=voice)
        tts = FallbackTextToSpeech(primary, Plain())
        with collect_fallbacks() as fallbacks:
            audio = await tts.synthesize("A sentence long enough to come in several pieces.", voice=voice)
        assert audio.stand_in and [f.code for f in fallbacks] == ["tts_fallback"]
        # A clip the server cannot read is its plain 500; a missing field its 422: both are failures, never sound.
        with pytest.raises(ServiceError, match="HTTP 500"):
            broken = ReferenceVoices(tmp_path / "broken")
            broken.save("bad", Audio(np.zeros(0, np.float32), 8000), HEARD, "en")
            (tmp_path / "broken" / "bad.wav").write_bytes(b"RIFF nonsense")
            await CosyVoiceTextToSpeech.from_references(stage, http, broken).synthesize("Hello.", voice="bad")


async def test_cloning_with_cosyvoice_down_keeps_nothing(http, tmp_path):
    voices = ReferenceVoices(tmp_path / "refs")
    cloner = CosyVoiceCloner.from_references(StageSettings(provider="cosyvoice", base_url=closed_port()), http, voices, asr=Heard())
    with pytest.raises(ServiceError):
        await cloner.create_voice("Rose", SAMPLES)
    assert list((tmp_path / "refs").iterdir()) == []
    with pytest.raises(ServiceError, match="3 to 10 seconds"):
        await cloner.create_voice("Rose", [sample("tiny.wav", spoken(1)[: 2 * RATE])])
    with pytest.raises(ServiceError, match="no words"):
        await CosyVoiceCloner.from_references(StageSettings(provider="cosyvoice"), http, voices, asr=Heard("  ")).create_voice(
            "Rose", SAMPLES
        )


# --- GPT-SoVITS ----------------------------------------------------------------------------------


async def test_gptsovits_reads_the_clip_from_the_shared_folder_and_speaks(http, tmp_path):
    refs = tmp_path / "refs"
    disk = {"/srv/gpt-sovits/refs": refs}  # the folder, mounted in the server's container
    app = gptsovits_app(disk=disk)
    with serve(app) as url:
        settings = Settings(
            data_dir=tmp_path,
            tts=TtsSettings(provider="GPT-SoVITS", base_url=url, reference_dir=refs, reference_dir_on_server="/srv/gpt-sovits/refs"),
        )
        assert settings.tts.provider == "gpt-sovits"
        cloner = build_cloner(settings, http, asr=Heard(language="en"))
        assert isinstance(cloner, GptSovitsCloner)
        voice = await cloner.create_voice("Keepsake Rose", SAMPLES)
        assert app.state.loaded == [f"/srv/gpt-sovits/refs/{voice}.wav"]  # /set_refer_audio took it at once
        assert (refs / f"{voice}.wav").exists()

        tts = build_services(settings, http).tts.primary
        assert isinstance(tts, GptSovitsTextToSpeech)
        text = "Cold butter and a light hand."
        audio = await tts.synthesize(text, language="en-GB", voice=voice)
        assert audio.sample_rate == 32000 and audio.duration_s == pytest.approx(SECONDS_PER_CHAR * len(text), abs=0.01)
        sent = app.state.calls[-1]
        assert (sent["text"], sent["text_lang"], sent["prompt_text"], sent["prompt_lang"]) == (text, "en", HEARD, "en")
        assert sent["ref_audio_path"] == f"/srv/gpt-sovits/refs/{voice}.wav"
        assert (sent["media_type"], sent["streaming_mode"], sent["text_split_method"]) == ("wav", False, "cut5")

        # A language this server does not speak goes to the embedded voice without asking it.
        asked = len(app.state.calls)
        with pytest.raises(ServiceError, match="does not speak"):
            await tts.synthesize("Guten Morgen.", language="de", voice=voice)
        assert len(app.state.calls) == asked
        # The volume unmounted: the server's 400 {"message": "tts failed"} is a failure, never sound.
        disk["/srv/gpt-sovits/refs"] = tmp_path / "unmounted"
        with pytest.raises(ServiceError, match="HTTP 400"):
            await tts.synthesize(text, language="en", voice=voice)


async def test_gptsovits_heard_language_becomes_the_prompt_language(http, tmp_path):
    refs = tmp_path / "refs"
    app = gptsovits_app(disk={str(refs.resolve()): refs})  # one machine: the same path for both
    with serve(app) as url:
        settings = Settings(data_dir=tmp_path, tts=TtsSettings(provider="gpt-sovits", base_url=url, reference_dir=refs))
        voice = await build_cloner(settings, http, asr=Heard("我记得那片海。", "zh")).create_voice("Rose", SAMPLES)
        other = await build_cloner(settings, http, asr=Heard("Ich erinnere mich.", "de")).create_voice("Rose", SAMPLES)
        tts = build_services(settings, http).tts.primary
        await tts.synthesize("我很想你。", language="zh-CN", voice=voice)
        await tts.synthesize("I miss you.", language="en", voice=other)
    assert [(c["text_lang"], c["prompt_lang"]) for c in app.state.calls] == [("zh", "zh"), ("en", "auto")]


async def test_gptsovits_that_cannot_see_the_folder_refuses_the_voice_plainly(http, tmp_path):
    refs = tmp_path / "refs"
    app = gptsovits_app(disk={"/srv/refs": tmp_path / "elsewhere"})  # the server sees another folder
    with serve(app) as url:
        cloner = GptSovitsCloner.from_references(
            StageSettings(provider="gpt-sovits", base_url=url), http, ReferenceVoices(refs, "/srv/refs"), asr=Heard()
        )
        with pytest.raises(ServiceError) as failed:
            await cloner.create_voice("Rose", SAMPLES)
    assert "could not open the reference clip" in failed.value.message and "/srv" not in failed.value.message
    assert list(refs.iterdir()) == [] and app.state.loaded == []


async def test_a_persona_the_server_has_no_voice_for_gets_the_embedded_one_and_the_server_is_not_blamed(http, tmp_path):
    refs = tmp_path / "refs"
    app = gptsovits_app(disk={str(refs.resolve()): refs})
    with serve(app) as url:
        settings = Settings(data_dir=tmp_path, tts=TtsSettings(provider="gpt-sovits", base_url=url, reference_dir=refs))
        voice = await build_cloner(settings, http, asr=Heard()).create_voice("Rose", SAMPLES)
        tts = FallbackTextToSpeech(build_services(settings, http).tts.primary, Plain())
        # Never cloned, or a language it does not speak: many sentences, each said by the embedded voice with a notice.
        with collect_fallbacks() as fallbacks:
            for _ in range(5):
                assert (await tts.synthesize("Guten Morgen.", language="de", voice=voice)).stand_in
                assert (await tts.synthesize("Good morning.", language="en", voice=None)).stand_in
        assert len(fallbacks) == 10 and {f.code for f in fallbacks} == {"tts_fallback"}
        assert {f.reason for f in fallbacks} == {"GPT-SoVITS does not speak the language 'de'", NO_REFERENCE}
        assert app.state.calls == []
        # The service did nothing wrong: the persona with a voice is still spoken by it.
        assert tts.breaker.state == "closed"
        audio = await tts.synthesize("Good morning.", language="en", voice=voice)
        assert not audio.stand_in and audio.sample_rate == 32000
