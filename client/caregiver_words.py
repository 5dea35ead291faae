"""Plain words for the caregiver's memory and alert screens: where a memory came from, when,
how an import is going, what an alert is about. Pure functions (no Kivy), so tests need no display.

The server gives a memory's place as fields (chapter, pages, paragraphs, letter, messages, recording,
the source's own date, part): each language words them here ("chapter 2, paragraphs 4–7",
"第2章，第4–7段"). An older server sends only English words (``origin.position``); for a Chinese
screen those are turned into Chinese with the patterns below.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shared.api import Alert, Fact, JobOut, MemoryOrigin, MemoryOut, Span
from client.i18n import translate

# what each kind of source is called on screen (the server's origin.kind, or memory.source)
KIND_KEYS = {
    "memoir": "origin_memoir",
    "letters": "origin_letters",
    "letter": "origin_letters",
    "chat": "origin_chat",
    "voice_memo": "origin_voice_memo",
    "typed": "origin_typed",
    "demo": "origin_demo",
    "document": "origin_memoir",
}

ALERT_KEYS = {
    "crisis": "alert_crisis",
    "blocked_sentence": "alert_blocked",
    "relative_stopped": "alert_stopped",
}

# counts an import job reports, in the order worth telling; the rest are details
COUNT_KEYS = ("memories", "chapters", "paragraphs", "letters", "messages", "parts")

_ZH_PLACES = [
    (re.compile(r"chapter (\d+)"), r"第\1章"),
    (re.compile(r"pages (\d+)[–-](\d+)"), r"第\1–\2页"),
    (re.compile(r"page (\d+)"), r"第\1页"),
    (re.compile(r"paragraphs (\d+)[–-](\d+)"), r"第\1–\2段"),
    (re.compile(r"paragraph (\d+)"), r"第\1段"),
    (re.compile(r"messages (\d+)[–-](\d+)"), r"第\1–\2条消息"),
    (re.compile(r"message (\d+)"), r"第\1条消息"),
    (re.compile(r"letter (\d+)"), r"第\1封信"),
    (re.compile(r"dated "), "写于 "),
    (re.compile(r"recording "), "录音 "),
    (re.compile(r" ?\(part (\d+)\)"), r"（第\1部分）"),
    (re.compile(r", "), "，"),
]

_ZH_STAGES = [
    (re.compile(r"^transcribing part (\d+) of (\d+)$"), r"正在听写第\1段（共\2段）"),
    (re.compile(r"^reading$"), "正在读取"),
    (re.compile(r"^splitting$"), "正在分成回忆"),
    (re.compile(r"^saving$"), "正在保存"),
    (re.compile(r"^decoding$"), "正在打开录音"),
    (re.compile(r"^finding the face$"), "正在找脸"),
]


def place(position: str | None, language: str) -> str:
    """The place inside a file, in the screen's language."""
    text = (position or "").strip()
    if language == "zh":
        for pattern, replacement in _ZH_PLACES:
            text = pattern.sub(replacement, text)
    return text


# How each language words the fields of a place; a language not here reads the English.
_PLACE_WORDS = {
    "en": {
        "chapter": "chapter {n}",
        "page": "page {n}",
        "pages": "pages {first}–{last}",
        "paragraph": "paragraph {n}",
        "paragraphs": "paragraphs {first}–{last}",
        "letter": "letter {n}",
        "dated": "dated {date}",
        "message": "message {n}",
        "messages": "messages {first}–{last}",
        "recording": "recording {first}–{last}",
        "part": " (part {n})",
        "between": ", ",
    },
    "zh": {
        "chapter": "第{n}章",
        "page": "第{n}页",
        "pages": "第{first}–{last}页",
        "paragraph": "第{n}段",
        "paragraphs": "第{first}–{last}段",
        "letter": "第{n}封信",
        "dated": "写于 {date}",
        "message": "第{n}条消息",
        "messages": "第{first}–{last}条消息",
        "recording": "录音 {first}–{last}",
        "part": "（第{n}部分）",
        "between": "，",
    },
}
_PLACE_FIELDS = ("chapter", "pages", "paragraphs", "letter", "messages", "recording_s")


