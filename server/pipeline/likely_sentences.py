"""What a persona will surely say, sentence by sentence, worded exactly as it will be asked for.

The speech cache finds speech by its exact words, so every text here is made
the way its speaker makes it:

- a turn (``server/pipeline/turn.py``) feeds story mode's pieces, joined as
  ``StoryConversation.reply`` joins them, through ``SentenceSplitter`` and
  then the safety check; its fixed replies ("unclear", the limits) it speaks
  whole, unsplit;
- a session's opening (``server/api/routes/sessions.py``) is the greeting,
  with "would you like to talk with me?" the first time, cut by
  ``split_sentences`` and checked the same way.

The lists come in the order their speech is worth having ahead: greetings,
story mode's phrases and the pipeline's fixed replies, then the start of each
memory (the sentence that follows an opener in a story answer), then the start
of each memory told again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from shared.api import Persona
from server.conversation import safety
from server.conversation.greeting import dear, disclosure_sentence, first_name, greeting_text, speech_language, stable_seed
from server.conversation.story import memory_excerpt
from server.conversation.story_phrases import PHRASES
from server.pipeline.replies import reply
from server.services.base import RelativeFact
from server.storage import personas
from server.text.sentences import SentenceSplitter, split_sentences

# How many of a memory's first sentences to make ahead: the first follows the (already made)
# opener at once; the later ones have the opener and the first sentence's playing time to be made.
MEMORY_SENTENCES = 1
# Greeting seeds to try: enough for every hello x form of address x question combination
# (greeting.py picks them with seed % 4, seed % 3 and seed // 7 % 3).
GREETING_SEEDS = 252
# The three forms of address story mode and greetings choose from ("my dear", "dear", "sweetheart").
ADDRESS_FORMS = 3
# Phrases worth having first: every story answer starts with one of these.
FIRST_PHRASES = ("memory_open", "memory_related", "memory_follow", "no_memory", "listening")


@dataclass(frozen=True)
class MemoryWords:
    text: str
    has_recording: bool  # story mode plays the person's own recording of it: nothing to synthesize


def checked(sentence: str, language: str) -> str:
    """What the safety check lets be spoken in place of ``sentence`` (the turn's and greeting's rule)."""
    verdict = safety.check_outgoing(sentence, language)
    if verdict.allowed:
        return sentence
    assert verdict.replacement is not None  # a refused sentence always comes with what to say instead
    return verdict.replacement


def as_a_turn_says(pieces: Sequence[str], persona: Persona) -> list[str]:
    """The sentences a turn speaks for story mode's ``pieces``: joined, split and checked as the turn does."""
    joiner = "" if speech_language(persona.language, persona.language) == "zh" else " "
    splitter = SentenceSplitter()
    sentences: list[str] = []
    for index, piece in enumerate(pieces):
        sentences += splitter.feed(piece + (joiner if index < len(pieces) - 1 else ""))
    sentences += splitter.flush()
    return [checked(s, persona.language) for s in sentences]


def greeting_sentences(persona: Persona, listeners: Sequence[Sequence[RelativeFact]], *, today: date | None = None) -> list[str]:
    """Every sentence a session can open with: today's and tomorrow's greeting first, then every other wording.

    ``listeners`` holds what each listener's greeting may ask after: a tablet hears what its own
    relative told (and the facts a caregiver shared), so each tablet's greeting is made for it.
    """
    profile = personas.profile(persona)
    today = today or date.today()
    first_time = reply("first_time", persona.language)
    seeds = [stable_seed(persona.id, (today + timedelta(days=d)).isoformat()) for d in (0, 1)] + list(range(GREETING_SEEDS))
    out: list[str] = []
    for seed in seeds:
        for facts in listeners:
            text = greeting_text(profile, facts, disclose=persona.disclosure, seed=seed)
            for opening in (text, f"{text} {first_time}"):
                out += [checked(s, persona.language) for s in split_sentences(opening)]
    for limit in ("quiet_hours", "daily_limit"):
        out += [checked(s, persona.language) for s in split_sentences(reply(limit, persona.language))]
    return _unique(out)


def farewell_sentences(persona: Persona, farewell: str | None) -> list[str]:
    """A retiring persona's last opening: the family's farewell words, or the fixed one."""
    text = farewell or reply("farewell", persona.language)
    return _unique(checked(s, persona.language) for s in split_sentences(text))


