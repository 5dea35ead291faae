"""A memory deleted or reworded takes its speech with it, at once.

Speech is kept to be played again (``server/storage/speech_cache.py``): the sentences a
turn spoke from a memory, and those speaking ahead made from it. Until the persona was
erased, a deleted memory's words stayed in the media folder as audio. Now deleting or
rewording it deletes every file that may say its words, its media row and its cache row.
"""

from __future__ import annotations

from tests.server.api.conftest import FakeUpstream, events, new_household, new_persona
from tests.server.api.test_speak_ahead import media_id, pair, voice_client, wait_until_settled

WEDDING = "Your grandfather and I married in June 1952."
SEASIDE = "When I was a girl we lived by the sea in Whitby."


def memory_id(client, hh: dict, persona: dict, title: str) -> str:
    listed = client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json()
    return next(m["id"] for m in listed if m["title"] == title)


def spoken(client, tablet: dict, persona: dict, question: str) -> list[dict]:
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet).json()
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": question}, headers=tablet)
    assert r.status_code == 200, r.text
    return [e for e in events(r) if e["type"] == "sentence"]


def cached_media(client, persona_id: str) -> dict[str, str]:
    """media id -> relative path of every piece of cached speech of the persona."""
    db = client.app.state.keepsake.db
    rows = db.all("SELECT c.media_id, m.path FROM speech_cache c JOIN media m ON m.id = c.media_id WHERE c.persona_id = ?", (persona_id,))
    return {r["media_id"]: r["path"] for r in rows}


def no_trace(client, data_dir, media_ids: set[str], paths: list[str]) -> None:
    """Not a file, not a media row, not a cache row, not a tag is left of this speech."""
    db = client.app.state.keepsake.db
    for path in paths:
        assert not (data_dir / "media" / path).exists(), path
    for mid in media_ids:
        for table in ("media", "speech_cache", "speech_memories"):
            column = "id" if table == "media" else "media_id"
            assert db.one(f"SELECT 1 FROM {table} WHERE {column} = ?", (mid,)) is None, (table, mid)


