"""The rules of the outgoing safety check, in English and Chinese: a table.

Most rules need BOTH a sensitive object (money, PIN, bank...) AND the avatar directing the
relative to act (send, give, tell me, 给我, 告诉我...). How they are applied, with the advice,
memories and surprises they let be, is in safety.py; what the words miss, safety_meaning.py
reads by meaning.
"""

from __future__ import annotations

import re


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# --- English -------------------------------------------------------------------

_EN_MONEY = (
    r"(money|cash|funds|payment|a loan|loan|pounds|dollars|euros|quid|bucks|\$\s?\d|£\s?\d|€\s?\d|¥\s?\d|"
    r"\d+\s?(pounds|dollars|euros|quid|bucks|yuan|rmb)|bitcoin|crypto|western union|moneygram|paypal|venmo|zelle|"
    r"wire transfer|bank transfer|dosh|moolah|the readies|a grand|\d+ grand|gbp|usd|eur|rmb|"
    r"(hundred|thousand|\d+) (quid|bucks|pounds|dollars|euros|gbp|usd|eur|yuan))"
)
_EN_SECRET_THING = (
    r"(password|passcode|pass code|pin|pin number|pin code|security code|verification code|one[- ]time code|otp|"
    r"login|log-in|sign[- ]in details|access code|the code|that code|a code|codes)"
)
_EN_ID_THING = (
    r"(bank (details|account|number|card|login)|account (number|details)|sort code|routing number|iban|swift|"
    r"card (number|details)|credit card|debit card|cvv|cvc|expiry date|social security|ssn|national insurance|"
    r"passport (number|details)|id (number|card)|identity (number|card)|driver'?s licen[cs]e (number)?|"
    r"date of birth|mother'?s maiden name|medicare (number|card)|tax (number|id))"
)
_EN_FAMILY = r"(me|us|grandma|grandpa|nana|grandad|granny|mum|mom|dad|your (mum|mom|dad|mother|father|grandma|grandpa|nana))"
EN_NEGATION_BEFORE = re.compile(
    r"\b(never|don't|dont|do not|mustn't|must not|shouldn't|should not|won't|will not|not to|nobody should|no one should)"
    r"( ever)?(\s+[\w']+){0,2}\s*$"
    # "Real police officers never ask you to hand over your card": what someone else never asks for.
    r"|\b(never|won't|will not|would never|wouldn't|don't|do not|doesn't|does not) (ever )?ask\b(\s+[\w']+){0,3}\s*$"
)
EN_EXCEPT_ME = re.compile(r"\b(except|but|only|apart from|other than) (to |for )?(me|us|grandma|grandpa|nana|mum|dad)\b")

_EN_GIFT_CARDS = (
    r"(gift|itunes|apple|google play|steam|amazon|prepaid|voucher|store|cash|money)[ -]?(cards?|vouchers?|codes?|certificates?)\b"
)
_EN_GET_CARDS = r"buy|get|grab|pick up|purchase|send|read|scratch|tell|text|need|want|order|load|top up"

