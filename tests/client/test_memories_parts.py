"""The caregiver's memory and alert screens' words, without a display: where a memory came from,
when, how an import is going, what an alert is about (client/caregiver_words.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.api import Alert, JobOut, MemoryOrigin, MemoryOut
from client import i18n
from client.caregiver_words import (
    alert_kind_words,
    counts_words,
    is_urgent,
    level_percent,
    origin_line,
    page_words,
    place,
    place_words,
    progress_text,
    stage_words,
    when,
)


def memory(kind: str, filename: str | None = None, position: str | None = None, audio: bool = False) -> MemoryOut:
    return MemoryOut.model_validate(
        {
            "id": "m1",
            "persona_id": "p1",
            "title": "t",
            "text": "x",
            "source": kind,
            "hidden": False,
            "created_at": "2026-11-28T17:49:03+00:00",
            "origin": {"kind": kind, "source_id": "s1" if filename else None, "filename": filename, "position": position},
            "audio_url": "/v1/media/abc?sig=1" if audio else None,
        }
    )


def job(**fields: object) -> JobOut:
    """An import job as the server answers it, with only ``fields`` worth a test's attention."""
    stamp = "2026-11-28T17:49:03+00:00"
    return JobOut.model_validate(
        {"id": "j1", "kind": "import", "state": "queued", "percent": 0, "created_at": stamp, "updated_at": stamp} | fields
    )


def alert(**fields: object) -> Alert:
    return Alert.model_validate({"id": "a", "kind": "crisis", "message": "", "created_at": "2026-11-28T10:00:00+00:00"} | fields)


def test_every_memory_string_has_both_languages_and_none_overrides_an_older_key():
    # the block is merged with setdefault: a clash would silently show someone else's words
    source = Path(i18n.__file__).read_text(encoding="utf-8")
    head = source.split("_MEMORY_STRINGS: dict")[0]
    for key, words in i18n._MEMORY_STRINGS.items():
        assert f'"{key}":' not in head, f"{key} is defined twice in client/i18n.py"
        assert words.get("en") and words.get("zh"), key
        assert i18n.STRINGS[key] is words


@pytest.mark.parametrize(
    "position, zh",
    [
        ("chapter 2, paragraphs 4–7", "第2章，第4–7段"),
        ("chapter 3, pages 12–13, paragraphs 4–7", "第3章，第12–13页，第4–7段"),
        ("page 12, paragraph 1", "第12页，第1段"),
        ("letter 3, dated 12 May 1944", "第3封信，写于 12 May 1944"),
        ("letter 3, dated 12 May 1944 (part 2)", "第3封信，写于 12 May 1944（第2部分）"),
        ("recording 0:58–1:50", "录音 0:58–1:50"),
        ("messages 3–9, 04/05/2021", "第3–9条消息，04/05/2021"),
        ("message 12", "第12条消息"),
    ],
)
def test_places_read_in_chinese_and_stay_as_they_are_in_english(position, zh):
    assert place(position, "zh") == zh
    assert place(position, "en") == position


def test_origin_names_the_kind_the_file_and_the_place():
    line = origin_line(memory("memoir", "rose.txt", "chapter 2, paragraphs 4–7"), "en")
    assert line == "Memoir · rose.txt · chapter 2, paragraphs 4–7"
    assert (
        origin_line(memory("letters", "letters.docx", "letter 3, dated 12 May 1944"), "zh")
        == "书信 · letters.docx · 第3封信，写于 12 May 1944"
    )
    assert origin_line(memory("typed"), "en") == "Typed in by the family"
    assert origin_line(memory("demo"), "zh") == "示例故事"
    assert origin_line(memory("photo_caption"), "en") == "From photo_caption"  # a kind this tablet does not know yet


def test_the_persons_own_recording_is_said_so():
    line = origin_line(memory("voice_memo", "memo.m4a", "recording 0:58–1:50", audio=True), "en", "Grandma Rose")
    assert line == "Recording · memo.m4a · recording 0:58–1:50 · in Grandma Rose's own voice"
    assert origin_line(memory("voice_memo", "memo.m4a", "recording 0:00–0:30", audio=True), "zh", "奶奶").endswith("奶奶本人的声音")


def test_when_is_local_time_in_each_language():
    stamp = "2026-11-28T17:49:03.123456+00:00"
    utc = datetime(2026, 1, 1, tzinfo=UTC)
    assert when(stamp, "en", now=utc) == "28 Nov 2026, 17:49"
    assert when(stamp, "zh", now=utc) == "2026年11月28日 17:49"
    plus8 = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    assert when(stamp, "zh", now=plus8) == "2026年11月29日 01:49"
    assert when("2026-11-28T17:49:03", "en", now=utc) == "28 Nov 2026, 17:49"  # no zone: the server's UTC
    assert when(None, "en") == "" and when("yesterday", "en") == "yesterday"


