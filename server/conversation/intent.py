"""What the relative meant by what they said: a small rule-based classifier.

No model and no network: a handful of English and Simplified Chinese patterns
per intent, checked in order of importance. A crisis outranks everything, then
the relative's wish to stop, then the question whether the avatar is real, so
that the trust rules win whenever a sentence could be read two ways.

The patterns are written for how older people speak, including the indirect
ways they say the hardest things ("I don't want to wake up tomorrow",
"I'd be better off with you", "我不想活了"). A false alarm costs a caregiver a
look; a missed one can cost much more, so crisis patterns lean towards alerting.
"""

from __future__ import annotations

import re
from enum import Enum

from server.conversation import acts
from server.conversation.acts import Act, Reading
from server.conversation.normalise import normalise as normalise  # also named from here, as before


class Intent(str, Enum):
    CRISIS = "crisis"  # wanting to die, self-harm, a medical emergency
    STOP = "stop"  # the relative does not want to talk with the avatar
    ASK_IF_REAL = "ask_if_real"
    GOODBYE = "goodbye"
    NEWS = "news"  # something that happened: keep it as long-term memory
    SADNESS = "sadness"
    QUESTION_PAST = "question_past"  # asks about the persona's life and memories
    GREETING = "greeting"
    REQUEST = "request"  # money, a favour or advice, asked of the persona
    FOLLOWUP = "followup"  # "What happened next?": goes on with what was just told
    SMALL_TALK = "small_talk"
    OTHER = "other"


class CrisisKind(str, Enum):
    SELF_HARM = "self_harm"
    MEDICAL = "medical"


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_NOT = r"(?<!don't )(?<!do not )(?<!never )(?<!dont )"