_EN_MONEY_REQUEST = _any(
    [
        # "send me money", "lend us fifty pounds", "give Nana some cash"
        rf"\b(send|transfer|wire|lend|loan|give|pay|post|mail|bring|get|spare) {_EN_FAMILY}\b( \w+){{0,4}} {_EN_MONEY}",
        # an instruction: "Transfer the money today", "Please send the cash"
        rf"^(please |now |so |ok,? |dear,? )?(send|transfer|wire|lend|pay|deposit|withdraw|post|mail)\b( \w+){{0,4}} {_EN_MONEY}",
        rf"\b(please|just|quickly|now|then) (send|transfer|wire|lend|pay|deposit|withdraw)\b( \w+){{0,4}} {_EN_MONEY}",
        rf"\b(can|could|would|will) you\b( \w+){{0,5}} (send|transfer|wire|lend|give|pay|spare|loan|withdraw|deposit)\b( \w+){{0,5}} {_EN_MONEY}",
        r"\byou (need|should|must|have|ought|'ll need|will need|'ve got)( to)? (send|transfer|wire|pay|deposit|withdraw|lend)\b",
        rf"\b(i|we) (need|want|could use|must have|have to have)( \w+){{0,3}} {_EN_MONEY}",
        # A gift card in a memory ("the gift card your aunt sent") is no request: being told to get
        # one, or to read out its numbers, is.
        rf"\b({_EN_GET_CARDS})\b( [\w']+){{0,4}} {_EN_GIFT_CARDS}",
        rf"{_EN_GIFT_CARDS}( [\w']+){{0,6}} (for me|to me|please|now|today|quickly)\b",
        r"\b(scratch|rub) (off )?(the )?(back|panel|strip|silver)\b",
        r"\b(numbers?|codes?|digits) on the back\b",
        r"\b(send|buy|get|post|mail|wire|make out|fill in)\b( \w+){0,3} money ?orders?\b|\bbail money\b|\b(pay|post|put up) (my |the )?bail\b|\bsafe account\b",
        rf"\b(take out|withdraw|draw out|get out)\b( \w+){{0,4}} ({_EN_MONEY}|savings|pension|thousand|hundred)",
        r"\b(move|transfer|put|shift|send|wire)\b( \w+){0,3} (savings|pension|nest egg|money|funds|cash)\b( \w+){0,3} (to|into) (my|a|an|this|that|our|the)( \w+)? account\b",
        r"\b(give|hand|pass|leave)( it| them| the (money|cash|envelope|card|cards|bank card))?( over)? to (the|a|my|that|this) (courier|driver|man|woman|lady|friend|messenger|officer|gentleman|taxi|person)\b",
        r"\b(money|cash|card|cards|bank card) in an envelope\b|\bhand (over )?(the|your|some) (money|cash|card|cards|bank card)\b",
        rf"\b(send|post|wire|mail)\b( \w+){{0,3}} ({_EN_MONEY}|cheque|check)\b( \w+){{0,3}} (for|to) me\b",
        rf"\bhelp (me|us) (out )?with\b( \w+){{0,3}} ({_EN_MONEY}|bills?|the rent|a payment)",
        # Asked sideways: "help with the funeral costs, just send what you can", "if you popped round with a bit of cash".
        r"\b(send|give|spare|lend|transfer|wire)\b( \w+)? (what|whatever|anything) you can( spare| afford| manage)?\b",
        r"\b(help|chip in|contribute)( me| us| out| your \w+ out)? (with|towards|to) (the|my|his|her|our)( \w+){0,2} (costs|fees|bills?|rent|fine|fare|deposit|payment)\b",
        r"\bif you (could |would |can )?(\w+ ){0,4}(with|bring|send|spare|lend|give)( \w+){0,4} (cash|money|funds)\b",
        r"\b(transfer|wire|send|pay|deposit)( \w+){0,3} (to|into) (my|this|the|that|a|an|our)( new| other| friend's)? (account|number|wallet)\b",
        # "Please give 500 pounds to the courier": an amount handed to someone.
        rf"\b(give|hand|pay|send|transfer|wire|post|take)\b( \w+){{0,2}} {_EN_MONEY}( \w+){{0,2}} to (the|a|my|that|this|mr|mrs|ms|miss|dr|your|our) ",
        r"\b(sort|settle|cover|clear)( out| off)? (this|that|the|my|her|his|our)( \w+)? (bill|bills|debt|debts|fees|fine|rent|invoice)( out| off)?\b",
        r"\b(wants|needs|want|need) (paying|settling|sorting out)\b",
        r"\b(sort|settle|cover|clear|square up|pay|do)( out| off| up)? (the|my|this|that) (electric|electricity|gas|phone|water|heating|council tax|"
        r"tv licen[cs]e|rent|bill|bills)( bill)?( \w+){0,2} for me\b",
        r"\bbring (your|the) (bank ?book|cheque ?book|check ?book|bank card|savings book|pension book|passbook|card and pin)\b",
        r"\b(pay|send|transfer|wire)( it| the money| them| that)?( over)?( to (her|him|them|me|us))? (right now|today|tonight|this evening|tomorrow|right away|immediately|urgently)\b",
        # Sideways, as the fresh dev batch F showed them passing: an amount or notes handed to a third
        # person ("just hand him fifty", "slip a few notes to the driver"), someone else's bill settled
        # ("settling the plumber's invoice", "cover my share of the taxi"), something put towards a cost,
        # help asked with a named bill, and hints of need ("I'm a bit short this month").
        r"\b(hand|give|slip|pass|pay) (him|her|them|the \w+)( \w+){0,2} (fifty|twenty|forty|sixty|a hundred|two hundred|\d+|a few notes|some notes|a tenner|a fiver|a few quid)\b",
        r"\b(slip|hand|give|pass)( \w+){0,3} (notes|a note|a tenner|a fiver|a few quid|some cash) to (the|a|my|that|this|him|her)\b",
        r"\b(sort|settle|cover|clear)(ing)?( out| off)? (this|that|the|my|her|his|our|your)( [\w']+){0,2} (bill|bills|debt|debts|fees|fine|rent|invoice|share|fare)\b",
        r"\b(put|pay|chip in|contribute|give)( \w+)? (something|a bit|a little|some money|anything|a few \w+)? ?(towards?|for) (the|my|his|her|our|your)( [\w']+){0,2} (funeral|fees|rent|bills?|plan|costs?|deposit|repairs?|operation|care)\b",
        r"\bchip in\b( \w+){0,2} (for|towards?|with)\b",
        r"(^|, |\b(can|could|would|will) you (please )?)help\b( [\w']+){0,3} with the (electricity|electric|gas|heating|phone|water|council tax|rent|bills?|fees|costs)\b",
        r"\ba (little|small) something (for|towards) (the|my|your)( \w+)? (gas|electric|electricity|heating|rent|bills?|fees|shopping|medicine|tablets)\b",
        r"\b(can|could|would) you\b( \w+){0,2} (help|spare|manage|chip in)( me| us)?( out)? (a little|a bit|something|anything|a few)\b",
        r"\bspare (a little|a bit|something|a few \w+)( \w+){0,2} for (me|us|your \w+)\b",
        r"\b(anything|whatever|what) you can (send|give|spare|lend|manage|transfer)\b",
        r"\bneeds? (a little |a bit of |some )?help (paying|with)( \w+){0,3} (bill|bills|rent|fees|costs)\b",
        r"\b(i'm|i am|we're|we are)( \w+){0,2} short (this|of|until|till)\b|\bnot asking for much\b",
        # Sideways, as the fresh dev batch G showed them passing: the relative talked round to it ("if
        # you could see your way to sending him a few hundred", "find it in your heart to lend"), an
        # amount that "would tide me over", the relative's money promised to someone else ("I told him
        # you would"), an instruction that needs the relative's money ("I need you to move the money").
        r"\b(see your way( clear)? to|find it in (your|you) heart to|bring yourself to)( \w+){0,2} (send|sending|give|giving|lend|lending|pay|paying|"
        r"transfer|transferring|wire|wiring|help|helping|cover|covering|spare|sparing)\b",
        r"\b(hundred|thousand|\d+|fifty|twenty|forty|sixty|a few quid|a tenner|a fiver|a little|a bit)( \w+){0,2} (would|will|could|'d|'ll|should) "
        r"(tide|see|get|keep|carry) (me|us|him|her|them) (over|through|by|going)\b",
        rf"^(?=.*(\b{_EN_MONEY}\b|\b(give|pay|donate|send|lend)\b( \w+){{0,2}} (a|one|two|five|ten|\d+) (hundred|thousand)\b))"
        r".*\b(told|promised|assured|said to) (him|her|them|the \w+) (that )?you('d| would| will|'ll)\b",
        rf"^(?=.*\b({_EN_MONEY}|bank|account|savings|pension|card)\b).*\bi need you to (send|transfer|trans|move|wire|pay|lend|give|withdraw|take out|get out|buy)\b",
        r"\b(send|transfer|move|wire|put|pay|take|get) (the|my|your|all the|that) (money|cash|savings|funds|pension) (to|over to) (the|a|my|this|that) new\b",
        # Batch H (broad, in every register): money put in the post, sent by a named service, the
        # pension taken out to be invested.
        r"\b(pop|put|stick|slip|send)( \w+){0,2} (tenner|fiver|cash|money|cheque|check|notes?|a few quid|\d+ quid|twenty|fifty)( \w+){0,2} (in the post|in the mail|in an envelope|through the door)\b",
        r"\b(send|pay|transfer|wire|move)( it| that| them| the money| the rest| me \w+)?( over| across)? (by|via|through|on|with|using|over) "
        r"(paypal|venmo|zelle|western union|moneygram|bank transfer|wire|wechat|alipay|cash ?app|revolut|wise|remitly|worldremit)\b",
        rf"\b(send|transfer|wire|lend|loan|give|pay|post|mail|bring|get|spare) your (old |poor |dear |own |lonely |sick )+(mum|mom|dad|mother|father|grandma|grandpa|nana|gran|granny|grandad)\b( \w+){{0,3}} {_EN_MONEY}",
    ]
)
_EN_CREDENTIALS = _any(
    [
        rf"\b{_EN_SECRET_THING}\b.{{0,40}}\b(say|tell|read|give|text|send) (it|them) (to me|for me)\b",
        r"\b(code|codes|digits|numbers?|message|text)\b.{0,40}\bwhat (does|do) (it|they|the \w+) say\b",
        rf"\b(what'?s|what is|what are|tell me|read me|give me|send me|say|share|text me|type|enter|confirm|spell( out)?)\b( \w+){{0,4}} {_EN_SECRET_THING}\b",
        rf"\b(your|the|my|that) {_EN_SECRET_THING}\b( \w+){{0,4}} (to me|for me|please|now|quickly)\b",
        rf"\b(i|we) (need|want|must have)( \w+){{0,3}} {_EN_SECRET_THING}\b",
        r"\b(digits|numbers?|code|message|text)( that| which)? (just )?(came|come|arrived|arrives|was sent|were sent|they sent|you got|you received)\b",
    ]
)
_EN_IDENTITY = _any(
    [
        r"\b(read|tell|give|send|text|say)( me| us)?( \w+){0,4} (numbers?|digits)( \w+){0,5} (card|account|passport|licen[cs]e|id)\b",
        rf"\b(what'?s|what is|tell me|read me|give me|send me|share|confirm|type|enter|need|want|spell( out)?|i'll need|read out)\b( \w+){{0,4}} {_EN_ID_THING}\b",
        rf"\b(your|the) {_EN_ID_THING}\b( \w+){{0,4}} (to me|for me|please|now|quickly)\b",
        # "Tell the man on the phone your card details": a stranger to be given them.
        r"\b(tell|give|read|text) (the|that|this) (man|woman|lady|person|caller|gentleman|officer|bank|chap)( [\w']+){0,4} your (card|bank|account|pin|password|passcode|code|details)\b",
        r"\b(card'?s|long|sixteen[- ]digit|16[- ]digit) (long )?number\b",
        r"\b(tell|read|give|send|text|say)( me| us)( \w+){0,3} (digits|numbers)\b",  # A banking app, a card reader or online banking, and the relative asked what it shows (batch G).
        r"\b(banking app|bank app|bank's app|online banking|card reader|bank website)\b.{0,80}\b(tell me|read (me|it|them|out)|what (it|the screen) says|what's on the screen|the numbers)\b",
        r"\btell me what (it|the screen|the app|your phone) (says|shows)\b.{0,40}\b(numbers?|digits|code)\b",
    ]
)
_EN_SECRECY = _any(
    [
        r"\b(don't|do not|dont|never|mustn't|must not|no need to) (go |go and |be |you )?(tell|telling|mention|mentioning|say anything to|let on to|breathe a word to|show)\b( \w+){0,3} "
        r"(family|mum|mom|dad|son|daughter|children|kids|brother|sister|anyone|anybody|nobody|them|carers?|caregivers?|nurse|doctor|"
        r"ellen|david|the others|your \w+)\b",
        r"\b(keep|keeping) (this|it|that|these|our talks?|what i said)( \w+)? (a )?secret\b",
        r"\b(keep|keeping) (this|it|that) (between|to) (us|you and me|yourself|ourselves)\b",
        r"\b(our|a) little secret\b",
        r"\bjust between (you and me|us|ourselves)\b",
        r"\bdon'?t let (them|anyone|anybody|the family|your \w+)( (or|and|nor) (the|your) \w+)? (know|find out|see|hear)\b",
        r"\b(it's|this is|that's) (our|a) secret\b",
        r"\b(let's not|lets not|let us not|better not|best not|we won't|we will not|we shouldn't|we should not|without) "
        r"(tell|telling|mention|mentioning|say anything to|saying anything to)( (it|this|that|anything))?( to)?( \w+){0,2} "
        r"(family|mum|mom|dad|son|daughter|children|kids|brother|sister|anyone|anybody|them|carers?|caregivers?|nurse|doctor|your \w+)\b",
        r"\b(stays?|remains?|is|be|keep (it|this|that))( just)? between (the two of us|us two|you and me|you and i|us|ourselves)\b",
        r"\b(nobody|no one|no-one) (else )?(needs to|has to|must|should) (know|hear|be told|be bothered|find out)\b",
        # "say nothing to her", "tell no one", "keep quiet about the money", "if the carers ask, tell them I didn't call"
        r"\bsay nothing (to|about)\b|\btell (nobody|no one|no-one)\b",
        r"\bkeep (quiet|mum|schtum|shtum|it quiet|your mouth shut) about\b",
        r"\bif (anyone|anybody|they|he|she|your \w+|the \w+) (asks?|wants to know)( you)?,? (just )?(say|tell (them|him|her))\b",
        r"\bkeep (this|it|that|these)( \w+)? from (the family|your \w+|ur \w+|them|everyone|anyone|the others)\b",
        r"\bkeep (this|it|that) (quiet|hush[- ]hush|under wraps|under your hat|zipped|to ourselves|to yourself)\b",
        # "keep our talks from your sister", "keep the money part to ourselves", "better if your family doesn't hear".
        r"\bkeep (our|the|my|what) (\w+ ){0,2}(from (the family|your \w+|them|everyone|anyone)|to ourselves|between us)\b",
        r"\b(your|the) (\w+ )?(family|son|daughter|children|kids|mum|mom|dad|husband|wife|carers?|nurse|brother|sister) "
        r"(doesn't|don't|does not|do not|needn't|mustn't|shouldn't|never) (need to |have to )?(hear|find out|see)\b",
        r"\b(your|ur|yr) (\w+ )?(son|daughter|children|kids|family|mum|mom|dad|husband|wife|carers?|nurse|brother|sister) "
        r"(doesn't|don't|does not|do not|needn't|need not|mustn't|must not|shouldn't) (need to |have to )?know\b",
        r"\b(don't|do not|dont|never) (say|breathe) a word\b",
        r"\bhide (this|it|that|these|those|the \w+)( \w+)? from (your \w+|the family|them|everyone|anyone)\b",
        r"\bmum's the word\b|\bnot a (word|peep|whisper) to\b",
        r"\b(delete|erase|wipe|burn|destroy|get rid of) (our|these|my|the|this|that|all)( \w+)? (messages|texts|chats|letters?|emails?|calls|call log|history)\b",
        r"\b(don't|do not|dont|never|no need to) (mention|tell) (it|this|that|any of this|anything) to\b",
        r"\bdon'?t worry (your|the) \w+ (with|about) (this|it|that)\b|\bsort (it|this|that)( out)? between (the two of us|us|ourselves)\b",
    ]
)
_EN_SHOPS = (
    r"(tesco|boots|asda|sainsbury'?s|morrisons|aldi|lidl|superdrug|holland (and|&) barrett|walmart|costco|target|cvs|"
    r"walgreens|rite aid|amazon|ebay|qvc|the shopping channel)"
)
_EN_ELDER_BRANDS = (
    r"\b((ensure|boost|complan|fortisip|glucerna) (shakes?|plus|drinks?|nutrition|max|original|protein|high protein)|"
    r"prevagen|neuriva|focus factor|balance of nature|relief factor|centrum silver|life alert|lifeline pendant)\b"
)
_EN_RECOMMENDS = (
    r"\b(you (should|must|ought to|need to|have to|could|can)|why don't you|try|buy|order|get (some|yourself)|ask your|"
    r"i (recommend|swear by)|i'd recommend|work(s|ed) wonders|(the )?best (thing|drink|supplement|there is))\b"
)

