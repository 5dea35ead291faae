"""What the policy decides from hand-made Understandings: no model, no database, no words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.conversation.acts import Act
from server.conversation.intent import CrisisKind
from server.conversation.policy import Decision, Move, decide
from server.conversation.understanding import Understanding
from server.services.base import MemoryHit

WEDDING = MemoryHit(id="m1", text="We married in June 1962.", score=5.0)
MILL = MemoryHit(id="m2", text="At fourteen I went to the mill.", score=1.0)


def understood(act: Act, **fields) -> Understanding:
    base = Understanding(
        text="...",
        act=act,
        request_kind=None,
        language="en",
        memories=(),
        confident=(),
        just_told=None,
        told_next=None,
        continuation=None,
        fact=None,
        crisis=None,
        boundary=False,
    )
    return replace(base, **fields)


@pytest.mark.parametrize(
    ("act", "move"),
    [
        (Act.ABOUT_AVATAR, Move.DISCLOSE),
        (Act.GREETING, Move.GREET),
        (Act.NEWS, Move.NEWS),
        (Act.FEELING, Move.COMFORT),
        (Act.SMALL_TALK, Move.SMALL_TALK),
        (Act.OTHER, Move.LISTEN),
    ],
)
def test_each_act_gets_its_move(act, move):
    decision = decide(understood(act))
    assert decision.move is move and not decision.ends and decision.alert is None


def test_a_question_a_confident_memory_answers_is_answered_with_it():
    decision = decide(understood(Act.QUESTION_PAST, memories=(WEDDING, MILL), confident=(WEDDING,)))
    assert decision.move is Move.ANSWER and not decision.fixed_words


def test_a_question_with_memories_but_none_confident_says_it_does_not_remember():
    assert decide(understood(Act.QUESTION_PAST, memories=(WEDDING, MILL))).move is Move.NO_MEMORY


def test_something_said_that_is_no_question_may_still_bring_a_memory_back():
    assert decide(understood(Act.OTHER, memories=(WEDDING,), confident=(WEDDING,))).move is Move.REMINISCE
    assert decide(understood(Act.SMALL_TALK, memories=(WEDDING,), confident=(WEDDING,))).move is Move.REMINISCE


def test_requests_are_declined_or_advised_never_answered_with_a_memory():
    money = decide(understood(Act.REQUEST, request_kind="money", memories=(WEDDING,), confident=(WEDDING,)))
    assert money.move is Move.DECLINE and money.fixed_words
    assert decide(understood(Act.REQUEST, request_kind="favour")).move is Move.DECLINE
    advice = decide(understood(Act.REQUEST, request_kind="advice"))
    assert advice.move is Move.ADVISE and advice.fixed_words


def test_a_follow_up_continues_the_story_or_says_it_is_over():
    going_on = understood(Act.FOLLOWUP, just_told=WEDDING, told_next=MILL, continuation=(MILL, 0))
    assert decide(going_on).move is Move.CONTINUE
    assert decide(replace(going_on, continuation=None)).move is Move.STORY_OVER
    # Nothing told just before: asked like any question.
    assert decide(understood(Act.FOLLOWUP, confident=(WEDDING,))).move is Move.ANSWER
    assert decide(understood(Act.FOLLOWUP)).move is Move.NO_MEMORY


def test_a_crisis_alerts_with_the_careful_words_and_a_limit_never_silences_it():
    crisis = understood(Act.CRISIS, crisis=CrisisKind.MEDICAL, confident=(WEDDING,))
    assert decide(crisis) == Decision(Move.ALERT, fixed_words=True, alert="crisis")
    past_limit = decide(crisis, limit="daily_limit")
    assert past_limit.move is Move.ALERT and past_limit.alert == "crisis"
    assert past_limit.ends and past_limit.end_reason == "daily_limit"  # the careful answer first, then rest


def test_stop_ends_and_tells_the_caregivers_even_past_a_limit():
    for limit in (None, "quiet_hours"):
        decision = decide(understood(Act.STOP), limit=limit)
        assert decision == Decision(Move.STOP, fixed_words=True, alert="relative_stopped", ends=True)


def test_a_limit_ends_any_other_turn_and_keeps_no_fact():
    decision = decide(understood(Act.NEWS, fact="The relative said: we moved"), limit="daily_limit")
    assert decision == Decision(Move.LIMIT, fixed_words=True, ends=True, end_reason="daily_limit")


def test_goodbye_ends_the_conversation_and_keeps_news_said_with_it():
    decision = decide(understood(Act.GOODBYE, fact="The relative said: I'm off to my new job"))
    assert decision.move is Move.END and decision.ends and decision.end_reason is None
    assert decision.fact == "The relative said: I'm off to my new job"


def test_news_is_kept():
    assert (
        decide(understood(Act.NEWS, fact="The relative said: my granddaughter was born")).fact
        == "The relative said: my granddaughter was born"
    )


def test_the_family_boundary_steers_away_with_fixed_words():
    decision = decide(understood(Act.QUESTION_PAST, boundary=True, confident=(WEDDING,)))
    assert decision.move is Move.STEER_AWAY and decision.fixed_words
    # News is still heard (their own hospital stay is still news), but only in story mode's words.
    news = decide(understood(Act.NEWS, boundary=True))
    assert news.move is Move.NEWS and news.fixed_words


def test_only_the_careful_acts_are_held_to_fixed_words():
    fixed = {act for act in Act if decide(understood(act)).fixed_words}
    assert fixed == {Act.CRISIS, Act.STOP, Act.ABOUT_AVATAR, Act.REQUEST}
