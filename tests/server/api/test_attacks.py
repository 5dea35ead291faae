"""Attacks on the API: oversized and malformed bodies, the alert webhook, guessing, tokens, media URLs.

Each test would fail if its protection were removed.
"""

import asyncio
import hashlib
import io
import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings, StageSettings
from server.storage import households
from tests.server.api.conftest import CONSENT, FAKE, FakeUpstream, assert_error, auth, events, every_row, new_household, new_persona

JSON = {"content-type": "application/json"}


def count(client, table: str) -> int:
    return client.app.state.keepsake.db.one(f"SELECT COUNT(*) FROM {table}")[0]


# --- bodies ------------------------------------------------------------------


def test_an_oversized_json_body_is_refused_before_it_is_read(client):
    hh = new_household(client)
    huge = b'{"display_name": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    assert_error(client.post("/v1/personas", content=huge, headers={**hh["headers"], **JSON}), 413, "too_large")
    # Chunked, with no Content-Length to trust: counted while it arrives.
    chunks = (huge[i : i + 65536] for i in range(0, len(huge), 65536))
    assert_error(client.post("/v1/personas", content=chunks, headers={**hh["headers"], **JSON}), 413, "too_large")
    assert count(client, "personas") == 0


def test_file_routes_keep_their_own_larger_limits(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    # 2 MB is over the JSON limit but under the portrait's 10 MB: the portrait check answers, not the body limit.
    r = client.put(
        f"/v1/personas/{persona['id']}/portrait",
        content=b"\x89PNG" + b"\0" * (2 * 1024 * 1024),
        headers={**hh["headers"], "content-type": "image/png"},
    )
    assert r.status_code in (400, 422) and r.json()["error"]["code"] != "too_large", r.text[:200]


def test_json_nested_thousands_deep_is_a_clear_4xx(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    deep = b"[" * 100_000 + b"]" * 100_000
    # Within a text turn's 64 KB, still deep enough to have broken the parser.
    turn_deep = b"[" * 30_000 + b"]" * 30_000
    assert_error(client.post(f"/v1/sessions/{session['id']}/turns", content=turn_deep, headers={**hh["headers"], **JSON}), 422)
    assert_error(client.post(f"/v1/sessions/{session['id']}/turns", content=deep, headers={**hh["headers"], **JSON}), 413, "too_large")
    r = client.post("/v1/personas", content=deep, headers={**hh["headers"], **JSON})
    assert 400 <= r.status_code < 500 and "error" in r.json()
    assert count(client, "turns") == 0


def test_bytes_that_are_not_utf8_are_a_clear_4xx(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    session = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    bad = b'{"text": "\xff\xfe\xfa"}'
    assert_error(client.post(f"/v1/sessions/{session['id']}/turns", content=bad, headers={**hh["headers"], **JSON}), 422)
    r = client.post("/v1/personas", content=b'{"display_name": "\xff"}', headers={**hh["headers"], **JSON})
    assert 400 <= r.status_code < 500 and "error" in r.json()
    assert count(client, "turns") == 0


def test_an_upload_with_no_file_and_a_name_that_climbs_out(client, data_dir):
    hh = new_household(client)
    persona = new_persona(client, hh)
    url = f"/v1/personas/{persona['id']}/sources"
    body = b'--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nletters\r\n--xyz--\r\n'
    r = client.post(url, content=body, headers={**hh["headers"], "content-type": "multipart/form-data; boundary=xyz"})
    assert_error(r, 400)
    assert count(client, "sources") == 0
    r = client.post(
        url,
        files={"file": ("../../../../../tmp/evil.txt", b"Dear Anne,\nThe roses are out.\nLove, Mum", "text/plain")},
        headers=hh["headers"],
    )
    assert r.status_code == 202, r.text
    source = client.get(f"{url}/{r.json()['source_id']}", headers=hh["headers"]).json()
    assert "/" not in source["filename"] and ".." not in source["filename"].split("evil")[0]
    media_root = (data_dir / "media").resolve()
    for path in data_dir.rglob("*"):
        if path.is_file() and "evil" in path.name:
            assert media_root in path.resolve().parents or path.resolve().parent.name == "uploads", path


# --- the alert webhook ----------------------------------------------------------

INTERNAL = [
    "http://127.0.0.1:8750/v1/households",
    "http://localhost/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/",
    "http://192.168.1.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://127.1/",
    "http://0.0.0.0/",
    "http://db.internal/",
    "http://router/",
]


@pytest.fixture
def hosted_client(settings, upstream):
    """A server hosted for many households: its operator keeps webhooks off its own network."""
    hosted = settings.model_copy(update={"allow_private_webhooks": False})
    with TestClient(create_app(hosted, http_transport=httpx.MockTransport(upstream))) as c:
        yield c


def test_the_webhook_takes_only_public_http_addresses(hosted_client):
    client = hosted_client
    hh = new_household(client)
    for url in ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x", "javascript:alert(1)", "http://"]:
        assert_error(client.patch("/v1/household/settings", json={"webhook_url": url}, headers=hh["headers"]), 422)
    for url in INTERNAL:
        r = client.patch("/v1/household/settings", json={"webhook_url": url}, headers=hh["headers"])
        assert_error(r, 422)
        assert "public" in r.json()["error"]["message"], url
    assert client.get("/v1/household", headers=hh["headers"]).json()["settings"]["webhook_url"] is None  # nothing changed
    ok = client.patch("/v1/household/settings", json={"webhook_url": "https://hooks.example.com/keepsake"}, headers=hh["headers"])
    assert ok.status_code == 200 and ok.json()["settings"]["webhook_url"] == "https://hooks.example.com/keepsake"


def test_an_internal_webhook_stored_before_is_never_called(hosted_client, upstream):
    client = hosted_client
    hh = new_household(client)
    persona = new_persona(client, hh)
    # A row written before this check existed (or by hand): the delivery itself refuses it.
    households.update_settings(client.app.state.keepsake.db, hh["id"], {"webhook_url": "http://localhost:9/hook"})
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    evs = events(client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "I want to die"}, headers=hh["headers"]))
    assert any(e.get("code") == "crisis" for e in evs)
    time.sleep(0.3)
    assert not [r for r in upstream.requests if r.url.host == "localhost"]
    assert client.get("/v1/alerts", headers=hh["headers"]).json()[0]["kind"] == "crisis"  # still listed


# --- guessing ----------------------------------------------------------------------


def pairing_code(client, hh) -> str:
    return client.post("/v1/pairing-codes", headers=hh["headers"]).json()["code"]


def test_a_pairing_code_works_once_and_expires(client):
    hh = new_household(client)
    code = pairing_code(client, hh)
    assert client.post("/v1/devices", json={"pairing_code": code.lower()}).status_code == 201
    assert_error(client.post("/v1/devices", json={"pairing_code": code}), 400, "bad_pairing_code")
    code = pairing_code(client, hh)
    client.app.state.keepsake.db.execute("UPDATE pairing_codes SET expires_at = '2000-01-01T00:00:00+00:00' WHERE used_at IS NULL")
    assert_error(client.post("/v1/devices", json={"pairing_code": code}), 400, "bad_pairing_code")


def test_a_household_has_only_a_few_open_pairing_codes(client):
    hh = new_household(client)
    codes = [pairing_code(client, hh) for _ in range(8)]
    db = client.app.state.keepsake.db
    assert db.one("SELECT COUNT(*) FROM pairing_codes WHERE household_id = ? AND used_at IS NULL", (hh["id"],))[0] == 5
    assert_error(client.post("/v1/devices", json={"pairing_code": codes[0]}), 400, "bad_pairing_code")  # the oldest stopped working
    assert client.post("/v1/devices", json={"pairing_code": codes[-1]}).status_code == 201


def test_guessing_from_many_addresses_is_stopped_too(client):
    hh = new_household(client)
    real = pairing_code(client, hh)
    app = client.app
    for n in range(12):  # twelve addresses, each below its own limit of ten: 108 wrong codes in all
        guesser = TestClient(app, client=(f"203.0.113.{n}", 40000))  # (no "with": the app is already running)
        for _ in range(9):
            assert guesser.post("/v1/devices", json={"pairing_code": "WRONG234"}).status_code in (400, 429)
    newcomer = TestClient(app, client=("198.51.100.7", 40000))
    assert_error(newcomer.post("/v1/devices", json={"pairing_code": real}), 429, "too_many_attempts")


def test_one_address_is_locked_out_of_invitations_too(client):
    owner = new_household(client)
    code = client.post("/v1/invitations", json={"role": "viewer"}, headers=owner["headers"]).json()["code"]
    for _ in range(10):
        r = client.post("/v1/invitations/accept", json={"code": "not-a-code", "email": "x@example.com", "password": "long enough"})
        assert r.status_code == 400
    r = client.post("/v1/invitations/accept", json={"code": code, "email": "x@example.com", "password": "long enough"})
    assert_error(r, 429, "too_many_attempts")


# --- tokens and media URLs -----------------------------------------------------------


def test_tokens_are_long_random_and_stored_only_as_hashes(client):
    hh = new_household(client)
    other = client.post("/v1/auth/login", json={"email": "ada@example.com", "password": "correct horse battery"}).json()["token"]
    code = pairing_code(client, hh)
    device = client.post("/v1/devices", json={"pairing_code": code}).json()["device_token"]
    tokens = [hh["token"], other, device]
    assert len(set(tokens)) == 3 and all(len(t) >= 43 for t in tokens)  # 256 random bits, URL-safe base64
    db = client.app.state.keepsake.db
    dump = repr(every_row(db))
    for token in tokens:
        assert token not in dump
        assert db.one("SELECT 1 FROM tokens WHERE token_hash = ?", (hashlib.sha256(token.encode()).hexdigest(),))
    assert code not in dump and "correct horse battery" not in dump
    assert db.one("SELECT password_hash FROM caregivers")[0].startswith("$argon2id$")


def test_media_urls_need_their_signature_and_expire(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    url = next(
        e
        for e in events(client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Tell me about the seaside"}, headers=hh["headers"]))
        if e["type"] == "sentence"
    )["audio_url"]
    path, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    assert client.get(url).status_code == 200  # the signed URL plays without a token (audio players send none)
    assert client.get(path).status_code == 404
    assert client.get(f"{path}?exp={params['exp']}&sig={'0' * len(params['sig'])}").status_code == 404
    assert client.get(f"{path}?exp={int(params['exp']) + 1}&sig={params['sig']}").status_code == 404
    media_id = path.rsplit("/", 1)[1]
    assert len(media_id) >= 20  # not guessable: ~96 random bits after the prefix
    past = client.app.state.keepsake.media
    expired = past.signed_path(media_id, -10)
    assert client.get(expired).status_code == 404  # a true signature, but too late
    other = new_household(client, "other@example.com")
    assert client.get(path, headers=other["headers"]).status_code == 404
    assert client.get(url, headers=other["headers"]).status_code == 404  # a leaked signed URL is still not theirs
    served = client.get(path, headers=hh["headers"])
    assert served.status_code == 200
    assert served.headers["x-content-type-options"] == "nosniff" and "sandbox" in served.headers["content-security-policy"]


# --- a model that will not stop ----------------------------------------------------------


class EndlessStream(httpx.AsyncByteStream):
    """An OpenAI-compatible stream that ignores max_tokens and never sends [DONE] (it gives up after
    3000 sentences only so that, without the protection, this test fails instead of hanging)."""

    async def __aiter__(self):
        n = 0
        while n < 3000:
            n += 1
            yield f"data: {json.dumps({'choices': [{'delta': {'content': f'And another thing, number {n}. '}}]})}\n\n".encode()
            await asyncio.sleep(0)


def test_a_model_that_never_stops_is_cut_off_and_the_turn_ends_spoken(data_dir):
    async def endless(request):
        return httpx.Response(200, stream=EndlessStream(), headers={"content-type": "text/event-stream"})

    with generative_client(data_dir, endless, timeout_s=2) as client:
        hh, s = generative_session(client)
        started = time.monotonic()
        evs = events(client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Tell me a story"}, headers=hh["headers"]))
        assert time.monotonic() - started < 30
        sentences = [e for e in evs if e["type"] == "sentence"]
        assert sentences and all(e["audio_url"] for e in sentences) and len(sentences) <= 100
        assert evs[-1]["type"] == "done"


def opus_silence(seconds: int) -> bytes:
    """An Ogg Opus file of silence: a few kB a minute, that decodes to seconds x 16,000 samples."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.bit_rate = 6000
        frame_len = 48000
        silence = np.zeros((1, frame_len), dtype=np.int16)
        for i in range(seconds):
            frame = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 48000, i * frame_len
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def test_a_small_file_with_hours_of_sound_is_refused_without_decoding_it_whole(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    s = client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()
    long_talk = opus_silence(6 * 60)  # six minutes in well under the 1 MB upload limit
    assert len(long_talk) < 1024 * 1024
    r = client.post(f"/v1/sessions/{s['id']}/turns", content=long_talk, headers={**hh["headers"], "content-type": "audio/ogg"})
    assert_error(r, 413, "audio_too_long")
    assert count(client, "turns") == 0


def test_a_refused_removal_signs_no_one_out(client):
    a = new_household(client)
    b = new_household(client, "b@example.com")
    owner_id = client.get("/v1/caregivers", headers=a["headers"]).json()[0]["id"]
    code = pairing_code(client, a)
    a_tablet = auth(client.post("/v1/devices", json={"pairing_code": code}).json()["device_token"])
    device_id = client.get("/v1/devices/me", headers=a_tablet).json()["id"]
    # Another household naming A's ids: refused, and nothing of A changes.
    assert client.delete(f"/v1/caregivers/{owner_id}", headers=b["headers"]).status_code == 404
    assert client.delete(f"/v1/devices/{device_id}", headers=b["headers"]).status_code == 404
    # The owner cannot remove themselves, and is not signed out for trying.
    assert client.delete(f"/v1/caregivers/{owner_id}", headers=a["headers"]).status_code == 404
    assert client.get("/v1/household", headers=a["headers"]).status_code == 200
    assert client.get("/v1/devices/me", headers=a_tablet).status_code == 200


def test_a_family_server_takes_webhooks_on_its_own_network_but_never_link_local(data_dir):
    settings = Settings(data_dir=data_dir, preload_engines=False)  # the default: a family's own server
    with TestClient(create_app(settings)) as client:
        hh = new_household(client)
        for url in ["http://127.0.0.1:8123/hook", "http://192.168.1.20:8123/api/webhook/keepsake", "http://homeassistant.local/hook"]:
            assert client.patch("/v1/household/settings", json={"webhook_url": url}, headers=hh["headers"]).status_code == 200, url
        for url in ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://0.0.0.0/", "http://224.0.0.1/"]:
            assert_error(client.patch("/v1/household/settings", json={"webhook_url": url}, headers=hh["headers"]), 422)


def test_numbers_too_large_for_the_database_are_a_clear_4xx(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    for query in ("offset=99999999999999999999", "q=seaside&offset=9223372036854775807", "limit=100000"):
        r = client.get(f"/v1/personas/{persona['id']}/memories/search?{query}", headers=hh["headers"])
        assert_error(r, 422)
    assert client.get(f"/v1/media/med_x?exp={'9' * 40}&sig=ab").status_code == 404


class StallingStream(httpx.AsyncByteStream):
    """One whole sentence, half of the next, then nothing: the upstream hangs mid-answer."""

    async def __aiter__(self):
        for piece in ("Oh, the roses were lovely that year. ", "And then we wal"):
            yield f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode()
        await asyncio.sleep(3600)


def generative_client(data_dir, llm_answer, timeout_s: float = 1):
    """A server whose stages are all remote fakes, the LLM answering with ``llm_answer``."""
    fake = FakeUpstream()

    async def upstream(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/chat/completions"):
            return await llm_answer(request)
        return await fake(request)

    remote = StageSettings(provider="openai", base_url=FAKE, model="m", api_key="k", timeout_s=timeout_s, retries=0)
    settings = Settings(data_dir=data_dir, preload_engines=False, asr=remote, tts=remote, llm=remote)
    return TestClient(create_app(settings, http_transport=httpx.MockTransport(upstream)))


def generative_session(client) -> tuple[dict, dict]:
    """A new household with a persona consented to generated answers, in generative mode: (household, session)."""
    hh = new_household(client)
    persona = new_persona(client, hh, consent=False)
    client.post(f"/v1/personas/{persona['id']}/consent", json={**CONSENT, "scope": "generated"}, headers=hh["headers"])
    client.patch(f"/v1/personas/{persona['id']}", json={"mode": "generative"}, headers=hh["headers"])
    return hh, client.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=hh["headers"]).json()


def test_a_model_that_hangs_mid_answer_still_ends_in_spoken_words(data_dir):
    async def stalls(request):
        return httpx.Response(200, stream=StallingStream(), headers={"content-type": "text/event-stream"})

    with generative_client(data_dir, stalls) as client:
        hh, s = generative_session(client)
        started = time.monotonic()
        evs = events(client.post(f"/v1/sessions/{s['id']}/turns", json={"text": "Tell me about the garden"}, headers=hh["headers"]))
        assert time.monotonic() - started < 10
        spoken = [e["text"] for e in evs if e["type"] == "sentence"]
        assert spoken == ["Oh, the roses were lovely that year."]  # the half sentence is dropped, not spoken
        assert any(e["type"] == "notice" for e in evs) and evs[-1]["type"] == "done"
        history = client.get(f"/v1/sessions/{s['id']}/history", headers=hh["headers"]).json()["items"]
        assert history[0]["text"] == "Tell me about the garden"


def test_a_file_named_in_chinese_is_taken(client):
    hh = new_household(client)
    persona = new_persona(client, hh)
    url = f"/v1/personas/{persona['id']}/sources"
    r = client.post(url, files={"file": ("奶奶的信.txt", "亲爱的孩子，花园里的玫瑰开了。".encode(), "text/plain")}, headers=hh["headers"])
    assert r.status_code == 202, r.text
    assert client.get(f"{url}/{r.json()['source_id']}", headers=hh["headers"]).json()["filename"] == "奶奶的信.txt"