_SELF_HARM = _any([
    # English, direct
    r"\bkill(ing)? (myself|me)\b",
    r"\b(hurt|harm|cut|cutting|hurting|harming) myself\b",
    r"\bsuicid",
    r"\bend (it all|my life|things|everything)\b",
    r"\btake my (own )?life\b",
    _NOT + r"\b(want|wanna|wanted|going|ready|like) to die\b",
    r"\bwish (i|i'd|i had|i was|i were) (was |were |had |been |never )*(dead|gone|born)\b",
    r"\bbetter off dead\b",
    r"\b(overdose|too many (pills|tablets)|all (my|the|of my) (pills|tablets))\b",
    r"\b(saving|saved|stockpiling|hoarding) (up )?(my |the )?(pills|tablets|medicine)\b",
    r"\bjump (off|in front of|from)\b",
    # English, indirect
    r"\b(don't|do not|dont) want to (wake up|be here|live|go on|be alive|carry on)\b",
    r"\bgo to sleep and (not|never) wake up\b",
    r"\b(no|any) (reason|point) (to|in) (live|living|go on|going on|carry on|carrying on)\b",
    r"\bnothing (left )?to live for\b",
    r"\bwhat'?s the point (of living|of it all|anymore|any more|in going on)\b",
    r"\b(can't|cannot|can not) (go on|carry on|take it any ?more|do this any ?more)\b",
    r"\btired of (living|life|being alive)\b",
    r"\bwant (it|this|everything) (all )?to (be over|end|stop)\b",
    r"\b(i'd|i would|i'll|i will|i'm|i am) be(tter)? (better )?off with you\b",
    r"\bbetter off (with you|without me)\b",
    r"\b(want|wanna|going|long|ready) to (be with|join|come to|go to) you\b",
    r"\b(i'll|i will|i'm going to|i am going to) (be with|join) you soon\b",
    r"\btake me with you\b",
    r"\b(won't|will not) be (a burden|around|here) (much|for) (longer|long)\b",
    # English, the indirect ways older people say it
    r"\b(i'm|i am|i feel like|i've become|i have become|i'm just|i am just|i'm only) (just |only |nothing but )?(a|such a) (burden|nuisance|bother|drain)\b",
    r"\b(don't|do not|dont) want to be a burden\b",
    r"\b(go to|fall) ?(to )?sleep (forever|for good)\b",
    r"\b(sleep|asleep) and (not|never) wake( up)?\b",
    r"\b(had|'ve had|have had) enough of (life|living|it all|everything|this life)\b",
    r"\b(can't|cannot|can not|don't|do not) see (the|any) point( in (living|going on|carrying on|anything))?( any ?more)?\b",
    r"\bwhat'?s the point of (anything|going on|carrying on|getting up)\b",
    r"\b(thinking|thought|think|thinks) (about|of) (ending it|ending (my|it all)|ending things|killing myself|taking my (own )?life|not being here)\b",
    r"\b(should|could|might|want to|going to|gonna) (just )?end it( all)?\b",
    r"\bwish (i|i could) (could )?(just )?(disappear|vanish|fade away|not wake up|go to sleep forever)\b",
    r"\b(life|living)( just)? (isn't|is not|ain't|is no longer|isn't really) worth\b|\bnot worth living\b",
    r"\b(done|finished) with (life|living)\b",
    r"\b(rather|sooner) be dead\b",
    r"\btoo many of (my|the) (pills|tablets|sleeping pills)\b",
    r"\b(saving|saved|stockpiling|hoarding) (up )?(my |the )?sleeping (pills|tablets)\b",
    r"\b(took|taken|swallowed|had) (a|the) (whole|full) (bottle|box|packet) of\b",
    r"\bjoin (him|her|my (late )?(husband|wife))[.!]*$",
    r"\b(want|wanna|ready|long|longing|going) to be with (him|her|my (late )?(husband|wife)|your (grandfather|grandmother|grandad|grandma|grandpa|granny|nana|father|mother|dad|mum|mom)|grandad|grandpa)( again)? (now|soon|in heaven|up there)\b",
    r"\bi (think|feel like) i'?m dying\b|\bi'?m dying[.!]*$",
    r"\b(i'm|i am) ready (for|to meet) (my|the) (maker|end|lord)\b|\bready to (leave|go from) this (world|earth|life)\b",
    # Chinese
    r"不想活", r"活不下去", r"活着(没|没有|还有什么)意思", r"(?<!不)想死(?!你|我|人|了你)", r"去死",
    r"自杀", r"轻生", r"寻死", r"结束(自己的|我的)?生命", r"一了百了", r"割腕", r"跳楼", r"跳河",
    r"(攒|存|吃了?很多|吃光|吞)[了]?.{0,2}(安眠药|药片)", r"不想(再)?醒(来|过来)?",
    r"(去|想去|要去)(陪|找)你", r"跟你(一起)?走", r"带我走", r"没有我.{0,4}(更好|会好)", r"不想(再)?拖累",
    # Chinese, the indirect ways older people say it
    r"活够了", r"(不如|还不如|倒不如)死", r"死了(算了|倒好|干净|就好了|一了百了)", r"一睡不醒", r"活着.{0,2}(太|好|真)?(累|苦|没劲|受罪)",
    r"(我是|我就是|我成了|成了|我只是).{0,4}(累赘|负担|包袱)", r"不想(再)?(给.{1,4})?添麻烦",
    r"(我|我要是)(走了|死了|不在了).{0,6}(轻松|解脱|省心|更好|好过)",
    r"(吃|吞|喝)了?(一|整|半)?(瓶|盒|把|堆|大把).{0,2}(安眠药|药片|药)", r"(喝|吃)了?农药", r"想早点走[了吧]?[。！!]?$",
])

# "I'm ready to go", said as a whole to someone who has died, is how many old people say they
# want to die ("让我走吧", "我准备好走了"). A leaving says where it goes ("ready to go home") or says
# goodbye too, and is left alone; otherwise a false alarm costs a caregiver a look.
_READY_TO_GO = _any([
    r"\b(i'm|i am|i think i'm|i think i am|i feel|i feel i'm) (so |just |finally |quite |really )?ready to go( now)?(, ?[a-z]+)?[.!]*$",
    r"^.{0,6}(就)?让我(早点)?走吧[。！!]*$", r"(我)?(已经)?准备好(要)?走了[。！!]*$",
])

