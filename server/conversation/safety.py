"""Safety checks on what the avatar says and what it hears.

Outgoing: every sentence is checked before it is spoken, whatever produced it
(an LLM, a memory, a phrase). A deepfake of a dead parent asking for money is
the scam everyone fears, so the avatar never asks for money, transfers, gift
cards, passwords or codes, bank, card or identity numbers; never tells the
relative to keep a secret from the family; never promotes a product, service
or cause. A blocked sentence is replaced by a safe one in the same language.

The line between asking and telling a story matters: "I saved money for your
wedding" is a memory and passes; "send me money" is an instruction and does
not. So most rules need BOTH a sensitive object (money, PIN, bank...) AND the
avatar directing the relative to act (send, give, tell me, 给我, 告诉我...),
while advice not to do it ("never tell anyone your PIN") stays allowed.

Words are not enough: "Please give 500 pounds to the courier" names no rule's
words, yet means what the rules are for. So a sentence the rules let through
is also read for its meaning (safety_meaning.py: nearest labelled examples by
sentence embedding, in English and Chinese), and blocked when it means a
request for money, codes or secrecy, unless it is told as a memory or said as a
warning (safety_framing.py). ``check_many`` reads several sentences in
one batch.

Incoming: ``check_incoming`` reports a crisis (self-harm or a medical
emergency) in what the relative said, using the same patterns as intent.py
(crisis.py). The rules are the table in safety_rules.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from server.conversation import safety_framing, safety_meaning
from server.conversation.intent import CrisisKind, crisis_kind, normalise
from server.conversation.safety_rules import (
    CHINESE_RULES,
    EN_EXCEPT_ME,
    EN_NEGATION_BEFORE,
    FOND_SURPRISE,
    LONG_NUMBER,
    MONEYISH,
    PROTECTS_SENSITIVE,
    RULES,
    YEARS,
    ZH_EXCEPT_ME,
    ZH_MONEY_REQUEST,
    ZH_NEGATION_BEFORE,
    ZH_PROMOTION,
)
from server.conversation.story_phrases import PHRASES
from server.conversation.unmask import readings, spells_out_something_sensitive
from server.text.sentences import split_sentences


@dataclass(frozen=True)
class SafetyVerdict:
    allowed: bool
    reason: str | None = None  # "money_request", "credentials", "identity_numbers", "secrecy", "promotion", "obfuscated"
    replacement: str | None = None  # what to say instead, in the sentence's language (None when allowed)


# Longer than a spoken sentence: read for its meaning one sentence at a time.
_ONE_SENTENCE = 200

REPLACEMENTS = {
    "en": "Oh, never mind that, my dear. Tell me how you've been.",
    "zh": "哎，不说这个了。跟我说说你最近怎么样吧。",
}


def _is_warning(sentence: str, match: re.Match[str]) -> bool:
    """Advice not to do it ("Never share your PIN", "千万别把密码告诉别人") rather than a request.

    The negation must govern the matched words (at most two words before them),
    and "...except me" / "只告诉我" turns any warning back into a request.
    """
    before = sentence[: match.start()]
    if EN_EXCEPT_ME.search(sentence) or ZH_EXCEPT_ME.search(sentence):
        return False
    if safety_framing.names_a_scam(sentence) or safety_framing.warns_even_against_me(sentence):
        return True
    return bool(EN_NEGATION_BEFORE.search(before) or ZH_NEGATION_BEFORE.search(before))


def _is_advice(sentence: str) -> bool:
    return not (EN_EXCEPT_ME.search(sentence) or ZH_EXCEPT_ME.search(sentence))


def warm() -> None:
    """Load the meaning check's model and examples now, not in the first turn."""
    safety_meaning.warm()


def replacement_for(language: str | None) -> str:
    return REPLACEMENTS["zh" if (language or "").lower().startswith("zh") else "en"]


def check_outgoing(sentence: str, language: str | None = "en") -> SafetyVerdict:
    """Whether the avatar may say ``sentence``; if not, why and what to say instead."""
    return check_many([sentence], language)[0]


