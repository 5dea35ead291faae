"""Story mode: the persona answers only with its own recorded memories and fixed warm phrases.

No model and no network, and no generated facts: every sentence is either a
memory the family recorded, a fixed phrase, or the relative's own words said
back to them. This is the offline default and the fallback when an LLM fails.

The turn passes its understanding of what was said in ``ctx.understanding``
(``server/conversation/understanding.py``: the act, the memories retrieved and
the ones confident enough to tell, a follow-up's story); ``policy.decide`` says
what to do with it, and story mode words that decision.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from server.conversation import policy, understanding
from server.conversation.greeting import (
    dear,
    disclosure_sentence,
    fact_question,
    first_name,
    greeting_text,
    latest_fact,
    pick,
    speech_language,
    stable_seed,
)
from server.conversation.intent import CrisisKind, news_body, normalise, to_second_person
from server.conversation.policy import Decision, Move
from server.conversation.story_phrases import PHRASES
from server.conversation.understanding import (
    Understanding,
    confident_memories,
    continuation_of,
    recent_answers,
    touches_boundary,  # noqa: F401 - story.touches_boundary, as callers know it
)
from server.conversation.understanding import (
    sentences as _sentences,
)
from server.services.base import Conversation, ConversationContext, MemoryHit, Recording, ServiceFailure

# How much of a memory to tell in one answer: the first 2-4 sentences.
MIN_SENTENCES = 2
MAX_SENTENCES = 4
MAX_WORDS = 70
MAX_ZH_CHARS = 140

_GOOD_NEWS = re.compile(
    r"born|baby|pregnant|expecting|married|engaged|wedding|graduat|promot|new job|\bwon\b|birthday|retir|passed (my|the|his|her) "
    r"|puppy|kitten|出生|宝宝|怀孕|结婚|订婚|毕业|升职|考上|生日|退休|添了|抱孙|生了",
    re.IGNORECASE,
)
_SAD_NEWS = re.compile(
    r"died|passed away|funeral|hospital|cancer|sick|\bill\b|divorc|lost|fell|operation|去世|过世|葬礼|医院|住院|生病|癌|离婚|摔|走了|手术",
    re.IGNORECASE,
)
_CJK = re.compile("[\u4e00-\u9fff]")


class _Speaker:
    """Fills the fixed phrases for one turn, varying them without repeating the last answer."""

    def __init__(self, ctx: ConversationContext):
        self.ctx = ctx
        self.language = speech_language(ctx.persona.language, ctx.language)
        self.seed = stable_seed(normalise(ctx.user_text), len(ctx.history))
        self.recent = recent_answers(ctx.history)
        name = ctx.persona.display_name.strip()
        short = first_name(ctx.persona)
        self.fields = {
            "dear": dear(self.language, self.seed // 3),
            "name": name,
            "short": short,
            "name_s": f"{short}'" if short.endswith("s") else f"{short}'s",
        }
        self._uses = 0

    def say(self, key: str, **extra: str) -> str:
        self._uses += 1
        options = PHRASES[self.language][key]
        return pick(options, self.seed // (self._uses + 1), self.recent).format(**self.fields, **extra)


def memory_excerpt(text: str, language: str = "en", *, start: int = 0) -> str:
    """2-4 sentences of a memory from sentence ``start``, short enough to say in a few breaths."""
    chosen: list[str] = []
    size = 0
    for sentence in _sentences(text)[start:]:
        length = len(sentence) if _CJK.search(sentence) else len(sentence.split())
        limit = MAX_ZH_CHARS if _CJK.search(sentence) else MAX_WORDS
        if len(chosen) >= MAX_SENTENCES or (len(chosen) >= MIN_SENTENCES and size + length > limit):
            break
        chosen.append(sentence)
        size += length
    joiner = "" if language == "zh" else " "
    return joiner.join(chosen)


def _told_sentences(memory: MemoryHit, recent: Sequence[str]) -> int:
    """How many of the memory's first sentences the persona has said in the last few answers."""
    told = 0
    for sentence in _sentences(memory.text):
        if not any(sentence in line for line in recent):
            break
        told += 1
    return told


