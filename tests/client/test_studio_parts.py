"""The persona studio's parts that need no display: the form, the mouth geometry, the sample joiner, the words."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from shared.api import JobOut, PersonaCreate, PersonaKind, PersonaUpdate, VoiceOverview
from client.api import ApiError, Offline
from client.audio import MIC_RATE, decode_wav, to_int16, write_wav
from client.i18n import _STUDIO_STRINGS, STRINGS, translate
from client.uix.studio_forms import (
    KINDS,
    StudioProblem,
    can_make_voice,
    compose_biography,
    consent_role,
    image_suffix,
    job_error,
    job_finished,
    list_folder,
    parse_age,
    parse_list,
    persona_fields,
    plain_error,
    split_biography,
    voice_fraction,
)

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- how the family addresses them
def test_names_split_on_commas_in_either_script_and_lose_blanks_and_repeats():
    assert parse_list("Nainai, Grandma Rose") == ["Nainai", "Grandma Rose"]
    assert parse_list(" 奶奶，外婆、 Nana ;; ") == ["奶奶", "外婆", "Nana"]
    assert parse_list("Nana,  nana , NANA,Gran\nGrandma   Rose") == ["Nana", "Gran", "Grandma Rose"]
    assert parse_list("") == [] and parse_list(" , ,") == []


def test_names_are_kept_within_what_the_server_accepts():
    many = ", ".join(f"name {i}" for i in range(40))
    assert len(parse_list(many)) == 20
    assert len(parse_list(many, limit=50)) == 40
    assert len(parse_list("x" * 500)[0]) == 200


# ---------------------------------------------------------------- a child is kept at an age
@pytest.mark.parametrize(
    "text, age",
    [("12", 12), (" 7 ", 7), ("1", 1), ("17", 17), ("0", None), ("18", None), ("twelve", None), ("", None), ("-3", None), ("4.5", None)],
)
def test_the_age_kept_is_a_whole_number_from_1_to_17(text, age):
    assert parse_age(text) == age


def test_the_age_goes_into_the_biography_and_comes_back_out_when_editing():
    bio = compose_biography("child", 12, "Loves football and drawing.")
    assert bio == "As of age 12. Loves football and drawing."
    assert split_biography(bio) == (12, "Loves football and drawing.")
    assert compose_biography("deceased", 12, "A teacher.") == "A teacher."  # only a child has an age
    assert split_biography("A teacher who was 12 once.") == (None, "A teacher who was 12 once.")
    assert split_biography(compose_biography("child", 9, "")) == (9, "")


# ---------------------------------------------------------------- the form becomes the server's body
def form(**overrides):
    values = dict(
        display_name="  Rose   Whitfield ",
        addressed_as="Nainai, Grandma Rose",
        kind="deceased",
        age="",
        language="en",
        biography=" Born in Leeds. ",
        speaking_style="",
        boundaries="politics, the divorce",
        disclosure=True,
    )
    values.update(overrides)
    return persona_fields(**values)


def test_the_form_gives_a_body_the_server_accepts_for_create_and_update():
    fields, problem = form()
    assert problem is None
    assert fields == {
        "display_name": "Rose Whitfield",
        "addressed_as": ["Nainai", "Grandma Rose"],
        "kind": "deceased",
        "language": "en",
        "biography": "Born in Leeds.",
        "speaking_style": None,
        "boundaries": ["politics", "the divorce"],
        "disclosure": True,
    }
    PersonaCreate(**fields)
    PersonaUpdate(**fields)


def test_the_form_says_what_is_missing():
    assert form(display_name="   ")[1] == "studio_need_name"
    assert form(kind="ghost")[1] == "studio_need_kind"
    assert form(kind="child", age="")[1] == "studio_need_age"
    assert form(kind="child", age="40")[1] == "studio_need_age"
    fields, problem = form(kind="child", age="12", language="fr")
    assert problem is None and fields["biography"].startswith("As of age 12.") and fields["language"] == "en"


def test_every_kind_the_server_knows_has_its_consent_wording():
    assert set(KINDS) == set(PersonaKind.__args__)
    roles = {kind: consent_role(kind) for kind in KINDS}
    assert roles == {"deceased": "next_of_kin", "living": "self", "child": "parent", "public_figure": "rights_holder"}
    for kind in KINDS:
        assert f"kind_{kind}" in STRINGS
    for role in roles.values():
        for key in (f"consent_intro_{role}", f"consent_given_by_{role}", f"consent_statement_{role}"):
            assert key in STRINGS, key
            assert "{persona}" not in translate(key, "zh", persona="Rose")


# ---------------------------------------------------------------- imports, voice, errors
def test_the_photo_job_and_the_voice_overview_read_plainly():
    def job(state: str, errors: list[str] | None = None) -> JobOut:
        stamp = "2026-11-28T10:00:00Z"
        return JobOut(id="j1", kind="photo", state=state, percent=0, errors=errors or [], created_at=stamp, updated_at=stamp)

    def overview(enough: bool, cloning: bool) -> VoiceOverview:
        cloning_info = {"available": cloning, "message": ""}
        return VoiceOverview.model_validate(
            {"total_clean_s": 0, "needed_s": 30, "enough": enough, "message": "", "samples": [], "cloning": cloning_info}
        )

    assert not job_finished(job("running")) and job_finished(job("done")) and job_finished(job("failed"))
    assert job_error(job("failed", ["This picture is damaged."])) == "This picture is damaged."
    assert job_error(job("failed")) == "The import failed."
    assert job_error(job("done")) == ""
    assert voice_fraction(12, 30) == pytest.approx(0.4)
    assert voice_fraction(45, 30) == 1.0 and voice_fraction(0, 30) == 0.0 and voice_fraction(5, 0) == 1.0
    assert can_make_voice(overview(enough=True, cloning=True))
    assert not can_make_voice(overview(enough=True, cloning=False))
    assert not can_make_voice(overview(enough=False, cloning=True))


def test_errors_become_one_plain_sentence():
    words = {"err_offline": "the server cannot be reached", "studio_file_unreadable": "unreadable", "studio_unexpected": "unexpected"}
    t = lambda key, **_values: words.get(key)  # noqa: E731  (the app's t takes values too)
    assert plain_error(ApiError(409, "consent_scope", "The consent covers own words only."), t) == "The consent covers own words only."
    assert plain_error(Offline("502 voice_service_failed: The voice service did not answer."), t) == "The voice service did not answer."
    assert plain_error(Offline("[Errno 111] Connection refused"), t) == "the server cannot be reached."
    assert plain_error(StudioProblem("No face."), t) == "No face."
    assert plain_error(FileNotFoundError("/x"), t) == "unreadable."
    assert plain_error(KeyError("job_id"), t) == "unexpected."
    assert (
        plain_error(Offline("x"), lambda key, **_values: {"err_offline": "连不上服务器"}.get(key)) == "连不上服务器。"
    )  # a Chinese sentence ends with 。


def test_in_chinese_the_servers_errors_are_said_in_chinese():
    from client.i18n import translate

    zh = lambda key, **values: translate(key, "zh", **values)  # noqa: E731
    en = lambda key, **values: translate(key, "en", **values)  # noqa: E731
    busy = Offline("503 busy: Many people are talking right now. Please try again in a moment.")
    assert plain_error(busy, zh) == "现在说话的人很多，请稍后再试。"
    assert plain_error(busy, en) == "Many people are talking right now. Please try again in a moment."
    scope = ApiError(409, "consent_scope", "The consent covers own words only.")
    assert plain_error(scope, zh) == "记录的同意不包括这件事。"
    assert plain_error(scope, en) == "The consent covers own words only."
    assert plain_error(ApiError(400, "new_code", "Something new."), zh) == "Something new."  # better English than nothing


def test_every_error_code_the_server_sends_has_a_chinese_sentence():
    import re

    from client.i18n import translate

    codes = set()
    for path in (ROOT / "server").rglob("*.py"):
        codes |= set(re.findall(r'(?:ApiError|ImportRejected)\(\s*\d{3},\s*"([a-z_]+)"', path.read_text()))
    codes |= {
        "not_found",
        "busy",
        "bad_request",
        "unauthorized",
        "forbidden",
        "conflict",
        "too_large",
        "unsupported_media_type",
        "invalid_request",
        "too_many_requests",
        "internal",
        "store_unavailable",
        "database_unavailable",
    }  # server/errors.py
    assert len(codes) > 20
    missing = sorted(code for code in codes if not translate(f"api_{code}", "zh") or translate(f"api_{code}", "zh") == f"api_{code}")
    assert not missing
    assert translate("api_who_is_self", "zh", server="Rose, Anne") == "请说明聊天记录里哪一位是这个人物。（Rose, Anne）"


def test_a_portrait_keeps_the_ending_kivy_needs():
    assert image_suffix(b"\xff\xd8\xff\xe0rest") == ".jpg"
    assert image_suffix(b"\x89PNG\r\n") == ".png"


def test_the_chooser_lists_folders_then_matching_files_and_hides_hidden_ones(tmp_path):
    (tmp_path / "Pictures").mkdir()
    (tmp_path / ".cache").mkdir()
    for name in ("b.JPG", "a.png", "notes.txt", ".secret.png", "voice.wav"):
        (tmp_path / name).write_bytes(b"x")
    folders, files = list_folder(tmp_path, (".png", ".jpg", ".jpeg"))
    assert [p.name for p in folders] == ["Pictures"]
    assert [p.name for p in files] == ["a.png", "b.JPG"]
    assert list_folder(tmp_path / "missing", (".png",)) == ([], [])


# ---------------------------------------------------------------- the words
def test_the_studio_words_exist_in_both_languages_and_override_nothing():
    import client.i18n as i18n

    source = (ROOT / "client" / "i18n.py").read_text(encoding="utf-8")
    before_studio = source.split("_STUDIO_STRINGS")[0]
    for key, words in _STUDIO_STRINGS.items():
        assert words.get("en") and words.get("zh"), key
        assert f'"{key}":' not in before_studio, f"{key} is defined twice"
        assert STRINGS[key] is words
        # the same placeholders in both languages, so no sentence loses its name or number
        import string

        fields = [{f for _, f, _, _ in string.Formatter().parse(words[lang]) if f} for lang in ("en", "zh")]
        assert fields[0] == fields[1], key
    assert i18n.translate("voice_progress", "zh", total=12, needed=30) == "清楚的说话声：12 / 30 秒"


# ---------------------------------------------------------------- the mouth: a tap on the photo
def test_the_photo_is_shown_whole_and_centred():
    from client.uix.mouth_picker import fit_rect

    assert fit_rect(1000, 500, (0, 0, 400, 400)) == (0, 100, 400, 200)  # wide: bands above and below
    assert fit_rect(500, 1000, (10, 20, 400, 400)) == (110, 20, 200, 400)  # tall: bands left and right
    assert fit_rect(0, 0, (0, 0, 400, 400))[2:] == (0, 0)


def test_a_tap_becomes_the_mouth_point_from_the_top_left_and_back():
    from client.uix.mouth_picker import point_to_pos, tap_to_point

    rect = (110, 20, 200, 400)  # Kivy: x, y from the bottom-left
    assert tap_to_point(110, 420, rect) == (0.0, 0.0)  # the image's top-left corner
    assert tap_to_point(210, 20, rect) == (0.5, 1.0)  # the middle of its bottom edge
    assert tap_to_point(160, 120, rect) == (0.25, 0.75)
    assert tap_to_point(100, 200, rect) is None  # on the band beside the photo
    assert tap_to_point(200, 430, rect) is None
    for fx, fy in ((0.5, 0.62), (0.1, 0.9), (1.0, 0.0)):
        x, y = point_to_pos(fx, fy, rect)
        assert tap_to_point(x, y, rect) == pytest.approx((fx, fy))


def test_the_point_means_what_the_talking_portrait_means():
    """Where the studio draws the mark is where client/uix/portrait.py puts the mouth, in image pixels."""
    from client.uix.mouth_picker import fit_rect, point_to_pos

    image_w, image_h = 800, 1000
    fx, fy = 0.42, 0.66
    x, y, w, h = fit_rect(image_w, image_h, (0, 0, 400, 500))  # the picture exactly fills the box
    px, py = point_to_pos(fx, fy, (x, y, w, h))
    # portrait.py: mouth = (left + mx * dw, height - (top + my * dh)) with left = top = 0, dw, dh the drawn size
    assert (px, py) == pytest.approx((fx * w, h - fy * h))


# ---------------------------------------------------------------- recording a sample in pieces
def tone(seconds: float, rate: int = MIC_RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return to_int16(0.3 * np.sin(2 * np.pi * 220 * t))


def test_pieces_of_a_recording_are_joined_with_a_short_pause(tmp_path):
    from client.uix.studio_recorder import PAUSE_S, join_wavs

    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    write_wav(a, tone(1.0))
    write_wav(b, tone(0.5, 8000), 8000)  # another rate is resampled
    target = tmp_path / "joined.wav"
    seconds = join_wavs([a, b], target)
    assert seconds == pytest.approx(1.5 + PAUSE_S, abs=0.01)
    samples, rate = decode_wav(target.read_bytes())
    assert rate == MIC_RATE and len(samples) / rate == pytest.approx(seconds, abs=0.01)
    gap = samples[MIC_RATE + 10 : MIC_RATE + int(PAUSE_S * MIC_RATE) - 10]
    assert np.abs(gap).max() == 0.0 and np.abs(samples[:MIC_RATE]).max() > 0.2
    with wave.open(str(target)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2


def test_server_settings_are_left_out_of_what_the_caregiver_reads():
    from client.uix.studio_forms import caregiver_sentences

    message = (
        "No voice-cloning service is set up on this server, so Rose will speak with the built-in voice. "
        "The samples are kept: once a service is set up (KEEPSAKE_TTS__PROVIDER=elevenlabs, for one), ask again."
    )
    assert caregiver_sentences(message) == "No voice-cloning service is set up on this server, so Rose will speak with the built-in voice."
    assert caregiver_sentences("A voice can be made from the samples.") == "A voice can be made from the samples."
    assert caregiver_sentences("") == ""


class ScriptedMic:
    """A microphone whose recordings are scripted: each start() "hears" the next piece (None: nobody speaks)."""

    name = "scripted"

    def __init__(self, folder: Path, pieces: list[float | None]) -> None:
        self.folder, self.pieces, self.started, self.on_event = folder, list(pieces), 0, None
        self.current: float | None = None

    def start(self, on_event) -> None:
        self.started += 1
        self.on_event = on_event
        self.current = self.pieces.pop(0) if self.pieces else None

    def stop(self, folder: Path):
        from client.platform.mic_base import Recording

        seconds, self.current = self.current, None
        if not seconds:
            return None
        path = folder / f"piece-{self.started}.wav"
        write_wav(path, tone(seconds))
        return Recording(path, "audio/wav", seconds, True)

    def cancel(self) -> None:
        self.current = None


@pytest.fixture
def recorder(tmp_path):
    """A SampleRecorder on a scripted mic; each thing the mic hears reaches the recorder on the next
    tick of Kivy's clock, as it does on the tablet (the recorder's handler is ``@mainthread``)."""
    from kivy.clock import Clock

    import client.uix.studio_recorder as module

    done: list[list[Path]] = []

    class TickingMic(ScriptedMic):
        def start(self, on_event) -> None:
            super().start(lambda kind, value: (on_event(kind, value), Clock.tick()))

    def make(pieces):
        mic = TickingMic(tmp_path, pieces)
        return module.SampleRecorder(mic, tmp_path, on_level=lambda level: None, on_done=done.append), mic, done

    return make


def test_a_pause_does_not_end_the_sample_the_pieces_are_joined_at_stop(recorder, tmp_path):
    from client.uix.studio_recorder import PAUSE_S

    rec, mic, done = recorder([1.0, 0.5])
    rec.start()
    mic.on_event("start", 0)
    mic.on_event("end", 0)  # a breath after the first sentence: the mic listens again
    assert mic.started == 2 and rec.recording
    rec.stop()  # the caregiver's tap in the middle of the second piece
    assert not rec.recording and len(done) == 1 and len(done[0]) == 1
    samples, rate = decode_wav(done[0][0].read_bytes())
    assert len(samples) / rate == pytest.approx(1.5 + PAUSE_S, abs=0.01)
    assert sorted(p.name for p in tmp_path.glob("piece-*.wav")) == []  # the pieces are gone, the sample stays


def test_quiet_after_speech_ends_the_sample_by_itself_and_nothing_heard_gives_nothing(recorder):
    rec, mic, done = recorder([1.0, None])
    rec.start()
    mic.on_event("end", 0)
    mic.on_event("timeout", 0)  # nobody spoke in the second piece
    assert not rec.recording and len(done[0]) == 1
    rec2, mic2, done2 = recorder([None])
    rec2.start()
    mic2.on_event("timeout", 0)
    assert done2[-1] == []


def test_a_cancelled_sample_leaves_no_file(recorder, tmp_path):
    rec, mic, done = recorder([1.0, 1.0])
    rec.start()
    mic.on_event("end", 0)
    rec.cancel()
    assert not rec.recording and done == [] and list(tmp_path.glob("*.wav")) == []


def test_a_microphone_that_will_not_start_leaves_nothing_recording_and_one_that_fails_later_keeps_the_words(recorder):
    rec, mic, done = recorder([1.0])

    def refuse(_on_event):
        raise PermissionError("no microphone permission")

    real_start, mic.start = mic.start, refuse
    with pytest.raises(PermissionError):
        rec.start()
    assert not rec.recording and done == []

    mic.start = real_start
    rec.start()
    mic.on_event("start", 0)
    mic.start = refuse  # the device goes away during the pause after the first sentence
    mic.on_event("end", 0)
    assert not rec.recording and len(done) == 1 and len(done[0]) == 1
