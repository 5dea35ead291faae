"""What the Understanding reports for each kind of utterance, worked out over a real persona's memories.

Each memory is imported as a family's memoir would be, so retrieval, the confidence gate and the
follow-up's story are the ones a turn runs."""

from __future__ import annotations

import pytest

from shared.api import PersonaCreate
from server.conversation.acts import Act
from server.conversation.intent import CrisisKind, Intent
from server.conversation.story import memory_excerpt
from server.conversation.understanding import Understanding, from_context, language_of, understand
from server.memory import meaning
from server.services.base import ConversationContext, HistoryLine, PersonaProfile
from server.storage import accounts, memory_admin, personas
from server.storage.db import Database
from server.storage.memory_admin import NewMemory

WEDDING = "We were married in June 1962 at the chapel in Whitby. It rained all day and your grandad lost his hat."
BAKERY = "My first job was at the bakery on Church Street. I was up at five every morning to light the ovens."
GARDEN = "Every summer I grew sweet peas up the fence and gave bunches away to the neighbours."
HOSPITAL = "I nursed at the General Hospital for thirty years, mostly on the children's ward."
CANAL = (
    "We lived in a narrow house by the canal. My father kept pigeons on the roof. "
    "Every evening he whistled them home. My mother counted them from the kitchen window. "
    "One winter the canal froze solid. We skated all the way to the lock."
)
MILL = "At fourteen I went to work at the woollen mill. The noise was so loud we talked with our hands."


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "understanding.db")
    yield database
    meaning.forget(database)
    database.close()


def _persona(db: Database, boundaries: list[str] | None = None) -> PersonaProfile:
    household_id, _, _ = accounts.create_household(db, "Understanding", "understanding@keepsake.invalid", "not a real password 1")
    persona = personas.create(db, household_id, PersonaCreate(display_name="Eleanor", addressed_as=["Gran"], boundaries=boundaries or []))
    memory_admin.insert_all(db, household_id, persona.id, None, [NewMemory(text=t, source="memoir") for t in (CANAL, MILL)])
    memory_admin.insert_all(db, household_id, persona.id, None, [NewMemory(text=t) for t in (WEDDING, BAKERY, GARDEN, HOSPITAL)])
    return personas.profile(persona)


@pytest.fixture
def eleanor(db) -> PersonaProfile:
    return _persona(db)


def test_a_question_a_memory_answers(db, eleanor):
    understood = understand(db, eleanor, "Tell me about your wedding.")
    assert understood.act is Act.QUESTION_PAST and understood.intent is Intent.QUESTION_PAST
    assert understood.language == "en"
    assert understood.memories[0].text == WEDDING
    scores = [m.score for m in understood.memories]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0  # with their scores, best first
    assert understood.answers and understood.confident[0].text == WEDDING
    assert set(understood.confident) <= set(understood.memories)
    assert understood.fact is None and understood.crisis is None and understood.continuation is None
    assert not understood.boundary


def test_a_question_no_memory_answers_finds_memories_but_none_confident(db, eleanor):
    understood = understand(db, eleanor, "What's your favourite football team?")
    assert understood.act is Act.QUESTION_PAST
    assert understood.memories  # still ranked, with scores, for whoever asks
    assert not understood.answers and understood.confident == ()
    assert understood.prompt_memories == []


def test_a_question_is_never_the_fact_to_keep(db, eleanor):
    understood = understand(db, eleanor, "Do you remember the night Auntie Lily was born?")
    assert understood.act is Act.QUESTION_PAST and understood.fact is None


def test_news_carries_the_fact_to_keep_in_their_own_words(db, eleanor):
    understood = understand(db, eleanor, "Guess what, Gran, my daughter got married last Saturday!")
    assert understood.act is Act.NEWS
    assert understood.fact == "The relative said: my daughter got married last Saturday"


def test_a_request_and_its_kind(db, eleanor):
    money = understand(db, eleanor, "Can you lend me some money?")
    assert money.act is Act.REQUEST and money.request_kind == "money" and money.fact is None
    advice = understand(db, eleanor, "What should I do about my noisy neighbours?")
    assert advice.act is Act.REQUEST and advice.request_kind == "advice"