def _relevant_memories(ctx: ConversationContext) -> list[MemoryHit]:
    """The memories of ``ctx`` confident enough to tell (the understanding's confidence gate)."""
    return confident_memories(ctx.memories, ctx.persona)


def _tell_memory(speaker: _Speaker, memories: Sequence[MemoryHit], opener: str) -> list[str | Recording]:
    """Tell the best memory; if it was just told, go on with the rest of it, or
    tell the next memory that fits nearly as well, rather than repeat ourselves."""
    language = speaker.language
    best = memories[0]
    told = _told_sentences(best, speaker.recent)
    if told == 0 and best.audio_media_id:
        # Her real voice saying her real words: the whole recording, not an excerpt.
        return [speaker.say(opener), Recording(best.audio_media_id, best.text, best.recording_text), speaker.say("memory_follow")]
    if told == 0:
        return [speaker.say(opener), memory_excerpt(best.text, language), speaker.say("memory_follow")]
    rest = memory_excerpt(best.text, language, start=told)
    if rest:
        return [speaker.say("memory_more"), rest, speaker.say("memory_follow")]
    for other in memories[1:]:
        close_enough = not best.score or other.score >= 0.5 * best.score
        if close_enough and _told_sentences(other, speaker.recent) == 0:
            return [speaker.say("memory_also"), memory_excerpt(other.text, language), speaker.say("memory_follow")]
    return [speaker.say("memory_again"), memory_excerpt(best.text, language)]


def continuing(ctx: ConversationContext) -> tuple[MemoryHit, int] | None:
    """What a follow-up in ``ctx`` goes on with (``understanding.continuation_of``)."""
    return continuation_of(ctx.just_told, ctx.told_next, ctx.history, ctx.persona)


def _go_on(speaker: _Speaker, understood: Understanding) -> list[str | Recording]:
    """A follow-up's answer: the rest of the memory just told, else the next one of its source."""
    if understood.continuation is None:
        return [speaker.say("memory_end")]
    memory, start = understood.continuation
    opener = "memory_more" if memory is understood.just_told else "memory_next"
    return [speaker.say(opener), memory_excerpt(memory.text, speaker.language, start=start), speaker.say("memory_follow")]


def _echo(said: str, language: str) -> str | None:
    """The relative's news said back to them ("You got married last month"), when that reads well."""
    sentence = re.split(r"(?<=[.!?。！？])\s*", said.strip())[0].strip().rstrip(".!?。！？")
    sentence = re.sub(
        r"^(oh|well|so|hi|hello|hey|guess what|you know what|nana|grandma|grandpa|mum|mom|dad)[,!]\s*", "", sentence, flags=re.I
    )
    if not sentence or bool(_CJK.search(sentence)) != (language == "zh"):
        return None
    if len(sentence) > (60 if language == "zh" else 120):
        return None
    echoed = to_second_person(sentence)
    return echoed[0].upper() + echoed[1:]


def compose(ctx: ConversationContext) -> list[str | Recording]:
    """The persona's answer as a few short pieces (each one or two sentences).

    The turn passes its understanding in ``ctx``; a context made without one is understood here.
    """
    understood = ctx.understanding if isinstance(ctx.understanding, Understanding) else understanding.from_context(ctx)
    return words_for(policy.decide(understood), understood, ctx)


