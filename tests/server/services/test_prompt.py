"""server/services/prompt.py: the system prompt carries the persona, memories and the safety rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from server.conversation.acts import Act
from server.conversation.understanding import Understanding
from server.services.base import ConversationContext, HistoryLine, MemoryHit, PersonaProfile, RelativeFact
from server.services.prompt import MAX_HISTORY_LINES, build_messages


def persona(**changes) -> PersonaProfile:
    fields = dict(
        id="p1",
        display_name="Li Mei",
        addressed_as=["Nainai", "Grandma Mei"],
        language="zh",
        biography="Born in Suzhou in 1938, a primary-school teacher for forty years.",
        speaking_style="Warm, teasing, says 'aiya' when surprised.",
        boundaries=["how she died", "the hospital"],
        kind="deceased",
        mode="generative",
    )
    fields.update(changes)
    return PersonaProfile(**fields)


def test_system_prompt_has_the_person_the_memories_the_facts_and_the_rules():
    ctx = ConversationContext(
        persona=persona(),
        user_text="Nainai, do you remember the river?",
        memories=[MemoryHit(id="m1", title="The canal", text="We washed clothes in the canal every morning.")],
        facts=[
            RelativeFact("I got married last month.", datetime(2024, 5, 1, 10, 0)),
            RelativeFact("My son started school.", datetime(2023, 9, 1, 9, 0)),
        ],
    )
    system = build_messages(ctx)[0]
    assert system["role"] == "system"
    prompt = system["content"]
    for expected in (
        "Li Mei",
        "Suzhou",
        '"Nainai"',
        '"Grandma Mei"',
        "aiya",
        "how she died",
        "the hospital",
        "washed clothes in the canal",
        "The canal",
        "2024-05-01: I got married last month.",
        "2023-09-01",
        "Chinese",
        "first person",
        "money",
        "password",
        "bank",
        "don't remember",
        "passed away",
    ):
        assert expected in prompt, expected
    # earlier facts come first: the order they happened
    assert prompt.index("2023-09-01") < prompt.index("2024-05-01")


def test_without_memories_the_model_is_told_to_say_it_does_not_remember():
    ctx = ConversationContext(persona=persona(language="en", boundaries=[]), user_text="Where did we go in 1972?")
    prompt = build_messages(ctx)[0]["content"]
    assert "No memory matches" in prompt
    assert "English" in prompt
    assert "not to talk about" not in prompt


def test_kinds_change_who_the_model_is():
    living = build_messages(ConversationContext(persona=persona(kind="living"), user_text="hi"))[0]["content"]
    child = build_messages(ConversationContext(persona=persona(kind="child"), user_text="hi"))[0]["content"]
    assert "passed away" not in living and "recorded your stories" in living
    assert "as a child" in child


def test_history_alternates_and_ends_with_the_relative_words_once():
    history = [
        HistoryLine("persona", "Hello, my dear."),
        HistoryLine("relative", "Hi Nainai."),
        HistoryLine("relative", "I miss you."),
        HistoryLine("persona", "I miss you too."),
        HistoryLine("relative", "Tell me about the river."),  # this turn, already stored by the pipeline
    ]
    ctx = ConversationContext(persona=persona(), user_text="Tell me about the river.", history=history)
    messages = build_messages(ctx)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "assistant", "user", "assistant", "user"]
    assert messages[2]["content"] == "Hi Nainai.\nI miss you."
    assert messages[-1]["content"] == "Tell me about the river."
    assert sum("Tell me about the river." in m["content"] for m in messages) == 1


def test_sizes_are_capped():
    long_history = [HistoryLine("relative" if i % 2 else "persona", f"line {i}") for i in range(100)]
    memories = [MemoryHit(id=str(i), text="word " * 2000) for i in range(20)]
    ctx = ConversationContext(persona=persona(), user_text="x" * 50_000, history=long_history, memories=memories)
    messages = build_messages(ctx)
    assert len(messages) <= MAX_HISTORY_LINES + 2
    assert sum(len(m["content"]) for m in messages) < 20_000


def test_with_an_understanding_the_prompt_holds_the_memories_it_found_confident():
    canal = MemoryHit(id="m1", text="We washed clothes in the canal every morning.", score=5.0)
    mill = MemoryHit(id="m2", text="At fourteen I went to work at the mill.", score=0.5)
    school = MemoryHit(id="m3", text="I taught at the primary school on Pingjiang Road.", score=0.4)
    understood = Understanding(
        text="Do you remember the canal?",
        act=Act.QUESTION_PAST,
        request_kind=None,
        language="en",
        memories=(canal, mill),
        confident=(canal,),
        just_told=None,
        told_next=None,
        continuation=None,
        fact=None,
        crisis=None,
        boundary=False,
    )
    ctx = ConversationContext(persona=persona(), user_text=understood.text, memories=[canal, mill], understanding=understood)
    prompt = build_messages(ctx)[0]["content"]
    assert canal.text in prompt and mill.text not in prompt

    unsure = replace(understood, confident=())
    prompt = build_messages(ConversationContext(persona=persona(), user_text="?", memories=[canal, mill], understanding=unsure))[0][
        "content"
    ]
    assert "No memory matches" in prompt and canal.text not in prompt

    # A follow-up: the story just told and the one after it come first.
    going_on = replace(understood, act=Act.FOLLOWUP, just_told=school, told_next=mill, continuation=(mill, 0))
    prompt = build_messages(ConversationContext(persona=persona(), user_text="And then?", understanding=going_on))[0]["content"]
    assert prompt.index(school.text) < prompt.index(mill.text) < prompt.index(canal.text)


def test_news_the_relative_did_not_tell_is_not_put_to_them_as_theirs():
    ctx = ConversationContext(
        persona=persona(),
        user_text="Hello Nainai",
        facts=[
            RelativeFact("I got married last month.", datetime(2024, 5, 1, 10, 0)),
            RelativeFact("Tom started at the bakery.", datetime(2024, 6, 1, 10, 0), told_by_listener=False),
        ],
    )
    prompt = build_messages(ctx)[0]["content"]
    told, heard = prompt.index("What they told you"), prompt.index("What you heard from the family")
    assert told < prompt.index("I got married") < heard < prompt.index("Tom started at the bakery")
    only_heard = build_messages(ConversationContext(persona=persona(), user_text="Hi", facts=ctx.facts[1:]))[0]["content"]
    assert "What they told you" not in only_heard and "Tom started at the bakery" in only_heard