def test_deleting_a_memory_deletes_the_speech_made_ahead_and_in_turns(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        wait_until_settled(client)
        db = client.app.state.keepsake.db
        wedding, seaside = memory_id(client, hh, persona, "Our wedding"), memory_id(client, hh, persona, "The seaside")
        made_ahead = set(r["media_id"] for r in db.all("SELECT media_id FROM speech_memories WHERE memory_id = ?", (wedding,)))
        assert made_ahead  # speaking ahead made the wedding's first sentence, told and told again
        seaside_speech = {r["media_id"] for r in db.all("SELECT media_id FROM speech_memories WHERE memory_id = ?", (seaside,))}
        assert seaside_speech and not seaside_speech & made_ahead

        tablet = pair(client, hh)
        said = spoken(client, tablet, persona, "Do you remember your wedding?")
        words = [s for s in said if "1952" in s["text"] or "danced" in s["text"]]
        assert words, [s["text"] for s in said]
        heard = {media_id(s) for s in words}
        everything_said = heard | made_ahead
        paths = [p for m, p in cached_media(client, persona["id"]).items() if m in everything_said]
        assert len(paths) == len(everything_said)  # each of them a cached file in the media folder
        assert all((data_dir / "media" / p).exists() for p in paths)

        assert client.delete(f"/v1/personas/{persona['id']}/memories/{wedding}", headers=hh["headers"]).status_code == 204
        no_trace(client, data_dir, everything_said, paths)
        assert db.one("SELECT 1 FROM speech_memories WHERE memory_id = ?", (wedding,)) is None
        # The other memory's speech is untouched.
        assert seaside_speech <= set(cached_media(client, persona["id"]))
        # A file the media folder still holds is one some row still knows: nothing orphaned, no words left over.
        known = {r["path"] for r in db.all("SELECT path FROM media")}
        on_disk = {str(p.relative_to(data_dir / "media")) for p in (data_dir / "media").rglob("*") if p.is_file()}
        assert on_disk <= known

        # Speaking ahead starts again and makes the phrases said alongside it; never the deleted words.
        wait_until_settled(client)
        assert not [s for s in spoken(client, tablet, persona, "Do you remember your wedding?") if "1952" in s["text"]]


def test_rewording_a_memory_deletes_the_speech_of_its_old_words(data_dir):
    upstream = FakeUpstream()
    with voice_client(data_dir, upstream) as client:
        hh = new_household(client)
        persona = new_persona(client, hh)
        wait_until_settled(client)
        db = client.app.state.keepsake.db
        wedding = memory_id(client, hh, persona, "Our wedding")
        tablet = pair(client, hh)
        said = spoken(client, tablet, persona, "Do you remember your wedding?")
        old = {media_id(s) for s in said if "1952" in s["text"]}
        assert old
        old |= {r["media_id"] for r in db.all("SELECT media_id FROM speech_memories WHERE memory_id = ?", (wedding,))}
        paths = [p for m, p in cached_media(client, persona["id"]).items() if m in old]

        # Only new words make old speech wrong: hiding it for a while keeps what was made.
        url = f"/v1/personas/{persona['id']}/memories/{wedding}"
        for hidden in (True, False):
            assert client.patch(url, json={"hidden": hidden}, headers=hh["headers"]).status_code == 200
        assert old <= set(cached_media(client, persona["id"]))

        r = client.patch(
            f"/v1/personas/{persona['id']}/memories/{wedding}",
            json={"text": "Your grandfather and I married in May 1953. The sun shone all day."},
            headers=hh["headers"],
        )
        assert r.status_code == 200
        no_trace(client, data_dir, old, paths)
        wait_until_settled(client)
        again = [s["text"] for s in spoken(client, tablet, persona, "Do you remember your wedding?")]
        assert any("1953" in t for t in again) and not any("1952" in t for t in again)


def test_speech_of_a_memory_deleted_while_it_was_being_made_is_not_kept(client, data_dir):
    """The race: a sentence finished after its memory's deletion is refused and its file removed."""
    from server.storage import personas

    hh = new_household(client)
    persona = new_persona(client, hh)
    state = client.app.state.keepsake
    wedding = memory_id(client, hh, persona, "Our wedding")
    assert client.delete(f"/v1/personas/{persona['id']}/memories/{wedding}", headers=hh["headers"]).status_code == 204
    speaker = state.speaker(personas.get(state.db, hh["id"], persona["id"]))
    before = {p for p in (data_dir / "media").rglob("*") if p.is_file()}
    assert client.portal.call(speaker.make_ahead, WEDDING, [wedding]) == "gone"  # on the app's own event loop
    assert {p for p in (data_dir / "media").rglob("*") if p.is_file()} == before
    assert state.db.one("SELECT COUNT(*) FROM speech_memories")[0] == 0


def test_a_sentence_made_twice_at_once_is_kept_once_and_leaves_no_file_behind(client, data_dir):
    """A turn and speaking ahead (on one process or two) make the same sentence: the first kept
    serves both, the second maker's file goes again, and the sentence says the first one's audio."""
    from server.storage import personas, speech_cache

    hh = new_household(client)
    persona = new_persona(client, hh)
    state = client.app.state.keepsake
    speaker = state.speaker(personas.get(state.db, hh["id"], persona["id"]))
    text = "The sea at Whitby was always cold."
    audio = client.portal.call(speaker.tts.synthesize, text)
    mouth = client.portal.call(speaker._animate, audio)[0]
    key = speaker.cache_key(text)
    first = speaker._store(audio, key, mouth)
    files = {p for p in (data_dir / "media").rglob("*") if p.is_file()}
    second = speaker._store(audio, key, mouth)
    assert first is not None and second == first  # the first one's files serve the second maker
    assert {p for p in (data_dir / "media").rglob("*") if p.is_file()} == files  # its own went again
    kept = speech_cache.find(state.db, key)
    assert kept is not None and kept.media_id == first[0]
