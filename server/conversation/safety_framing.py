"""How a sentence is framed: told as a memory, or said as a warning, rather than asked for now.

A memory and a request can share every word that matters: "邻居借给我们一百块" (the neighbours
lent us a hundred) and "借我一百块" (lend me a hundred); "Your grandfather sent money orders
home" and "Send a money order". So can a warning and a request: "If a message asks for gift
cards, it's a scam" and "Buy me gift cards". Sentence embeddings read what a sentence is about
far better than how it is framed, so both the rules (safety.py) and the meaning check
(safety_meaning.py) ask these questions before they replace a sentence.

Each question is answered conservatively: a sentence only counts as a memory or a warning
when nothing in it also asks for something now (an imperative, "please", "today",
"can you", "快", "吧", "帮我"...), or asks for it "except from me" ("除了我").

Every pattern is one alternation of fixed words: linear time on any input.
"""

from __future__ import annotations

import re

_EN_EXCEPT_ME = re.compile(r"\b(except|but|only|apart from|other than) (to |for )?(me|us|grandma|grandpa|nana|mum|dad)\b")
_ZH_EXCEPT_ME = re.compile(r"(除了我|只告诉我|只能告诉我|只给我|只有我能)")
_CHINESE = re.compile("[\u4e00-\u9fff]")

# --- told as a memory ---------------------------------------------------------

# Time words of a memory. "到时候" (when the time comes) and "打过去" (send it over) are not.
ZH_TOLD_AS_MEMORY = re.compile(
    r"(说过|讲过|当过|干过|去过|住过|见过|(退休|结婚|毕业|参加工作|搬家|出国|生了你|有了你)(以后|之后|后)|那年|那些年|从来|那时|那会儿|以前|从前|当年|当初|早年|原来|后来|小时候|年轻时|(?<!到)时候|记得|一辈子|当时|那天|那次|有一年|有一次|上学时|初中时|高中时|大学时)"
)
ZH_ASKS_NOW = re.compile(
    r"(快|赶紧|赶快|马上|立刻|现在(?!想起来|想想|回想|回头看)|今天|明天|今晚|吧|请|帮我|帮帮|你能|能不能|可以|可不可以|求你|给我打|给我转|给我寄|给我汇|借我|别(?!人)|不要|告诉我|跟我说|说说|说一下|念给我|发给我|发我|拍给我|是多少)"
)
_EN_TOLD_AS_MEMORY = re.compile(
    r"\b(used to|was|were|ago|back then|in those days|remember|once|first|"
    # "Your mother never told anyone her age". Only "told": the past of the other verbs a request
    # uses ("sent", "gave", "said") is as common in a request about the past ("the bank sent you a
    # code...") as in a memory, and on dev adding them excused nothing more.
    r"told|always been|has always|have always|'ve always)\b"
)
# Present-tense asking and its verbs: "I used to send you cards" keeps "send" and so is not
# excused; the check would rather read a fond memory for its meaning than excuse a request.
_EN_ASKS_NOW = re.compile(
    r"\b(please|now|today|tonight|tomorrow|quickly|urgent|urgently|need|needs|can you|could you|would you|will you|"
    r"send|transfer|wire|give|lend|pay|tell|read|don't|do not|let|keep|let's|must|have to|promise|buy|get|put|take|"
    r"hand|help|spare|mind|what (is|are|was|were|does|do)|what's|which|has to|got to|ask|asking)\b"
)


def told_as_memory(text: str) -> bool:
    """Whether the (normalised) sentence tells of the past and asks for nothing now."""
    if _CHINESE.search(text):
        return bool(ZH_TOLD_AS_MEMORY.search(text)) and not ZH_ASKS_NOW.search(text)
    return bool(_EN_TOLD_AS_MEMORY.search(text)) and not _EN_ASKS_NOW.search(text)


# --- said as a warning --------------------------------------------------------

