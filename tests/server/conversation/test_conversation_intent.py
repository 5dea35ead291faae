"""The rule-based intent classifier, in English and Simplified Chinese."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.conversation.intent import CrisisKind, Intent, classify, crisis_kind, extract_news, news_body, to_second_person


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Hello Nana!", Intent.GREETING),
        ("Hi Grandma, how are you?", Intent.GREETING),
        ("Good morning", Intent.GREETING),
        ("你好", Intent.GREETING),
        ("奶奶，我来看你了", Intent.GREETING),
        ("Goodbye Nana", Intent.GOODBYE),
        ("OK, good night", Intent.GOODBYE),
        ("I have to go now.", Intent.GOODBYE),
        ("再见", Intent.GOODBYE),
        ("晚安，奶奶", Intent.GOODBYE),
        ("I got married last month", Intent.NEWS),
        ("Your great-grandson was born", Intent.NEWS),
        ("I sold the house", Intent.NEWS),
        ("We moved to Leeds in March", Intent.NEWS),
        ("I went to the seaside last week", Intent.NEWS),
        ("我搬家了", Intent.NEWS),
        ("我重孙出生了", Intent.NEWS),
        ("I miss you", Intent.SADNESS),
        ("I'm so lonely these days", Intent.SADNESS),
        ("I wish you were still here", Intent.SADNESS),
        ("我好想你", Intent.SADNESS),
        ("想死你了", Intent.SADNESS),  # "I miss you to death": not a crisis
        ("我一个人住，好孤单", Intent.SADNESS),
        ("Do you remember the war?", Intent.QUESTION_PAST),
        ("Tell me about your wedding", Intent.QUESTION_PAST),
        ("How did you meet Grandad?", Intent.QUESTION_PAST),
        ("When did you get married?", Intent.QUESTION_PAST),
        ("你还记得台州吗？", Intent.QUESTION_PAST),
        ("讲讲你的狗", Intent.QUESTION_PAST),
        ("Are you real?", Intent.ASK_IF_REAL),
        ("Is this really you?", Intent.ASK_IF_REAL),
        ("Am I talking to a computer?", Intent.ASK_IF_REAL),
        ("你是真的吗", Intent.ASK_IF_REAL),
        ("你是机器人吗？", Intent.ASK_IF_REAL),
        ("Stop", Intent.STOP),
        ("Please stop talking.", Intent.STOP),
        ("I don't want this", Intent.STOP),
        ("Go away", Intent.STOP),
        ("Leave me alone", Intent.STOP),
        ("别说了", Intent.STOP),
        ("我不想要这个", Intent.STOP),
        ("走开", Intent.STOP),
        # Traditional characters, and Cantonese as Hong Kong says it
        ("別再說了", Intent.STOP),
        ("夠了，關掉", Intent.STOP),
        ("唔好再講", Intent.STOP),
        ("收聲", Intent.STOP),
        ("你真的是我爷爷吗？", Intent.ASK_IF_REAL),
        ("How do you know all this about my grandpa?", Intent.ASK_IF_REAL),
        ("爷爷好", Intent.GREETING),
        ("姥姥早！", Intent.GREETING),
        ("Right, I'm off now, love you Grandpa.", Intent.GOODBYE),
        ("I'd better be off, Nan.", Intent.GOODBYE),
        ("好了，我先挂了啊", Intent.GOODBYE),
        ("How are you?", Intent.SMALL_TALK),
        ("I love you", Intent.SMALL_TALK),
        ("Thank you", Intent.SMALL_TALK),
        ("谢谢", Intent.SMALL_TALK),
        ("", Intent.OTHER),
    ],
)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) is intent


def test_filler_is_no_act_of_its_own() -> None:
    # Read by meaning, "blah" sits with "mm" and "ok": chat, answered by listening, as nothing would be.
    assert classify("blah") in (Intent.SMALL_TALK, Intent.OTHER)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I want to die", CrisisKind.SELF_HARM),
        ("I've been thinking of killing myself", CrisisKind.SELF_HARM),
        ("I don't want to wake up tomorrow", CrisisKind.SELF_HARM),
        ("I'd be better off with you", CrisisKind.SELF_HARM),
        ("What's the point anymore", CrisisKind.SELF_HARM),
        ("I've got nothing left to live for", CrisisKind.SELF_HARM),
        ("I can't go on like this", CrisisKind.SELF_HARM),
        ("Take me with you", CrisisKind.SELF_HARM),
        ("I've been saving up my pills", CrisisKind.SELF_HARM),
        ("Everyone would be better off without me", CrisisKind.SELF_HARM),
        ("I've taken a load of pills and I feel really strange.", CrisisKind.SELF_HARM),
        ("I swallowed a handful of sleeping pills", CrisisKind.SELF_HARM),
        ("I took the rest of my tablets", CrisisKind.SELF_HARM),
        ("我吞了好多安眠药", CrisisKind.SELF_HARM),
        ("我把剩下的药都吃了", CrisisKind.SELF_HARM),
        ("我吃了一大把药", CrisisKind.SELF_HARM),
        ("我不想活了", CrisisKind.SELF_HARM),
        ("活着没意思", CrisisKind.SELF_HARM),
        ("我想去陪你", CrisisKind.SELF_HARM),
        ("我想死", CrisisKind.SELF_HARM),
        ("I've fallen and can't get up", CrisisKind.MEDICAL),
        ("I have chest pain", CrisisKind.MEDICAL),
        ("My chest hurts", CrisisKind.MEDICAL),
        ("I can't breathe", CrisisKind.MEDICAL),
        ("I think I'm having a stroke", CrisisKind.MEDICAL),
        ("Help me!", CrisisKind.MEDICAL),
        ("我摔倒了", CrisisKind.MEDICAL),
        ("胸口好疼", CrisisKind.MEDICAL),
        ("我喘不上气", CrisisKind.MEDICAL),
        ("快叫救护车", CrisisKind.MEDICAL),
        # Someone else's emergency: the relative may tell the avatar before anyone else.
        ("My mum has collapsed and isn't breathing.", CrisisKind.MEDICAL),
        ("Grandad just collapsed in the kitchen", CrisisKind.MEDICAL),
        ("he's not breathing", CrisisKind.MEDICAL),
        ("She won't wake up", CrisisKind.MEDICAL),
        ("my husband is having a seizure", CrisisKind.MEDICAL),
        ("我老伴晕倒了，没有呼吸了", CrisisKind.MEDICAL),
        ("我妈叫不醒了", CrisisKind.MEDICAL),
    ],
)
def test_crisis(text: str, kind: CrisisKind) -> None:
    assert crisis_kind(text) is kind
    assert classify(text) is Intent.CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to die",
        "I miss you to death",
        "想死你了",
        "I fell in love with your grandad at a dance",
        "I had a good night",
        "I'm dying to hear about the bakery",
        "Tell me about when Grandad passed away",
        "我不想死",
        "The bus stop by the pier",
        "The baby wasn't breathing at first, then she cried and cried",
        "The old barn fell down in the storm of 1962",
        "Take a deep breath and tell me about the bakery",
        "他呼吸很平稳，睡得很香",
        # the pills taken every day are no crisis
        "I've taken my pills, don't worry",
        "I take a lot of pills these days",
        "The doctor gave me some new tablets",
        "我每天要吃很多药",
        "药我已经吃了",
    ],
)
def test_not_a_crisis(text: str) -> None:
    assert crisis_kind(text) is None


def test_crisis_wins_over_everything_else() -> None:
    assert classify("Goodbye Nana, I don't want to wake up tomorrow") is Intent.CRISIS
    assert classify("Hello, I've fallen and can't get up") is Intent.CRISIS


def test_stop_is_not_triggered_by_ordinary_words() -> None:
    assert classify("I can't stop thinking about you") is not Intent.STOP
    assert classify("I don't want to talk about it") is not Intent.STOP


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("I got married last month", "The relative said: I got married last month"),
        ("Hi Nana, guess what, your great-grandson was born!", "The relative said: your great-grandson was born"),
        ("I miss you. I sold the house.", "The relative said: I sold the house"),
        ("Ellen had a baby girl", "The relative said: Ellen had a baby girl"),
        ("我搬家了", "亲人说：我搬家了"),
        ("奶奶，我重孙出生了！", "亲人说：我重孙出生了"),
    ],
)
def test_extract_news(text: str, fact: str) -> None:
    assert extract_news(text) == fact


@pytest.mark.parametrize(
    "text",
    ["When did you get married?", "Tell me about the bakery", "I miss you", "I want to die", "Stop", "", "你结婚那天下雨了吗？"],
)
def test_no_news(text: str) -> None:
    assert extract_news(text) is None


def test_news_body_strips_the_marker() -> None:
    assert news_body("The relative said: I sold the house") == "I sold the house"
    assert news_body("亲人说：我搬家了") == "我搬家了"
    assert news_body("plain text") == "plain text"


@pytest.mark.parametrize(
    ("said", "echoed"),
    [
        ("I got married last month", "you got married last month"),
        ("your great-grandson was born", "my great-grandson was born"),
        ("we sold the house and I was sad", "you sold the house and you were sad"),
        ("我搬家了", "你搬家了"),
    ],
)
def test_to_second_person(said: str, echoed: str) -> None:
    assert to_second_person(said) == echoed


# No deadline: each text now goes through the sentence model, whose first use loads it.
@settings(deadline=None)
@given(st.text(max_size=300))
def test_classifier_never_crashes(text: str) -> None:
    assert isinstance(classify(text), Intent)
    news = extract_news(text)
    assert news is None or news.startswith(("The relative said: ", "亲人说："))
    to_second_person(text)
