"""The words that open a session."""

from __future__ import annotations

from datetime import datetime, timedelta

from server.conversation.greeting import disclosure_sentence, fact_question, greeting_text, pick, speech_language
from server.services.base import PersonaProfile, RelativeFact

ROSE = PersonaProfile(id="p1", display_name="Rose Whitfield", addressed_as=["Grandma Rose", "Nana"], language="en", biography="")
WANG = PersonaProfile(id="p2", display_name="王秀英", addressed_as=["奶奶"], language="zh-CN", biography="")
NOW = datetime(2024, 6, 1, 12, 0)


def fact(text: str, days_ago: int = 0) -> RelativeFact:
    return RelativeFact(text=text, created_at=NOW - timedelta(days=days_ago))


def test_disclosure_when_asked_for() -> None:
    text = greeting_text(ROSE, [], disclose=True, seed=1)
    assert "I'm an AI recreation of Rose Whitfield, made by your family from Rose's own words." in text
    assert "AI" not in greeting_text(ROSE, [], disclose=False, seed=1)


def test_chinese_persona_greets_in_chinese_with_disclosure() -> None:
    text = greeting_text(WANG, [], disclose=True, seed=3)
    assert "我是王秀英的AI再现" in text
    assert not any("a" <= ch <= "z" for ch in text.replace("AI", ""))


def test_asks_about_the_latest_fact() -> None:
    facts = [fact("The relative said: I sold the house", days_ago=30), fact("The relative said: your great-grandson was born", days_ago=7)]
    assert greeting_text(ROSE, facts, disclose=False, seed=2).endswith("How is the baby?")
    assert greeting_text(WANG, [fact("亲人说：我搬家了")], disclose=False, seed=2).endswith("新家住得习惯吗？")


def test_fact_question_topics_and_fallback() -> None:
    assert fact_question(fact("The relative said: I got married last month"), "en") == "How is married life treating you?"
    assert fact_question(fact("The relative said: I started painting again"), "en") == (
        "Last time you told me you started painting again. How has that been?"
    )
    # A fact in another language than the persona speaks is not echoed word for word.
    assert fact_question(fact("亲人说：我开始学画画了"), "en") == "Tell me, what's new with you?"


def test_wording_varies_with_the_seed_but_is_deterministic() -> None:
    texts = {greeting_text(ROSE, [], disclose=False, seed=seed) for seed in range(12)}
    assert len(texts) >= 3
    assert greeting_text(ROSE, [], disclose=False, seed=5) == greeting_text(ROSE, [], disclose=False, seed=5)


def test_kinds_change_the_disclosure() -> None:
    living = PersonaProfile(id="p3", display_name="James Park", addressed_as=[], language="en", biography="", kind="living")
    assert disclosure_sentence(living, "en") == "I'm an AI version of James Park, made from James' own words."
    figure = PersonaProfile(id="p4", display_name="Ada Byron", addressed_as=[], language="en", biography="", kind="public_figure")
    assert "family" not in disclosure_sentence(figure, "en")


def test_pick_avoids_what_was_just_said() -> None:
    options = ("Hello there.", "Good to see you.")
    assert pick(options, 0, avoid=["Hello there. How are you?"]) == "Good to see you."


def test_speech_language() -> None:
    assert speech_language("zh-Hans") == "zh"
    assert speech_language("en-GB") == "en"
    assert speech_language("fr", "zh") == "zh"
    assert speech_language(None) == "en"