def test_progress_says_what_is_happening_at_each_state():
    assert progress_text(job(state="queued", percent=0), "en", "book.epub") == "book.epub: waiting to start…"
    running = job(state="running", percent=42.7, stage="reading", counts={"paragraphs": 120, "chapters": 4})
    assert progress_text(running, "en", "book.epub") == "book.epub: Reading, 42% (4 chapters, 120 paragraphs)"
    assert progress_text(running, "zh", "book.epub") == "book.epub：正在读取，42%（4 章，120 段）"
    done = job(state="done", percent=100, counts={"memories": 14, "chapters": 4, "hidden_context": 3})
    assert progress_text(done, "en", "book.epub") == "book.epub is in: 14 memories, 4 chapters."
    assert progress_text(done, "zh", "book.epub") == "book.epub 已导入：14 条回忆，4 章。"
    failed = job(state="failed", percent=30, errors=["This recording is silent: no voice could be heard in it."])
    assert (
        progress_text(failed, "en", "memo.wav")
        == "memo.wav could not be brought in: This recording is silent: no voice could be heard in it."
    )
    assert progress_text(job(state="failed", errors=[]), "en", "x.pdf") == "x.pdf could not be brought in: something went wrong"
    assert progress_text(job(state="running", percent=250), "en", "x") == "x: …, 100%"


def test_stages_and_counts_in_chinese():
    assert stage_words("transcribing part 2 of 5", "zh") == "正在听写第2段（共5段）"
    assert stage_words("transcribing part 2 of 5", "en") == "Transcribing part 2 of 5"
    assert stage_words("something new", "zh") == "something new"
    assert counts_words({"memories": 3, "letters": 2, "silent_parts": 1}, "zh") == "3 条回忆，2 封信"
    assert counts_words({}, "en") == ""


def test_alerts_in_plain_words_and_only_a_crisis_is_urgent():
    assert alert_kind_words("crisis", "en") == "Crisis: the relative may be in danger"
    assert alert_kind_words("relative_stopped", "zh") == "亲人要求停止对话"
    assert alert_kind_words("blocked_sentence", "en") == "A sentence was stopped before it was spoken"
    assert alert_kind_words("webhook_failed", "en") == "Notice: webhook_failed"
    assert is_urgent(alert(kind="crisis")) and not is_urgent(alert(kind="blocked_sentence"))


def test_page_words():
    assert page_words(0, 8, "en") == "Memories 1 to 8"
    assert page_words(16, 3, "zh") == "第 17 到 19 条回忆"
    assert page_words(8, 0, "en") == "No memories here."


def test_alerts_are_newest_first():
    from client.uix.alerts import newest_first

    alerts = [
        alert(id="a", created_at="2026-11-28T10:00:00+00:00"),
        alert(id="b", created_at="2026-11-28T12:00:00+00:00"),
        alert(id="c", created_at="2026-11-27T23:00:00+00:00"),
    ]
    assert [a.id for a in newest_first(alerts)] == ["b", "a", "c"]


def test_a_long_memory_is_cut_at_a_word_in_the_list():
    from client.uix.memory_rows import preview

    text = "word " * 200
    cut = preview(text, 50)
    assert cut.endswith(" …") and len(cut) <= 52 and "wor …" not in cut
    assert preview("short", 50) == "short"


def test_a_search_shows_the_part_of_a_long_memory_with_the_words():
    from client.uix.memory_rows import preview

    text = "The harbour wall and the boats. " * 30 + "Father took me up the lighthouse at Hook Head. " + "The gulls. " * 30
    shown = preview(text, 200, around="Lighthouse")
    assert shown.startswith("… ") and "lighthouse at Hook Head" in shown and len(shown) <= 204
    assert preview(text, 200, around="harbour").startswith("The harbour wall")  # already in the start
    assert preview(text, 200, around="not there").startswith("The harbour wall")


def test_the_microphone_level_bar():
    assert level_percent(-80) == 0 and level_percent(-60) == 0
    assert level_percent(-30) == 50 and level_percent(0) == 100 and level_percent(6) == 100
    assert level_percent(float("nan")) == 0


# A memory's place as the server now sends it: fields, with its English words beside them.
STRUCTURED = [
    ({"chapter": 2, "paragraphs": {"first": 4, "last": 7}}, "chapter 2, paragraphs 4–7", "第2章，第4–7段"),
    (
        {"chapter": 3, "pages": {"first": 12, "last": 13}, "paragraphs": {"first": 4, "last": 4}},
        "chapter 3, pages 12–13, paragraph 4",
        "第3章，第12–13页，第4段",
    ),
    ({"letter": 3, "date": "12 May 1944", "part": 2}, "letter 3, dated 12 May 1944 (part 2)", "第3封信，写于 12 May 1944（第2部分）"),
    ({"messages": {"first": 3, "last": 9}, "date": "04/05/2021"}, "messages 3–9, 04/05/2021", "第3–9条消息，04/05/2021"),
    ({"recording_s": {"first": 58, "last": 3725}}, "recording 0:58–1:02:05", "录音 0:58–1:02:05"),
]


@pytest.mark.parametrize("fields, en, zh", STRUCTURED, ids=[en for _, en, _ in STRUCTURED])
def test_each_language_words_the_places_fields_itself(fields, en, zh):
    from server.storage import memory_places

    # The position below is deliberately not the English: the fields are what is worded.
    origin = MemoryOrigin.model_validate({"kind": "memoir", "source_id": "s1", "filename": "f", "position": "(older words)", **fields})
    assert place_words(origin, "en") == en and place_words(origin, "zh") == zh
    assert memory_places.english(memory_places.MemoryPlace.model_validate(fields)) == en  # as the server words it


def test_an_older_servers_english_words_are_still_turned_into_chinese():
    origin = MemoryOrigin(kind="memoir", filename="rose.txt", position="chapter 2, paragraphs 4–7")
    assert place_words(origin, "zh") == "第2章，第4–7段" and place_words(origin, "en") == "chapter 2, paragraphs 4–7"
    assert place_words(None, "en") == "" and place_words(MemoryOrigin(kind="typed"), "zh") == ""
