"""The storage layer does the same on SQLite and on PostgreSQL (the ``db`` fixture gives each).

Each test goes through the storage modules themselves, so every dialect difference the
translation in ``server.storage.postgres_sql`` covers is met by the statement that needs it:
placeholders, case-insensitive e-mail and search, full-text search and its ranking, rowid
order, INSERT OR IGNORE / OR REPLACE, lastrowid, yes/no as integers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.api import MouthTrack, PersonaCreate
from server.config import LimitSettings
from server.memory import meaning
from server.storage import (
    accounts,
    erasure,
    guard,
    jobs,
    login_guard,
    memories,
    memory_admin,
    memory_sequence,
    personas,
    sessions,
    signup_limit,
    speech_cache,
)
from server.storage.db import iso, now
from server.storage.media import MediaStore
from server.storage.memory_admin import NewMemory
from server.voice import store as voice_store


@pytest.fixture
def family(db) -> tuple[str, str]:
    household_id, _, _ = accounts.create_household(db, "Both", "Rose.Both@Keepsake.invalid", "not a real password 1")
    return household_id, personas.create(db, household_id, PersonaCreate(display_name="Eleanor")).id


@pytest.fixture
def media(db, tmp_path: Path) -> MediaStore:
    return MediaStore(db, tmp_path / "media", b"s" * 32)


def test_migrations_make_every_table_and_a_second_open_changes_nothing(db):
    assert db.first("SELECT MAX(version) FROM schema_version")[0] >= 13
    tables = ["households", "memories", "memory_fts", "speech_cache", "speech_memories", "login_failures", "jobs"]
    for table in tables:
        assert db.first(f"SELECT COUNT(*) FROM {table}")[0] == 0
    db.migrate()  # already at the newest version: nothing runs twice
    assert db.first("SELECT COUNT(*) FROM schema_version")[0] == db.first("SELECT MAX(version) FROM schema_version")[0]


def test_an_address_logs_in_whatever_its_case_and_is_taken_only_once(db, family):
    household_id, _ = family
    assert accounts.login(db, "rose.both@keepsake.invalid", "not a real password 1") is not None
    assert accounts.login(db, "ROSE.BOTH@KEEPSAKE.INVALID", "wrong password") is None
    with pytest.raises(accounts.EmailTaken):
        accounts.create_household(db, "Again", "rose.BOTH@keepsake.invalid", "not a real password 2")


def test_only_the_newest_pairing_codes_stay_open_and_each_is_used_once(db, family):
    household_id, _ = family
    codes = [accounts.create_pairing_code(db, household_id, 600)[0] for _ in range(accounts.MAX_OPEN_PAIRING_CODES + 2)]
    assert accounts.redeem_pairing_code(db, codes[0], "old") is None  # closed by the newer ones
    paired = accounts.redeem_pairing_code(db, codes[-1], "Kitchen tablet")
    assert paired is not None and paired[2] == household_id
    assert accounts.redeem_pairing_code(db, codes[-1], "again") is None
    principal = accounts.principal_for(db, paired[1])
    assert principal is not None and principal.household_id == household_id
    assert [d.name for d in accounts.list_devices(db, household_id)] == ["Kitchen tablet"]


def test_a_memory_is_found_by_its_words_a_partial_name_and_in_chinese(db, family):
    household_id, persona_id = family
    seaside = memories.add(db, household_id, persona_id, "We took the train to Whitby every August and ate chips by the harbour.", "Whitby")
    memories.add(db, household_id, persona_id, "Margaret taught me to knit the winter I turned nine.", "Knitting")
    chinese = memories.add(db, household_id, persona_id, "小时候我们每年夏天都去海边看日出。", "海边")
    assert memories.retrieve(db, persona_id, "Tell me about Whitby harbour")[0].id == seaside.id
    assert any(h.text.startswith("Margaret") for h in memories.retrieve(db, persona_id, "Who was Marg?"))
    assert memories.retrieve(db, persona_id, "海边的日出")[0].id == chinese.id
    assert memories.retrieve(db, persona_id, '" OR * NEAR( ""') is not None  # any input is a safe expression


def test_the_caregivers_search_ignores_case_and_an_edit_or_deletion_updates_it(db, family, media):
    household_id, persona_id = family
    ids = memory_admin.insert_all(
        db,
        household_id,
        persona_id,
        None,
        [NewMemory("Aunt Mabel kept bees behind the cottage."), NewMemory("The bakery on Flowergate sold 100% rye bread.", hidden=True)],
    )
    assert [m["id"] for m in memory_admin.search(db, persona_id, "aunt MABEL")][:1] == [ids[0]]
    assert [m["id"] for m in memory_admin.search(db, persona_id, "100%")] == [ids[1]]  # hidden ones too, % as itself
    assert memory_admin.search(db, persona_id, "50%") == []
    memory_admin.update(db, persona_id, ids[0], text="Aunt Mabel kept goats behind the cottage.")
    assert memory_admin.get(db, persona_id, ids[0])["text"].endswith("goats behind the cottage.")
    assert not any(m["id"] == ids[0] for m in memory_admin.search(db, persona_id, "bees"))
    assert memory_admin.delete(db, media, persona_id, ids[0])
    assert memory_admin.get(db, persona_id, ids[0]) is None
    assert db.first("SELECT COUNT(*) FROM memory_fts WHERE memory_id = ?", (ids[0],))[0] == 0


def test_a_memoir_is_told_on_in_the_order_it_was_saved(db, family):
    household_id, persona_id = family
    parts = [f"Part {n}: the summer of 19{50 + n} we spent at the farm with the horses and the old barn." for n in range(5)]
    ids = memory_admin.insert_all(db, household_id, persona_id, None, [NewMemory(p, source="memoir") for p in parts])
    told, after = memory_sequence.continuation(db, persona_id, [parts[2] + " Shall I go on?"])
    assert told is not None and told.id == ids[2]
    assert after is not None and after.id == ids[3]
    assert memory_sequence.next_after(db, persona_id, ids[4]) is None
    assert [m["id"] for m in memory_admin.list_for(db, persona_id)] == ids


def test_select_star_shows_the_same_columns_on_both(db, family):
    household_id, persona_id = family
    memories.add(db, household_id, persona_id, "A line to read back.")
    row = db.first("SELECT * FROM memories")
    assert "rowid" not in set(row.keys()) and row["text"] == dict(row)["text"] == "A line to read back."
    assert row[row.keys().index("text")] == "A line to read back."


def test_speech_is_kept_once_tagged_and_forgotten_with_its_memory(db, family, media):
    # The first speech kept under a key stays (a turn and speaking ahead, on one process or two,
    # made the same sentence): the second maker is told where it is, and the memories are tagged
    # on it. It used to replace the first, whose file then belonged to no row.
    household_id, persona_id = family
    memory = memories.add(db, household_id, persona_id, "Grandad Arthur grew sweet peas.")
    first = media.put(household_id, b"RIFF1", "audio/wav", "speech", persona_id=persona_id)
    second = media.put(household_id, b"RIFF2", "audio/wav", "speech", persona_id=persona_id)
    key = speech_cache.key(persona_id, "local", None, "en", "Sweet peas!")
    mouth = MouthTrack(fps=50, values=[0.0, 0.5])
    assert speech_cache.missing(db, [key, "other"]) == [key, "other"]
    assert speech_cache.keep(db, key, persona_id, first.id, 900, mouth, [memory.id, memory.id]) == (first.id, None, True)
    assert speech_cache.keep(db, key, persona_id, second.id, 950, mouth, [memory.id], visemes=[(0, "A")]) == (first.id, None, False)
    kept = speech_cache.find(db, key)
    assert kept is not None and kept.media_id == first.id and kept.duration_ms == 900
    assert speech_cache.missing(db, [key, "other"]) == ["other"]
    assert speech_cache.tag(db, persona_id, second.id, [memory.id])  # already tagged: ignored, not an error
    assert sorted(speech_cache.speech_of_memory(db, memory.id)) == sorted([first.id, second.id])
    assert not speech_cache.keep(db, "k2", "per_gone", second.id, 1, mouth)
    assert speech_cache.forget_memory(db, media, memory.id) >= 1
    assert speech_cache.find(db, key) is None


def test_login_tries_are_counted_and_a_withdrawn_one_is_not(db):
    limits = LimitSettings()
    wait, attempt = login_guard.admit(db, limits, "203.0.113.9", "someone@keepsake.invalid")
    assert wait == 0 and isinstance(attempt, int)
    assert db.first("SELECT COUNT(*) FROM login_failures")[0] == 1
    login_guard.withdraw(db, attempt)
    assert db.first("SELECT COUNT(*) FROM login_failures")[0] == 0
    login_guard.succeeded(db, limits, "203.0.113.9", "someone@keepsake.invalid")


def test_sign_up_and_guessing_limits(db):
    assert signup_limit.admit(db, "198.51.100.1", per_address=2, overall=10) == 0
    assert signup_limit.admit(db, "198.51.100.1", per_address=2, overall=10) == 0
    assert signup_limit.admit(db, "198.51.100.1", per_address=2, overall=10) > 0
    for _ in range(guard.LIMITS["pair_ip"]):
        assert not guard.locked(db, "pair_ip", "198.51.100.1")
        guard.fail(db, "pair_ip", "198.51.100.1")
    assert guard.locked(db, "pair_ip", "198.51.100.1")
    guard.clear(db, "pair_ip", "198.51.100.1")
    assert not guard.locked(db, "pair_ip", "198.51.100.1")


def test_a_job_reports_its_progress_and_end(db, family):
    household_id, persona_id = family
    job_id = jobs.create(db, household_id, "import", persona_id=persona_id, source_id=None)
    claimed = jobs.claim(db, "runner", lease_s=60)
    assert claimed is not None and claimed.id == job_id
    assert jobs.progress(db, claimed, 60, 42.5, "reading", {"pages": 3})
    job = jobs.get(db, household_id, job_id)
    assert job is not None and job["state"] == "running" and job["percent"] == 42.5 and job["counts"] == {"pages": 3}
    assert jobs.finish(db, claimed, {"memories": 7}, ["one page was blank"])
    assert jobs.get(db, household_id, job_id)["state"] == "done"


def test_a_talk_is_kept_turn_by_turn(db, family):
    household_id, persona_id = family
    session = sessions.create(db, household_id, persona_id, None)
    turn_id = sessions.start_turn(db, household_id, session["id"], text="Hello love", audio_media_id=None)
    sessions.finish_turn(db, turn_id, status="done", reply=[{"text": "Hello, pet."}], timings={"total_ms": 12.5})
    sessions.set_played(db, turn_id, 1)
    assert [item.text for item in sessions.history(db, session["id"])] == ["Hello love", "Hello, pet."]
    alert_id = sessions.add_alert(db, household_id, persona_id, session["id"], "distress", "She sounded upset")
    assert [a["id"] for a in sessions.list_alerts(db, household_id)] == [alert_id]


def test_a_cloned_voice_is_remembered_once_and_forgotten(db, family):
    household_id, persona_id = family
    voice_store.remember_voice(db, household_id, persona_id, "cloner", "v1")
    voice_store.remember_voice(db, household_id, persona_id, "cloner", "v1")
    assert [v["voice_id"] for v in voice_store.cloned_voices(db, persona_id)] == ["v1"]
    voice_store.forget_voice(db, "cloner", "v1")
    assert voice_store.cloned_voices(db, persona_id) == []


def test_an_erased_persona_leaves_no_memory_or_search_row(db, family):
    household_id, persona_id = family
    memories.add(db, household_id, persona_id, "Secret words about the blue door.")
    assert personas.delete(db, household_id, persona_id)
    assert erasure.leave_nothing(db)
    assert db.first("SELECT COUNT(*) FROM memories")[0] == 0
    assert db.first("SELECT COUNT(*) FROM memory_fts")[0] == 0
    assert meaning.MODEL_NAME  # the meaning model named the vectors it made


def test_a_sessions_idempotency_key_holds_one_turn_and_a_turn_cut_off_is_taken_up_once(db, family):
    household_id, persona_id = family
    one = sessions.create(db, household_id, persona_id, None)["id"]
    other = sessions.create(db, household_id, persona_id, None)["id"]
    first = sessions.start_turn(db, household_id, one, text="Hello", audio_media_id=None, key="k-1")
    assert first is not None
    # The same key again in this session (two sends racing): no second turn.
    assert sessions.start_turn(db, household_id, one, text="Hello", audio_media_id=None, key="k-1") is None
    # Another session's key is another key; turns without one are never the same.
    assert sessions.start_turn(db, household_id, other, text="Hello", audio_media_id=None, key="k-1") is not None
    assert sessions.start_turn(db, household_id, one, text="Hi", audio_media_id=None) is not None
    assert sessions.start_turn(db, household_id, one, text="Hi", audio_media_id=None) is not None
    assert sessions.turn_with_key(db, one, "k-1")["id"] == first
    assert sessions.turn_with_key(db, one, "k-2") is None

    # Just begun: another request holds it. Begun before the cut-off: taken up, by one request only.
    assert not sessions.take_up_turn(db, first, stale_before=iso(now() - timedelta(minutes=3)))
    assert sessions.take_up_turn(db, first, stale_before=iso(now() + timedelta(seconds=1)))
    assert not sessions.take_up_turn(db, first, stale_before=iso(now() - timedelta(minutes=3)))
    sessions.finish_turn(db, first, status="answered", reply=[], timings={})
    assert not sessions.take_up_turn(db, first, stale_before=iso(now() + timedelta(seconds=1)))  # answered: replayed instead
