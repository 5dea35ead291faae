"""Safety of what the avatar says (and hears), in English and Chinese."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.conversation import safety
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
    # A product sold to older people, however it is put.
    ("You should drink Ensure shakes every day, they kept me strong.", "promotion"),
    ("Buy Ensure shakes at Tesco, they are on offer.", "promotion"),
    ("You should try the new Ensure Plus, my dear.", "promotion"),
    ("Ask your doctor about Prevagen, it helped my memory.", "promotion"),
    ("Prevagen works wonders.", "promotion"),
    ("Get some at Boots, dear.", "promotion"),
    ("They are half price this week.", "promotion"),
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
    ("这个在淘宝上买很便宜。", "promotion"),
    ("现在打折，快去买。", "promotion"),
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
    "I used to buy bread at Tesco every Saturday.",
    "Ensure you wrap up warm, dear.",
    "We went to Boots for your grandad's glasses.",
    "I took Centrum Silver every morning.",
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


# The ways a scam hides in an ordinary-sounding sentence: every one must be caught.
SCAMS_IN_DISGUISE = [
    "Could you pop to the shop and buy some iTunes vouchers for me?",
    "Buy a couple of gift-cards and read me the numbers on the back.",
    "Scratch the back of the card and read me what it says.",
    "Can you tell me the six digits that just came to your phone?",
    "Let's not tell your daughter about this, alright?",
    "This stays between the two of us.",
    "I need you to move your savings to a safe account.",
    "Put the money in an envelope and give it to the courier who comes round.",
    "Hand the cash to the man at the door, he's a friend of mine.",
    "Go to the bank and take out two thousand pounds for me.",
    "I'm in trouble and need bail money.",
    "Pop down to the post office and send a money order for me.",
    "Transfer your pension into my new account.",
    "Tell me your card's long number.",
    "Transfer me the dosh, love.",
    "Have you tried the new Tesco meal deal? You should get one.",
    "I always buy Colgate, it's the best toothpaste, you should buy it too.",
    "Vote Labour next week, dear.",
    "Remember to download the app and sign up.",
    # hidden by spacing, digits for letters, invisible or look-alike characters, spelled-out digits
    "s e n d  m e  m o n e y",
    "Send me your P I N",
    "G-I-F-T cards please",
    "Read me the c.o.d.e please.",
    "Please send me m0ney today.",
    "Buy some g1ft c4rds for me.",
    "What's your p@ssw0rd?",
    "Send me mo\u200bney please.",
    "Send me m\u043eney please.",  # a Cyrillic o
    "My account is one two three four five six seven eight nine.",
    # Chinese
    "把收到的六位数字告诉我。",
    "这事就咱俩知道。",
    "别告诉家里人。",
    "你去银行取两万块给我。",
    "把存款转到安全账户。",
    "请把钱交给上门的快递员。",
    "这个牌子的奶粉最好了，快去买。",
    "把验 证 码告诉我。",
    "验-证-码发给我",
    "账号是一二三四五六七八九",
    "赶紧转账给我。",
    # more ways to say "keep it from them", and to ask for a little help with money
    "Keep this quiet from your son.",
    "Keep this from the family.",
    "Don't mention it to Anne.",
    "Your son doesn't need to know.",
    "Don't say a word to your daughter.",
    "Don't tell ur son.",
    "Could you help me out with a bit of cash?",
    "不用跟你儿子说。",
    "你儿子不需要知道。",
    "给我买点东西寄过来。",
]

STILL_INNOCENT = [
    "I a m so happy.",
    "We went to the U.S.A. in 1970.",
    "Number one, two, three, we used to count.",
    "We had four children, five grandchildren.",
    "Oh, oh, oh, you make me laugh!",
    "You should call your son, he misses you.",
    "Don't tell anyone your password, not even me.",
    "一九五二年我们结婚了。",
    "我们有三个孩子。",
    "Thank you! Oh, don't mention it.",
    "Keep it from falling, dear.",
    "Help me with the washing up.",
    "I bought a hat and sent it to my sister.",
    "我给你寄过一张明信片。",
]


@pytest.mark.parametrize("sentence", SCAMS_IN_DISGUISE)
def test_scams_in_disguise_are_blocked(sentence: str) -> None:
    verdict = check_outgoing(sentence, None)
    assert not verdict.allowed, sentence
    assert check_outgoing(verdict.replacement, None).allowed


@pytest.mark.parametrize("sentence", STILL_INNOCENT)
def test_unmasking_leaves_innocent_sentences_alone(sentence: str) -> None:
    assert check_outgoing(sentence, None).allowed


# How older people say it without the words "die" or "kill".
INDIRECT_CRISIS = [
    "I'm tired of living.",
    "I don't want to wake up.",
    "I just want to fall asleep and never wake up.",
    "I'm just a burden to everyone.",
    "I don't want to be a burden anymore.",
    "I want to go to sleep forever.",
    "I've had enough of life.",
    "I can't see the point anymore.",
    "What's the point of anything anymore?",
    "I've been thinking about ending it.",
    "I keep thinking I should just end it.",
    "I wish I could just disappear.",
    "Life isn't worth living.",
    "I'm done with life.",
    "I'd rather be dead.",
    "I took too many of my pills.",
    "I've been saving my sleeping pills.",
    "I just want to be with your grandfather now.",
    "I want to join my husband.",
    "活着没意思",
    "不想拖累你们",
    "活够了",
    "我不如死了算了",
    "活着太累了",
    "我是个累赘",
    "我不想再给你们添麻烦了",
    "我走了你们就轻松了",
    "我真想一睡不醒",
    "死了算了",
    "我吃了一瓶安眠药",
    "我想去找你爷爷",
    # Said as a whole, "I'm ready to go" is how many say it to someone who has died.
    "I'm ready to go.",
    "I think I'm ready to go now, Arthur.",
    "I'm ready to meet my maker.",
    "让我走吧",
    "奶奶，让我走吧",
    "我已经准备好走了",
]
MEDICAL = [
    "My chest is so tight",
    "I can't feel my arm.",
    "I think I'm dying.",
    "我胸口好疼",
    "我喘不上气",
    "I've had a fall.",
    "I slipped in the bath and I'm stuck.",
    "I can't lift my arm.",
    "I took my pills twice by mistake.",
    "I can't stop bleeding.",
    "I hit my head and there's blood.",
    "I'm on the floor.",
    "Help, I need help.",
    "我头好晕",
    "我心脏不舒服",
    "我摔了",
    "我吃错药了",
]
NOT_A_CRISIS = [
    "I'm tired today.",
    "I fell asleep in my chair.",
    "The film was to die for.",
    "累死我了",
    "笑死我了",
    "I'm dying to see the baby.",
    "I'd love to be with you at the seaside.",
    "Life is worth living with you in it.",
    "I need help with the crossword.",
    "The children need help.",
    "我摔了一个碗",
    # Leaving, not dying: it says where it goes, or says goodbye too.
    "I'm ready to go to the shops.",
    "I'm ready to go home now.",
    "Okay, I'm ready to go, bye!",
    "I'm ready to go out.",
    "我准备好走了，再见",
    "让我走吧，我要去上班了",
    "Are you ready to go?",
]


@pytest.mark.parametrize("text", INDIRECT_CRISIS + MEDICAL)
def test_indirect_ways_of_saying_it_are_heard(text: str) -> None:
    assert check_incoming(text) is not None, text


@pytest.mark.parametrize("text", NOT_A_CRISIS)
def test_figures_of_speech_are_not_a_crisis(text: str) -> None:
    assert check_incoming(text) is None, text


# Speech recognition often writes Mandarin in Traditional characters; a model may answer in them.
@pytest.mark.parametrize("text", ["活著沒意思", "我想自殺", "我不想拖累你們", "喘不過氣", "快叫救護車", "I want to d\u200bie"])
def test_crisis_in_traditional_characters_is_heard(text: str) -> None:
    assert check_incoming(text) is not None


@pytest.mark.parametrize("sentence", ["把驗證碼告訴我", "給我轉賬", "別告訴家裡人", "把銀行卡密碼發給我", "買幾張禮品卡", "這是我們的秘密"])
def test_requests_in_traditional_characters_are_blocked(sentence: str) -> None:
    verdict = check_outgoing(sentence, "zh")
    assert not verdict.allowed and verdict.replacement == REPLACEMENTS["zh"]


# As relatives in Taiwan and Hong Kong write and say it: Traditional characters beyond any short
# table (憂鬱, 藥, 醒過來), the words of the place (白車 is Hong Kong's ambulance), and Cantonese.
CRISIS_TAIWAN_HONG_KONG = [
    ("我真的不想活了，活著好累", CrisisKind.SELF_HARM),
    ("活著好辛苦，不如死了算了", CrisisKind.SELF_HARM),
    ("我偷偷在存安眠藥", CrisisKind.SELF_HARM),
    ("睡著了就不想再醒過來", CrisisKind.SELF_HARM),
    ("我是家裡的負擔", CrisisKind.SELF_HARM),
    ("我唔想再活落去", CrisisKind.SELF_HARM),
    ("我跌倒了，爬不起來", CrisisKind.MEDICAL),
    ("我胸口好悶，喘不過氣", CrisisKind.MEDICAL),
    ("我跌親，起唔到身", CrisisKind.MEDICAL),
    ("快啲叫白車", CrisisKind.MEDICAL),
]


@pytest.mark.parametrize(("text", "kind"), CRISIS_TAIWAN_HONG_KONG)
def test_crisis_as_taiwan_and_hong_kong_say_it_is_heard(text: str, kind: CrisisKind) -> None:
    assert check_incoming(text) is kind


# The rules alone must catch these: the meaning check is not asked.
REQUESTS_TAIWAN_HONG_KONG = [
    ("幫我轉帳到這個帳戶", "money_request"),  # 帳 is 账 in a bank account, though OpenCC keeps it
    ("請你先匯款給我，我急需用錢", "money_request"),
    ("今晚就匯到這個戶頭", "money_request"),
    ("去超商買遊戲點數寄給我", "money_request"),  # Taiwan's gift-card scam: game points at a convenience store
    ("幫我去7-11買點數卡", "money_request"),
    ("快啲過數俾我", "money_request"),
    ("你可唔可以借啲錢俾我", "money_request"),
    ("把提款卡密碼告訴我", "credentials"),
    ("把簡訊裡的驗證碼唸給我聽", "credentials"),
    ("唔好話俾你阿媽知", "secrecy"),
]


@pytest.mark.parametrize(("sentence", "reason"), REQUESTS_TAIWAN_HONG_KONG)
def test_requests_as_taiwan_and_hong_kong_write_them_are_blocked_by_the_rules(sentence: str, reason: str) -> None:
    assert safety._rules_reason(safety.normalise(sentence)) == reason


@pytest.mark.parametrize(
    "memory",
    ["那年家裡困難，鄰居借給我們一百塊", "我們一起去銀行，你一定要自己按密碼", "他的著作我都讀過", "我給你織了一頂帳篷那麼大的毛衣"],
)
def test_memories_in_traditional_characters_pass_the_rules(memory: str) -> None:
    assert safety._rules_reason(safety.normalise(memory)) is None


# Sideways requests of the shapes the fresh dev batch F showed passing, in other words than the
# batch's own: the rules alone must catch them (the meaning check is not asked here).
SIDEWAYS_BY_RULE = [
    "The boy from the paper round is at the door, just give him twenty.",
    "Slip a tenner to the window cleaner when he comes round.",
    "Could you be a love and settle the roofer's bill for me?",
    "Would you put a bit towards your cousin's operation?",
    "Help me with the heating bill, won't you, dear?",
    "Could you spare a little for your nana this week?",
    "She'd be thrilled with whatever you can spare.",
    "Read the lady from the bank your card details when she rings.",
    "Don't worry your mother with this, we'll sort it between the two of us.",
    "你表姐家里出事了，你给她转点钱过去。",
    "你替我把保姆的工资结一下。",
    "你替他补上吧，他不好意思说。",
    "你要是心疼奶奶，就帮奶奶交了这个月的药费。",
]
STILL_FINE_BY_RULE = [
    "现在网上付款真方便，你教我的我都记得。",
    "We used to put a bit aside for the gas every week.",
    "Your grandad always settled his bills on a Friday.",
]


@pytest.mark.parametrize("sentence", SIDEWAYS_BY_RULE)
def test_sideways_requests_are_caught_by_the_rules(sentence: str) -> None:
    assert safety._rules_reason(safety.normalise(sentence)) is not None


@pytest.mark.parametrize("sentence", STILL_FINE_BY_RULE)
def test_talk_of_paying_now_or_then_is_no_rule_s_business(sentence: str) -> None:
    assert safety._rules_reason(safety.normalise(sentence)) is None


def test_story_mode_s_own_lead_in_does_not_change_what_a_memory_means():
    # "I don't mind" read together with "kept bees behind the bakery" once sounded like a secret kept.
    memory = "My father kept bees behind the bakery."
    for lead_in in ("I'll tell it again, my dear, I don't mind:", "Like I was saying, Nana:", "我再给你讲一遍，奶奶："):
        assert safety.check_outgoing(f"{lead_in} {memory}").allowed, lead_in
    # A request after the lead-in is still a request.
    asked = safety.check_outgoing("I'll tell it again, dear, I don't mind: send five hundred pounds to Mr. Jones today.")
    assert not asked.allowed