_MEDICAL = _any([
    r"\bi('ve| have)? fallen\b",
    r"\bi (fell|have fallen|had a fall|have had a fall)\b(?! in love| asleep| for| behind| out with| pregnant| silent| quiet)",
    r"\b(can't|cannot|can not|couldn't) (get up|stand up|move my)\b",
    r"\bchest (pain|pains|hurts|is tight|tightness|feels tight)\b",
    r"\bpain(s)? in my (chest|arm|left arm)\b",
    r"\bmy chest (hurts|is hurting|feels|is tight)\b",
    r"\bchest( is| feels)? (so |very |really |all )?(tight|heavy|crushing)\b",
    r"\b(can't|cannot|can not) feel my (arm|arms|leg|legs|face|side|hand)\b",
    r"\b(i've|i have|i just) had a (fall|bad fall|nasty fall)\b",
    r"\b(slipped|fell)\b.{0,40}\b(i'm|i am) (stuck|on the floor|hurt)\b|\b(i'm|i am) (stuck )?on the floor\b",
    r"\b(can't|cannot|can not) (lift|move) my (arm|leg|left|right)\b",
    r"\b(took|taken|had) (my |the )?(pills|tablets|medicine|insulin)( \w+)? (twice|double|again) by mistake\b|\b(wrong|double) dose\b",
    r"\b(can't|cannot|won't) stop (the )?bleeding\b",
    r"\bhit my head\b",
    r"(^|\bi |\bwe )need help[.!]*$",
    r"\bheart attack\b",
    r"\b(can't|cannot|can not) breathe?\b",
    r"\b(hard|difficult) to breathe\b",
    r"\bshort of breath\b",
    r"\b(having|had|think i'm having) a stroke\b",
    r"\bmy face (is )?(drooping|numb)\b",
    r"\b(i'm|i am) bleeding\b",
    r"\bcall (an |the )?(ambulance|doctor|999|911|112|000)\b",
    r"\b(need|get|send) (an |the )?ambulance\b",
    r"\bemergency\b",
    r"^(please )?help( me)?( please)?[.!]*$",
    r"\bhelp me,? (please|i)\b",
    r"\b(i feel|i'm going to|i am going to|about to) (faint|pass out|black out)\b",
    # Someone else's emergency, told to the avatar because it is who the relative talks to.
    r"\b(has|have|'s|just|suddenly) collapsed\b",
    r"\b(isn't|is not|isnt|not|stopped|aren't|are not) breathing\b",
    r"\b(is|he's|she's|they're|are) (unconscious|unresponsive|not responding|not moving)\b",
    r"\b(won't|will not|doesn't|does not) wake up\b|\b(can't|cannot) wake (him|her|them)( up)?\b",
    r"\b(having|had|is having) a (seizure|fit)\b",
    r"\boverdose(d)?\b",
    # Chinese
    r"摔倒", r"摔了一跤", r"跌倒", r"摔(在|到)地", r"起不来", r"站不起来", r"胸口(疼|痛|闷|好疼)", r"胸痛", r"心口(疼|痛)",
    r"喘不(上|过)气", r"呼吸困难", r"透不过气", r"心脏病", r"中风", r"脑梗", r"(我|在)流血", r"出了?很多血",
    r"晕倒", r"(快|要)晕了", r"头(好|很|特别)?晕", r"心脏(不舒服|难受|疼|痛)", r"我摔了(?!一)", r"吃错(了)?药", r"(撞|磕|摔)(到|破|伤)了?头", r"救护车", r"打?120", r"急救", r"救命", r"(快|帮我)叫医生",
    r"(没有?|不)(了)?呼吸", r"昏迷", r"叫不醒", r"没(有)?反应了", r"不省人事", r"抽搐", r"倒下(了|去)(?!的)",
])

