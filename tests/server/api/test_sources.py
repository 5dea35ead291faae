"""Importing material into a persona: each file type, the bad-file cases, and reviewing what came of it."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.server.api.conftest import events, new_household, new_persona, stored_files
from tests.server.api.test_facts_stay_theirs import pair
from tests.server.importers import makers


@pytest.fixture
def client(settings, upstream):
    app = create_app(settings, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as c:
        yield c


def upload(client, hh, persona_id, filename, data, **fields):
    return client.post(
        f"/v1/personas/{persona_id}/sources",
        files={"file": (filename, data, "application/octet-stream")},
        data=fields,
        headers=hh["headers"],
    )


def wait_job(client, hh, job_id, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}", headers=hh["headers"]).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def imported(client, hh, persona, filename, data, **fields) -> tuple[dict, list[dict]]:
    r = upload(client, hh, persona["id"], filename, data, **fields)
    assert r.status_code == 202, r.text
    job = wait_job(client, hh, r.json()["job_id"])
    assert job["state"] == "done", job
    memories = client.get(
        f"/v1/personas/{persona['id']}/memories/search", params={"source_id": r.json()["source_id"], "limit": 500}, headers=hh["headers"]
    ).json()
    return job, memories


def count_memories(client, hh, persona) -> int:
    return len(client.get(f"/v1/personas/{persona['id']}/memories", headers=hh["headers"]).json())


@pytest.fixture
def hh(client):
    return new_household(client)


@pytest.fixture
def persona(client, hh):
    return new_persona(client, hh, memories=False)


# --- each kind of material --------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("memoir.txt", lambda: makers.memoir_text().encode()),
        ("memoir.md", lambda: ("# My Life\n\n" + "\n\n".join(f"## {t}\n\n" + "\n\n".join(ps) for t, ps in makers.CHAPTERS)).encode()),
        ("memoir.docx", makers.docx_bytes),
        ("memoir.pdf", makers.memoir_pdf),
        ("memoir.epub", makers.epub_bytes),
    ],
)
def test_memoir_in_every_format_keeps_chapters_and_place(client, hh, persona, filename, make):
    job, memories = imported(client, hh, persona, filename, make())
    assert job["percent"] == 100 and job["counts"]["memories"] == len(memories) == 3
    titles = [m["title"] for m in memories]
    assert any("Seaside" in t for t in titles) and any("Wedding" in t for t in titles)
    for memory in memories:
        assert memory["source"] == "memoir"
        assert memory["origin"]["kind"] == "memoir" and memory["origin"]["filename"] == filename
        assert memory["origin"]["position"].startswith("chapter ")
    if filename.endswith(".pdf"):
        assert "page 3" in memories[2]["origin"]["position"]
    sources = client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()
    assert sources[0]["kind"] == "memoir" and sources[0]["memory_count"] == 3 and sources[0]["job"]["state"] == "done"


def test_imported_memories_answer_in_story_mode(client, hh, persona):
    imported(client, hh, persona, "memoir.docx", makers.docx_bytes())
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    r = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Tell me about the bakery"}, headers=hh["headers"])
    spoken = " ".join(e["text"] for e in events(r) if e["type"] == "sentence")
    assert "bakery" in spoken.lower() or "ovens" in spoken.lower(), spoken


def test_letters_one_memory_each_with_date(client, hh, persona):
    job, memories = imported(client, hh, persona, "letters.txt", makers.LETTERS.encode())
    assert job["counts"]["letters"] == 2
    assert [m["source"] for m in memories] == ["letter", "letter"]
    assert "12th May 1944" in memories[0]["title"] and "Arthur" in memories[0]["title"]
    assert memories[1]["origin"]["position"] == "letter 2, dated Whitby, 3rd June 1944"
    assert memories[0]["text"].startswith("Dear Arthur") and "All my love" in memories[0]["text"]
    sources = client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()
    assert sources[0]["kind"] == "letters"


def test_forced_kind(client, hh, persona):
    r = upload(client, hh, persona["id"], "notes.txt", makers.LETTERS.encode(), kind="memoir")
    assert r.status_code == 202
    assert wait_job(client, hh, r.json()["job_id"])["state"] == "done"
    assert client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()[0]["kind"] == "memoir"
    r = upload(client, hh, persona["id"], "memoir.pdf", makers.memoir_pdf(), kind="chat")
    assert r.status_code == 415 and "memoir or letters" in r.json()["error"]["message"]
    assert upload(client, hh, persona["id"], "a.txt", b"hello there", kind="poem").status_code == 422


@pytest.mark.parametrize("export", [makers.WHATSAPP_ANDROID, makers.WHATSAPP_IOS])
def test_whatsapp_export_own_words_and_context(client, hh, persona, export):
    job, memories = imported(client, hh, persona, "WhatsApp Chat with Anne.txt", export.encode())
    own = [m for m in memories if m["source"] == "chat_self"]
    context = [m for m in memories if m["source"] == "chat_context"]
    assert own and all(not m["hidden"] for m in own)
    assert context and all(m["hidden"] for m in context)
    assert all("Anne:" not in m["text"] for m in own)
    assert any("Happy new year" in m["text"] for m in context)
    assert "Chat with Anne" in own[0]["title"] and own[0]["origin"]["position"].startswith("message")
    assert "omitted" not in " ".join(m["text"] for m in memories)
    assert job["counts"]["own_messages"] >= 1


def test_plain_chat_log_needs_to_know_who_is_who(client, hh, persona):
    log = "Anne: Hi Mum, how are you?\nMargaret: Oh not bad love, the garden is full of roses this year.\nAnne: lovely\nMargaret: Your dad planted them the summer you were born.\n"
    r = upload(client, hh, persona["id"], "chat.txt", log.encode())
    assert r.status_code == 422 and r.json()["error"]["code"] == "who_is_self"
    assert "Margaret" in r.json()["error"]["message"]
    assert count_memories(client, hh, persona) == 0
    _, memories = imported(client, hh, persona, "chat.txt", log.encode(), self_name="Margaret")
    own = [m["text"] for m in memories if m["source"] == "chat_self"]
    assert own == ["Oh not bad love, the garden is full of roses this year.\nYour dad planted them the summer you were born."]


def test_photo_sizes_face_and_portrait_choice(client, hh, persona):
    job, memories = imported(client, hh, persona, "nana.png", makers.face_png())
    assert memories == [] and job["counts"]["faces"] == 1
    source = client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()[0]
    assert source["kind"] == "photo" and set(source["details"]["sizes"]) == {"portrait", "preview", "thumb"}
    mouth = source["details"]["mouth"]
    assert source["details"]["mouth_found"] and abs(mouth["x"] - makers.MOUTH_DRAWN[0]) < 0.05
    assert abs(mouth["y"] - makers.MOUTH_DRAWN[1]) < 0.06
    thumb = client.get(f"/v1/media/{source['details']['sizes']['thumb']}", headers=hh["headers"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"

    r = client.post(f"/v1/personas/{persona['id']}/sources/{source['id']}/portrait", headers=hh["headers"])
    assert r.status_code == 200 and r.json()["portrait_url"] and r.json()["mouth"]["x"] == mouth["x"]
    portrait = client.get(r.json()["portrait_url"], headers=hh["headers"])
    assert portrait.status_code == 200 and portrait.content.startswith(b"\x89PNG")
    # The caregiver corrects the mouth on the tablet.
    r = client.patch(f"/v1/personas/{persona['id']}", json={"mouth": {"x": 0.51, "y": 0.66}}, headers=hh["headers"])
    assert r.json()["mouth"]["x"] == 0.51


def test_photo_without_a_face_gets_a_guess_to_correct(client, hh, persona):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (120, 160, 200)).save(out, "JPEG")
    job, _ = imported(client, hh, persona, "sky.jpg", out.getvalue())
    source = client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json()[0]
    assert job["counts"]["faces"] == 0 and source["details"]["mouth_found"] is False and source["details"]["mouth"]


# --- bad files leave the persona as it was --------------------------------------------


def _unchanged(client, hh, persona):
    assert count_memories(client, hh, persona) == 0
    assert client.get(f"/v1/personas/{persona['id']}/sources", headers=hh["headers"]).json() == []


@pytest.mark.parametrize(
    ("filename", "data", "status", "code"),
    [
        ("empty.txt", b"", 400, "empty_file"),
        ("blank.txt", b"   \n\n  ", 400, "empty_file"),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4, 415, "unsupported_file"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, 415, "unsupported_file"),
        ("renamed.pdf", b"Just some text pretending to be a PDF.", 422, "damaged_file"),
        ("truncated.docx", makers.docx_bytes()[:3000], 422, "damaged_file"),
        ("broken.pdf", makers.memoir_pdf()[:200], 422, "damaged_file"),
        ("bomb.docx", None, 413, "zip_bomb"),
        ("archive.zip", makers.zip_bytes({"a.txt": b"hello"}), 415, "unsupported_file"),
        ("scan.pdf", makers.pdf_bytes([[""]]), 422, "no_text"),
        ("broken.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 40, 422, "damaged_file"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x13" * 500, 422, "damaged_file"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\0" * 100, 415, "unsupported_file"),
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(client, hh, persona, filename, data, status, code):
    if data is None:
        data = makers.zip_bomb_docx()
    r = upload(client, hh, persona["id"], filename, data)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    _unchanged(client, hh, persona)


def test_upload_over_the_limit(client, hh, persona):
    client.app.state.keepsake.settings.max_source_mb = 1
    url = f"/v1/personas/{persona['id']}/sources"
    # Declared too big (a 2 GB upload): refused before a byte is read.
    r = client.post(
        url,
        content=b"x" * 100,
        headers={**hh["headers"], "content-type": "multipart/form-data; boundary=b", "content-length": str(2 * 1024**3)},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    # Streamed without a length: stopped as soon as it passes the limit.
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n' + b"words " * 400_000 + b"\r\n--b--\r\n"

    def chunks():
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    r = client.post(url, content=chunks(), headers={**hh["headers"], "content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    _unchanged(client, hh, persona)
    uploads = client.app.state.keepsake.settings.data_dir / "uploads"
    assert not any(uploads.iterdir())  # no half file left behind


def test_upload_form_mistakes(client, hh, persona):
    url = f"/v1/personas/{persona['id']}/sources"
    assert client.post(url, content=b"text", headers={**hh["headers"], "content-type": "text/plain"}).status_code == 415
    r = client.post(url, data={"kind": "memoir"}, files={"other": ("x.txt", b"")}, headers=hh["headers"])
    assert r.status_code in (400,)
    r = client.post(url, data={"kind": "memoir"}, headers={**hh["headers"]})
    assert r.status_code in (400, 415)


def test_sources_need_a_caregiver_of_the_household(client, hh, persona):
    other = new_household(client, "other@example.com")
    assert upload(client, other, persona["id"], "a.txt", b"Hello there, this is a memory.").status_code == 404
    assert client.get(f"/v1/personas/{persona['id']}/sources", headers=other["headers"]).status_code == 404
    r = upload(client, hh, persona["id"], "a.txt", b"Hello there, this is a memory of mine.")
    assert client.get(f"/v1/jobs/{r.json()['job_id']}", headers=other["headers"]).status_code == 404
    assert client.get(f"/v1/jobs/{r.json()['job_id']}").status_code == 401
    assert client.post(f"/v1/personas/{persona['id']}/sources", files={"file": ("a.txt", b"hi")}).status_code == 401


# --- reviewing: search, edit, hide, delete; facts -------------------------------------


def test_search_edit_hide_delete_memories(client, hh, persona):
    imported(client, hh, persona, "memoir.docx", makers.docx_bytes())
    base = f"/v1/personas/{persona['id']}/memories"
    found = client.get(f"{base}/search", params={"q": "scones"}, headers=hh["headers"]).json()
    assert found and "scone" in found[0]["text"] and found[0]["origin"]["filename"] == "memoir.docx"
    partial = client.get(f"{base}/search", params={"q": "Arth"}, headers=hh["headers"]).json()
    assert partial and "Arthur" in partial[0]["text"]
    memory = found[0]

    r = client.patch(
        f"{base}/{memory['id']}",
        json={"text": "Mr Hudson's secret: cold butter and a light hand with the treacle tart."},
        headers=hh["headers"],
    )
    assert r.status_code == 200 and "treacle" in r.json()["text"]
    assert client.get(f"{base}/search", params={"q": "treacle tart"}, headers=hh["headers"]).json()[0]["id"] == memory["id"]
    # Retrieval follows the edit at once: story mode finds the new words.
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Do you remember the treacle tart?"}, headers=hh["headers"])
    assert "treacle" in " ".join(e["text"] for e in events(turn) if e["type"] == "sentence").lower()

    assert client.patch(f"{base}/{memory['id']}", json={"hidden": True}, headers=hh["headers"]).json()["hidden"] is True
    turn = client.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Do you remember the treacle tart?"}, headers=hh["headers"])
    assert "treacle" not in " ".join(e["text"] for e in events(turn) if e["type"] == "sentence").lower()

    assert client.patch(f"{base}/{memory['id']}", json={"title": None}, headers=hh["headers"]).json()["title"] is None
    assert client.patch(f"{base}/{memory['id']}", json={}, headers=hh["headers"]).status_code == 422
    assert client.patch(f"{base}/{memory['id']}", json={"text": "  "}, headers=hh["headers"]).status_code == 422
    assert client.patch(f"{base}/{memory['id']}", json={"colour": "red"}, headers=hh["headers"]).status_code == 422
    assert client.delete(f"{base}/{memory['id']}", headers=hh["headers"]).status_code == 204
    assert client.get(f"{base}/{memory['id']}", headers=hh["headers"]).status_code == 404
    assert client.delete(f"{base}/{memory['id']}", headers=hh["headers"]).status_code == 404
    assert client.get(f"{base}/search", params={"q": "treacle"}, headers=hh["headers"]).json() == []


def test_typed_memories_show_where_they_came_from(client, hh):
    persona = new_persona(client, hh)  # two typed memories
    listed = client.get(f"/v1/personas/{persona['id']}/memories/search", headers=hh["headers"]).json()
    assert len(listed) == 2 and all(m["origin"]["kind"] == "typed" and m["origin"]["source_id"] is None for m in listed)


def test_delete_source_removes_its_memories(client, hh, persona, media_backend):
    r = upload(client, hh, persona["id"], "memoir.epub", makers.epub_bytes())
    wait_job(client, hh, r.json()["job_id"])
    assert count_memories(client, hh, persona) == 3
    assert client.delete(f"/v1/personas/{persona['id']}/sources/{r.json()['source_id']}", headers=hh["headers"]).status_code == 204
    _unchanged(client, hh, persona)
    assert client.get(f"/v1/personas/{persona['id']}/memories/search", params={"q": "Whitby"}, headers=hh["headers"]).json() == []
    assert stored_files(client) == []  # the original went with its source


def test_facts_are_reviewed_edited_and_removed(client, hh):
    persona = new_persona(client, hh)
    tablet = pair(client, hh, "Kitchen")
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet["headers"]).json()
    client.post(
        f"/v1/sessions/{session['id']}/turns", json={"text": "Nana, your great-grandson was born last week!"}, headers=tablet["headers"]
    )
    fact = client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"]).json()[0]
    url = f"/v1/personas/{persona['id']}/facts/{fact['id']}"
    r = client.patch(url, json={"text": "Your great-grandson Leo was born last week."}, headers=hh["headers"])
    assert r.status_code == 200 and "Leo" in r.json()["text"]
    # The relative's next conversation uses the corrected words.
    later = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=tablet["headers"]).json()
    assert "baby" in later["greeting"]["text"].lower() or "leo" in later["greeting"]["text"].lower()
    assert client.patch(url, json={"hidden": True}, headers=hh["headers"]).json()["hidden"] is True
    assert client.patch(url, json={"text": ""}, headers=hh["headers"]).status_code == 422
    other = new_household(client, "other@example.com")
    assert client.delete(url, headers=other["headers"]).status_code == 404
    assert client.delete(url, headers=hh["headers"]).status_code == 204
    assert client.get(f"/v1/personas/{persona['id']}/facts", headers=hh["headers"]).json() == []


# --- voice memos (speech-to-text faked at the HTTP boundary) --------------------------------


def _talking(seconds: float, rate: int = 16000):
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    return 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))


def test_voice_memo_parts_keep_their_recordings(client, hh, persona, upstream, media_backend):
    import numpy as np

    from server.audio import decode_audio
    from tests.conftest import wav_bytes

    upstream.transcript = "We always took the bus to Scarborough on a Sunday."
    memo = np.concatenate([_talking(35), np.zeros(16000), _talking(30), np.zeros(16000), _talking(25)])
    job, memories = imported(client, hh, persona, "sundays.wav", wav_bytes(memo))
    assert job["counts"]["parts"] == len(memories) >= 2 and job["counts"]["seconds"] == 92
    assert [m["title"] for m in memories] == [f"sundays ({i})" for i in range(1, len(memories) + 1)]
    assert memories[0]["origin"]["position"].startswith("recording 0:00–0:")
    assert all(m["text"] == upstream.transcript and m["source"] == "voice_memo" for m in memories)
    clips = [decode_audio(client.get(m["audio_url"]).content, None) for m in memories]
    assert abs(sum(c.duration_s for c in clips) - 92) < 1
    transcriptions = [r for r in upstream.requests if r.url.path.endswith("/audio/transcriptions")]
    assert len(transcriptions) == len(memories)


def test_failed_import_leaves_nothing_behind(client, hh, persona, media_backend):
    import numpy as np

    from tests.conftest import wav_bytes

    r = upload(client, hh, persona["id"], "pocket.wav", wav_bytes(np.zeros(16000 * 5)))
    assert r.status_code == 202  # a valid recording; only listening finds it silent
    job = wait_job(client, hh, r.json()["job_id"])
    assert job["state"] == "failed" and "silent" in job["errors"][0]
    _unchanged(client, hh, persona)
    media = client.app.state.keepsake.db.all("SELECT kind FROM media WHERE persona_id = ?", (persona["id"],))
    assert [m["kind"] for m in media] == []
    assert stored_files(client) == []
