"""The tablet's states table (client/states.py): a talk walked through it, event by event."""

from __future__ import annotations

import pytest

from client.states import EVENTS, STATES, TALK_WORDS, caption_source, next_state, talk_word_keys


def walk(state: str, *events: str, over: bool = False) -> list[str]:
    seen = []
    for event in events:
        state = next_state(state, event, over)
        seen.append(state)
    return seen


def test_a_talk_goes_round_the_table_and_settles_idle():
    assert walk(
        "starting",
        "connect",
        "connected",
        "playing",
        "played",
        "listen",
        "recorded",
        "send",
        "playing",
        "between_sentences",
        "playing",
        "played",
    ) == ["starting", "idle", "speaking", "idle", "listening", "thinking", "thinking", "speaking", "thinking", "speaking", "idle"]


def test_once_the_talk_is_over_the_screen_settles_on_ended_not_idle():
    assert next_state("speaking", "played", over=True) == "ended"
    assert next_state("listening", "not_heard", over=True) == "ended"
    assert next_state("resting", "back", over=True) == "ended"
    assert next_state("thinking", "answered", over=False) == "idle"


def test_events_that_do_not_concern_a_state_leave_it_alone():
    # a session opening, or the talk ending, never cuts off the relative mid-sentence
    assert next_state("listening", "connected") == "listening"
    assert next_state("listening", "over") == "listening"
    assert next_state("speaking", "over") == "speaking"
    assert next_state("speaking", "send") == "speaking"
    assert next_state("listening", "playing") == "listening"
    assert next_state("listening", "rejected") == "listening"
    assert next_state("idle", "connect") == "idle"  # reconnecting quietly: the screen stays calm
    assert next_state("idle", "back") == "idle"


def test_unpairing_reaches_setup_from_everywhere_and_a_connect_leaves_it():
    for state in STATES:
        assert next_state(state, "unpaired") == "setup"
    leaving = {event for event in EVENTS if next_state("setup", event) != "setup"}
    assert "connect" in leaving and "back" not in leaving and "answered" not in leaving


def test_unknown_names_are_refused():
    with pytest.raises(ValueError):
        next_state("idle", "jump")
    with pytest.raises(ValueError):
        next_state("dancing", "listen")


def test_every_state_has_words_for_both_ways_of_talking():
    assert set(TALK_WORDS) == set(STATES)
    assert talk_word_keys("speaking", "tap") == ("tap_to_answer", "")
    assert talk_word_keys("speaking", "hold") == ("hold_to_talk", "")
    assert talk_word_keys("listening", "hold") == ("listening", "listening_hint_hold")
    assert talk_word_keys("ended", "tap") == ("tap_to_talk", "")


def test_the_caption_area_prefers_a_calm_note_then_the_answer_then_a_hint():
    assert caption_source("idle", "The server is resting.", "Hello") == ("status", "The server is resting.")
    assert caption_source("speaking", "", "Hello") == ("caption", "Hello")
    assert caption_source("idle", "", "") == ("hint", "idle_hint")
    assert caption_source("ended", "", "") == ("hint", "goodbye")
    assert caption_source("thinking", "", "") == ("", "")
