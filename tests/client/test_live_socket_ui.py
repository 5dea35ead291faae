"""The real tablet app on the live socket: the server hears when the relative has finished, and a
pause to find a word inside a sentence no longer ends the turn (the tablet's own detector would
have ended it after a second of quiet).

Runs the app under X against the real server (embedded engines, Silero VAD and Smart Turn), with
the file microphone, as the other UI tests do.
"""

from __future__ import annotations

import difflib
import os
import re
import wave

import pytest

from tests.client.harness import has_xdotool, new_pairing_code

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def similar(said: str, heard: str) -> float:
    return difflib.SequenceMatcher(None, words(said), words(heard)).ratio()


def with_pause(first, second, pause_s: float, out):
    """Two spoken pieces with a pause between them, as someone looking for a word says them."""
    with wave.open(str(first)) as a, wave.open(str(second)) as b:
        rate, params = a.getframerate(), a.getparams()
        frames = a.readframes(a.getnframes()) + b"\0\0" * int(rate * pause_s) + b.readframes(b.getnframes())
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(frames)
    return out


def connected_on_the_socket(start_app, live_server, mic_file, **options):
    code = new_pairing_code(live_server.url, live_server.data_dir)
    app = start_app(live_server.url, code, mic_file=mic_file, **options)
    app.wait_for("connected", timeout=60)
    assert app.wait_for("live_socket", timeout=60, since_start=True)["open"] is True
    app.settle(timeout=60)
    return app


def test_the_server_ends_the_turn_and_answers_on_the_socket(start_app, live_server, speak):
    question = "What did you cook on Sundays?"
    app = connected_on_the_socket(start_app, live_server, speak(question))

    app.tap("talk")
    assert app.wait_for("live_turn_started", timeout=10)["socket"] is True
    end = app.wait_for("live_end_of_turn", timeout=30)
    assert end["by"] == "pause", end
    app.wait_for("recorded", timeout=10)  # the server's decision stopped the recording
    transcript = app.wait_for("transcript", timeout=90)
    assert similar(question, transcript["text"]) >= 0.6, transcript
    assert app.wait_for("live_turn_outcome", timeout=90)["outcome"] == "ok"
    # The server had the words (its transcript) before the recording reached the outbox: it let go
    # at once, so the same words are not sent again and answered twice.
    assert app.wait_for("turn_outcome", timeout=10)["outbox"] == 0
    app.wait_for("played", timeout=120)
    assert not list((app.tablet_dir / "outbox").glob("*.wav"))  # the server has them: the outbox let go
    assert not any(e["kind"] == "transcript" for e in app.events()[app._seen :])  # answered once


def test_a_pause_to_find_a_word_does_not_end_the_turn(start_app, live_server, speak, tmp_path):
    first, second = "I was thinking about the time, because", "you always made scones on Sunday."
    mic = with_pause(speak(first), speak(second), 1.8, tmp_path / "paused.wav")
    app = connected_on_the_socket(start_app, live_server, mic)

    app.tap("talk")
    app.wait_for("live_turn_started", timeout=10)
    end = app.wait_for("live_end_of_turn", timeout=40)
    recorded = app.wait_for("recorded", timeout=10)
    transcript = app.wait_for("transcript", timeout=90)
    # Both halves were heard as one turn: the 1.8 s pause after "because" did not end it.
    assert similar(f"{first} {second}", transcript["text"]) >= 0.6, (transcript, end)
    assert recorded["seconds"] > 3.0, recorded
    assert end["by"] == "pause", end
    assert app.wait_for("live_turn_outcome", timeout=90)["outcome"] == "ok"
    assert len([e for e in app.events() if e["kind"] == "recorded"]) == 1


def after_quiet(spoken, quiet_s: float, out):
    """What the relative says over the answer: a moment of listening first, then the words."""
    with wave.open(str(spoken)) as a:
        rate, params = a.getframerate(), a.getparams()
        frames = b"\0\0" * int(rate * quiet_s) + a.readframes(a.getnframes())
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(frames)
    return out


def test_the_relative_speaks_over_the_answer_and_is_heard(start_app, live_server, speak, tmp_path):
    """While the persona answers, the microphone goes on to the server; the relative cuts in, the
    persona stops at once, and what they said is the next turn, with nothing of it lost."""
    question, cut_in = "Tell me about your wedding day.", "Wait, what colour was your dress?"
    over = after_quiet(speak(cut_in), 0.3, tmp_path / "over.wav")
    quiet = after_quiet(speak("Mm."), 0.0, tmp_path / "quiet.wav")
    with wave.open(str(quiet), "rb") as q:  # the answers after that one are listened to in a quiet room
        params = q.getparams()
    with wave.open(str(quiet), "wb") as w:
        w.setparams(params)
        w.writeframes(b"\0\0" * 1600)
    app = connected_on_the_socket(
        start_app, live_server, speak(question), extra_env={"KEEPSAKE_MIC_OVER_FILE": f"{over}{os.pathsep}{quiet}"}
    )

    app.tap("talk")
    assert app.wait_for("live_turn_started", timeout=10)["socket"] is True
    first = app.wait_for("transcript", timeout=90)
    assert similar(question, first["text"]) >= 0.6, first
    assert app.wait_for("overhearing", timeout=120)["on"] is True  # the answer plays; the tablet listens over it
    barge = app.wait_for("barge_in", timeout=60)
    assert barge["state"] in ("speaking", "thinking"), barge
    app.wait_state("listening", timeout=10)  # the persona stopped at once, and listens
    assert app.wait_for("live_turn_started", timeout=10)["socket"] is True
    end = app.wait_for("live_end_of_turn", timeout=40)
    assert end["by"] == "pause", end
    second = app.wait_for("transcript", timeout=90)
    assert similar(cut_in, second["text"]) >= 0.6, second
    assert app.wait_for("live_turn_outcome", timeout=90)["outcome"] == "ok"
    app.settle(timeout=120)
    assert not list((app.tablet_dir / "outbox").glob("*.wav"))  # the server has every word
