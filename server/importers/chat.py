"""Chat exports: WhatsApp's exported .txt (Android and iPhone, any date style) and a plain "Name: message" log.

The persona's own messages are the best example there is of how they spoke:
they become memories with source ``chat_self``, a conversation's worth at a
time. What the others wrote is kept as ``chat_context`` memories beside them,
hidden, so story mode never says someone else's words as the persona's own;
the caregiver can read them, and unhide any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import islice

from shared.api import MemoryPlace, Span
from server.importers import counts
from server.importers.errors import ImportRejected
from server.importers.memoir import MAX_WEIGHT, TARGET_WEIGHT, weight
from server.storage.memory_admin import NewMemory

# Invisible marks WhatsApp puts around names and times (left-to-right marks, narrow spaces).
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"), None)
_DATE = r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}"
_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:[\s\u202f\u00a0]?(?:[AaPp]\.?\s?[Mm]\.?))?"
# Android: "12/31/21, 9:41 PM - Rose: text"   iPhone: "[31/12/2021, 21:41:05] Rose: text"
_WHATSAPP = re.compile(rf"^(?:\[(?P<d1>{_DATE}),?\s+(?P<t1>{_TIME})\]\s*|(?P<d2>{_DATE}),?\s+(?P<t2>{_TIME})\s+[-–]\s+)(?P<rest>.*)$")
_SENDER = re.compile(r"^(?P<name>[^:]{1,60}?):\s?(?P<text>.*)$")
_PLAIN = re.compile(r"^(?P<name>[^\s:][^:\n]{0,39}?)\s*[:：]\s+(?P<text>\S.*)$")
_NOT_NAMES = re.compile(r"^(https?|www|note|ps|p\.s|re|fwd|subject|date|time|tel|phone|email)$", re.IGNORECASE)
_SKIP = re.compile(
    r"^<?(?:media omitted|attached:.*|image omitted|video omitted|audio omitted|sticker omitted|gif omitted|"
    r"document omitted|contact card omitted|this message was deleted|you deleted this message|"
    r"missed voice call|missed video call|null|<media omitted>|view once)>?$",
    re.IGNORECASE,
)
_EDITED_MARK = "<this message was edited>"
# A gap longer than this starts a new conversation.
CONVERSATION_GAP_S = 3 * 3600
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\D*?([AaPp])?\.?\s?[Mm]?\.?$")


@dataclass
class Message:
    sender: str
    text: str
    number: int  # 1-based, in the whole chat
    date: str | None = None  # as written in the export
    time: str | None = None
    conversation_break: bool = False  # a blank line in a plain log

    @property
    def moment(self) -> float | None:
        """Seconds, for finding the gaps between conversations (day order only needs to be consistent)."""
        if not self.date or not self.time:
            return None
        numbers = [int(n) for n in re.split(r"[/.\-]", self.date) if n.isdigit()]
        if len(numbers) != 3:
            return None
        year_first = numbers[0] > 31
        year, day_a, day_b = (numbers[0], numbers[1], numbers[2]) if year_first else (numbers[2], numbers[0], numbers[1])
        year += 2000 if year < 100 else 0
        clock = _CLOCK.search(self.time)
        if clock is None:
            return None
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if clock.group(4):  # 12-hour clock
            hour = hour % 12 + (12 if clock.group(4).lower() == "p" else 0)
        # Day/month order depends on the phone; any fixed encoding keeps gaps within a day right,
        # and a change of day is a big jump either way (the caller compares with abs).
        return (((year * 13 + max(day_a, day_b)) * 32 + min(day_a, day_b)) * 24 + hour) * 3600 + minute * 60 + second


@dataclass
class Chat:
    format: str  # "whatsapp" or "plain"
    messages: list[Message] = field(default_factory=list)

    @property
    def senders(self) -> list[str]:
        counts: dict[str, int] = {}
        for m in self.messages:
            counts[m.sender] = counts.get(m.sender, 0) + 1
        return sorted(counts, key=lambda s: -counts[s])


def without_edited_mark(text: str) -> str:
    """The message without WhatsApp's "<This message was edited>" at its end.

    Done with strip and endswith: the pattern ``\\s*<this message was edited>\\s*$`` retried
    from every space of a long run of spaces (quadratic).
    """
    body = text.rstrip()
    if body[-len(_EDITED_MARK) :].lower() != _EDITED_MARK:
        return text
    return body[: -len(_EDITED_MARK)].rstrip()


def _lines(text: str) -> list[str]:
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    if text.count("\n") > counts.MAX_LINES:  # before the split makes a string of each
        raise counts.too_many("lines", counts.MAX_LINES)
    return text.split("\n")


def _join_continued(chat: Chat, more: dict[int, list[str]]) -> Chat:
    """Messages of several lines get their further lines (gathered in lists: adding to a string is quadratic)."""
    for index, lines in more.items():
        message = chat.messages[index]
        message.text = "\n".join([message.text, *lines])
    return chat


def _whatsapp(lines: list[str]) -> Chat:
    chat = Chat("whatsapp")
    more: dict[int, list[str]] = {}
    for line in lines:
        match = _WHATSAPP.match(line)
        if match is None:
            if chat.messages and line.strip():
                more.setdefault(len(chat.messages) - 1, []).append(line.strip())  # a message of several lines
            continue
        sender = _SENDER.match(match.group("rest"))
        if sender is None:
            continue  # "Messages and calls are end-to-end encrypted", "Anne added Tom", ...
        chat.messages.append(
            Message(
                sender=sender.group("name").strip(),
                text=sender.group("text").strip(),
                number=len(chat.messages) + 1,
                date=match.group("d1") or match.group("d2"),
                time=match.group("t1") or match.group("t2"),
            )
        )
    return _join_continued(chat, more)


def _plain(lines: list[str]) -> Chat:
    chat = Chat("plain")
    more: dict[int, list[str]] = {}
    blank_before = False
    for line in lines:
        if not line.strip():
            blank_before = True
            continue
        match = _PLAIN.match(line.strip())
        if match and not _NOT_NAMES.match(match.group("name").strip()):
            chat.messages.append(
                Message(
                    sender=match.group("name").strip(),
                    text=match.group("text").strip(),
                    number=len(chat.messages) + 1,
                    conversation_break=blank_before,
                )
            )
        elif chat.messages:
            more.setdefault(len(chat.messages) - 1, []).append(line.strip())
        blank_before = False
    return _join_continued(chat, more)


def parse(text: str) -> Chat | None:
    """The chat in ``text``, or None when it does not look like a chat."""
    lines = _lines(text)
    sample = list(islice((line for line in lines if line.strip()), 400))
    if not sample:
        return None
    if sum(1 for line in sample if _WHATSAPP.match(line)) >= len(sample) * 0.4:
        chat = _whatsapp(lines)
    elif sum(1 for line in sample if _PLAIN.match(line.strip())) >= len(sample) * 0.6:
        chat = _plain(lines)
        # A real log has a few speakers who each say several things; prose with colons does not.
        senders = chat.senders
        if not (2 <= len(senders) <= 20) or len(chat.messages) < 2 * len(senders):
            return None
    else:
        return None
    for message in chat.messages:
        message.text = without_edited_mark(message.text)
    chat.messages = [m for m in chat.messages if m.text and not _SKIP.match(m.text.strip())]
    return chat if chat.messages else None


def _simple(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


def find_self(chat: Chat, self_name: str | None, persona_names: list[str]) -> str:
    """Which sender is the persona: the name the caregiver gave, else the persona's names. 422 when unsure."""
    senders = chat.senders
    wanted = [self_name] if self_name else persona_names
    for name in wanted:
        target = _simple(name)
        if not target:
            continue
        exact = [s for s in senders if _simple(s) == target]
        if exact:
            return exact[0]
        partial = [s for s in senders if _simple(s).split()[:1] == target.split()[:1] or target in _simple(s)]
        if len(partial) == 1:
            return partial[0]
    listed = ", ".join(senders[:10])
    if self_name:
        message = f"Nobody called {self_name!r} writes in this chat. The people in it are: {listed}. Send self_name with one of these."
    else:
        message = f"Which of these people in the chat is the persona? {listed}. Send the name as self_name."
    raise ImportRejected(422, "who_is_self", message, details={"senders": senders[:50]})