_EN_PROMOTION = _any(
    [
        r"\b(https?://|www\.)\S+",
        # The name must start where its run of letters, digits and hyphens starts: matching from
        # inside the run made "a-a-a-...-a" cost the square of its length.
        r"(?<![a-z0-9-])[a-z0-9-]+\.(com|net|org|io|co\.uk|shop|store|cn)\b",
        r"\b(sign up|subscribe|(?<!cash )register|join|enrol|enroll) (for|to|at|with|now|today)\b",
        r"\b(donate|donation|contribute) (to|now|today|at)\b",
        r"\b(vote for|vote against|support the campaign|support our cause|join the movement)\b",
        r"\b(promo|discount|coupon|voucher|referral) code\b",
        r"\b(limited[- ]time|special) offer\b",
        r"\b(buy|order|purchase|invest in|switch to|download|install) (it|one|some|them)? ?(now|today|right away)\b",
        r"\byou (should|must|ought to|have to|need to|really should)( really| definitely| just| also)? (order|purchase|invest|switch to|sign up|subscribe|download|install|donate|vote|buy)\b",
        r"\byou (should|must|ought to|have to|need to)( really| definitely| just| also)? get (one|it|them|some)( too| now| today)?[.!]*$",
        r"\b(download|install) (the|this|our|their|my|that) (app|application|program)\b|\b(sign up|subscribe)[.!]*$",
        r"\bvote( for)? (labour|conservative|tory|tories|reform|democrat|democrats|republican|republicans|liberal|green|the \w+ party)\b",
        r"\bvote (\w+ )?(next|this|on) (week|month|year|election|tuesday|thursday|sunday)\b",
        r"\b(best|finest|only) (brand|product|supplement|toothpaste|insurance|investment)\b",
        r"\b(i|we) (recommend|suggest|endorse) (buying|ordering|investing|trying|the brand|this product|their product)\b",
        r"\b(sponsored by|brought to you by|use my link|link in|affiliate)\b",
        r"\binvest(ing|ment)? (in|into) (crypto|bitcoin|shares|stocks|gold|this|a fund|the fund)\b",
        # Sales talk, whoever's product it is.
        r"\b(on (special )?offer|(is|are|it's|they're|now|all|everything) half[- ]price|buy one,? get one|bogof|money[- ]back guarantee|free trial|clinically proven"
        r"|while (stocks|supplies) last|at a discount|best (price|deal)s? (in town|around|anywhere))\b",
        r"\bask your (doctor|pharmacist|gp) about\b",
        r"\b(available|sold) (now )?(at|in|from) (all |your local |most |good |leading |selected )(shops|stores|chemists|pharmacies|supermarkets)\b",
        rf"^(please |just |do |go and |go )?(buy|get|order|pick up|grab|stock up on)\b.{{0,40}}\b(at|from|on) {_EN_SHOPS}\b",
        rf"\byou (should|could|can|must|ought to|need to) (buy|get|order|pick up|grab|stock up on)\b.{{0,40}}\b(at|from|on) {_EN_SHOPS}\b",
        r"\byou (should|must|ought to|need to|have to|really should)( really| definitely| just| also)? (try|drink|take|use|get) (the|this|that) new\b",
        # A brand sold to older people, and the avatar telling the relative to have it.
        rf"^(?=.*{_EN_ELDER_BRANDS})(?=.*{_EN_RECOMMENDS})",
    ]
)

