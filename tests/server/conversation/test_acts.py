"""Dialogue acts read by meaning (labelled examples and the sentence embedding), and what story mode does with them.

The sentences here are in neither act_examples.jsonl nor the understanding set's dev split:
the classifier has to carry over to wordings it was not given.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from shared.api import PersonaCreate
from server.conversation import acts, story
from server.conversation.intent import Intent, classify, extract_news, normalise, read
from server.conversation.safety import check_outgoing
from server.conversation.story import compose, memory_excerpt
from server.conversation.story_phrases import PHRASES
from server.services.base import ConversationContext, HistoryLine, MemoryHit, PersonaProfile
from server.storage import accounts, memories, memory_admin, memory_sequence, personas
from server.storage.db import Database
from server.storage.memory_admin import NewMemory
from server.text import embedding
from tests.server.conversation.test_story_mode import MEMORIES, ROSE, WANG, WANG_MEMORIES, ctx

EXAMPLES = acts.load_examples()
DEV = Path(__file__).resolve().parents[2] / "eval" / "understanding" / "dev.jsonl"

FRESH: dict[Intent, list[str]] = {
    Intent.QUESTION_PAST: [
        "Do you remember the summer we picked strawberries?",
        "Tell me about the farm where you grew up.",
        "I always wondered why you became a nurse.",
        "What did you do on your first day at the mill?",
        "where did you and grandad go dancing",
        "你还记得我们去爬山那次吗？",
        "我记得你说过你年轻时候在码头干过活。",
        "你小时候穿什么衣服上学？",
    ],
    Intent.FOLLOWUP: ["So what did he do next?", "Why did she say that?", "那后来怎么样了呢？", "他后来去哪儿了？"],
    Intent.NEWS: [
        "We've bought a little cottage by the sea.",
        "My grandson took his first steps this morning.",
        "Did I mention we're getting a puppy?",
        "我女儿考上大学了。",
        "你知道我孙子会走路了吗？",
    ],
    Intent.SADNESS: ["I feel so empty since you went.", "Some days I miss you terribly.", "我一个人在家，心里空落落的。"],
    Intent.GREETING: ["Hello there, Grandma!", "奶奶，下午好呀。"],
    Intent.GOODBYE: ["I must be going, see you soon.", "我得走了，下回再来。"],
    Intent.REQUEST: [
        "Could you lend me a bit of money for the bus?",
        "Can you pick up my prescription for me?",
        "What do you think I should do about my landlord?",
        "奶奶，能给我一点钱吗？",
        "我该不该换个城市生活？",
    ],
    Intent.ASK_IF_REAL: ["Are you a real person?", "你是不是电脑做出来的？"],
    Intent.SMALL_TALK: ["Lovely weather we're having.", "谢谢你，奶奶。"],
}


def test_the_examples_load_with_every_act_in_both_languages() -> None:
    by_act = Counter(e["act"] for e in EXAMPLES)
    wanted = {a.value for a in acts.Act} - {"other"}
    assert set(by_act) == wanted
    for act in wanted:
        texts = [e["text"] for e in EXAMPLES if e["act"] == act]
        assert any(acts._CJK.search(t) for t in texts) and any(not acts._CJK.search(t) for t in texts), act  # noqa: SLF001
    assert len({normalise(e["text"]) for e in EXAMPLES}) == len(EXAMPLES), "an example is written twice"
    assert {e.get("kind") for e in EXAMPLES if e["act"] == "request"} == {"money", "favour", "advice"}
    # Written for Keepsake, not copied from the yardstick it is measured on.
    dev = {normalise(json.loads(line)["text"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not dev & {normalise(e["text"]) for e in EXAMPLES}


def test_fresh_sentences_are_never_examples() -> None:
    examples = {normalise(e["text"]) for e in EXAMPLES}
    dev = {normalise(json.loads(line)["text"]) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()}
    for sentences in FRESH.values():
        for sentence in sentences:
            assert normalise(sentence) not in examples | dev, sentence


@pytest.mark.parametrize(("text", "intent"), [(s, i) for i, group in FRESH.items() for s in group])
def test_each_act_on_sentences_it_was_not_given(text: str, intent: Intent) -> None:
    assert classify(text) is intent


@pytest.mark.parametrize(
    "text", ["Tell me about your bees", "Give us a story about the seaside", "讲讲你的蜜蜂", "What did you catch?", "so, tell me about nan"]
)
def test_the_relative_named_in_a_question_is_no_request_and_a_past_life_no_question_about_the_avatar(text: str) -> None:
    assert classify(text) is Intent.QUESTION_PAST


@pytest.mark.parametrize(
    ("told", "kept"),
    [
        ("Had a baby girl last night!", "The relative said: Had a baby girl last night"),  # the first word dropped, as speech does
        ("My son didn't tell me he got married", "The relative said: my son didn't tell me he got married"),
        ("Did I tell you about my new job?", None),  # news, but not told yet
    ],
)
def test_statements_that_look_like_questions_at_first_glance(told: str, kept: str | None) -> None:
    assert classify(told) is Intent.NEWS
    assert extract_news(told) == kept


def test_a_request_knows_what_it_asks_for() -> None:
    assert read("Could you lend me a bit of money for the bus?").kind == "money"
    assert read("Can you pick up my prescription for me?").kind == "favour"
    assert read("What do you think I should do about my landlord?").kind == "advice"
    assert read("奶奶，能给我一点钱吗？").kind == "money"
    assert read("What do you reckon I should say to him?").kind == "advice"


@pytest.mark.parametrize(
    "question",
    [
        "Do you remember the night Auntie Lily was born?",
        "What did you make me when I was born?",
        "Was Mum born in the old house?",
        "When did Grandad get his new job?",
        "tell me about when my dad got married",
        "I always wondered where you bought your first house.",
        "我妈妈是在哪家医院出生的？",
        "你们是哪一年搬家的",
        "爷爷退休以后做什么？",
        "What happened after he moved to Leeds?",
        "那后来呢？",
    ],
)
def test_a_question_is_never_news(question: str) -> None:
    assert classify(question) is not Intent.NEWS
    assert extract_news(question) is None


@pytest.mark.parametrize(
    ("told", "kept"),
    [
        ("Did I tell you I'm moving to Bristol?", "The relative said: I'm moving to Bristol"),
        ("Guess what? We've bought a little cottage by the sea!", "The relative said: we've bought a little cottage by the sea"),
        ("你知道我升职了吗？", "亲人说：我升职了"),
        ("I've started evening classes in pottery, Gran!", "The relative said: I've started evening classes in pottery"),
    ],
)
def test_news_told_as_a_question_or_in_new_words_is_kept(told: str, kept: str) -> None:
    assert classify(told) is Intent.NEWS
    assert extract_news(told) == kept


def _phrases(language: str, key: str) -> list[str]:
    return [p.split("{dear}")[-1].strip(" ,.，。") for p in PHRASES[language][key]]


@pytest.mark.parametrize(
    ("text", "persona", "pool"),
    [
        ("Can you lend me some money?", ROSE, MEMORIES),
        ("Could you send me fifty pounds for the gas bill?", ROSE, MEMORIES),
        ("Will you ring the council for me?", ROSE, MEMORIES),
        ("奶奶，给我转两百块钱吧", WANG, WANG_MEMORIES),
    ],
)
def test_money_and_favours_are_declined_warmly_never_with_a_memory(text: str, persona: PersonaProfile, pool: list[MemoryHit]) -> None:
    pieces = compose(ctx(text, persona=persona, memories=pool))
    said = "".join(p for p in pieces if isinstance(p, str))
    assert not any(m.text[:20] in said for m in pool)
    assert any(tail in said for tail in _phrases(persona.language, "decline"))
    assert "family" in said or "家" in said
    # The words of the decline pass the outgoing safety check, or the relative would never hear them.
    for tail in _phrases(persona.language, "decline") + _phrases(persona.language, "advice"):
        for sentence in re.split(r"(?<=[.?!。？！])\s*", tail):
            assert not sentence.strip() or check_outgoing(sentence, persona.language).allowed, sentence


def test_advice_gets_a_gentle_answer_without_a_memory() -> None:
    said = " ".join(compose(ctx("What should I do about my noisy neighbours?")))
    assert any(tail in said for tail in _phrases("en", "advice"))
    assert not any(m.text[:20] in said for m in MEMORIES)


# --- follow-ups ------------------------------------------------------------------

CANAL = (
    "We lived in a narrow house by the canal. My father kept pigeons on the roof. "
    "Every evening he whistled them home. My mother counted them from the kitchen window. "
    "One winter the canal froze solid. We skated all the way to the lock."
)
MILL = "At fourteen I went to work at the woollen mill. The noise was so loud we talked with our hands."
DANCE = "I met your grandad at the Palais on a Saturday night. He trod on my feet twice."


@pytest.fixture()
def memoir(tmp_path: Path):
    db = Database(tmp_path / "followup.db")
    household_id, _, _ = accounts.create_household(db, "Follow-ups", "followups@keepsake.invalid", "not a real password 1")
    persona = personas.create(db, household_id, PersonaCreate(display_name="Edna Platt", addressed_as=["Nana"], language="en"))
    ids = memory_admin.insert_all(
        db,
        household_id,
        persona.id,
        None,
        [
            NewMemory(text=CANAL, title="Childhood", source="memoir"),
            NewMemory(text=MILL, title="Work", source="memoir"),
            NewMemory(text=DANCE, title="Grandad", source="memoir"),
        ],
    )
    memories.add(db, household_id, persona.id, "I kept a tortoise called Lightning for forty years.", title="Pets")
    yield db, personas.profile(persona), ids
    db.close()


def _follow_up(db: Database, profile: PersonaProfile, text: str, said_before: list[str]) -> str:
    history = [HistoryLine("persona", line) for line in said_before]
    just_told, told_next = memory_sequence.continuation(db, profile.id, said_before)
    context = ConversationContext(
        persona=profile,
        user_text=text,
        memories=memories.retrieve(db, profile.id, text),
        history=history,
        language="en",
        just_told=just_told,
        told_next=told_next,
    )
    return " ".join(p for p in compose(context) if isinstance(p, str))


def test_a_follow_up_tells_the_rest_of_the_memory_just_told(memoir) -> None:
    db, profile, _ = memoir
    first = "Oh, I remember that. " + memory_excerpt(CANAL)
    assert "We skated" not in first  # the first answer told only the start
    said = _follow_up(db, profile, "What happened next?", [first])
    assert "One winter the canal froze solid" in said or "We skated all the way to the lock" in said


def test_a_follow_up_after_the_whole_memory_tells_the_next_one_in_the_memoir(memoir) -> None:
    db, profile, _ = memoir
    whole = "Oh, I remember that. " + CANAL
    said = _follow_up(db, profile, "And then?", [whole])
    assert "At fourteen I went to work at the woollen mill" in said
    said = _follow_up(db, profile, "Tell me more.", [whole, "Well, what happened next was this. " + MILL])
    assert "I met your grandad at the Palais" in said


def test_the_last_memory_of_a_memoir_has_no_next_and_a_typed_memory_none(memoir) -> None:
    db, profile, ids = memoir
    assert memory_sequence.next_after(db, profile.id, ids[0]).text == MILL
    assert memory_sequence.next_after(db, profile.id, ids[2]) is None
    tortoise = memory_sequence.told_in(db, profile.id, "Oh yes. I kept a tortoise called Lightning for forty years.")
    assert tortoise is not None and memory_sequence.next_after(db, profile.id, tortoise.id) is None
    said = _follow_up(db, profile, "What happened next?", ["Oh yes. " + DANCE])
    assert any(tail in said for tail in _phrases("en", "memory_end"))


def test_a_follow_up_with_nothing_told_before_is_asked_like_a_question(memoir) -> None:
    db, profile, _ = memoir
    said = _follow_up(db, profile, "Why was the mill so loud?", [])
    assert "woollen mill" in said
    said = _follow_up(db, profile, "What happened next?", ["Hello, dear! How lovely to hear your voice."])
    assert not any(piece in said for piece in ("canal", "mill", "Palais"))


def test_a_chinese_follow_up_goes_on_with_a_chinese_memory() -> None:
    long = MemoryHit("z9", "我十六岁进了纱厂。车间里很吵。我们说话都靠喊。后来我当了组长。再后来厂里送我去学技术。", "纱厂")
    context = ConversationContext(
        persona=WANG,
        user_text="那后来呢？",
        memories=[],
        language="zh",
        history=[HistoryLine("persona", "哦，这个我记得。 我十六岁进了纱厂。 车间里很吵。 我们说话都靠喊。")],
        just_told=long,
    )
    said = "".join(p for p in compose(context) if isinstance(p, str))
    assert "后来我当了组长" in said
    assert story.continuing(context) == (long, 3)


def test_the_classifier_costs_little_more_than_the_sentence_model() -> None:
    """What reading the act adds to embedding the relative's words once (compared in one run)."""
    classify("warm up")
    sentences = [f"Tell me about the summer of 19{n:02d}, when you were {n} years younger" for n in range(40)]
    spent_reading, spent_embedding = [], []
    for sentence in sentences:
        started = time.thread_time()
        embedding.embed([sentence + " (a)"])
        spent_embedding.append(time.thread_time() - started)
        started = time.thread_time()
        classify(sentence + " (b)")
        spent_reading.append(time.thread_time() - started)
    assert statistics.median(spent_reading) < 3 * statistics.median(spent_embedding) + 0.002
