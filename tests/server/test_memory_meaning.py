"""Each memory's meaning is stored with it, a persona's matrix is cached until its memories change,
and retrieval by meaning finds what words alone cannot (another language, a paraphrase), while a
question no memory answers gets none."""

from __future__ import annotations

import time

import numpy as np
import pytest

from shared.api import PersonaCreate
from server.conversation import story
from server.memory import meaning, search_rank
from server.memory.persona_pronouns import as_persona_says
from server.services.base import ConversationContext, PersonaProfile
from server.storage import accounts, memories, memory_admin, personas
from server.storage.db import Database
from server.storage.memory_admin import NewMemory

WEDDING = "We were married in June 1962 at the chapel in Whitby. It rained all day and your grandad lost his hat."
BAKERY = "My first job was at the bakery on Church Street. I was up at five every morning to light the ovens."
DOG = "We had a little terrier called Biscuit who chased the gulls along the harbour wall."
BORN_ME = "I was born in 1939 in a small house in Armley, Leeds, with an outside privy."
BORN_YOU = "When you were born I knitted you a yellow sweater, and your mother said it was far too big."
GARDEN = "Every summer I grew sweet peas up the fence and gave bunches away to the neighbours."


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "meaning.db")
    yield database
    meaning.forget(database)
    database.close()


@pytest.fixture
def persona_id(db) -> str:
    household_id, _, _ = accounts.create_household(db, "Meaning", "meaning@keepsake.invalid", "not a real password 1")
    return personas.create(db, household_id, PersonaCreate(display_name="Eleanor", addressed_as=["Gran"])).id


def household_of(db: Database, persona_id: str) -> str:
    return db.one("SELECT household_id FROM personas WHERE id = ?", (persona_id,))["household_id"]


def stored(db: Database, memory_id: str):
    return db.one("SELECT embedding, embedding_model, embedding_stamp FROM memories WHERE id = ?", (memory_id,))


def add_all(db: Database, persona_id: str, texts: list[str]) -> list[str]:
    return memory_admin.insert_all(db, household_of(db, persona_id), persona_id, None, [NewMemory(text=t) for t in texts])


def test_added_imported_and_edited_memories_carry_their_embeddings(db, persona_id):
    typed = memories.add(db, household_of(db, persona_id), persona_id, WEDDING, title="Our wedding")
    imported = add_all(db, persona_id, [BAKERY, DOG])
    for memory_id in [typed.id, *imported]:
        row = stored(db, memory_id)
        assert row["embedding_model"] == meaning.MODEL_NAME
        vectors = meaning.unpack(row["embedding"])
        # The whole memory, then each sentence: unit vectors.
        assert vectors.shape[1] == meaning.DIMENSIONS and len(vectors) >= 2
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=0.02)

    before = stored(db, imported[0])
    memory_admin.update(db, persona_id, imported[0], hidden=True)
    assert stored(db, imported[0])["embedding"] == before["embedding"]  # hiding changes no words
    memory_admin.update(db, persona_id, imported[0], text=GARDEN)
    after = stored(db, imported[0])
    assert after["embedding"] != before["embedding"] and after["embedding_stamp"] > before["embedding_stamp"]
    assert np.allclose(meaning.unpack(after["embedding"])[0], meaning.unpack(meaning.vectors_blob(None, GARDEN))[0], atol=0.01)


def test_matrix_is_cached_until_a_memory_is_added_edited_hidden_or_deleted(db, persona_id, tmp_path):
    wedding, bakery = add_all(db, persona_id, [WEDDING, BAKERY])
    first = meaning.persona_matrix(db, persona_id)
    assert meaning.persona_matrix(db, persona_id) is first
    assert [h.id for h in first.hits] == [wedding, bakery]

    dog = memories.add(db, household_of(db, persona_id), persona_id, DOG).id
    added = meaning.persona_matrix(db, persona_id)
    assert added is not first and [h.id for h in added.hits] == [wedding, bakery, dog]

    memory_admin.update(db, persona_id, bakery, text=GARDEN)
    edited = meaning.persona_matrix(db, persona_id)
    assert edited is not added and edited.hits[1].text == GARDEN
    assert memories.retrieve(db, persona_id, "Did you grow flowers?")[0].id == bakery

    memory_admin.update(db, persona_id, dog, hidden=True)
    hidden = meaning.persona_matrix(db, persona_id)
    assert dog not in [h.id for h in hidden.hits]
    assert dog not in [h.id for h in memories.retrieve(db, persona_id, "Did you have a dog?")]

    from server.storage.media import MediaStore

    memory_admin.delete(db, MediaStore(db, tmp_path / "media", b"a test secret of enough length!!"), persona_id, wedding)
    assert [h.id for h in meaning.persona_matrix(db, persona_id).hits] == [bakery]

    # Another server process sees the change too: its cache is checked against the database.
    other = Database(db.path)
    try:
        memory_admin.update(other, persona_id, dog, hidden=False)
    finally:
        other.close()
    assert dog in [h.id for h in meaning.persona_matrix(db, persona_id).hits]