def phrase_sentences(persona: Persona) -> list[str]:
    """Story mode's fixed phrases in every form of address, and the pipeline's fixed replies."""
    language = speech_language(persona.language, persona.language)
    profile = personas.profile(persona)
    phrases = PHRASES[language]
    keys = [k for k in FIRST_PHRASES if k in phrases] + [k for k in phrases if k not in FIRST_PHRASES]
    out: list[str] = []
    for key in keys:
        for option in phrases[key]:
            if "{echo}" in option:
                continue  # says back the relative's own news: cannot be known ahead
            if _runs_on(option):
                continue  # its sentence is the memory's own: see retold_sentences
            for filled in _filled(option, persona):
                out += as_a_turn_says([filled], persona)
    out += as_a_turn_says([disclosure_sentence(profile, language)], persona)  # "are you real?"
    # Spoken whole by the turn, without the splitter.
    out += [checked(reply(kind, persona.language), persona.language) for kind in ("unclear", "trouble", "quiet_hours", "daily_limit")]
    return _unique(out)


def memory_sentences(persona: Persona, memories: Iterable[MemoryWords]) -> list[str]:
    """The first sentence(s) of each memory as story mode tells it, after an opener and before a question."""
    language = speech_language(persona.language, persona.language)
    opener = PHRASES[language]["memory_open"][0].format(dear=dear(language, 0))
    follow = PHRASES[language]["memory_follow"][0].format(dear=dear(language, 0))
    head = as_a_turn_says([opener], persona)
    tail = as_a_turn_says([follow], persona)
    out: list[str] = []
    for memory in memories:
        if memory.has_recording or not memory.text.strip():
            continue
        said = as_a_turn_says([opener, memory_excerpt(memory.text, language), follow], persona)
        # The memory's own sentences lie between the opener's and the question's.
        if said[: len(head)] == head:
            said = said[len(head) :]
        if tail and said[-len(tail) :] == tail:
            said = said[: -len(tail)]
        out += said[:MEMORY_SENTENCES]
    return _unique(out)


def retold_sentences(persona: Persona, memories: Iterable[MemoryWords]) -> list[str]:
    """The first sentence of each memory told again ("Like I was saying, my dear: We were married...").

    Asked about a memory it has just told, story mode tells it again after a
    lead-in that runs on into it, so the first sentence is the lead-in and the
    memory's opening together: one per lead-in, form of address and memory.
    People often ask the same thing again, so these are worth having too.
    """
    language = speech_language(persona.language, persona.language)
    lead_ins = [f for options in PHRASES[language].values() for o in options if _runs_on(o) for f in _filled(o, persona)]
    out: list[str] = []
    for memory in memories:
        if memory.has_recording or not memory.text.strip():
            continue
        excerpt = memory_excerpt(memory.text, language)
        for lead_in in lead_ins:
            out += as_a_turn_says([lead_in, excerpt], persona)[:1]
    return _unique(out)


def memory_origins(persona: Persona, memories: Iterable[tuple[str, MemoryWords]]) -> dict[str, list[str]]:
    """For each sentence ``memory_sentences`` and ``retold_sentences`` make, the ids of the memories
    (given as ``(id, words)``) whose words it says: their speech goes when one of them is deleted or reworded."""
    out: dict[str, list[str]] = {}
    for memory_id, words in memories:
        for sentence in _unique(memory_sentences(persona, [words]) + retold_sentences(persona, [words])):
            out.setdefault(sentence, []).append(memory_id)
    return out


def _runs_on(phrase: str) -> bool:
    """A lead-in ending in a colon: the splitter joins it to the memory that follows."""
    return phrase.rstrip().endswith((":", "："))


def _filled(option: str, persona: Persona) -> list[str]:
    """A phrase in each form of address it can take, with the persona's names filled in."""
    language = speech_language(persona.language, persona.language)
    short = first_name(personas.profile(persona))
    names = {
        "name": persona.display_name.strip(),
        "short": short,
        "name_s": f"{short}'" if short.endswith("s") else f"{short}'s",
    }
    forms = range(ADDRESS_FORMS) if "{dear}" in option else range(1)
    return [option.format(dear=dear(language, form), **names) for form in forms]


def likely_sentences(
    persona: Persona,
    listeners: Sequence[Sequence[RelativeFact]],
    memories: Iterable[MemoryWords],
    *,
    farewell: str | None = None,
    limit: int,
) -> list[str]:
    """All of the above in order of worth, each once, at most ``limit``."""
    out = greeting_sentences(persona, listeners)
    if persona.status == "retiring":
        out = farewell_sentences(persona, farewell) + out
    out += phrase_sentences(persona)
    memories = list(memories)[:limit]  # no more can fit: a whole book is not split through for nothing
    out += memory_sentences(persona, memories)
    out += retold_sentences(persona, memories)
    return _unique(out)[:limit]


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))
