"""The sentences made ahead are worded exactly as a session or a story answer will ask for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.api import Persona
from server.conversation.greeting import greeting_text, stable_seed
from server.conversation.story import compose
from server.memory.meaning_rank import CONFIDENT
from server.pipeline.likely_sentences import (
    MemoryWords,
    as_a_turn_says,
    checked,
    greeting_sentences,
    likely_sentences,
    memory_sentences,
    phrase_sentences,
)
from server.pipeline.replies import reply
from server.services.base import ConversationContext, HistoryLine, MemoryHit, RelativeFact
from server.storage import personas
from server.text.sentences import split_sentences

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def persona(language: str = "en", name: str = "Rose Whitfield", **more) -> Persona:
    return Persona(
        id="per_test",
        household_id="hh_test",
        display_name=name,
        addressed_as=["Nana"],
        language=language,
        biography="",
        boundaries=[],
        mode="story",
        kind="deceased",
        disclosure=True,
        status="active",
        memory_count=0,
        created_at=NOW,
        updated_at=NOW,
        **more,
    )


def opening(p: Persona, facts, day: date, *, first_time: bool) -> list[str]:
    """What the sessions route speaks: the day's greeting, split and checked."""
    text = greeting_text(personas.profile(p), facts, disclose=p.disclosure, seed=stable_seed(p.id, day.isoformat()))
    if first_time:
        text = f"{text} {reply('first_time', p.language)}"
    return [checked(s, p.language) for s in split_sentences(text)]


@pytest.mark.parametrize("language,name", [("en", "Rose Whitfield"), ("zh", "王秀英")])
@pytest.mark.parametrize("told", [False, True])
def test_every_days_greeting_was_made_ahead(language, name, told):
    p = persona(language, name)
    facts = [RelativeFact("My granddaughter got married last month" if language == "en" else "我孙女上个月结婚了", NOW)] if told else []
    ahead = set(greeting_sentences(p, [facts], today=date(2026, 11, 28)))
    for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(400)):
        for first_time in (False, True):
            missing = [s for s in opening(p, facts, day, first_time=first_time) if s not in ahead]
            assert not missing, f"{day}: {missing}"


QUESTIONS = {
    "en": [
        "Hello Nana!",
        "Tell me about the seaside.",
        "Do you remember the war?",
        "How are you?",
        "I love you.",
        "Thank you.",
        "I miss you.",
        "I feel so lonely.",
        "I'm sad today.",
        "Are you real?",
        "Goodbye.",
        "Good night.",
        "The weather is nice.",
        "I want to stop.",
    ],
    "zh": [
        "你好！",
        "给我讲讲海边的事。",
        "你还记得打仗的时候吗？",
        "你好吗？",
        "我爱你。",
        "谢谢你。",
        "我想你。",
        "我一个人好孤单。",
        "你是真的吗？",
        "再见。",
        "晚安。",
        "今天天气不错。",
    ],
}
MEMORY = {
    "en": "When I was a girl we lived by the sea in Whitby. I collected shells every morning with my brother. We sold them to visitors.",
    "zh": "我小时候住在海边。每天早上我和哥哥去捡贝壳。我们把贝壳卖给游客。",
}


@pytest.mark.parametrize("language,name", [("en", "Rose Whitfield"), ("zh", "王秀英")])
def test_story_answers_start_with_a_sentence_made_ahead(language, name):
    p = persona(language, name)
    ahead = set(likely_sentences(p, [[]], [MemoryWords(MEMORY[language], False)], limit=10_000))
    memory = MemoryHit(id="mem_1", text=MEMORY[language], title="seaside 海边", score=CONFIDENT + 1.0)  # retrieval found it and is sure
    for question in QUESTIONS[language]:
        for turns_before in range(6):  # the wording varies with the question and how long the talk has gone on
            history = [HistoryLine("relative", "hi"), HistoryLine("persona", "Hello.")] * turns_before
            ctx = ConversationContext(personas.profile(p), question, memories=[memory], history=history, language=language)
            pieces = compose(ctx)
            said = as_a_turn_says([piece for piece in pieces if isinstance(piece, str)], p)
            assert said[0] in ahead, f"{question!r} after {turns_before} turns starts with {said[0]!r}"


@pytest.mark.parametrize("language,name", [("en", "Rose Whitfield"), ("zh", "王秀英")])
def test_a_memory_asked_for_again_starts_with_a_sentence_made_ahead(language, name):
    p = persona(language, name)
    ahead = set(likely_sentences(p, [[]], [MemoryWords(MEMORY[language], False)], limit=10_000))
    memory = MemoryHit(id="mem_1", text=MEMORY[language], title="seaside 海边", score=CONFIDENT + 1.0)  # retrieval found it and is sure
    question = QUESTIONS[language][1]
    for turns_before in range(6):
        # The whole memory was just told: story mode tells it again, after a lead-in that runs on into it.
        history = [HistoryLine("relative", question), HistoryLine("persona", MEMORY[language])] + [
            HistoryLine("relative", "hi")
        ] * turns_before
        ctx = ConversationContext(personas.profile(p), question, memories=[memory], history=history, language=language)
        said = as_a_turn_says([piece for piece in compose(ctx) if isinstance(piece, str)], p)
        assert said[0].endswith(MEMORY[language].split("。" if language == "zh" else ". ")[0] + ("。" if language == "zh" else ".")), said[
            0
        ]
        assert said[0] in ahead, f"after {turns_before} turns: {said[0]!r}"


def test_a_memory_is_made_ahead_as_the_turn_splits_it():
    p = persona()
    memories = [
        MemoryWords("Mr. Hughes ran the bakery on St. Anne's Road. He gave us the broken biscuits.", False),
        MemoryWords("Oh. We went to Whitby every summer. The gulls stole our chips.", False),  # "Oh." alone is too short to say
        MemoryWords("Her own voice tells this one.", True),  # her recording is played: nothing to synthesize
    ]
    assert memory_sentences(p, memories) == [
        "Mr. Hughes ran the bakery on St. Anne's Road.",
        "Oh. We went to Whitby every summer.",
    ]


def test_phrases_come_in_every_form_of_address_and_never_echo_news():
    said = phrase_sentences(persona())
    for address in ("my dear", "dear", "sweetheart"):
        assert f"Oh yes, I remember, {address}." in said
    assert said[0] == "Oh, I remember that."  # what most story answers start with comes first
    assert not [s for s in said if "{" in s or s.endswith(":")]
    assert reply("unclear", "en") in said  # spoken whole when the relative could not be heard


def test_a_blocked_sentence_is_made_ahead_as_its_safe_replacement():
    p = persona()
    memories = [MemoryWords("Send me money for the bus. It was a lovely day.", False)]
    assert memory_sentences(p, memories) == ["Oh, never mind that, my dear. Tell me how you've been."]


def test_the_list_is_bounded_and_greetings_come_first():
    p = persona()
    many = [MemoryWords(f"Memory number {n} is about the garden. It had roses.", False) for n in range(400)]
    chosen = likely_sentences(p, [[]], many, limit=300)
    assert len(chosen) == 300 and len(set(chosen)) == 300
    assert chosen[: len(greeting_sentences(p, [[]]))] == greeting_sentences(p, [[]])
    assert set(phrase_sentences(p)) <= set(chosen)