def clock(seconds: int) -> str:
    """0:58, 1:02:03: a time into a recording."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def place_words(origin: MemoryOrigin | None, language: str) -> str:
    """Where in its file a memory is, worded in the screen's language from the server's fields
    (``origin`` as the server sent it: a ``MemoryOrigin``, or ``None``)."""
    if origin is None:
        return ""
    if all(getattr(origin, key) is None for key in _PLACE_FIELDS):
        return place(origin.position, language)  # an older server: its English words
    words = _PLACE_WORDS.get(language, _PLACE_WORDS["en"])

    def span(numbers: Span, one: str, many: str) -> str:
        first, last = numbers.first, numbers.last
        return words[one].format(n=first) if first == last else words[many].format(first=first, last=last)

    parts = []
    if origin.chapter is not None:
        parts.append(words["chapter"].format(n=origin.chapter))
    if origin.pages is not None:
        parts.append(span(origin.pages, "page", "pages"))
    if origin.paragraphs is not None:
        parts.append(span(origin.paragraphs, "paragraph", "paragraphs"))
    if origin.letter is not None:
        parts.append(words["letter"].format(n=origin.letter))
        if origin.date:
            parts.append(words["dated"].format(date=origin.date))
    if origin.messages is not None:
        parts.append(span(origin.messages, "message", "messages"))
        if origin.date:
            parts.append(origin.date)  # as the chat wrote it
    if origin.recording_s is not None:
        seconds = origin.recording_s
        parts.append(words["recording"].format(first=clock(seconds.first), last=clock(seconds.last)))
    text = words["between"].join(parts)
    if origin.part is not None:
        text += words["part"].format(n=origin.part)
    return text


def origin_line(memory: MemoryOut, language: str, name: str = "") -> str:
    """Where a memory came from: "Memoir · rose.txt · chapter 2, paragraphs 4–7"; typed ones say so."""
    origin = memory.origin
    kind = origin.kind or memory.source or "typed"
    parts = [translate(KIND_KEYS.get(kind, "origin_other"), language, kind=kind)]
    if origin.filename:
        parts.append(str(origin.filename))
    where = place_words(origin, language)
    if where:
        parts.append(where)
    line = " · ".join(parts)
    if memory.audio_url:  # the person's own recording: the caregiver should know it will be played
        line += " · " + translate("origin_own_voice", language, name=name or translate("grandma", language))
    return line


def when(stamp: str | datetime | None, language: str, now: datetime | None = None) -> str:
    """A server time as the tablet's local date and time: "28 Nov 2026, 17:49" / "2026年11月28日 17:49"."""
    if not stamp:
        return ""
    try:
        moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the server writes UTC
    local = moment.astimezone(now.tzinfo if now is not None and now.tzinfo else None)
    if language == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M}"


def stage_words(stage: str | None, language: str) -> str:
    text = (stage or "").strip()
    if language == "zh":
        for pattern, replacement in _ZH_STAGES:
            if pattern.match(text):
                return pattern.sub(replacement, text)
        return text
    return text[:1].upper() + text[1:]


def counts_words(counts: dict | None, language: str) -> str:
    """ "14 memories, 3 chapters" from a job's counts (only the ones a caregiver cares about)."""
    counts = counts or {}
    shown = [translate(f"count_{key}", language, n=counts[key]) for key in COUNT_KEYS if counts.get(key)]
    return ("，" if language == "zh" else ", ").join(shown)


def progress_text(job: JobOut, language: str, filename: str = "") -> str:
    """One calm sentence about an import job: waiting, working (stage, percent, counts), done or failed."""
    state = job.state or "queued"
    counts = counts_words(job.counts, language)
    if state == "done":
        return translate("import_done", language, file=filename, counts=counts or translate("count_none", language))
    if state == "failed":
        errors = [str(e) for e in job.errors or [] if str(e).strip()]
        return translate("import_failed", language, file=filename, reason=errors[0] if errors else translate("err_unknown", language))
    if state == "queued":
        return translate("import_queued", language, file=filename)
    percent = int(max(0.0, min(100.0, float(job.percent or 0))))
    text = translate("import_running", language, file=filename, stage=stage_words(job.stage, language) or "…", percent=percent)
    if not counts:
        return text
    return f"{text}（{counts}）" if language == "zh" else f"{text} ({counts})"


def alert_kind_words(kind: str, language: str) -> str:
    return translate(ALERT_KEYS.get(kind, "alert_other"), language, kind=kind)


def alert_message(alert: Alert) -> str:
    """What was said. A blocked sentence is stored as "reason: sentence"; the caregiver reads both."""
    return str(alert.message or "").strip()


def is_urgent(alert: Alert) -> bool:
    return alert.kind == "crisis"


def page_words(offset: int, shown: int, language: str) -> str:
    """ "Memories 9–16" for the page on screen (the total is not known without counting them all)."""
    if shown <= 0:
        return translate("page_empty", language)
    return translate("page_range", language, first=offset + 1, last=offset + shown)


def teller_line(fact: Fact, language: str) -> str:
    """When and by whom a fact was told: "Told on 6 Dec 2026, 16:07, on “Grandma's tablet”"."""
    stamp = when(fact.created_at, language)
    teller = fact.told_by
    who = teller.name
    if teller.kind == "device" and who:
        return translate("told_on_tablet", language, when=stamp, who=who)
    if teller.kind == "caregiver":
        return translate("told_on_by", language, when=stamp, who=who) if who else translate("told_on_by_caregiver", language, when=stamp)
    return translate("told_on", language, when=stamp)  # a tablet since unpaired and gone, or an older server


def sharing_line(fact: Fact, language: str, name: str) -> str:
    """Who hears the persona ask about a fact: every tablet once shared, else only the one it was told on."""
    if fact.shared:
        return translate("shared_tag", language, name=name)
    teller = fact.told_by
    if teller.kind == "device" and teller.name:
        return translate("private_tag", language, name=name, who=teller.name)
    if teller.kind == "caregiver":
        return translate("private_tag_nobody", language, name=name)
    return ""


def fact_body(text: str) -> str:
    """A fact in the relative's own words (the server keeps them as "The relative said: ...")."""
    for prefix in ("The relative said: ", "亲人说："):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def level_percent(dbfs: float, floor_db: float = -60.0) -> float:
    """A microphone level in dBFS as 0..100 for a bar: a quiet room near 0, a voice near the top."""
    if dbfs != dbfs:  # NaN from a silent chunk
        return 0.0
    return round(max(0.0, min(100.0, (dbfs - floor_db) / -floor_db * 100)), 1)