def check_many(sentences: Sequence[str], language: str | None = "en", *, leave_out_self: bool = False) -> list[SafetyVerdict]:
    """``check_outgoing`` for each sentence, their meanings read in one batch.

    ``leave_out_self`` is for measuring on the examples themselves (see safety_meaning.py).
    """
    verdicts: list[SafetyVerdict | None] = []
    unread: list[tuple[int, str]] = []  # (index, part) for the meaning check
    for index, sentence in enumerate(sentences):
        text = normalise(sentence)
        reason = _rules_reason(text) if text else None
        if reason is not None:
            verdicts.append(SafetyVerdict(allowed=False, reason=reason, replacement=_replacement(sentence, language)))
            continue
        verdicts.append(None)
        if text:
            # A long text (a whole memory) is read sentence by sentence: one request among
            # ten fond sentences would be lost in the meaning of the whole.
            told = _without_our_lead_in(text)
            unread += [(index, part) for part in (split_sentences(told) if len(told) > _ONE_SENTENCE else [told]) if part]
    found = safety_meaning.meanings([part for _, part in unread], leave_out_self=leave_out_self)
    for (index, _), meaning in zip(unread, found):
        if meaning.is_request and verdicts[index] is None:
            verdicts[index] = SafetyVerdict(allowed=False, reason=meaning.kind, replacement=_replacement(sentences[index], language))
    return [v if v is not None else SafetyVerdict(allowed=True) for v in verdicts]


@functools.cache
def _our_lead_ins() -> re.Pattern[str]:
    """Story mode's own lines that lead into a memory in the same sentence ("I'll tell it again, my
    dear, I don't mind: ..."). They are ours and were checked when written; read with the memory
    their words change its meaning ("I don't mind" + "kept bees behind the bakery" read as
    secrecy), so the meaning check reads the memory alone. The rules still read the whole."""
    shapes = []
    for phrases in PHRASES.values():
        for options in phrases.values():
            for phrase in options:
                if phrase.endswith((":", "：")):
                    # {dear} is how she addresses the relative: a few words, never a colon.
                    shapes.append(r"[^:：]{1,40}".join(re.escape(part) for part in phrase.split("{dear}")))
    return re.compile("^(?:" + "|".join(shapes) + r")\s*", re.IGNORECASE)


def _without_our_lead_in(text: str) -> str:
    rest = _our_lead_ins().sub("", text, count=1)
    return rest or text


def _rules_reason(text: str) -> str | None:
    if spells_out_something_sensitive(text):
        return "obfuscated"
    # The sentence as written, and again with each hiding trick undone (see unmask.py).
    for reading in readings(text):
        reason = _blocked_reason(reading)
        if reason is not None:
            return reason
    return None


def _blocked_reason(text: str) -> str | None:
    # Chinese text may come out of an English persona's model too: check every rule on every sentence.
    squeezed = re.sub(r"\s+", "", text) if re.search("[\u4e00-\u9fff]", text) else text
    for reason, pattern, respects_negation in RULES:
        candidate = squeezed if pattern in CHINESE_RULES else text
        match = pattern.search(candidate)
        if match and reason == "secrecy" and PROTECTS_SENSITIVE.search(candidate) and _is_advice(candidate):
            continue
        if match and reason == "secrecy" and FOND_SURPRISE.search(candidate) and not MONEYISH.search(candidate):
            continue
        # "那年家里困难，邻居借给我们一百块" is money lent, told as a memory; "现在给我打点钱吧" is asked for now.
        # So is "那次捐款给灾区，我捐了十块" a donation remembered, not asked for.
        if match and pattern in (ZH_MONEY_REQUEST, ZH_PROMOTION) and safety_framing.told_as_memory(candidate):
            continue
        if match and not (respects_negation and _is_warning(candidate, match)):
            return reason
    if LONG_NUMBER.search(YEARS.sub(" ", text)):
        return "identity_numbers"
    return None


def _replacement(sentence: str, language: str | None) -> str:
    if language is None:
        language = "zh" if re.search("[\u4e00-\u9fff]", sentence) else "en"
    return replacement_for(language)


def check_incoming(text: str) -> CrisisKind | None:
    """The crisis the relative's words speak of (self-harm or a medical emergency), or None."""
    return crisis_kind(text)