def test_memories_from_before_embeddings_are_embedded_once_and_kept(db, persona_id):
    ids = add_all(db, persona_id, [WEDDING, DOG])
    # As a database from before the migration has them: no vectors at all, or another model's.
    db.execute("UPDATE memories SET embedding = NULL, embedding_model = NULL WHERE id = ?", (ids[0],))
    db.execute("UPDATE memories SET embedding_model = 'an older model' WHERE id = ?", (ids[1],))
    meaning.forget(db)
    found = memories.retrieve(db, persona_id, "Tell me about your wedding day")
    assert found[0].id == ids[0]
    for memory_id in ids:
        assert stored(db, memory_id)["embedding_model"] == meaning.MODEL_NAME
    stamps = [stored(db, memory_id)["embedding_stamp"] for memory_id in ids]
    meaning.forget(db)
    memories.retrieve(db, persona_id, "Did you have a dog?")
    assert [stored(db, memory_id)["embedding_stamp"] for memory_id in ids] == stamps  # not embedded twice
    assert db.one("SELECT COUNT(*) AS n FROM memories WHERE persona_id = ?", (persona_id,))["n"] == 2


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("你第一份工作是做什么的？", BAKERY),  # Chinese over English memories
        ("你们在哪里举行的婚礼", WEDDING),
        ("Were you up early for work when you were young?", BAKERY),  # no word the memory has
    ],
)
def test_meaning_finds_what_words_cannot(db, persona_id, question, wanted):
    add_all(db, persona_id, [WEDDING, BAKERY, DOG, GARDEN])
    hits = memories.retrieve(db, persona_id, question)
    assert hits[0].text == wanted
    assert hits[0].score > hits[1].score  # and it is the more confident of the two


def test_english_question_over_chinese_memories(db, persona_id):
    add_all(
        db,
        persona_id,
        ["我们一九七二年国庆节结的婚，我穿了一件借来的红棉袄。", "我七岁进了街道小学，老师姓陈。", "退休以后，我每天晚上去公园跳舞。"],
    )
    assert not search_rank.rank("When did you get married?", meaning.persona_matrix(db, persona_id).hits)  # no shared word
    assert "结的婚" in memories.retrieve(db, persona_id, "When did you get married?")[0].text


def test_perspective_your_birth_and_mine(db, persona_id):
    add_all(db, persona_id, [BORN_ME, BORN_YOU, WEDDING, BAKERY, GARDEN])
    assert memories.retrieve(db, persona_id, "Grandma, where were you born?")[0].text == BORN_ME
    assert memories.retrieve(db, persona_id, "What did you make me when I was born?")[0].text == BORN_YOU
    assert as_persona_says("Where were you born?") == "Where was I born?"
    assert as_persona_says("你在哪里出生的？我呢？") == "我在哪里出生的？你呢？"


def profile(persona_id: str) -> PersonaProfile:
    return PersonaProfile(id=persona_id, display_name="Eleanor", addressed_as=["Gran"], language="en", biography="")


@pytest.mark.parametrize("question", ["What's your favourite football team?", "Do you remember the moon landing?"])
def test_a_question_no_memory_answers_gets_none(db, persona_id, question):
    add_all(db, persona_id, [WEDDING, BAKERY, DOG, GARDEN, BORN_ME])
    ctx = ConversationContext(persona=profile(persona_id), user_text=question, memories=memories.retrieve(db, persona_id, question))
    assert ctx.memories  # retrieval still ranks them, with their scores, for whoever asks
    assert story._relevant_memories(ctx) == []  # noqa: SLF001
    answer = " ".join(p for p in story.compose(ctx) if isinstance(p, str))
    assert not any(text[:20] in answer for text in (WEDDING, BAKERY, DOG, GARDEN, BORN_ME))


def test_empty_question_and_empty_persona(db, persona_id):
    assert memories.retrieve(db, persona_id, "   ") == []
    assert memories.retrieve(db, persona_id, "Where were you born?") == []


def test_import_time_grows_with_the_book_not_faster(db, persona_id):
    """Embedding at import stays linear: twice the memories take about twice as long, not four times."""

    def paragraphs(count: int, offset: int) -> list[NewMemory]:
        return [
            NewMemory(
                text=f"In the year {1900 + (offset + i) % 120} we went to place number {offset + i}. "
                f"It was a long day and we came home late, number {offset + i}."
            )
            for i in range(count)
        ]

    add_all(db, persona_id, ["warm the model"])

    def took(count: int, offset: int) -> float:
        started = time.perf_counter()
        memory_admin.insert_all(db, household_of(db, persona_id), persona_id, None, paragraphs(count, offset))
        return time.perf_counter() - started

    small = min(took(100, 10_000), took(100, 20_000))
    large = min(took(400, 30_000), took(400, 40_000))
    assert large / small < 4 * 2.0, (small, large)  # four times the memories; a quadratic import would be ~16x


def test_memories_from_before_are_embedded_at_start_in_batches_until_told_to_stop(db, persona_id):
    import threading

    ids = add_all(db, persona_id, [WEDDING, BAKERY, DOG])
    db.execute("UPDATE memories SET embedding = NULL, embedding_model = NULL")
    stop = threading.Event()
    stop.set()
    assert meaning.embed_stale(db, stop) == 0  # told to stop before the first batch: nothing done
    assert meaning.embed_stale(db) == 3
    assert all(stored(db, memory_id)["embedding_model"] == meaning.MODEL_NAME for memory_id in ids)
    assert meaning.embed_stale(db) == 0  # nothing twice