def words_for(decision: Decision, understood: Understanding, ctx: ConversationContext) -> list[str | Recording]:
    """Story mode's words for what the policy decided: fixed phrases, memories, their own words back."""
    speaker = _Speaker(ctx)
    language = speaker.language
    said = ctx.user_text or ""
    move = decision.move

    if move is Move.ALERT:
        return [speaker.say("crisis_self_harm" if understood.crisis is CrisisKind.SELF_HARM else "crisis_medical")]
    if move is Move.STOP:
        return [speaker.say("stop")]
    if move is Move.DISCLOSE:
        return [speaker.say("real_open"), disclosure_sentence(ctx.persona, language), speaker.say("real_close")]
    if move is Move.END:
        night = re.search(r"night|晚安", said, re.IGNORECASE)
        return [speaker.say("goodnight" if night else "goodbye")]
    if move is Move.GREET:
        return [greeting_text(ctx.persona, ctx.facts, disclose=False, seed=speaker.seed)]
    if move is Move.NEWS:
        # Said back from the fact as kept: "Did I tell you I'm moving to Bristol?" is echoed
        # "You're moving to Bristol?", not "Did you tell me you're moving to Bristol?".
        return _news(speaker, said, news_body(understood.fact) if understood.fact else said)
    if move is Move.COMFORT:
        return [_comfort(speaker, said)]
    if move is Move.DECLINE:
        return [speaker.say("decline")]
    if move is Move.ADVISE:
        return [speaker.say("advice")]
    if move is Move.CONTINUE or move is Move.STORY_OVER:
        return _go_on(speaker, understood)
    if move is Move.STEER_AWAY:
        return [speaker.say("boundary")]
    if move is Move.ANSWER or move is Move.REMINISCE:
        return _tell_memory(speaker, understood.confident, "memory_open" if move is Move.ANSWER else "memory_related")
    if move is Move.NO_MEMORY:
        return [speaker.say("no_memory")]
    if move is Move.SMALL_TALK:
        return [_small_talk(speaker, said)]
    if move is Move.LISTEN:
        fact = latest_fact(ctx.facts)
        if fact is not None and not ctx.history:
            return [speaker.say("listening"), fact_question(fact, language, speaker.seed)]
        return [speaker.say("listening")]
    raise ValueError(f"story mode has no words for {move.value}")  # a limit's words are the turn's own


def _news(speaker: _Speaker, said: str, news: str) -> list[str | Recording]:
    echo = _echo(news, speaker.language)
    if _SAD_NEWS.search(said) and not _GOOD_NEWS.search(said):
        return [speaker.say("news_sad"), speaker.say("news_sad_after")]
    if _GOOD_NEWS.search(said):
        first = speaker.say("news_good", echo=echo) if echo else speaker.say("news_good_plain")
    else:
        first = speaker.say("news_neutral", echo=echo) if echo else speaker.say("news_neutral_plain")
    return [first, speaker.say("news_remember")]


def _comfort(speaker: _Speaker, said: str) -> str:
    text = normalise(said)
    if re.search(r"\bmiss|想你|想死你|想念", text):
        return speaker.say("miss")
    if re.search(r"lonely|alone|nobody|no one|孤单|孤独|寂寞|一个人|没(有)?人", text):
        return speaker.say("lonely")
    return speaker.say("sad")


def _small_talk(speaker: _Speaker, said: str) -> str:
    text = normalise(said)
    if re.search(r"love you|爱你", text):
        return speaker.say("love")
    if re.search(r"thank|cheers|谢谢", text):
        return speaker.say("thanks")
    if re.search(r"how (are|have) you|how'?s (it|things|everything|life)|are you (ok|okay|well|alright|all right)|好吗|怎么样|还好", text):
        return speaker.say("how_are_you")
    return speaker.say("listening")


class StoryConversation(Conversation):
    """The conversation stage that needs no network: answers from the persona's own memories."""

    name = "story"

    def __init__(self) -> None:
        pass

    async def reply(self, ctx: ConversationContext) -> AsyncIterator[str | Recording | ServiceFailure]:
        pieces = compose(ctx)
        joiner = "" if speech_language(ctx.persona.language, ctx.language) == "zh" else " "
        for index, piece in enumerate(pieces):
            if isinstance(piece, Recording):
                yield piece
            else:
                yield piece + (joiner if index < len(pieces) - 1 else "")