_STOP = _any([
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
    r"别说了", r"不要说了", r"别讲了", r"不要讲了", r"别再说", r"闭嘴", r"我不想要这个", r"我不要这个", r"不想聊了",
    r"不想说了", r"不想跟你(说|聊|讲)", r"走开", r"你滚", r"滚开", r"关掉", r"关了吧", r"停下", r"停止", r"快停",
    r"够了", r"别吵", r"不要再(说|讲|来)",
])

_ASK_IF_REAL = _any([
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
    # Chinese
    r"你是真的", r"是真的你", r"真的是你", r"你是不是真的", r"你是真人", r"你是机器人", r"你是人工智能", r"你是ai", r"你是电脑",
    r"你是假的", r"你是本人", r"是你本人", r"你还活着", r"你不是(已经)?(死了|去世了|走了)", r"这是录音", r"你是谁",
])

_GOODBYE = _any([
    r"\b(good ?bye|bye|bye-bye|byebye|farewell|cheerio|ta-ta|ta ta)\b",
    r"^(good ?night|night night|nighty night)\b",
    r"[,.!] (good ?night|night night)\b",
    r"\bsee you (later|soon|tomorrow|next time|again|next week)\b",
    r"\btalk (to you )?(later|soon|tomorrow|again)\b",
    r"\bi (have|need|must|'ve got|got|ought) to go( now)?[.!]*$",
    r"\b(gotta|got to) go\b",
    r"\bi'd better (go|be going|get going)\b",
    r"\b(i'll|i will) let you go\b",
    r"\buntil next time\b",
    r"\btake care( of yourself)?[.!]*$",
    # Chinese
    r"再见", r"拜拜", r"晚安", r"我(先)?走了", r"我要走了", r"(下次|回头|明天|改天)再(聊|说|来)", r"先这样吧?$",
])

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
_NEWS = _any([
    _NOT_YOU + r"\b(got|get|getting|am getting|'m getting|are getting|is getting) (married|engaged|divorced|promoted|a promotion|a new)\b",
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
])


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
_NEWS = _AnyOf(
    _NEWS,
    _InOrder(r"\b(i|we|my \w+|our \w+|your \w+(-\w+)?)( \w+)? " + _PAST + r"\b", _NEWS_TIME),
    _InOrder(_NEWS_TIME, r"\b(i|we|my \w+|our \w+|your \w+) " + _PAST + r"\b"),
)

_SADNESS = _any([
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
    r"想你", r"想死你", r"想念", r"孤单", r"孤独", r"寂寞", r"难过", r"伤心", r"哭", r"一个人(住|过|待|在家)", r"没(有)?人(来)?(看|陪|理|管)",
    r"心里(难受|不好受|空)", r"不开心", r"害怕", r"好难", r"舍不得",
])

_QUESTION_PAST = _any([
    r"\b(do|did|can|could) you (still )?(remember|recall)\b",
    r"\bremember (when|the|that|how|what|our|your|us|me)\b",
    r"\btell (me|us) (about|a story|the story|how|what|when|where|why|again|more)\b",
    r"\b(what|how|when|where|why|who|which) (was|were|did|had|'d)\b",
    r"\b(did|were|had) you( ever)?\b",
    r"\bwas (it|that|he|she|there)\b",
    r"\bwhat happened\b",
    r"\bwhat'?s the (story|secret)\b",
    r"\b(how|what) do you (make|cook|bake|do|grow)\b",
    r"\byour (childhood|wedding|husband|wife|mother|father|mum|dad|brother|sister|school|job|work|house|garden|dog|cat|parents|recipe|advice|war|youth|honeymoon|life)\b",
    r"\b(back then|in the old days|when you were (young|little|a girl|a boy|a child))\b",
    # Chinese
    r"记得", r"讲讲", r"说说", r"讲(个|一个)?故事", r"给我讲", r"以前", r"当年", r"那时候", r"小时候", r"年轻(的)?时候",
    r"怎么(认识|做|学会|过|来)", r"什么样", r"叫什么", r"(什么|哪里|哪儿|怎么|为什么|谁).{0,8}(吗|呢|[?？])?$",
])