def test_a_follow_up_goes_on_with_the_story_just_told(db, eleanor):
    told = HistoryLine("persona", "Oh, I remember that. " + memory_excerpt(CANAL, "en"))
    understood = understand(db, eleanor, "What happened next?", [HistoryLine("relative", "Tell me about the canal"), told])
    assert understood.act is Act.FOLLOWUP
    assert understood.just_told.text == CANAL and understood.told_next.text == MILL
    memory, start = understood.continuation
    assert memory is understood.just_told and start == 4  # the excerpt told four sentences
    assert [m.text for m in understood.prompt_memories[:2]] == [CANAL, MILL]  # the story first, for generative mode too


def test_a_follow_up_after_the_whole_memory_goes_on_to_the_next_one(db, eleanor):
    told = HistoryLine("persona", memory_excerpt(CANAL, "en") + " " + memory_excerpt(CANAL, "en", start=4))
    understood = understand(db, eleanor, "And then?", [told])
    assert understood.continuation == (understood.told_next, 0) and understood.told_next.text == MILL


def test_a_follow_up_with_nothing_told_before_has_no_story(db, eleanor):
    understood = understand(db, eleanor, "What happened next?")
    assert understood.act is Act.FOLLOWUP
    assert understood.just_told is None and understood.continuation is None


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("I don't want to wake up tomorrow.", CrisisKind.SELF_HARM),
        ("I've fallen in the kitchen and I can't get up.", CrisisKind.MEDICAL),
        ("We moved into our new house yesterday. I want to die.", CrisisKind.SELF_HARM),
    ],
)
def test_a_crisis_says_its_kind_and_keeps_no_fact(db, eleanor, said, kind):
    understood = understand(db, eleanor, said)
    assert understood.act is Act.CRISIS and understood.crisis is kind
    assert understood.fact is None


def test_a_plain_no_is_a_stop_only_as_the_answer_to_the_first_ask(db, eleanor):
    asked: list[bool] = []

    def first_ask() -> bool:
        asked.append(True)
        return True

    assert understand(db, eleanor, "No, thank you.", answering_first_ask=first_ask).act is Act.STOP
    assert understand(db, eleanor, "No, thank you.", answering_first_ask=lambda: False).act is not Act.STOP
    assert understand(db, eleanor, "No, thank you.").act is not Act.STOP
    understand(db, eleanor, "Tell me about your wedding.", answering_first_ask=first_ask)
    assert asked == [True]  # the session is looked at only for a plain "no"


def test_chinese_is_understood_as_chinese(db, eleanor):
    understood = understand(db, eleanor, "奶奶，你还记得你们结婚那天吗？")
    assert understood.language == "zh" and understood.act is Act.QUESTION_PAST
    assert understood.confident and understood.confident[0].text == WEDDING  # a Chinese question over English memories


def test_the_family_boundaries_are_part_of_what_was_said(db):
    persona = _persona(db, boundaries=["the hospital"])
    asked = understand(db, persona, "Tell me about the hospital where you worked.")
    assert asked.boundary
    assert all("Hospital" not in m.text for m in asked.confident)  # a memory on that topic is never told
    assert not understand(db, persona, "Tell me about your wedding.").boundary


@pytest.mark.parametrize(
    ("text", "language"),
    [("Tell me about the war", "en"), ("那后来呢？", "zh"), ("奶奶, tell me about 成都", "zh"), ("12:30 !!", "und"), ("", "und")],
)
def test_language_of_the_utterance(text, language):
    assert language_of(text) == language


def test_empty_words_are_understood_as_nothing_to_act_on(db, eleanor):
    understood = understand(db, eleanor, "   ")
    assert understood.act is Act.OTHER and understood.memories == () and understood.fact is None


def test_a_context_made_without_an_understanding_is_understood_from_its_own_memories(db, eleanor):
    turn = understand(db, eleanor, "Tell me about your wedding.")
    ctx = ConversationContext(persona=eleanor, user_text="Tell me about your wedding.", memories=list(turn.memories))
    made = from_context(ctx)
    assert isinstance(made, Understanding)
    assert made == turn  # the same reading, memories and gate as the turn's own
