"""A recording sent again with its ``Idempotency-Key`` is the same turn, never a second one (server.turn_replay)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared.api import IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER
from server.recovery import recover_cut_turns
from server.storage.db import iso, now
from tests.server.api.conftest import assert_error, events, new_household, new_persona, stored_files
from tests.server.api.test_sessions import speech, start

KEY = "0b6f8e0e-6c1a-4f57-9a55-3d1f2b7c9e11"
CRISIS = "I want to end my life"


def send(client, session: dict, headers: dict, *, key: str | None = KEY, text: str | None = None):
    keyed = {IDEMPOTENCY_KEY_HEADER: key} if key is not None else {}
    url = f"/v1/sessions/{session['id']}/turns"
    if text is not None:
        return client.post(url, json={"text": text}, headers={**headers, **keyed})
    return client.post(url, content=speech(), headers={**headers, **keyed, "content-type": "audio/wav"})


def turn_rows(client, session: dict) -> list[dict]:
    db = client.app.state.keepsake.db
    return [dict(r) for r in db.all("SELECT * FROM turns WHERE session_id = ? ORDER BY created_at", (session["id"],))]


def asked(upstream, stage: str) -> int:
    return sum(1 for r in upstream.requests if r.url.path.endswith(stage))


def as_if_its_process_died(client, turn_id: str, *, status: str = "received", words: str | None = None) -> None:
    """The turn as a process killed while answering it leaves it: stored, begun long ago, no answer."""
    client.app.state.keepsake.db.execute(
        "UPDATE turns SET status = ?, user_text = ?, reply = '[]', created_at = ? WHERE id = ?",
        (status, words, iso(now() - timedelta(hours=1)), turn_id),
    )


def test_a_turn_sent_again_after_its_answer_is_answered_again_from_what_was_stored(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    first = send(client, session, hh["headers"])
    assert first.status_code == 200 and IDEMPOTENT_REPLAYED_HEADER not in first.headers
    files, requests = stored_files(client), len(upstream.requests)

    again = send(client, session, hh["headers"])

    assert again.status_code == 200 and again.headers[IDEMPOTENT_REPLAYED_HEADER] == "true"
    was, now_ = events(first), events(again)
    assert [e["type"] for e in now_] == [e["type"] for e in was]
    assert now_[0] == {"type": "transcript", "text": upstream.transcript}
    assert [s["text"] for s in now_ if s["type"] == "sentence"] == [s["text"] for s in was if s["type"] == "sentence"]
    assert now_[-1]["turn_id"] == was[-1]["turn_id"] == again.headers["X-Turn-Id"]
    for sentence in (e for e in now_ if e["type"] == "sentence"):  # the same speech, fetched afresh
        assert sentence["duration_ms"] > 0 and sentence["mouth"]["values"]
        assert client.get(sentence["audio_url"]).status_code == 200
    assert len(upstream.requests) == requests, "a generation service was asked for an answer already given"
    assert stored_files(client) == files and len(turn_rows(client, session)) == 1
    history = client.get(f"/v1/sessions/{session['id']}/history", headers=hh["headers"]).json()["items"]
    assert [i["role"] for i in history] == ["relative", "persona"]


def test_a_typed_crisis_sent_again_raises_one_alert(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    assert events(send(client, session, hh["headers"], text=CRISIS))[-1]["type"] == "done"
    again = send(client, session, hh["headers"], text=CRISIS)
    assert again.headers[IDEMPOTENT_REPLAYED_HEADER] == "true" and events(again)[-1]["type"] == "done"
    assert len(client.get("/v1/alerts", headers=hh["headers"]).json()) == 1
    assert len(turn_rows(client, session)) == 1


def test_a_turn_whose_process_died_before_its_words_were_heard_is_taken_up_not_stored_twice(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    send(client, session, hh["headers"])
    [turn] = turn_rows(client, session)
    as_if_its_process_died(client, turn["id"])
    files = stored_files(client)

    again = send(client, session, hh["headers"])

    evs = events(again)
    assert again.status_code == 200 and IDEMPOTENT_REPLAYED_HEADER not in again.headers
    assert evs[0] == {"type": "transcript", "text": upstream.transcript} or evs[0]["text"] == upstream.transcript
    assert any(e["type"] == "sentence" for e in evs) and evs[-1] == {**evs[-1], "type": "done", "turn_id": turn["id"]}
    [after] = turn_rows(client, session)
    assert after["id"] == turn["id"] and after["status"] == "answered" and after["user_text"] == upstream.transcript
    assert after["user_audio_media_id"] == turn["user_audio_media_id"] and stored_files(client) == files


def test_a_turn_the_recovery_loop_recognised_is_answered_with_those_words_without_hearing_them_again(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    send(client, session, hh["headers"], text="Hello Nana")  # the conversation has begun
    send(client, session, hh["headers"], key="the-recording")
    turn = turn_rows(client, session)[-1]
    as_if_its_process_died(client, turn["id"], status="interrupted", words="Tell me about our wedding")
    recognitions = asked(upstream, "/audio/transcriptions")

    evs = events(send(client, session, hh["headers"], key="the-recording"))

    assert evs[0] == {"type": "transcript", "text": "Tell me about our wedding"}
    assert any("1952" in e["text"] or "danced" in e["text"] for e in evs if e["type"] == "sentence"), evs
    assert asked(upstream, "/audio/transcriptions") == recognitions
    rows = {row["id"]: row for row in turn_rows(client, session)}
    assert len(rows) == 2 and rows[turn["id"]]["status"] == "answered"


def test_a_turn_taken_up_is_left_alone_by_the_recovery_loop(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    send(client, session, hh["headers"])
    [turn] = turn_rows(client, session)
    as_if_its_process_died(client, turn["id"], status="transcribed", words="Tell me about the seaside")
    state = client.app.state.keepsake
    from server.storage import sessions

    assert sessions.take_up_turn(state.db, turn["id"], stale_before=iso(now() - timedelta(minutes=3)))
    # Begun an hour ago, but taken up just now by a request that is answering it.
    assert asyncio.run(recover_cut_turns(state, older_than_s=60)) == 0
    assert turn_rows(client, session)[0]["status"] == "answering"


def test_a_turn_being_answered_right_now_is_not_answered_twice(client, upstream):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    send(client, session, hh["headers"])
    [turn] = turn_rows(client, session)
    db = client.app.state.keepsake.db
    db.execute("UPDATE turns SET status = 'answering', reply = '[]' WHERE id = ?", (turn["id"],))  # begun just now
    files, requests = stored_files(client), len(upstream.requests)

    again = send(client, session, hh["headers"])

    assert_error(again, 409, "turn_in_progress")
    assert "being answered" in again.json()["error"]["message"]
    assert turn_rows(client, session) == [{**turn, "status": "answering", "reply": "[]"}]
    assert stored_files(client) == files and len(upstream.requests) == requests


def test_a_key_that_is_too_long_or_not_printable_ascii_is_refused_and_nothing_is_stored(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    files = stored_files(client)
    for key in ("k" * 201, "", "tab\tkey", "nul\x01key"):
        assert_error(send(client, session, hh["headers"], key=key), 400, "invalid_idempotency_key")
    url = f"/v1/sessions/{session['id']}/turns"
    headers = {**hh["headers"], IDEMPOTENCY_KEY_HEADER: "clé".encode(), "content-type": "audio/wav"}
    assert_error(client.post(url, content=speech(), headers=headers), 400, "invalid_idempotency_key")
    assert turn_rows(client, session) == [] and stored_files(client) == files
    assert send(client, session, hh["headers"], key="k" * 200).status_code == 200


def test_a_key_is_one_sessions_own_and_one_households_own(client):
    ada = new_household(client)
    bob = new_household(client, "bob@example.com")
    ada_session = start(client, ada, new_persona(client, ada))
    ada_other = start(client, ada, new_persona(client, ada))
    bob_session = start(client, bob, new_persona(client, bob))
    send(client, ada_session, ada["headers"], text="Tell me about the seaside")

    for session, hh in ((ada_other, ada), (bob_session, bob)):
        r = send(client, session, hh["headers"], text="Tell me about your wedding")
        assert r.status_code == 200 and IDEMPOTENT_REPLAYED_HEADER not in r.headers
        [turn] = turn_rows(client, session)
        assert turn["user_text"] == "Tell me about your wedding"
    # Bob's key, the same as Ada's, never reaches Ada's session.
    assert_error(send(client, ada_session, bob["headers"], text="Hello"), 404)
    assert len(turn_rows(client, ada_session)) == 1


def test_turns_without_a_key_are_each_their_own(client):
    hh = new_household(client)
    session = start(client, hh, new_persona(client, hh))
    send(client, session, hh["headers"], key=None)
    send(client, session, hh["headers"], key=None)
    assert len(turn_rows(client, session)) == 2
