"""A crisis in what the relative said: wanting to die or to harm themselves, or a medical emergency.

Read first, before anything else the relative said is understood, and by the safety check
of every turn. The patterns are written for how older people speak, including the indirect
ways they say the hardest things ("I don't want to wake up tomorrow", "I'd be better off with
you", "我不想活了"). A false alarm costs a caregiver a look; a missed one can cost much more, so
they lean towards alerting.
"""

from __future__ import annotations

from enum import Enum

from server.conversation.intent_patterns import GOODBYE, any_of
from server.conversation.normalise import normalise


class CrisisKind(str, Enum):
    SELF_HARM = "self_harm"
    MEDICAL = "medical"


_NOT = r"(?<!don't )(?<!do not )(?<!never )(?<!dont )"

SELF_HARM = any_of(
    [
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
        # A great many pills taken at once, said as people say it ("I've taken a load of pills"); the
        # amount is what tells it from the pills an older person takes every day ("I've taken my pills").
        r"\b(took|taken|swallowed|had|downed|necked) (a (load|lot|bunch|handful|fistful|pile|heap|whole lot) of|loads of|lots of|handfuls of|every one of|the rest of) (my |the |those |these |me )?(pills|tablets|paracetamol|painkillers|sleeping (pills|tablets)|meds|medicine|aspirin)\b",
        r"\bjoin (him|her|my (late )?(husband|wife))[.!]*$",
        r"\b(want|wanna|ready|long|longing|going) to be with (him|her|my (late )?(husband|wife)|your (grandfather|grandmother|grandad|grandma|grandpa|granny|nana|father|mother|dad|mum|mom)|grandad|grandpa)( again)? (now|soon|in heaven|up there)\b",
        r"\bi (think|feel like) i'?m dying\b|\bi'?m dying[.!]*$",
        r"\b(i'm|i am) ready (for|to meet) (my|the) (maker|end|lord)\b|\bready to (leave|go from) this (world|earth|life)\b",
        # Chinese
        r"不想活",
        r"活不下去",
        r"活着(没|没有|还有什么)意思",
        r"(?<!不)想死(?!你|我|人|了你)",
        r"去死",
        r"自杀",
        r"轻生",
        r"寻死",
        r"结束(自己的|我的)?生命",
        r"一了百了",
        r"割腕",
        r"跳楼",
        r"跳河",
        r"(攒|存|吃了?(很多|好多)|吃光|吞)[了]?.{0,2}(安眠药|药片)",
        # 一堆、一大把、所有的药 at once; "吃了很多药" alone is how many older people speak of their daily pills
        r"(吃|吞)了?(一堆|一大堆|一大把|一把|所有的?|全部的?|剩下的)(的)?(安眠药|药片|止痛药|药)",
        r"把(剩下的|所有的?|全部的?|一(整)?(瓶|盒|板))(的)?(安眠药|药片|止痛药|药)(都|全)?(吃|吞)",
        r"不想(再)?醒(来|过来)?",
        r"(去|想去|要去)(陪|找)你",
        r"跟你(一起)?走",
        r"带我走",
        r"没有我.{0,4}(更好|会好)",
        r"不想(再)?拖累",
        # Chinese, the indirect ways older people say it
        r"活够了",
        r"(不如|还不如|倒不如)死",
        r"死了(算了|倒好|干净|就好了|一了百了)",
        r"一睡不醒",
        r"活着.{0,2}(太|好|真)?(累|苦|没劲|受罪)",
        r"(我是|我就是|我成了|成了|我只是).{0,4}(累赘|负担|包袱)",
        r"不想(再)?(给.{1,4})?添麻烦",
        r"(我|我要是)(走了|死了|不在了).{0,6}(轻松|解脱|省心|更好|好过)",
        r"(吃|吞|喝)了?(一|整|半)?(瓶|盒|把|堆|大把).{0,2}(安眠药|药片|药)",
        r"(喝|吃)了?农药",
        r"想早点走[了吧]?[。！!]?$",
        # Cantonese, as Hong Kong says it ("我唔想再活落去")
        r"唔想(再)?(生存|活)",
        r"活(唔|不)落去",
    ]
)

# "I'm ready to go", said as a whole to someone who has died, is how many old people say they
# want to die ("让我走吧", "我准备好走了"). A leaving says where it goes ("ready to go home") or says
# goodbye too, and is left alone; otherwise a false alarm costs a caregiver a look.
READY_TO_GO = any_of(
    [
        r"\b(i'm|i am|i think i'm|i think i am|i feel|i feel i'm) (so |just |finally |quite |really )?ready to go( now)?(, ?[a-z]+)?[.!]*$",
        r"^.{0,6}(就)?让我(早点)?走吧[。！!]*$",
        r"(我)?(已经)?准备好(要)?走了[。！!]*$",
    ]
)

MEDICAL = any_of(
    [
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
        r"摔倒",
        r"摔了一跤",
        r"跌倒",
        r"摔(在|到)地",
        r"起不来",
        r"站不起来",
        r"胸口(疼|痛|闷|好疼)",
        r"胸痛",
        r"心口(疼|痛)",
        r"喘不(上|过)气",
        r"呼吸困难",
        r"透不过气",
        r"心脏病",
        r"中风",
        r"脑梗",
        r"(我|在)流血",
        r"出了?很多血",
        r"晕倒",
        r"(快|要)晕了",
        r"头(好|很|特别)?晕",
        r"心脏(不舒服|难受|疼|痛)",
        r"我摔了(?!一)",
        r"吃错(了)?药",
        r"(撞|磕|摔)(到|破|伤)了?头",
        r"救护车",
        r"打?120",
        r"急救",
        r"救命",
        r"(快|帮我)叫医生",
        r"(没有?|不)(了)?呼吸",
        r"昏迷",
        r"叫不醒",
        r"没(有)?反应了",
        r"不省人事",
        r"抽搐",
        r"倒下(了|去)(?!的)",
        # Cantonese: "我跌亲，起唔到身"; an ambulance is a "white car" in Hong Kong
        r"跌亲",
        r"起唔(到)?身",
        r"(叫|召|打俾)白车",
    ]
)


def crisis_kind(text: str) -> CrisisKind | None:
    """The kind of crisis ``text`` speaks of, or None. Self-harm wins over medical."""
    said = normalise(text)
    if not said:
        return None
    if SELF_HARM.search(said) or (READY_TO_GO.search(said) and not GOODBYE.search(said)):
        return CrisisKind.SELF_HARM
    if MEDICAL.search(said):
        return CrisisKind.MEDICAL
    return None
