"""What the persona does with what the relative said: one decision per turn, from its Understanding.

The understanding (``server/conversation/understanding.py``) says what the words are; this module
alone decides what follows from them: answer with a memory, go on with the story, say it does not
remember, comfort, decline, alert the caregivers, end the conversation... Story mode words the
decision (``story.compose``); the turn (``server/pipeline/turn.py``) carries out its side: alerts,
the end of the conversation, the fact kept, and whether only story mode's fixed words may answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from server.conversation.acts import Act
from server.conversation.understanding import Understanding


class Move(str, Enum):
    ALERT = "alert"  # a crisis: the careful words, and the caregivers alerted
    STOP = "stop"  # the relative wants to stop: said kindly, the caregivers told, the conversation ends
    LIMIT = "limit"  # a limit the caregivers set is reached: the conversation ends for now
    DISCLOSE = "disclose"  # "are you real?": the honest answer
    END = "end"  # goodbye
    GREET = "greet"
    NEWS = "news"  # their news, said back warmly
    COMFORT = "comfort"  # a feeling: sadness, missing them, loneliness
    DECLINE = "decline"  # money or a favour: a warm no that points to the family, never a memory
    ADVISE = "advise"  # advice: a gentle word of no memory and no facts, and the family
    CONTINUE = "continue"  # a follow-up: the rest of the story just told, or the next one of its source
    STORY_OVER = "story_over"  # a follow-up when the story has nothing more to tell
    STEER_AWAY = "steer_away"  # a topic the family asked the avatar to leave alone
    ANSWER = "answer"  # a question a memory answers: tell it
    REMINISCE = "reminisce"  # not a question, but a memory stands out: "that reminds me..."
    NO_MEMORY = "no_memory"  # a question no memory answers well enough: say so, ask to be told
    SMALL_TALK = "small_talk"
    LISTEN = "listen"


# What only story mode's fixed, careful words may answer whatever the persona's mode: no model
# improvises on a crisis, a stop, "are you real?" or a request for money or favours.
FIXED_ACTS = (Act.CRISIS, Act.STOP, Act.ABOUT_AVATAR, Act.REQUEST)


@dataclass(frozen=True)
class Decision:
    move: Move
    fixed_words: bool = False  # story mode answers, whatever the persona's mode
    alert: str | None = None  # what the caregivers are alerted to: "crisis" or "relative_stopped"
    ends: bool = False  # the conversation ends after this answer
    end_reason: str | None = None  # why it ends, when a limit ended it
    fact: str | None = None  # the relative's news to keep


def decide(understood: Understanding, *, limit: str | None = None) -> Decision:
    """What to do with ``understood``. ``limit``: the caregivers' limit this turn has reached, if any.

    Limits never silence a crisis, nor the relative's own "stop": those always reach the caregivers.
    """
    act = understood.act
    if act is Act.CRISIS:
        # The careful answer first; then, past a limit, the tablet rests again.
        return Decision(Move.ALERT, fixed_words=True, alert="crisis", ends=limit is not None, end_reason=limit)
    if act is Act.STOP:
        return Decision(Move.STOP, fixed_words=True, alert="relative_stopped", ends=True)
    if limit is not None:
        return Decision(Move.LIMIT, fixed_words=True, ends=True, end_reason=limit)
    move = _move(understood)
    fixed = act in FIXED_ACTS or understood.boundary
    return Decision(move, fixed_words=fixed, ends=move is Move.END, fact=understood.fact)


def _move(understood: Understanding) -> Move:
    act = understood.act
    if act is Act.ABOUT_AVATAR:
        return Move.DISCLOSE
    if act is Act.GOODBYE:
        return Move.END
    if act is Act.GREETING:
        return Move.GREET
    if act is Act.NEWS:
        return Move.NEWS
    if act is Act.FEELING:
        return Move.COMFORT
    if act is Act.REQUEST:
        # Never a memory: "worth every penny" is no answer to "can you lend me some money?".
        return Move.ADVISE if understood.request_kind == "advice" else Move.DECLINE
    asked = act is Act.QUESTION_PAST
    if act is Act.FOLLOWUP:
        if understood.just_told is not None:
            return Move.CONTINUE if understood.continuation is not None else Move.STORY_OVER
        asked = True  # nothing told just before: asked like any question
    # The relative may tell us anything (news of their own hospital stay is still news),
    # but the avatar does not go into topics the family asked it to leave alone.
    if understood.boundary:
        return Move.STEER_AWAY
    if understood.answers:
        return Move.ANSWER if asked else Move.REMINISCE
    if asked:
        return Move.NO_MEMORY
    if act is Act.SMALL_TALK:
        return Move.SMALL_TALK
    return Move.LISTEN