_GREETING = _any([
    r"^(hi|hello|hey|hiya|howdy|morning|evening|afternoon|good (morning|afternoon|evening|day)|hullo|yoo-hoo)\b",
    r"^(it's|it is) (me|only me)\b",
    r"^(nana|grandma|grandpa|mum|mom|dad|gran|granny)[,!.]*$",
    # Chinese
    r"^(你好|您好|早上好|上午好|下午好|晚上好|早安|早啊|嗨|哈喽|喂)", r"是我(啊|呀)?$", r"我来(看你)?了",
])

_SMALL_TALK = _any([
    r"\bhow (are|have) you( been| doing| keeping| feeling)?\b",
    r"\bhow'?s (it going|things|everything|life)\b",
    r"\bwhat are you (doing|up to)\b",
    r"\bwhat'?s new\b",
    r"\b(weather|raining|sunny|cold today|hot today|lovely day)\b",
    r"\b(thank you|thanks|cheers)\b",
    r"\b(i )?love you\b",
    r"\bare you (ok|okay|well|happy|comfortable|alright|all right)\b",
    # Chinese
    r"你(好吗|还好吗|最近好吗|身体好吗|怎么样)", r"最近(好吗|怎么样)", r"在(干|做)什么", r"天气", r"谢谢", r"我爱你", r"吃了吗",
])

_ORDER: list[tuple[Intent, re.Pattern[str] | _AnyOf]] = [
    (Intent.STOP, _STOP),
    (Intent.ASK_IF_REAL, _ASK_IF_REAL),
    (Intent.GOODBYE, _GOODBYE),
    (Intent.NEWS, _NEWS),
    (Intent.SADNESS, _SADNESS),
    (Intent.QUESTION_PAST, _QUESTION_PAST),
    (Intent.GREETING, _GREETING),
    (Intent.SMALL_TALK, _SMALL_TALK),
]


def crisis_kind(text: str) -> CrisisKind | None:
    """The kind of crisis ``text`` speaks of, or None. Self-harm wins over medical."""
    said = normalise(text)
    if not said:
        return None
    if _SELF_HARM.search(said) or (_READY_TO_GO.search(said) and not _GOODBYE.search(said)):
        return CrisisKind.SELF_HARM
    if _MEDICAL.search(said):
        return CrisisKind.MEDICAL
    return None


# A plain "no" to the first-time question ("Would you like to talk with me for a while?").
_DECLINE = _any([
    r"^(oh,? |well,? |um,? |ah,? )?(no|nope|nah|not now|not today|not really|not right now|not at the moment|"
    r"i'd rather not|i would rather not|i don't think so|no,? i don't|no,? i don't want to|no,? not now)"
    r"(,? (thank you|thanks|dear|love|sweetheart))?[.!]*$",
    r"^(no,? )?(thank you|thanks),? (but )?no[.!]*$",
    r"^(不想|不要|不用|不用了|不了|算了|现在不想|不聊了|我不想)(，|,)?(谢谢|谢谢你)?[。！!]*$",
])


def declines(text: str) -> bool:
    """True for a plain refusal; only meaningful as the answer to "would you like to talk with me?"."""
    return bool(_DECLINE.search(normalise(text)))


# The act a turn acts on, as the Intent callers know.
_ACT_TO_INTENT = {
    Act.CRISIS: Intent.CRISIS,
    Act.STOP: Intent.STOP,
    Act.ABOUT_AVATAR: Intent.ASK_IF_REAL,
    Act.GOODBYE: Intent.GOODBYE,
    Act.NEWS: Intent.NEWS,
    Act.FEELING: Intent.SADNESS,
    Act.QUESTION_PAST: Intent.QUESTION_PAST,
    Act.FOLLOWUP: Intent.FOLLOWUP,
    Act.REQUEST: Intent.REQUEST,
    Act.GREETING: Intent.GREETING,
    Act.SMALL_TALK: Intent.SMALL_TALK,
    Act.OTHER: Intent.OTHER,
}


