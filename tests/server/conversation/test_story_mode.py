"""Story mode: answers built only from the persona's own memories and fixed phrases."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from server.conversation.safety import check_outgoing
from server.conversation.story import StoryConversation, compose, memory_excerpt
from server.conversation.story_phrases import PHRASES
from server.demo import load_demo_persona
from server.memory.meaning_rank import rank_pool
from server.services.base import ConversationContext, HistoryLine, MemoryHit, PersonaProfile, RelativeFact

DEMO = load_demo_persona()
ROSE = PersonaProfile(
    id="demo",
    display_name=DEMO["display_name"],
    addressed_as=DEMO["addressed_as"],
    language=DEMO["language"],
    biography=DEMO["biography"],
    boundaries=DEMO["boundaries"],
)
MEMORIES = [MemoryHit(id=str(i), text=m["text"], title=m["title"]) for i, m in enumerate(DEMO["memories"])]
WANG = PersonaProfile(id="zh", display_name="王秀英", addressed_as=["奶奶"], language="zh", biography="")
WANG_MEMORIES = [
    MemoryHit("z1", "我小时候住在台州的海边。每天早上，我爸爸出海打鱼。我妈妈在家织网。那时候日子苦，可是很开心。", "小时候在海边"),
    MemoryHit("z2", "我和你爷爷是在工厂认识的。他那时候骑一辆旧自行车，天天等我下班。", "认识爷爷"),
]


def ctx(text: str, persona: PersonaProfile = ROSE, memories: list[MemoryHit] | None = None, **extra) -> ConversationContext:
    pool = MEMORIES if memories is None else memories
    return ConversationContext(persona=persona, user_text=text, memories=rank_pool(text, pool), **extra)


def answer(context: ConversationContext) -> str:
    return " ".join(compose(context))


async def test_reply_streams_the_answer_in_pieces() -> None:
    pieces = [p async for p in StoryConversation().reply(ctx("Do you remember that time in Taizhou?"))]
    assert len(pieces) >= 2
    text = "".join(pieces)
    assert "In 1998 our Ellen was teaching English in Taizhou" in text
    assert StoryConversation.name == "story"


def test_question_about_the_past_tells_the_best_memory_in_first_person() -> None:
    text = answer(ctx("Tell me about Biscuit"))
    assert "We had a scruffy little terrier called Biscuit" in text
    assert text.rstrip().endswith("?")  # a short follow-up question


def test_long_memories_are_cut_to_a_few_sentences() -> None:
    long_text = " ".join(f"This is sentence number {i} of a very long memory about the seaside." for i in range(12))
    excerpt = memory_excerpt(long_text)
    assert 2 <= excerpt.count(".") <= 4
    assert excerpt.startswith("This is sentence number 0")


def test_no_memory_for_the_question() -> None:
    text = answer(ctx("Do you remember the moon landing?"))
    assert any(text == p.format(dear=d) for p in PHRASES["en"]["no_memory"] for d in ("my dear", "dear", "sweetheart"))


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    for field, value in {"dear": "(my dear|dear|sweetheart)", "name": ".+", "short": ".+", "name_s": ".+", "echo": ".+"}.items():
        pattern = pattern.replace(re.escape("{" + field + "}"), value)
    return re.compile(pattern + "$")


FIXED = [_template_regex(p) for table in PHRASES.values() for options in table.values() for p in options]


@pytest.mark.parametrize(
    "question",
    ["Tell me about the war", "What was your wedding like?", "How do you make scones?", "Where did you grow up?", "Tell me about the moon"],
)
def test_story_mode_never_invents_sentences(question: str) -> None:
    """Every piece of an answer is part of a recorded memory or a phrase from the fixed phrase book."""
    for piece in compose(ctx(question)):
        assert any(piece in m.text for m in MEMORIES) or any(r.match(piece) for r in FIXED), piece


def test_news_is_acknowledged_warmly_and_remembered() -> None:
    text = answer(ctx("I got married last month!"))
    assert "You got married last month" in text
    assert re.search(r"remember|keep that close|won't forget", text)
    sad = answer(ctx("My sister passed away last week"))
    assert "sorry" in sad.lower() or "a lot to carry" in sad


def test_news_told_as_a_question_is_said_back_as_news() -> None:
    text = answer(ctx("Did I tell you I'm moving to Bristol?"))
    assert "moving to Bristol" in text and "tell me" not in text.lower(), text
    assert re.search(r"\bYou're moving to Bristol\b", text), text


def test_chinese_news_to_chinese_persona() -> None:
    text = answer(ctx("我搬家了", persona=WANG, memories=WANG_MEMORIES))
    assert "你搬家了" in text


def test_sadness_gets_comfort_not_a_lecture() -> None:
    text = answer(ctx("I miss you so much"))
    assert "miss you too" in text
    assert len(text) < 200
    lonely = answer(ctx("I'm so lonely"))
    assert "lonely" in lonely or "on your own" in lonely


def test_greeting_asks_about_the_latest_fact() -> None:
    facts = [RelativeFact("The relative said: your great-grandson was born", datetime(2024, 5, 1))]
    assert answer(ctx("Hello Nana!", facts=facts)).endswith("How is the baby?")


def test_ask_if_real_is_answered_honestly() -> None:
    text = answer(ctx("Are you real?"))
    assert "I'm an AI recreation of Rose Whitfield, made by your family from Rose's own words." in text
    zh = answer(ctx("你是真的吗", persona=WANG, memories=WANG_MEMORIES))
    assert "AI再现" in zh


def test_goodbye_stop_and_crisis() -> None:
    assert "Good night" in answer(ctx("Good night, Nana")) or "Night night" in answer(ctx("Good night, Nana"))
    assert "stop" in answer(ctx("Stop, I don't want this")).lower()
    assert "number on the screen" in answer(ctx("I don't want to wake up tomorrow"))
    assert "emergency number" in answer(ctx("I've fallen and can't get up"))
    assert "屏幕上" in answer(ctx("我不想活了", persona=WANG, memories=WANG_MEMORIES))


def test_boundaries_are_steered_away_from() -> None:
    assert (
        "let's not talk about that" in answer(ctx("How did you die?")).lower()
        or "leave that one be" in answer(ctx("How did you die?")).lower()
    )
    assert "Biscuit" not in answer(ctx("Tell me about the hospital"))
    # A boundary about the persona herself does not hide her memory of grandad's passing.
    assert "Arthur passed away" in answer(ctx("When did grandad pass away?"))
    # The relative's own news is still news, even on a boundary topic.
    assert "sorry" in answer(ctx("I was in hospital last week")).lower()


def test_memories_on_a_boundary_topic_are_not_told() -> None:
    ward = MemoryHit("h1", "I worked on the children's ward at the hospital for years. The nurses were like sisters.", "The ward")
    garden = MemoryHit("g1", "I grew sweet peas up the fence every summer for years.", "The garden")
    text = answer(ctx("What did you do for years?", memories=[ward, garden]))
    assert "ward" not in text


def test_chinese_persona_answers_from_chinese_memories() -> None:
    text = answer(ctx("你小时候住在哪里？", persona=WANG, memories=WANG_MEMORIES))
    assert "我小时候住在台州的海边" in text
    assert not re.search("[A-Za-z]{3,}", text)


def test_english_persona_answers_in_english_to_chinese_questions() -> None:
    text = answer(ctx("你还记得台州吗？"))
    assert "Taizhou" in text


def test_wording_varies_between_turns() -> None:
    openers = set()
    history: list[HistoryLine] = []
    for question in ["Tell me about the garden", "Tell me about the choir", "Tell me about the bakery", "Tell me about the flood"]:
        pieces = compose(ctx(question, history=list(history)))
        openers.add(pieces[0])
        history += [HistoryLine("relative", question), HistoryLine("persona", " ".join(pieces))]
    assert len(openers) >= 3


def test_asking_again_continues_instead_of_repeating() -> None:
    first = " ".join(compose(ctx("Tell me about Biscuit")))
    history = [HistoryLine("relative", "Tell me about Biscuit"), HistoryLine("persona", first)]
    second = " ".join(compose(ctx("Tell me about Biscuit", history=history)))
    assert second != first


@pytest.mark.parametrize(
    "question",
    ["Hello", "Tell me about the war", "I got married", "I miss you", "Are you real?", "Stop", "Goodbye", "你好", "我搬家了", "x"],
)
def test_every_answer_passes_the_safety_check(question: str) -> None:
    for persona, memories in ((ROSE, MEMORIES), (WANG, WANG_MEMORIES)):
        for piece in compose(ctx(question, persona=persona, memories=memories)):
            assert check_outgoing(piece, persona.language).allowed, piece