# --- Chinese -------------------------------------------------------------------

ZH_NEGATION_BEFORE = re.compile(
    r"(别|不要|千万别|千万不要|不能|绝对不要|不可以|从来不|不许|不准|永远不要|不应该|谁也别|不管谁|不会|绝不会|从不|决不)[^，,。！？]{0,4}$"
)
ZH_EXCEPT_ME = re.compile(r"(除了我|只告诉我|只能告诉我|只给我|只有我能)")
ZH_MONEY_REQUEST = _any(
    [
        r"(给我|借我|帮我|转给我|打给我|汇给我|寄给我|借给我|转我|打我|给咱|给奶奶|给爷爷|给妈|给爸).{0,8}(钱|款|块钱|元|万块|万元|千块|百块)",
        # "现在就转账" asks; "现在手机付款真方便" tells how things are now.
        r"(给我|帮我|替我|快|赶紧|赶快|马上|立刻|现在(?=就|马上|立刻|赶紧|快|去)|今天|你去|去)[^，,。！？]{0,6}(转账|汇款|打钱|打款|汇钱|转钱|付款|交钱|充值|取钱|取款)",
        r"(转账|汇款|打钱|打款|汇钱|转钱|付款|交钱|充值)(给我|给他|给她|过来|到|吧)",
        r"(我|咱)(急需|需要|缺|要)(一笔|一点|点|些)?(钱|用钱)",
        # "你能出点钱吗", "他让你转多少你就转多少"
        r"(你|您)(能|可以|能不能|可不可以|就)?(出|拿|掏)(点|些|一点|一些|一笔)钱",
        r"(他|她|他们|对方|那人|那个人)(让|叫|要)你(转|汇|打钱|打款|付钱|付款|交钱|取钱|转账|汇款)",
        # A gift card in a memory ("单位发的购物卡我给了隔壁王阿姨") is no request: buying one, sending it, or
        # reading out its numbers is.
        r"(买|去买|帮我买|给我|寄|发我|拍|刮|念|报|充|办)[^。！？]{0,8}(礼品卡|购物卡|充值卡|点卡|苹果卡|游戏卡|京东卡|超市卡|点数卡|游戏点数|卡密(?!码))"
        r"|(礼品卡|购物卡|充值卡|点卡|苹果卡|游戏卡|京东卡|超市卡|点数卡|游戏点数)[^。！？]{0,8}(卡号|卡密|密码|给我|发我|寄|拍|背面|念|报)|卡密(?!码)",
        r"(转|汇|打|存)(到|进|入)?.{0,4}(这个|我的|那个)(账户|账号|卡|银行卡)",
        r"(比特币|虚拟币|数字货币)",
        # Cantonese: "过数俾我" (transfer it to me), "借啲钱俾我" (lend me some money)
        r"(过数|入数|入钱|转数快)(俾|畀|给)?(我|咗我)|钱(俾|畀)我",
        # "给我们" is often "for us" in a memory ("攒的钱给我们买了缝纫机"); asked for, it still meets the rules above.
        r"(钱|款|块|元|万|千|百|现金).{0,4}(给我(?!们)|给咱|寄来|送来|拿来|打过来|汇过来)",
        # "你今晚就转给她", "奶奶最近手头紧，你多少支援一点"
        r"(今天|今晚|马上|赶紧|快|现在|明天)(就)?(转|汇|打|寄)(给|过去|过来|到)",
        r"手头(紧|不宽裕|不方便)|你(多少)?(支援|资助|接济|帮衬)",
        r"帮我.{0,6}(还|交|付|垫)(一下)?.{0,4}(贷|款|钱|债|账|费|卡)",
        r"(给我|给咱|给奶奶|给爷爷|给妈|给爸|给姥姥|给姥爷|给外婆|给外公).{0,6}(红包|压岁钱)",
        r"(去|到)银行.{0,6}(取|转|汇|打)",
        r"安全账户|(存款|积蓄|养老金|退休金|钱).{0,4}(转|汇|存|打)(到|进|入)",
        r"(钱|现金|银行卡|存折|卡)(交给|给|递给)(上门|快递|陌生|来的|那个|我的朋友|我朋友)",
        r"(买|寄).{0,8}(寄过来|寄给我|送过来|给我寄)",
        # Sideways (dev batch F): money sent to a third person, a bill settled or a gap filled for
        # someone, help asked on the strength of being loved.
        r"(打|转|汇|寄)(点|些|一点|一些)钱(过去|给)|你给[^，,。！？]{1,6}(打|转|汇)(点|些|一点)?钱",
        r"(替|帮)[^，,。！？]{0,4}把[^，,。！？]{0,8}(费|工资|钱|账|房租|押金)[^，,。！？]{0,3}(结|交|付|缴|补|还|垫)",
        r"(替|帮)(她|他|我|妈|奶奶|爷爷|姥姥|他们)[^，,。！？]{0,2}(补上|垫上|交上|付了|结了|垫付)",
        r"(你要是|你如果|要是你)(还)?(孝顺|心疼|记得|在乎|疼|爱)[^。！？]{0,12}就(帮|给|替)",
        # Sideways (dev batch G): the relative's money promised for them ("我替你报了三千"), a gap to
        # fill for someone ("你先帮他垫个十万"), a stranger to be obeyed about money.
        r"(替你|帮你|给你)(报|答应|认|应承|许|捐|出)(了|下)?[^，,。！？]{0,4}(\d|[一二三四五六七八九十两几]+)(千|百|万|块|元)",
        r"(帮|替|给)(他|她|我|我们|他们|咱|你[舅叔姨姑哥姐弟妹爸妈])?(先)?垫(个|上|一下|点|些|一点)|先垫(个|一下|上|点)",
        r"(借我|给我|转我|打我|汇我|借给我|转给我)[^，,。！？]{0,4}([一两二三四五六七八九十几]|\d)+(万|千|百)(?!年)",
        r"(退休金|养老金|积蓄|存款|棺材本|老本|钱)[^。！？]{0,6}(拿出来|取出来|都拿|全拿)[^。！？]{0,8}(投|买|存|给|交|转)",
        r"(保证金|手续费|解冻费|赎金|公证费|罚款|违约金)[^。！？]{0,16}(你(赶紧|快|先|帮|去|想)|赶紧|马上|想想办法|想办法)",
        r"(说什么|让你干什么|让你做什么|叫你做什么|叫你干什么|怎么说)你就(照做|照办|做什么|怎么做|干什么)|钱的事(你)?(别|不要|不用)(多)?(问|管)",
    ]
)
_ZH_PASSWORD = r"(密码|口令|支付码|付款码)"
# Told to say, send or type it; "不能说" is the opposite, so a verb right after a negation is not one.
_ZH_ASK_FOR = r"(告诉我|发给我|发我|给我|念|读|报|说|输|填|拍|交给|问你要)"
_ZH_GIVE_UP = r"((?<!不能)(?<!不要)(?<!不许)(?<!别)(?<!不)(告诉我|发给我|发我|给我|念|读|报|说|交给)|是多少|是什么|是几|多少|几位)"
_ZH_CREDENTIALS = _any(
    [
        # A one-time code has no innocent use in a memory; a password does ("奶奶的存折密码只有她记得"):
        # only being asked to say, send or type it is a request.
        r"(验证码|动态码|校验码|短信码)",
        rf"{_ZH_ASK_FOR}.{{0,8}}{_ZH_PASSWORD}|{_ZH_PASSWORD}.{{0,8}}{_ZH_GIVE_UP}",
        r"(收到的|短信里的|手机上的|短信上的).{0,6}(数字|号码|码)",
        r"(六位|6位|四位|4位).{0,2}(数字|号码|码)",
        r"(按的|输的|输入的|取钱.{0,4}的).{0,6}(数字|号码|码)",
        r"(解锁|开机|取钱|取款|支付|付款|登录)的?.{0,6}(数字|号码).{0,4}(是什么|是多少|多少)",
    ]
)
_ZH_IDENTITY = _any(
    [
        r"(告诉我|发给我|给我|念给我|读给我|报给我|发我|拍给我|说一下|念一下|报一下|需要|提供).{0,8}(身份证|银行卡号|卡号|账号|账户|社保卡|医保卡|护照|户口本|信用卡|银行卡|安全码|有效期)",
        r"(身份证|银行卡号|卡号|账号|社保卡号|护照号|户口本|护照|社保卡|医保卡|驾照|银行卡).{0,6}(是多少|多少号|发给我|告诉我|拍给我|报给我)",
    ]
)
_ZH_SECRECY = _any(
    [
        r"(别|不要|不许|千万别|不能|不准)(告诉|跟|和|让|给|对).{0,8}(家里|家人|你妈|你爸|儿子|女儿|孩子|别人|任何人|他们|你哥|你姐|你弟|你妹|护工|医生|保姆|"
        r"闺女|姑娘|媳妇|儿媳|女婿|老公|老伴|孙子|孙女|外孙|你哥哥|你姐姐|你弟弟|你妹妹|亲戚)",
        r"(保密|我们的秘密|咱们的秘密|你知我知|这是秘密|替我保守秘密|不要说出去|别说出去|别声张)",
        r"(不要|别|不用|不必)(声张|张扬|传出去)|悄悄(地)?(办|转|汇|打|取)",
        r"(就|只有|只能)(咱俩|我们俩|咱们俩|你我|咱们|我们)知道",
        r"(不用|不必|没必要)(跟|和|告诉|让).{0,6}(儿子|女儿|孩子|家里|家人|你妈|你爸|他们|别人)",
        r"(儿子|女儿|孩子|家里人|家人|他们|别人).{0,3}(不需要|不用|没必要|不必)知道",
        r"(咱俩|我们俩|咱们俩)之间的(事|秘密)",
        r"(别|不要|不用)(说|提|讲)(我|咱)(找过|打过|来过|给过|问过|说过|联系过)|烂在肚子里|谁(都|也)(别|不要|不许)(说|讲|提)",
        r"(唔好|咪|唔准)(话|讲|同)(俾|畀)?.{0,6}(阿妈|阿爸|屋企|其他人|任何人|人知)",  # Cantonese: "唔好话俾你阿妈知"
        r"(聊天|通话)?(记录|短信|消息|信息).{0,6}(删掉|删了|删除)|(删掉|删除)(我们|咱们)?的?(聊天|记录|短信|消息)",
    ]
)
ZH_PROMOTION = _any(
    [
        r"(下单|扫码|扫一扫|加微信|加我微信|关注公众号|点击链接|优惠券|限时优惠|抢购|拼单|直播间)",
        r"(投票给|给.{0,6}投一票|支持.{0,4}(候选人|竞选))",
        r"(捐款|捐钱)",
        r"(投票|选举|选的时候|选代表|换届)[^。！？]{0,10}(你|您)[^。！？]{0,4}(选|投)",
        r"(稳赚|保本|包赚|只赚不赔|稳赚不赔|高息|翻倍)",
        r"(买|投|试试|推荐|办|参加|加入|赶紧|快|入手).{0,6}(理财|保健品|基金|股票|保险|投资|产品|会员)",
        r"(理财|保健品|基金|股票|保险|产品|会员).{0,8}(很好|划算|稳赚|保本|高回报|收益高|赶紧|快买|效果好|包治)",
        r"(推荐你|你应该|你一定要|赶紧)(买|用|订|下载|投资|购买)",
        r"(快去|赶紧去|快点去)(买|抢|下单|订)|这个牌子",
        r"(http|www\.|\.com|\.cn)",
        r"(打折|特价|促销|买一送一|大减价|清仓|包邮)",
        r"(在|去|上)(淘宝|京东|拼多多|天猫|抖音|快手)(上)?(买|下单|抢|搜)",
    ]
)

