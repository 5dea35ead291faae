"""The patterns of what the relative meant, other than a crisis (crisis.py): a table.

English and Simplified Chinese (what ``normalise`` makes of any text), written for how older
people speak. ``intent.read`` checks them in order of importance.
"""

from __future__ import annotations

import re


def any_of(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


STOP = any_of(
    [
        r"^(oh |please |just |no,? )?(stop|enough|quiet|be quiet|shut up|hush)( it| that| this| now| talking| please)*[.!]*$",
        r"(?<!don't )(?<!can't )(?<!never )\bstop (talking|it|this|that|now)\b",
        r"\bi (don't|do not|dont) want (this|that|you|it|to do this|any ?more of this)\b(?! to)",
        r"\bi (don't|do not|dont) want to (talk|speak|do this)( to you| with you)?( any ?more| now)?[.!]*$",
        r"\bgo away\b",
        r"\bleave me (alone|be)\b",
        r"\b(turn|switch|shut) (it|this|that|yourself|you) off\b",
        r"\b(turn|switch|shut) off\b",
        r"\bi('ve| have) had enough\b",
        r"\bno more( of this| talking)?[.!]*$",
        r"\bi (don't|do not) like this\b",
        # Chinese
        r"别说了",
        r"不要说了",
        r"别讲了",
        r"不要讲了",
        r"别再说",
        r"闭嘴",
        r"我不想要这个",
        r"我不要这个",
        r"不想聊了",
        r"不想说了",
        r"不想跟你(说|聊|讲)",
        r"走开",
        r"你滚",
        r"滚开",
        r"关掉",
        r"关了吧",
        r"停下",
        r"停止",
        r"快停",
        r"够了",
        r"别吵",
        r"不要再(说|讲|来)",
        r"唔好(再)?(讲|说|嘈)",
        r"收声",
        r"咪(再)?讲",  # Cantonese
    ]
)

ASK_IF_REAL = any_of(
    [
        r"\bare you (really |actually |truly )?(real|alive|human|a person|a real person|a ghost|there)\b",
        r"\bare you (a |an )?(robot|computer|machine|program|recording|bot|fake|ai|a\.i\.|artificial)",
        r"\bare you really (her|him|my|mum|mom|dad|nana|grandma|grandpa|gran)\b",
        r"\bis (this|that|it) (really |actually |truly )?(you|real)\b",
        r"\bis this (really )?(a |an )?(recording|computer|machine|robot|trick|ai)\b",
        r"\bam i (talking|speaking) to (a |an |the )?(computer|machine|robot|real|you|ai|recording)",
        r"\byou('re| are)n?'?t? (not )?(real|really here|really her|really him)\b",
        r"\b(aren't|arent) you dead\b",
        r"\bhow (can|could|is it) (you|that you) (talk|be here|speak)\b",
        r"\bwhat are you\b",
        r"\bhow (do|does|can|could) (you|it|this) know (all )?(this|that|these things|so much) about (my|our|him|her)\b",
        # Chinese
        r"你真的是(我|我的)?(爷爷|奶奶|外公|外婆|姥姥|姥爷|妈妈|爸爸|太爷爷|太奶奶|本人)",
        r"你是(我|我的)?(爷爷|奶奶|外公|外婆|姥姥|姥爷|妈妈|爸爸)(本人)?吗",
        r"你是真的",
        r"是真的你",
        r"真的是你",
        r"你是不是真的",
        r"你是真人",
        r"你是机器人",
        r"你是人工智能",
        r"你是ai",
        r"你是电脑",
        r"你是假的",
        r"你是本人",
        r"是你本人",
        r"你还活着",
        r"你不是(已经)?(死了|去世了|走了)",
        r"这是录音",
        r"你是谁",
    ]
)

GOODBYE = any_of(
    [
        r"\b(good ?bye|bye|bye-bye|byebye|farewell|cheerio|ta-ta|ta ta)\b",
        r"^(good ?night|night night|nighty night)\b",
        r"[,.!] (good ?night|night night)\b",
        r"\bsee you (later|soon|tomorrow|next time|again|next week)\b",
        r"\btalk (to you )?(later|soon|tomorrow|again)\b",
        r"\bi (have|need|must|'ve got|got|ought) to go( now)?[.!]*$",
        r"\b(gotta|got to) go\b",
        r"\bi'd better (go|be going|get going)\b",
        r"\b(i'll|i will) let you go\b",
        r"\b(i'm|i am) (off|heading off|off home|heading home)( now| then)?(?=[,.!]|$)",
        r"\b(i'll|i will|i'd better|i had better) be off\b",
        r"\buntil next time\b",
        r"\btake care( of yourself)?[.!]*$",
        # Chinese
        r"再见",
        r"拜拜",
        r"晚安",
        r"我(先)?走了",
        r"我要走了",
        r"(下次|回头|明天|改天)再(聊|说|来)",
        r"先这样吧?$",
        r"我(先)?挂了(啊|啦|哈|哦)?[。！!]*$",
    ]
)

_NEWS_TIME = (
    r"\b(yesterday|today|tonight|this (morning|afternoon|week|month|year|spring|summer|autumn|winter)|"
    r"last (night|week|weekend|month|year|spring|summer|autumn|fall|winter|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|time)|recently|\w+ (days|weeks|months|years) ago|just now)\b"
)
_PAST = (
    r"(\w+ed|was|were|went|got|saw|had|made|took|came|met|found|bought|sold|won|began|ate|flew|drove|gave|left|ran|"
    r"wrote|became|brought|caught|heard|held|kept|knew|lost|paid|put|read|sat|spent|stood|taught|told|wore|grew)"
)
_NOT_YOU = r"(?<!\byou )(?<!\bdid you )"
_NEWS_SAID = any_of(
    [
        _NOT_YOU
        + r"\b(got|get|getting|am getting|'m getting|are getting|is getting) (married|engaged|divorced|promoted|a promotion|a new)\b",
        r"\b(was|were|has been|have been|got|is|'s|just been) born\b",
        r"\b(had|having|expecting|'re expecting|are expecting|is expecting) (a |the |our |her |his |their |another )?(baby|babies|twins|little boy|little girl|grandchild)\b",
        r"\b(is|am|'m|'s|are|'re) pregnant\b",
        r"\b(i|we|he|she|they)( just| have| has|'ve|'s)? (sold|bought|moved|retired|graduated|adopted|won|opened)\b",
        r"\b(i|we)( just| have|'ve)? (got|found|started|finished|lost|passed) (a |the |my |our )?(new |first )?(job|house|home|flat|place|dog|cat|puppy|car|test|exam|degree|wallet)\b",
        r"\b(passed away|has died|have died|died|funeral)\b",
        r"\b(i|we|he|she|my \w+|our \w+)( \w+)? (was|were|am|is|'m|'s|have been|has been|went|got|came|come) (in|into|to|out of|home from|back from) (the )?(hospital|a&e|surgery|care home|doctor'?s?)\b",
        r"\b(i|we|he|she|my \w+)( \w+)? (had|have|has|'ve had|'s had|am having|is having) (an |a |my |his |her )?(operation|surgery|fall|stroke|heart attack|flu|covid|fever)\b",
        r"\b(turned|turns|will be|is going to be) \d{1,3}\b",
        r"\bit'?s my birthday\b",
        r"\b(new|first) (great-?)?(grand)?(baby|son|daughter|child|grandchild|job|house|home|flat)\b",
        r"\bguess what\b",
        # Chinese: an event the relative reports (not a question about "you")
        r"(?<!你)(?<!你们)(结婚|订婚|离婚|搬家|退休|毕业|怀孕|升职|考上|出院|住院|去世|过世)了?",
        r"(出生|生了(个|一个)?|添了|抱(上)?(孙子|孙女|重孙|曾孙)|当(上)?(爷爷|奶奶|外公|外婆|太奶奶|太爷爷|妈妈|爸爸)了)",
        r"(重孙|曾孙|孙子|孙女|外孙|外孙女|儿子|女儿).{0,6}(出生|生了|结婚|考上|毕业|找到工作)",
        r"我(们)?(把|的)?.{0,6}(卖了|买了|换了|养了|找到了|开了)",
        r"(昨天|今天|前天|上(个)?(月|周|星期)|去年|最近|刚刚).{0,12}(了)",
    ]
)


class _InOrder:
    """``first``, then ``then`` later in the sentence: what ``first.*then`` says, in linear time.

    As one pattern, ``.*`` runs to the end of the text and back again from every place
    ``first`` matches, so a long text repeating "we married" takes quadratic time.
    """

    def __init__(self, first: str, then: str):
        self.first, self.then = re.compile(first), re.compile(then)

    def search(self, text: str) -> bool:
        found = self.first.search(text)
        return found is not None and self.then.search(text, found.end()) is not None


class _AnyOf:
    def __init__(self, *checks: re.Pattern[str] | _InOrder):
        self.checks = checks

    def search(self, text: str) -> bool:
        return any(check.search(text) for check in self.checks)


# Something done, said with when ("we went to the seaside last week", "yesterday my son got married").
NEWS = _AnyOf(
    _NEWS_SAID,
    _InOrder(r"\b(i|we|my \w+|our \w+|your \w+(-\w+)?)( \w+)? " + _PAST + r"\b", _NEWS_TIME),
    _InOrder(_NEWS_TIME, r"\b(i|we|my \w+|our \w+|your \w+) " + _PAST + r"\b"),
)

SADNESS = any_of(
    [
        r"\b(i|i really|i still|i do|i so) miss (you|him|her|them|it|those|that|the old)\b",
        r"^miss(ing)? you\b",
        r"\b(i'm|i am|i feel|i've been|i have been|feeling)( so| very| really| a bit| quite| all)? (lonely|sad|alone|unhappy|depressed|heartbroken|down|low|blue|empty|lost|miserable|scared|afraid|frightened|worried|anxious)\b",
        r"\bi wish you were (here|still here|alive|with me|still alive)\b",
        r"\b(hard|difficult|not the same|so quiet) without you\b",
        r"\b(can't stop|keep|been|i'm|i am) crying\b",
        r"\b(nobody|no one|noone) (visits|calls|comes|cares|talks)\b",
        r"\bi'm all (alone|by myself)\b",
        r"\bgrie(f|ving)\b",
        r"\b(i'm|i am) struggling\b",
        # Chinese
        r"想你",
        r"想死你",
        r"想念",
        r"孤单",
        r"孤独",
        r"寂寞",
        r"难过",
        r"伤心",
        r"哭",
        r"一个人(住|过|待|在家)",
        r"没(有)?人(来)?(看|陪|理|管)",
        r"心里(难受|不好受|空)",
        r"不开心",
        r"害怕",
        r"好难",
        r"舍不得",
    ]
)

# "爷爷好", "奶奶早": how a grandchild greets in Chinese, the one they greet then 好. Said alone it is a
# greeting whatever the neighbours make of the bare 好 left when the name is cut (read before them).
KIN_GREETING = any_of(
    [
        r"^(太奶奶|太爷爷|奶奶|爷爷|外婆|外公|姥姥|姥爷|妈妈|爸爸|阿姨|叔叔)[，,]?\s*(好|早|早上好|中午好|下午好|晚上好|你好|您好)(啊|呀|哇)?[!！。.~～]*$",
    ]
)

GREETING = any_of(
    [
        r"^(hi|hello|hey|hiya|howdy|morning|evening|afternoon|good (morning|afternoon|evening|day)|hullo|yoo-hoo)\b",
        r"^(it's|it is) (me|only me)\b",
        r"^(nana|grandma|grandpa|mum|mom|dad|gran|granny)[,!.]*$",
        # Chinese
        r"^(你好|您好|早上好|上午好|下午好|晚上好|早安|早啊|嗨|哈喽|喂)",
        r"是我(啊|呀)?$",
        r"我来(看你)?了",
    ]
)

# A plain "no" to the first-time question ("Would you like to talk with me for a while?").
DECLINE = any_of(
    [
        r"^(oh,? |well,? |um,? |ah,? )?(no|nope|nah|not now|not today|not really|not right now|not at the moment|"
        r"i'd rather not|i would rather not|i don't think so|no,? i don't|no,? i don't want to|no,? not now)"
        r"(,? (thank you|thanks|dear|love|sweetheart))?[.!]*$",
        r"^(no,? )?(thank you|thanks),? (but )?no[.!]*$",
        r"^(不想|不要|不用|不用了|不了|算了|现在不想|不聊了|我不想)(，|,)?(谢谢|谢谢你)?[。！!]*$",
    ]
)
