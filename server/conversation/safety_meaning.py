"""Whether a sentence means a request for money, codes or secrecy, whatever its words.

The rules in safety.py catch the phrasings someone thought of; a scam reworded
("Please give 500 pounds to the courier", "Send five hundred GBP to my new
account") slips past any list of words. Here a sentence is compared, as a
sentence embedding (server/text/embedding.py), with labelled example sentences
(safety_examples.jsonl, English and Chinese): requests for money, transfers,
gift cards, passwords, codes, card numbers and secrecy, and innocent sentences
that share their words (memories of money, banks, shops, gifts and fond
secrets; warnings never to share a PIN; ordinary "tell me about your day").

Score: the mean similarity to the K nearest request examples minus the mean
similarity to the K nearest innocent ones. The sentence is a request when the
score is above THRESHOLD, the sentence names something the check is about, and
it is not framed as a memory or a warning (safety_framing.py: embeddings read what
a sentence is about far better than whether it asks). K and THRESHOLD were chosen
on the dev split of the safety set (tests/eval/safety/dev.jsonl), leave-one-out,
never on its test split; see ``keepsake eval safety`` and docs/safety.md. A
logistic regression on the same embeddings was measured too, and lost (AUC 0.95
against 0.98 on dev).

The examples' vectors are computed once, on first use, and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from server.conversation import safety_framing
from server.conversation.example_rows import BuiltOnce, read_rows
from server.conversation.normalise import normalise
from server.text import embedding, example_vectors

# The meaning check speaks only for sentences about its subjects: money and paying, cards,
# codes and numbers, banks and accounts, keeping things from people. Nearest neighbours also
# find a short, warm sentence ("We'll stop here.", "我们就到这儿") close to a short
# "this stays between us"; such a sentence names none of these and is left alone. The list is
# wide on purpose (the rules in safety.py need far more than one word). Linear: one alternation.
_SUBJECT = re.compile(
    r"\b(money|cash|funds?|pounds?|quid|dollars?|bucks|euros?|pence|penny|cents?|gbp|usd|eur|rmb|grand|hundred|thousand|"
    r"pay|paid|payment|send|sent|transfer|wire|lend|loan|borrow|owe|debt|bills?|rent|fine|fee|deposit|savings?|pension|"
    r"withdraw|take out|cheque|check|bank|banking|account|card|cards|voucher|vouchers|gift|code|codes|pin|password|passcode|"
    r"login|log-in|details|number|numbers|digits|text|texted|message|otp|bitcoin|crypto|wallet|paypal|venmo|zelle|"
    r"western union|moneygram|top up|envelope|courier|secret|secrets|tell|mention|know|word|between|promise|"
    r"keep|hush|quiet|anyone|anybody|nobody|family|fees?|costs?|log in|log into|sign in|email|passport|licen[cs]e|"
    r"hear|find out|husband|wife|son|daughter|sister|brother|carers?|nurse|asks|"
    # Sideways asks name no currency (dev batch F): an amount in words, notes, a bill or a share,
    # something spared, settled, covered or chipped in, the gas or the electricity.
    r"ten|twenty|forty|fifty|sixty|notes|tenner|fiver|invoice|spare|short|cover|settle|settling|chip in|towards|afford|"
    r"electricity|electric|gas|heating|fare|taxi|funeral|help out|help me out|help a little|a little something|"
    r"tide me over|not asking for much|just enough)\b|\d|[$£€¥]"
    r"|钱|块|元|万|千|百|转|汇|借|付|交|卡|码|账|银行|存|取|现金|红包|充值|支付|微信|秘密|告诉|知道|号|身份证|费|债|押金|首付|积蓄|养老金"
    r"|护照|声张|悄悄|问起|家里人|儿子|女儿|你妈|你爸|护工|保姆|帮帮我|数字|周转|垫|结了|补上|工资|孝顺"
)


def about_its_subjects(sentence: str) -> bool:
    """Whether the (normalised) sentence names anything the meaning check is about."""
    return _SUBJECT.search(sentence) is not None


# Chosen on the dev split (see the module's docstring and the commit that set them).
K = 4
THRESHOLD = 0.0125


@dataclass(frozen=True)
class Meaning:
    score: float  # > THRESHOLD: a request
    kind: str  # what the nearest request examples ask for: money_request, credentials, identity_numbers, secrecy

    about_subjects: bool = True  # names money, codes, secrecy...: see _SUBJECT
    framed_innocently: bool = False  # told as a memory or said as a warning: see safety_framing.py

    @property
    def is_request(self) -> bool:
        return self.about_subjects and not self.framed_innocently and self.score > THRESHOLD


@dataclass(frozen=True)
class _Examples:
    vectors: np.ndarray  # one unit row per example
    is_request: np.ndarray  # bool per example
    kinds: tuple[str, ...]
    texts: tuple[str, ...]  # as normalised


def load_examples() -> list[dict[str, Any]]:
    return read_rows("safety_examples.jsonl")


def example_texts() -> list[str]:
    # Read as safety.py reads a sentence: lower case, Simplified Chinese, folded widths.
    return [normalise(r["text"]) for r in load_examples()]


def _build() -> _Examples:
    rows = load_examples()
    texts = tuple(example_texts())
    return _Examples(
        # Shipped with the examples (server/text/example_vectors.py): no minute at start.
        vectors=example_vectors.vectors_for("safety", texts),
        texts=texts,
        is_request=np.array([r["label"] == "request" for r in rows]),
        kinds=tuple(r["kind"] for r in rows),
    )


_examples = BuiltOnce(_build)


def warm() -> None:
    _examples.get()


def meanings(sentences: list[str], *, leave_out_self: bool = False) -> list[Meaning]:
    """The meaning of each sentence (already normalised, as safety.py does), in one batch.

    ``leave_out_self``: a sentence that is itself an example is not its own neighbour. Only
    for measuring the check on the dev split, whose sentences are examples too.
    """
    if not sentences:
        return []
    ex = _examples.get()
    similarity = embedding.embed(sentences) @ ex.vectors.T
    if leave_out_self:
        index = {text: i for i, text in enumerate(ex.texts)}
        for row, sentence in enumerate(sentences):
            if sentence in index:
                similarity[row, index[sentence]] = -1.0
    requests = similarity[:, ex.is_request]
    innocent = similarity[:, ~ex.is_request]
    k_req = min(K, requests.shape[1])
    k_inn = min(K, innocent.shape[1])
    near_requests = np.argpartition(-requests, k_req - 1, axis=1)[:, :k_req]
    near_innocent = np.partition(-innocent, k_inn - 1, axis=1)[:, :k_inn]
    request_kinds = [k for k, r in zip(ex.kinds, ex.is_request) if r]
    out = []
    for row in range(len(sentences)):
        nearest = near_requests[row]
        score = float(requests[row, nearest].mean() + near_innocent[row].mean())
        best = int(nearest[np.argmax(requests[row, nearest])])
        text = sentences[row]
        out.append(
            Meaning(
                score=score,
                kind=request_kinds[best],
                about_subjects=about_its_subjects(text),
                framed_innocently=safety_framing.told_as_memory(text) or safety_framing.said_as_warning(text),
            )
        )
    return out


def meaning(sentence: str) -> Meaning:
    return meanings([sentence])[0]