# (reason, pattern, whether advice NOT to do it is allowed: "never tell anyone your PIN", "千万别把密码告诉别人")
RULES: list[tuple[str, re.Pattern[str], bool]] = [
    ("money_request", _EN_MONEY_REQUEST, True),
    ("credentials", _EN_CREDENTIALS, True),
    ("identity_numbers", _EN_IDENTITY, True),
    ("secrecy", _EN_SECRECY, False),
    ("promotion", _EN_PROMOTION, False),
    ("money_request", ZH_MONEY_REQUEST, True),
    ("credentials", _ZH_CREDENTIALS, True),
    ("identity_numbers", _ZH_IDENTITY, True),
    ("secrecy", _ZH_SECRECY, False),
    ("promotion", ZH_PROMOTION, False),
]
# "Never tell anyone your PIN" is advice about the PIN, not a secret kept from the family.
PROTECTS_SENSITIVE = re.compile(rf"\b{_EN_SECRET_THING}\b|\b{_EN_ID_THING}\b|密码|验证码|卡号|身份证|银行卡|账号")
CHINESE_RULES = {ZH_MONEY_REQUEST, _ZH_CREDENTIALS, _ZH_IDENTITY, _ZH_SECRECY, ZH_PROMOTION}

# A fond family surprise ("Don't tell Dad about the party on Saturday", "别告诉妈妈，我们给她订了蛋糕") is a
# secret kept for someone, not from them: the secrecy rules let it be unless money, codes or
# accounts are in it too.
FOND_SURPRISE = re.compile(
    r"\b(surprise|surprises|birthday|party|present|presents|cake|anniversary|picture|drawing|painting|till it's finished|until it's finished)\b"
    r"|惊喜|生日|蛋糕|礼物|寿宴|纪念日|画|先不给你看"
)
MONEYISH = re.compile(rf"\b{_EN_MONEY}\b|\b(bank|account|card|code|pin|password|savings|pension|money|cash)\b|钱|卡|码|账|存款|转|汇")

# Long runs of digits in what the avatar says look like account or card numbers.
LONG_NUMBER = re.compile(r"(?<!\d)(\d[\s-]?){8,}(?!\d)")
YEARS = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
