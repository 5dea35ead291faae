"""How the persona opens a conversation, and the phrasing helpers story mode shares.

Everything here is fixed, warm wording in English or Chinese; nothing is
generated. The AI-recreation disclosure sentence lives here because both the
session greeting and the answer to "are you real?" must say it the same way.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from datetime import date

from server.conversation.intent import news_body, to_second_person
from server.services.base import PersonaProfile, RelativeFact

_CJK = re.compile("[\u4e00-\u9fff]")


def speech_language(persona_language: str | None, relative_language: str | None = None) -> str:
    """ "en" or "zh": the persona speaks its own language; other languages fall back sensibly."""
    for code in (persona_language, relative_language):
        code = (code or "").lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return "en"


def stable_seed(*parts: object) -> int:
    """A seed that is the same for the same inputs on every run (unlike hash())."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def pick(options: Sequence[str], seed: int, avoid: Iterable[str] = ()) -> str:
    """One of ``options`` chosen by ``seed``, skipping any that appear in ``avoid``
    (what the persona said recently), so the same opener is not heard twice running."""
    recent = [line for line in avoid if line]
    for step in range(len(options)):
        option = options[(seed + step) % len(options)]
        core = option.split("{")[0].strip()[:24]
        if not core or not any(core in line for line in recent):
            return option
    return options[seed % len(options)]


def dear(language: str, seed: int) -> str:
    """A gentle way to address the relative ("my dear", "孩子")."""
    options = ("my dear", "dear", "sweetheart") if language == "en" else ("孩子", "亲爱的", "宝贝")
    return options[seed % len(options)]


def first_name(persona: PersonaProfile) -> str:
    name = persona.display_name.strip()
    if _CJK.search(name):
        return name
    return name.split()[0] if name else name


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def disclosure_sentence(persona: PersonaProfile, language: str) -> str:
    """The trust rule: say plainly that this is an AI recreation made from the person's own words."""
    name = persona.display_name.strip()
    short = first_name(persona)
    kind = persona.kind
    if language == "zh":
        if kind == "living":
            return f"我是{name}的AI版本，是用{short}自己的话做成的。"
        if kind == "public_figure":
            return f"我是{name}的AI再现，是用{short}自己的话做成的。"
        return f"我是{name}的AI再现，是家人用{short}自己的话做成的。"
    if kind == "living":
        return f"I'm an AI version of {name}, made from {_possessive(short)} own words."
    if kind == "public_figure":
        return f"I'm an AI recreation of {name}, made from {_possessive(short)} own words."
    if kind == "child":
        return f"I'm an AI recreation of {name} at this age, made by your family from {_possessive(short)} own words."
    return f"I'm an AI recreation of {name}, made by your family from {_possessive(short)} own words."


# --- asking after what the relative told us last time -------------------------

# (words in the fact, English question, Chinese question); first match wins.
_FACT_TOPICS: list[tuple[str, str, str]] = [
    (r"died|passed away|funeral|去世|过世|走了|葬礼", "How are you holding up, {dear}?", "你还好吗，{dear}？心里好受些了吗？"),
    (
        r"hospital|doctor|operation|surgery|sick|\bill\b|poorly|医院|住院|医生|手术|生病|病了",
        "How are you feeling now, {dear}?",
        "{dear}，身体好些了吗？",
    ),
    (r"born|baby|pregnant|expecting|出生|宝宝|婴儿|怀孕|生了", "How is the baby?", "小宝宝还好吗？"),
    (r"engaged|订婚", "How are the wedding plans coming along?", "婚礼准备得怎么样了？"),
    (r"married|wedding|结婚|婚礼", "How is married life treating you?", "结婚以后过得好吗？"),
    (r"sold|卖了", "How are you getting on since the sale?", "卖掉以后，一切都还顺利吗？"),
    (r"moved|new (house|home|flat|place)|搬家|新家", "How are you settling into the new place?", "新家住得习惯吗？"),
    (r"retir|退休", "How are you enjoying your retirement?", "退休生活过得怎么样？"),
    (r"job|promot|work|工作|升职", "How is the new job going?", "新工作怎么样？"),
    (r"puppy|\bdog\b|小狗|狗", "How is the puppy?", "小狗还好吗？"),
    (r"kitten|\bcat\b|小猫|猫", "How is the cat?", "小猫还好吗？"),
    (r"graduat|exam|degree|毕业|考上", "Tell me, how did the celebrations go?", "庆祝得怎么样？"),
    (r"birthday|生日", "Did you have a lovely birthday?", "生日过得开心吗？"),
    (r"trip|holiday|seaside|visit|travel|旅行|旅游|度假", "Did you enjoy the trip?", "玩得开心吗？"),
]