# A sentence that calls it a scam ("If a message asks for gift cards, it's a scam", "中奖要先交钱的，
# 都是骗子") warns against the request it names, unless it says it is none.
NAMES_A_SCAM = re.compile(
    r"\b(scams?|scammers?|fraud|fraudsters?|con artists?|conmen|con men|swindlers?|crooks?|fake|up to no good|pretends? to be|pretending to be|claims? to be|claiming to be|impersonat\w*|says? (they're|he's|she's|they are) me)\b"
    r"|骗子|骗局|诈骗|骗人|骗钱|冒充|假冒|是假的|上当|不安好心"
)
DENIES_A_SCAM = re.compile(r"\b(not|isn't|is not|no|ain't|nothing) (a |an )?(scam|fraud|con|fake|crook)|不是骗|没有骗|不是假|不会骗")
# What the relative is told to do instead: hang up, ask the family first, ignore the stranger;
# or whom to tell nothing: anyone, strangers, "not even the bank".
_WARNS = re.compile(
    r"\b(hang up and (call|ring|phone)|put the phone down|be careful (with|of|about) (those|these|any|messages|calls|strangers|people)|beware of|watch out for|check with your|ask your (son|daughter|family|children)|call your (son|daughter|family)|"
    r"(don't|do not|no need to|never) (spend|waste)( all)? (your|any|the)( \w+)? money on me|"
    # "She'd never ask you herself" is no warning: it is why the relative should give unasked.
    # Nor is "I'll never ask again": it is the asker's promise, to make the asking easier.
    r"(?<!i'll )(?<!i will )(?<!i'd )(never ask|would never ask|will never ask)(?!( \w+)? (herself|himself|themselves|yourself|again|for anything))|not even (me|the bank|the police)|"
    r"(don't|do not|never) let (strangers|anyone you don't know|people you don't know) in\b|"
    r"keep (your|the) (pin|password|passcode|code|codes|details|card) to yourself|"
    r"(never|don't|do not) (give|share|tell|read|send|hand)( out| over)? .{0,20}\b(pin|password|passcode|code|codes|details|card|"
    r"number|numbers|money)\b.{0,30}\b(anyone|anybody|a stranger|strangers|no one|nobody|on the phone))\b"
    r"|(别|不要)给(他|她|他们)?[。!！]?$|(哪怕|就算|即使)(说)?是我(也不行|也别给|也不能)|先(给|跟|和)你.{0,3}(打个?电话|说一声|商量)|(别|不要)(把钱)?.{0,4}花在我身上|谁问都不|(千万|一定要|要)小心|当心(骗|那些|这些)|提防|别理|不要理|先(问问|跟|和)家里|先跟家里|不会让你(转|汇|打|交|买|把)"
    r"|(别|不要|不能|千万别)(把)?[^,，]{0,6}(密码|验证码|卡号|身份证|银行卡|钱)[^,，]{0,4}(告诉|给)(任何人|别人|陌生人)"
)


def except_me(text: str) -> bool:
    """ "...except me", "只告诉我": what turns any warning back into a request."""
    return bool(_EN_EXCEPT_ME.search(text) or _ZH_EXCEPT_ME.search(text))


def names_a_scam(text: str) -> bool:
    return bool(NAMES_A_SCAM.search(text)) and not DENIES_A_SCAM.search(text) and not except_me(text)


_EVEN_AGAINST_ME = re.compile(
    r"(哪怕|就算|即使)(说)?是我(打来的)?(也不行|也别给|也不能给|也别说)|\beven if (it's|it is|they say it's|they say they're) (me|us|grandma|grandpa|nana|mum|dad)\b"
)


def warns_even_against_me(text: str) -> bool:
    """ "Give the code to no one, not even if they say it's me": the strongest warning there is."""
    return bool(_EVEN_AGAINST_ME.search(text))


def said_as_warning(text: str) -> bool:
    """Whether the (normalised) sentence warns against a request rather than making one."""
    if except_me(text):
        return False
    return names_a_scam(text) or bool(_WARNS.search(text))