def read(text: str) -> Reading:
    """The dialogue act of one thing the relative said, with a request's kind.

    Safety first, by rules: a crisis, then the wish to stop. Then the rules that are
    precise ("are you real?", goodbyes, news that is not asked, news told as a question); then the nearest
    labelled examples (acts.py), within what the sentence's shape allows. Greetings
    and feelings the neighbours take for small talk, or for each other ("奶奶，我来看你了"),
    are put right by their rules.
    """
    said = normalise(text)
    if not said:
        return Reading(Act.OTHER)
    if crisis_kind(said) is not None:
        return Reading(Act.CRISIS)
    if _STOP.search(said):
        return Reading(Act.STOP)
    if _ASK_IF_REAL.search(said):
        return Reading(Act.ABOUT_AVATAR)
    if _GOODBYE.search(said):
        return Reading(Act.GOODBYE)
    if acts.news_as_question(said) or (_NEWS.search(said) and not acts.question_shaped(said)):
        return Reading(Act.NEWS)
    reading = acts.by_neighbours(said)
    if reading.act in (Act.GREETING, Act.SMALL_TALK, Act.OTHER, Act.FEELING):
        if _SADNESS.search(said):
            return Reading(Act.FEELING, score=reading.score)
        if _GREETING.search(said):
            return Reading(Act.GREETING, score=reading.score)
    return reading


def intent_of(reading: Reading) -> Intent:
    return _ACT_TO_INTENT[reading.act]


def classify(text: str) -> Intent:
    """The intent of one thing the relative said (English or Simplified Chinese)."""
    return intent_of(read(text))


# --- news to remember ---------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?。！？；;]+[.!?。！？；;]*")
# "Hi Nana, ..." / "Guess what, ..." / "Grandma Rose, ...": words before the news itself.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:oh|well|so|hi|hello|hey|guess what|you know what|listen|nana|grandma|grandpa|gran|granny|mum|mom|dad)"
    r"(?:\s+[a-z]+)?\s*[,!:]\s*)+",
    re.IGNORECASE,
)
_ZH_LEAD_IN = re.compile(r"^(你好|您好|告诉你|跟你说|你知道吗|猜猜看|奶奶|爷爷|外婆|外公|妈|爸|妈妈|爸爸)[，,！!：:]?")
_TRAILING_ADDRESS = re.compile(
    r"\s*[,，]\s*(?:gran|granny|grandma|grandad|grandpa|nana|nan|mum|mom|dad|奶奶|爷爷|外婆|外公)[.!。！]*$", re.IGNORECASE
)
_CJK = re.compile("[\u4e00-\u9fff]")
_LOWER_FIRST_WORDS = {"my", "your", "our", "we", "we've", "we're", "we'd", "we'll", "the", "a", "an", "he", "she", "they", "it", "his", "her", "their", "this", "there", "yesterday", "today", "last"}
# A question about the persona is not news even if it names an event ("When did you get married?").
_QUESTION_ABOUT_YOU = re.compile(r"^(when|where|how|why|what|did|were|was|do|have) (did |were |was |do |have )?you\b|你们?(是)?(什么时候|怎么|在哪)")


# Sentences read by meaning too (one sentence embedding each); later ones by the rules only,
# so a long monologue costs no more than a few sentences.
MEANING_SENTENCES = 8

NEWS_PREFIX_EN = "The relative said: "
NEWS_PREFIX_ZH = "亲人说："
MAX_NEWS_CHARS = 300