def _conversations(chat: Chat) -> list[list[Message]]:
    groups: list[list[Message]] = []
    previous: float | None = None
    for message in chat.messages:
        moment = message.moment
        starts = (
            not groups
            or message.conversation_break
            or (moment is not None and previous is not None and abs(moment - previous) > CONVERSATION_GAP_S)
        )
        if starts:
            groups.append([])
        groups[-1].append(message)
        previous = moment if moment is not None else previous
    return groups


def _place(messages: list[Message]) -> MemoryPlace:
    first, last = messages[0], messages[-1]
    return MemoryPlace(messages=Span(first=first.number, last=last.number), date=first.date or None)


def _pieces(messages: list[Message]) -> list[list[Message]]:
    """Consecutive runs of one conversation, each about one memory long."""
    runs: list[list[Message]] = [[]]
    size = 0  # of the run being filled, kept as it grows (summing it again per message is quadratic)
    for message in messages:
        added = weight(message.text)
        if runs[-1] and size + added > MAX_WEIGHT:
            runs.append([])  # and the test below ends this one-message run at once, as it always did
        runs[-1].append(message)
        if size + added >= TARGET_WEIGHT * 1.5:
            runs.append([])
            size = 0
        else:
            size += added
    return [run for run in runs if run]


# Fewer words than this from the persona in a conversation ("ok", "xx") say little about how they speak.
MIN_SELF_WORDS = 4


def memories(chat: Chat, self_sender: str) -> tuple[list[NewMemory], int]:
    """The memories of a chat, and how many conversations were too short to keep."""
    out: list[NewMemory] = []
    skipped = 0
    for conversation in _conversations(chat):
        others = sorted({m.sender for m in conversation if m.sender != self_sender})
        with_whom = ", ".join(others[:3]) + (" and others" if len(others) > 3 else "")
        when = f" ({conversation[0].date})" if conversation[0].date else ""
        title = (f"Chat with {with_whom}" if with_whom else "Chat") + when
        for run in _pieces(conversation):
            own = [m for m in run if m.sender == self_sender]
            if sum(len(m.text.split()) for m in own) < MIN_SELF_WORDS:
                skipped += 1
                continue
            out.append(
                NewMemory(
                    text="\n".join(m.text for m in own),
                    title=title[:200],
                    place=_place(run),
                    source="chat_self",
                )
            )
            rest = [m for m in run if m.sender != self_sender]
            if rest:
                out.append(
                    NewMemory(
                        text="\n".join(f"{m.sender}: {m.text}" for m in rest),
                        title=(title + " — what the others wrote")[:200],
                        place=_place(run),
                        source="chat_context",
                        hidden=True,
                    )
                )
    return out, skipped
