"""Two server processes on one PostgreSQL and one SeaweedFS: any of them serves any request.

Each process runs as if on its own machine (its own data folder, the deployment's signing key), so
what one wrote is reached through the other only through the shared database and store.

The ``kill -9`` of a process with an import and an alert in its hands too, and the tablet's own
outbox sending the words again: ``test_kill_mid_everything.py``.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest

from client.api import KeepsakeClient, Offline
from tests.server.multi.household import export, household, paired_tablet, speech_wav, turns_of

pytestmark = pytest.mark.slow

TURN_STALE_S = 10.0  # a turn unfinished this long was cut off: sent again, another process takes it up


@pytest.fixture
def shared_env(shared_env: dict[str, str]) -> dict[str, str]:
    """The package's deployment settings, with turns known cut off soon (the default is minutes)."""
    return {**shared_env, "KEEPSAKE_TURN_STALE_S": str(TURN_STALE_S)}


def test_a_household_made_on_one_process_is_paired_talked_to_and_exported_through_the_other(start_machine, tmp_path):
    one, other = start_machine("one"), start_machine("other")
    headers, persona_id = household(one.url)

    # A portrait uploaded through one is shown through the other.
    portrait = (Path(__file__).resolve().parents[3] / "server" / "demo" / "portrait.png").read_bytes()
    put = httpx.put(
        f"{one.url}/v1/personas/{persona_id}/portrait", content=portrait, headers={**headers, "Content-Type": "image/png"}, timeout=60
    )
    assert put.status_code == 200, put.text[:300]

    tablet = paired_tablet(other.url, one.url, headers)  # the code made on one is used on the other
    assert tablet.portrait(persona_id) == portrait
    session = tablet.start_session(persona_id)
    with tablet.turn(session.id, audio=speech_wav(tmp_path / "said.wav")) as stream:
        events = list(stream)
    assert events[-1].type == "done"
    sentences = [e for e in events if e.type == "sentence"]
    assert sentences and all(e.audio_url for e in sentences)

    # The speech the other process made is fetched through the first with its signed URL alone.
    for sentence in sentences:
        audio = httpx.get(f"{one.url}{sentence.audio_url}", timeout=30)
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"

    # The export through the first holds the turn the other answered, and the relative's recording.
    data, media = export(one.url, headers)
    turns = turns_of(data)
    assert len(turns) == 1 and turns[0]["user_audio_media_id"] in media
    tablet.close()


def test_a_process_killed_mid_turn_loses_nothing_the_relative_said(start_machine, tmp_path):
    """Killed once the transcript came back (the words are kept) and before the answer: the tablet
    sees a failed connection. The same recording sent again to the other process with its
    ``Idempotency-Key`` (as a tablet's outbox does with one the server had not answered) is the same
    turn: once it is known cut off, the other process takes it up and answers it with the words kept."""
    doomed, survivor = start_machine("doomed"), start_machine("survivor")
    headers, persona_id = household(survivor.url)
    said = speech_wav(tmp_path / "said.wav")

    tablet = paired_tablet(doomed.url, survivor.url, headers)
    session = tablet.start_session(persona_id)
    seen: list[str] = []
    # The turn ends as a failed connection, as the tablet knows it.
    key = str(uuid.uuid4())
    with pytest.raises(Offline), tablet.turn(session.id, audio=said, idempotency_key=key) as stream:
        for event in stream:
            seen.append(event.type)
            if event.type == "transcript":  # what was said is kept; the answer is still being thought of
                os.kill(doomed.pid, signal.SIGKILL)
    assert "transcript" in seen, f"the turn ended before it was heard: {seen}"
    assert "done" not in seen
    doomed.popen.wait(timeout=30)

    # The tablet sends the same words again, with the same key, to the process still running. Until
    # the turn is known cut off, it is being answered (409, the tablet keeps the words and tries again).
    token = tablet.token
    tablet.close()
    again = KeepsakeClient(survivor.url, token)
    deadline = time.monotonic() + 3 * TURN_STALE_S + 60
    while True:
        try:
            with again.turn(session.id, audio=said, idempotency_key=key) as stream:
                events = list(stream)
            break
        except Offline as exc:
            assert "turn_in_progress" in str(exc) and time.monotonic() < deadline, exc
            time.sleep(0.5)  # as the tablet rests before it tries again
    assert events[-1].type == "done"
    # The words recognised before the kill, not heard again.
    assert events[0].type == "transcript" and events[0].text
    again.close()

    # Nothing the relative said is lost, and nothing is kept twice: one turn, its recording, its words.
    data, media = export(survivor.url, headers)
    turns = turns_of(data)
    assert len(turns) == 1 and turns[0]["id"] == events[-1].turn_id
    assert turns[0]["user_audio_media_id"] in media and turns[0]["status"] == "answered"
    assert turns[0]["user_text"] == events[0].text  # what the recogniser heard, kept before any answer