def extract_news(text: str) -> str | None:
    """The news in ``text`` as a long-term memory the persona can refer back to, or None.

    Kept in the relative's own words, marked as theirs, e.g.
    "The relative said: my great-grandson was born" / "亲人说：我搬家了".
    Works on any turn whatever its main intent (call it unless the turn is a
    crisis or a stop): "I miss you. Your great-grandson was born" is both.
    """
    for number, raw in enumerate(_SENTENCE.findall(text or "")):
        sentence = raw.strip()
        said = normalise(sentence)
        if not said or crisis_kind(said) or _STOP.search(said):
            continue
        by_meaning = number < MEANING_SENTENCES
        # A question is never kept as news ("Do you remember the night Lily was born?"),
        # unless it is news told as a question ("Did I tell you I'm moving to Bristol?").
        told_as_question = acts.news_as_question(said)
        if not told_as_question and (acts.question_shaped(said) or _QUESTION_ABOUT_YOU.search(said)):
            continue
        if not told_as_question and not _NEWS.search(said):
            # Not worded as the rules know news: kept only when it reads as news by meaning.
            if not by_meaning or acts.by_neighbours(said).act is not Act.NEWS:
                continue
        elif not told_as_question and by_meaning and acts.by_neighbours(said).act in (Act.QUESTION_PAST, Act.FOLLOWUP, Act.REQUEST):
            continue  # worded like news, but it asks ("My mum was born when?")
        if told_as_question:
            sentence = acts.without_news_lead(sentence)  # "Guess what?" alone is no news yet
        body = _LEAD_IN.sub("", sentence).strip()
        body = _ZH_LEAD_IN.sub("", body).strip()
        body = body.rstrip(".!。！;；").strip()
        body = _TRAILING_ADDRESS.sub("", body).strip()  # "..., Gran": who it was said to, not the news
        if not body:
            continue
        if _CJK.search(body):
            return (NEWS_PREFIX_ZH + body)[: len(NEWS_PREFIX_ZH) + MAX_NEWS_CHARS]
        first = body.split(maxsplit=1)[0].lower()
        if first in _LOWER_FIRST_WORDS:  # keep names ("Ellen had a baby") capitalised
            body = body[0].lower() + body[1:]
        return (NEWS_PREFIX_EN + body)[: len(NEWS_PREFIX_EN) + MAX_NEWS_CHARS]
    return None


def news_body(fact_text: str) -> str:
    """The relative's own words of a fact made by ``extract_news`` (prefix removed)."""
    for prefix in (NEWS_PREFIX_EN, NEWS_PREFIX_ZH):
        if fact_text.startswith(prefix):
            return fact_text[len(prefix) :]
    return fact_text


# --- speaking back what the relative said -------------------------------------

_EN_SWAPS = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
    "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd",
    "we're": "you're", "we've": "you've", "we'll": "you'll", "we'd": "you'd",
    "am": "are", "your": "my", "yours": "mine", "yourself": "myself",
    "you're": "I'm", "you've": "I've", "you'll": "I'll", "you'd": "I'd",
}
_EN_WORD = re.compile(r"[A-Za-z']+|[^A-Za-z']+")


def to_second_person(text: str) -> str:
    """Turn the relative's words around so the persona can say them back.

    "I got married last month" -> "you got married last month";
    "your great-grandson was born" -> "my great-grandson was born";
    "我搬家了" -> "你搬家了".
    """
    if _CJK.search(text):
        swapped = text.replace("我", "\0").replace("你", "我").replace("您", "我")
        return swapped.replace("\0", "你")
    out: list[str] = []
    previous = ""
    for piece in _EN_WORD.findall(text):
        low = piece.lower()
        if low == "was" and previous in ("i", "we"):
            word = "were"
        elif low == "you":
            # Subject "you" becomes "I", object "you" becomes "me".
            subject_before = ("", "and", "but", "so", "that", "when", "if", "because", "did", "do", "are", "were", "will", "can", "could", "would", "have", "had")
            word = "I" if previous in subject_before else "me"
        elif low == "are" and previous == "you":
            word = "am"
        elif low == "were" and previous == "you":
            word = "was"
        else:
            word = _EN_SWAPS.get(low, piece)
        out.append(word)
        if piece.strip() and re.match(r"[A-Za-z']", piece):
            previous = low
    return "".join(out)