def latest_fact(facts: Sequence[RelativeFact]) -> RelativeFact | None:
    return max(facts, key=lambda f: f.created_at) if facts else None


def fact_question(fact: RelativeFact, language: str, seed: int = 0) -> str:
    """A caring question about something the relative told the persona before ("How is the baby?").

    Only what this relative told is said back as theirs ("Last time you told me ..."); what they
    did not tell (``fact.told_by_listener`` false) is worded as heard ("I heard ...", "听说..."),
    or not said back at all."""
    said = news_body(fact.text)
    address = dear(language, seed)
    for pattern, english, chinese in _FACT_TOPICS:
        if re.search(pattern, said, re.IGNORECASE):
            return (english if language == "en" else chinese).format(dear=address)
    same_language = bool(_CJK.search(said)) == (language == "zh")
    if same_language and len(said) <= 120:
        if not fact.told_by_listener:
            heard = _as_heard(said, language)
            if heard is not None:
                return heard
        else:
            echoed = to_second_person(said).strip()
            if language == "zh":
                return f"上次你跟我说，{echoed}。现在怎么样了？"
            return f"Last time you told me {echoed}. How has that been?"
    if language == "zh":
        return "最近有什么新鲜事吗？"
    return "Tell me, what's new with you?"


# Whose words these are cannot be turned around safely when someone else told them
# ("my son" typed by a caregiver is not the relative's son): such facts are not echoed.
_SPEAKER_WORDS_EN = re.compile(
    r"\b(i|i'm|i've|i'll|i'd|me|my|mine|myself|we|we're|we've|us|our|ours|you|you're|your|yours)\b", re.IGNORECASE
)
_SPEAKER_WORDS_ZH = re.compile("[我你您咱]")
# A sentence's first word that is not a name, so "I heard" runs on into it in lower case.
_PLAIN_FIRST_WORDS = {"the", "a", "an", "there", "it", "he", "she", "they", "his", "her", "their", "its", "this", "that"}


def _as_heard(said: str, language: str) -> str | None:
    """A fact the listener did not tell (a caregiver's, or another relative's a caregiver shared),
    worded as news the persona heard; None when it cannot be said back without guessing whose it is."""
    said = said.strip().rstrip("。.!！?？")
    if not said:
        return None
    if language == "zh":
        if _SPEAKER_WORDS_ZH.search(said):
            return None
        return f"听说{said}。现在怎么样了？"
    if _SPEAKER_WORDS_EN.search(said):
        return None
    first, _, rest = said.partition(" ")
    if first.lower() in _PLAIN_FIRST_WORDS:
        said = f"{first.lower()} {rest}".strip()
    return f"I heard {said}. How has that been?"


# --- the start of a session ----------------------------------------------------

_HELLO_EN = (
    "Hello, {dear}! It's so good to hear from you.",
    "There you are, {dear}. I was hoping you'd come.",
    "Well, hello, {dear}! How lovely that you're here.",
    "Oh, it's you, {dear}! You've made my day.",
)
_HELLO_ZH = (
    "你来啦，{dear}！真高兴又听到你的声音。",
    "哎呀，是你呀，{dear}。我正想着你呢。",
    "你好呀，{dear}。你来陪我说话，我真高兴。",
)
_HOW_ARE_YOU_EN = ("How have you been?", "How are you keeping?", "Tell me, how are you?")
_HOW_ARE_YOU_ZH = ("最近过得好吗？", "你最近怎么样？", "身体都好吧？")


def greeting_text(
    persona: PersonaProfile,
    facts: Sequence[RelativeFact],
    *,
    disclose: bool,
    seed: int | None = None,
) -> str:
    """What the persona says when a session starts.

    A warm hello, the AI-recreation disclosure when ``disclose`` is set, then a
    question about the latest thing the relative told it (or how they are).
    ``seed`` varies the wording; by default it changes day by day.
    """
    language = speech_language(persona.language)
    if seed is None:
        seed = stable_seed(persona.id, date.today().isoformat())
    address = dear(language, seed)
    hello = pick(_HELLO_EN if language == "en" else _HELLO_ZH, seed).format(dear=address)
    parts = [hello]
    if disclose:
        parts.append(disclosure_sentence(persona, language))
    fact = latest_fact(facts)
    if fact is not None:
        parts.append(fact_question(fact, language, seed))
    else:
        parts.append(pick(_HOW_ARE_YOU_EN if language == "en" else _HOW_ARE_YOU_ZH, seed // 7))
    return ("" if language == "zh" else " ").join(parts)
