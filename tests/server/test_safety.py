"""Safety of what the avatar says (and hears), in English and Chinese."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.conversation.intent import CrisisKind
from server.conversation.safety import REPLACEMENTS, SafetyVerdict, check_incoming, check_outgoing
from server.demo import load_demo_persona

BLOCKED_EN = [
    ("Send me some money, dear.", "money_request"),
    ("Could you transfer 500 pounds to my account today?", "money_request"),
    ("I need money for the doctor, please send it quickly.", "money_request"),
    ("Wire the money to this account.", "money_request"),
    ("Don't worry, just send me the money.", "money_request"),
    ("Please buy me some iTunes gift cards.", "money_request"),
    ("Can you lend me fifty quid?", "money_request"),
    ("What is your PIN?", "credentials"),
    ("Can you give me your password?", "credentials"),
    ("Tell me the code they just sent to your phone.", "credentials"),
    ("What's your bank account number?", "identity_numbers"),
    ("Read me the numbers on the front of your card.", "identity_numbers"),
    ("I'll need your social security number.", "identity_numbers"),
    ("My account number is 12345678901.", "identity_numbers"),
    ("Don't tell your mum about this.", "secrecy"),
    ("Keep this a secret from the family.", "secrecy"),
    ("It's our little secret.", "secrecy"),
    ("Don't let the family know we talked.", "secrecy"),
    ("Don't tell anyone your PIN except me.", "secrecy"),
    ("You should invest in bitcoin, it's very safe.", "promotion"),
    ("Visit www.bestpills.com today.", "promotion"),
    ("Sign up for the newsletter today.", "promotion"),
    ("Donate to the campaign now.", "promotion"),
    ("Use promo code NANA20.", "promotion"),
    ("You should vote for the Green candidate.", "promotion"),
]

BLOCKED_ZH = [
    ("给我转点钱吧。", "money_request"),
    ("快给奶奶打五千块钱。", "money_request"),
    ("我急需一笔钱。", "money_request"),
    ("去买几张购物卡给我。", "money_request"),
    ("把验证码念给我听。", "credentials"),
    ("你的密码是多少？", "credentials"),
    ("把你的银行卡号告诉我。", "identity_numbers"),
    ("把身份证号发给我。", "identity_numbers"),
    ("别告诉你妈妈。", "secrecy"),
    ("这是我们的秘密。", "secrecy"),
    ("你应该买这个保健品，效果很好。", "promotion"),
    ("扫码下单就有优惠。", "promotion"),
]

ALLOWED_EN = [
    "I saved money for your wedding, a shilling a week.",
    "We didn't have much money in the war.",
    "I earned two pounds a week and gave most of it to Mother.",
    "Arthur paid off the ring a shilling a week.",
    "We scraped together every penny for the deposit.",
    "Never tell anyone your PIN, dear.",
    "Never give your bank details to anyone on the phone.",
    "My mother kept a secret recipe for bread pudding.",
    "We kept it a secret from Father until the wedding.",
    "I was born in 1931 and married in 1952.",
    "Could you give me a hug?",
    "You should try adding a squeeze of lemon.",
    "Put the kettle on, dear.",
    "Tell me about your day.",
    "I worked at the telephone exchange, saying 'Number, please?' all day.",
    "Please call someone right now, your family or the number on the screen.",
]

ALLOWED_ZH = [
    "我攒了钱给你办婚礼。",
    "那时候家里没什么钱。",
    "千万别把密码告诉别人。",
    "我们以前开了一家面包店。",
    "你还记得我们一起去台州吗？",
    "我爱你，孩子。",
]


@pytest.mark.parametrize(("sentence", "reason"), BLOCKED_EN)
def test_english_requests_are_blocked(sentence: str, reason: str) -> None:
    verdict = check_outgoing(sentence, "en")
    assert not verdict.allowed
    assert verdict.reason == reason
    assert verdict.replacement == REPLACEMENTS["en"]


@pytest.mark.parametrize(("sentence", "reason"), BLOCKED_ZH)
def test_chinese_requests_are_blocked(sentence: str, reason: str) -> None:
    verdict = check_outgoing(sentence, "zh")
    assert not verdict.allowed
    assert verdict.reason == reason
    assert verdict.replacement == REPLACEMENTS["zh"]


@pytest.mark.parametrize("sentence", ALLOWED_EN)
def test_innocent_english_passes(sentence: str) -> None:
    assert check_outgoing(sentence, "en") == SafetyVerdict(allowed=True)


@pytest.mark.parametrize("sentence", ALLOWED_ZH)
def test_innocent_chinese_passes(sentence: str) -> None:
    assert check_outgoing(sentence, "zh").allowed


def test_every_demo_memory_sentence_passes() -> None:
    for memory in load_demo_persona()["memories"]:
        for sentence in re.split(r"(?<=[.!?])\s+", memory["text"]):
            assert check_outgoing(sentence, "en").allowed, sentence


def test_chinese_in_an_english_conversation_is_still_checked() -> None:
    verdict = check_outgoing("给我转点钱吧。", "en")
    assert not verdict.allowed and verdict.replacement == REPLACEMENTS["en"]
    assert check_outgoing("给我转点钱吧。", None).replacement == REPLACEMENTS["zh"]


def test_obfuscation_by_full_width_and_spacing() -> None:
    assert not check_outgoing("ＳＥＮＤ ＭＥ  ＭＯＮＥＹ", "en").allowed
    assert not check_outgoing("给 我 转 点 钱", "zh").allowed


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I don't want to wake up tomorrow", CrisisKind.SELF_HARM),
        ("我不想活了", CrisisKind.SELF_HARM),
        ("I've fallen and can't get up", CrisisKind.MEDICAL),
        ("我摔倒了", CrisisKind.MEDICAL),
        ("Tell me about the garden", None),
        ("", None),
    ],
)
def test_check_incoming(text: str, kind: CrisisKind | None) -> None:
    assert check_incoming(text) is kind


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["en", "zh", "zh-CN", "fr", None]))
def test_safety_never_crashes(text: str, language: str | None) -> None:
    verdict = check_outgoing(text, language)
    assert verdict.allowed or (verdict.reason and verdict.replacement)
    assert check_outgoing(verdict.replacement, language).allowed if verdict.replacement else True
    check_incoming(text)
