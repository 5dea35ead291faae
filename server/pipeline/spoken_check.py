"""The last check before the persona says anything: every sentence, and every recording of hers,
passes the safety check; what is refused is replaced by a safe line, and the caregivers are told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.alerts import raise_alert
from server.conversation import safety
from server.services.base import Recording
from server.state import AppState
from server.text.sentences import split_sentences

Notice = Callable[[str, str], Any]


class SpokenCheck:
    """One turn's check: where an alert goes (household, persona, session) and how the tablet hears of it."""

    def __init__(self, state: AppState, household_id: str, persona_id: str, session_id: str, language: str, notice: Notice):
        self.state = state
        self.household_id = household_id
        self.persona_id = persona_id
        self.session_id = session_id
        self.language = language
        self.notice = notice

    def sentence(self, sentence: str) -> str:
        """The sentence, or the safe one said in its place."""
        verdict = safety.check_outgoing(sentence, self.language)
        if verdict.allowed:
            return sentence
        self._report(sentence, verdict)
        assert verdict.replacement is not None  # a refused sentence always comes with what to say instead
        return verdict.replacement

    def recording_blocked(self, recording: Recording) -> str | None:
        """None when her recording may play; else the safe line to say instead.

        Both the memory's text (the captions, which the family may edit) and what the
        recording itself says (its transcript from the import) are checked, a sentence
        at a time: an edited text must never let unchecked words play in her voice.
        """
        texts = [recording.text] + ([recording.said] if recording.said and recording.said != recording.text else [])
        sentences = [s for text in texts for s in split_sentences(text)]
        blocked = [(s, v) for s, v in zip(sentences, safety.check_many(sentences, self.language)) if not v.allowed]
        if not blocked:
            return None
        for sentence, verdict in blocked:
            self._report(sentence, verdict)
        return blocked[0][1].replacement

    def _report(self, sentence: str, verdict: safety.SafetyVerdict) -> None:
        raise_alert(
            self.state,
            self.household_id,
            "blocked_sentence",
            f"{verdict.reason}: {sentence}",
            persona_id=self.persona_id,
            session_id=self.session_id,
        )
        self.notice("sentence_blocked", "A sentence was replaced by a safe one and reported to the caregivers.")
