"""Who may call what: every route of the app, called as the household's owner, an editor, a viewer and a tablet.

WHO_MAY is the table the README's API section shows. A route added without a
row here fails ``test_every_route_has_a_row``. Each allowed role must get
through (no 401/403/404), each refused one gets 403 (or 404) and changes
nothing: no row of any table, no file of the data folder.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pytest
from fastapi.routing import APIRoute
from PIL import Image

from server.storage import accounts
from tests.conftest import wav_bytes
from tests.server.api.conftest import CONSENT, PERSONA, auth, events, every_row, new_household, new_persona

OWNER, EDITOR, VIEWER, DEVICE = "owner", "editor", "viewer", "device"
ROLES = (OWNER, EDITOR, VIEWER, DEVICE)
ANYONE = "anyone"  # no token needed: signing up, logging in, pairing, health, the API's own documents
ALL = frozenset(ROLES)
CAREGIVERS = frozenset({OWNER, EDITOR, VIEWER})
EDITORS = frozenset({OWNER, EDITOR})

# (method, path) -> who may call it. The caller's own household only, always (see test_isolation.py).
# Paths with {session_id} are called on a conversation a tablet opened: the relative's.
WHO_MAY: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/openapi.json"): ANYONE,
    ("GET", "/docs"): ANYONE,
    ("GET", "/docs/oauth2-redirect"): ANYONE,
    ("GET", "/redoc"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("POST", "/v1/households"): ANYONE,
    ("POST", "/v1/auth/login"): ANYONE,
    ("POST", "/v1/invitations/accept"): ANYONE,
    ("POST", "/v1/devices"): ANYONE,  # with a pairing code an editor made
    ("POST", "/v1/auth/logout"): CAREGIVERS,
    ("POST", "/v1/auth/logout-all"): CAREGIVERS,
    ("GET", "/v1/household"): CAREGIVERS,
    ("PATCH", "/v1/household/settings"): EDITORS,
    ("GET", "/v1/household/export"): EDITORS,
    ("GET", "/v1/caregivers"): CAREGIVERS,
    ("DELETE", "/v1/caregivers/{caregiver_id}"): frozenset({OWNER}),
    ("POST", "/v1/invitations"): frozenset({OWNER}),
    ("GET", "/v1/audit"): CAREGIVERS,
    ("POST", "/v1/pairing-codes"): EDITORS,
    ("GET", "/v1/devices"): CAREGIVERS,
    ("GET", "/v1/devices/me"): frozenset({DEVICE}),
    ("DELETE", "/v1/devices/me"): frozenset({DEVICE}),
    ("PATCH", "/v1/devices/{device_id}"): EDITORS,
    ("DELETE", "/v1/devices/{device_id}"): EDITORS,
    ("POST", "/v1/devices/{device_id}/facts/move-to/{new_device_id}"): EDITORS,
    ("POST", "/v1/personas"): EDITORS,
    ("GET", "/v1/personas"): ALL,
    ("GET", "/v1/personas/{persona_id}"): ALL,
    ("PATCH", "/v1/personas/{persona_id}"): EDITORS,
    ("DELETE", "/v1/personas/{persona_id}"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/retire"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/export"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/consent"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/portrait"): ALL,
    ("PUT", "/v1/personas/{persona_id}/portrait"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/memories"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/memories"): CAREGIVERS,
    ("GET", "/v1/personas/{persona_id}/memories/search"): CAREGIVERS,
    ("GET", "/v1/personas/{persona_id}/memories/{memory_id}"): CAREGIVERS,
    ("PATCH", "/v1/personas/{persona_id}/memories/{memory_id}"): EDITORS,
    ("DELETE", "/v1/personas/{persona_id}/memories/{memory_id}"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/facts"): CAREGIVERS,
    ("POST", "/v1/personas/{persona_id}/facts"): EDITORS,
    ("PATCH", "/v1/personas/{persona_id}/facts/{fact_id}"): EDITORS,
    ("DELETE", "/v1/personas/{persona_id}/facts/{fact_id}"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/sources"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/sources"): CAREGIVERS,
    ("GET", "/v1/personas/{persona_id}/sources/{source_id}"): CAREGIVERS,
    ("DELETE", "/v1/personas/{persona_id}/sources/{source_id}"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/sources/{source_id}/portrait"): EDITORS,
    ("GET", "/v1/jobs/{job_id}"): CAREGIVERS,
    ("POST", "/v1/personas/{persona_id}/voice-samples"): EDITORS,
    ("GET", "/v1/personas/{persona_id}/voice-samples"): CAREGIVERS,
    ("DELETE", "/v1/personas/{persona_id}/voice-samples/{sample_id}"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/voice/clone"): EDITORS,
    ("DELETE", "/v1/personas/{persona_id}/voice"): EDITORS,
    ("POST", "/v1/personas/{persona_id}/dictation"): EDITORS,
    ("POST", "/v1/sessions"): ALL,  # a tablet's talk, or a caregiver's own (a test)
    ("GET", "/v1/sessions"): CAREGIVERS,
    ("GET", "/v1/sessions/{session_id}/history"): ALL,  # a tablet: only the conversations it opened
    ("DELETE", "/v1/sessions/{session_id}"): frozenset({OWNER, EDITOR, DEVICE}),  # a viewer ends only a caregiver's talk
    ("POST", "/v1/sessions/{session_id}/turns"): frozenset({DEVICE}),  # caregivers speak in their own sessions only
    ("POST", "/v1/sessions/{session_id}/turns/{turn_id}/playback"): frozenset({DEVICE}),
    ("GET", "/v1/media/{media_id}"): ALL,  # or a signed URL without a token
    ("GET", "/v1/alerts"): CAREGIVERS,
}

# What an allowed call may answer besides success: the call got past who-may, and was refused for
# what it asked (no cloning service here; an imported letter is no photo; the persona has no voice).
ACCEPTED_REFUSALS = {409, 422}

TONE = wav_bytes(0.3 * np.sin(np.linspace(0, 2 * np.pi * 220 * 3, 16000 * 3)))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 160, 120)).save(out, "PNG")
    return out.getvalue()


def every_route(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers walked through."""
    found: set[tuple[str, str]] = set()

    def walk(routes, prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI keeps included routers whole
            if included is not None:
                walk(included.routes, prefix + route.include_context.prefix)
                continue
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, prefix + route.path))

    walk(app.routes, "")
    return found


def _api_routes(app) -> dict[tuple[str, str], APIRoute]:
    out = {}

    def walk(routes):
        for route in routes:
            if getattr(route, "original_router", None) is not None:
                walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                for method in route.methods:
                    out[(method, route.path)] = route

    walk(app.routes)
    return out


def _needs_a_token(route: APIRoute) -> bool:
    names = set()

    def walk(dependant):
        for sub in dependant.dependencies:
            names.add(getattr(sub.call, "__name__", ""))
            walk(sub)

    walk(route.dependant)
    return "get_principal" in names


@dataclass
class Household:
    """One household with its four kinds of callers; ``world`` makes fresh things to call routes on."""

    client: object
    owner: dict
    editor_id: str
    viewer_id: str
    owner_id: str

    def token_for(self, caregiver_id: str) -> dict:
        """A new token for a caregiver: signing out (one route under test) must not sign out the next call."""
        return auth(accounts.issue_token(self.client.app.state.keepsake.db, self.owner["id"], "caregiver", caregiver_id))

    def world(self) -> World:
        return World(self)


class World:
    """A persona with one of everything and a freshly paired tablet; each thing made when first asked for."""

    def __init__(self, hh: Household):
        self.hh = hh
        self.client = hh.client
        self.headers = {OWNER: hh.token_for(hh.owner_id), EDITOR: hh.token_for(hh.editor_id), VIEWER: hh.token_for(hh.viewer_id)}
        code = self.client.post("/v1/pairing-codes", headers=self.headers[OWNER]).json()["code"]
        device = self.client.post("/v1/devices", json={"pairing_code": code, "name": "Tablet"}).json()
        self.device_id = device["device_id"]
        self.headers[DEVICE] = auth(device["device_token"])

    def _owner(self, method: str, url: str, **kw):
        r = self.client.request(method, url, headers={**self.headers[OWNER], **kw.pop("headers", {})}, **kw)
        assert r.status_code < 300, (method, url, r.status_code, r.text[:300])
        return r

    @cached_property
    def persona_id(self) -> str:
        return new_persona(self.client, {"headers": self.headers[OWNER]})["id"]

    @cached_property
    def memory_id(self) -> str:
        return self._owner("GET", f"/v1/personas/{self.persona_id}/memories").json()[0]["id"]

    @cached_property
    def _talk(self) -> tuple[str, list[dict]]:
        """The relative's conversation on the tablet, with one turn that tells the persona some news."""
        session = self.client.post("/v1/sessions", json={"persona_id": self.persona_id}, headers=self.headers[DEVICE])
        assert session.status_code == 201, session.text
        session_id = session.json()["id"]
        r = self.client.post(
            f"/v1/sessions/{session_id}/turns", json={"text": "My grandson was born yesterday!"}, headers=self.headers[DEVICE]
        )
        assert r.status_code == 200, r.text
        return session_id, events(r)

    @property
    def session_id(self) -> str:
        return self._talk[0]

    @property
    def turn_id(self) -> str:
        return self._talk[1][-1]["turn_id"]

    @property
    def media_id(self) -> str:
        sentence = next(e for e in self._talk[1] if e["type"] == "sentence")
        return sentence["audio_url"].split("/v1/media/")[1].split("?")[0]

    @property
    def fact_id(self) -> str:
        self._talk  # noqa: B018 - the turn tells the news the fact is made of
        return self._owner("GET", f"/v1/personas/{self.persona_id}/facts").json()[0]["id"]

    @cached_property
    def new_device_id(self) -> str:
        """A second tablet of the household, to take over what the relative told the first."""
        self._talk  # noqa: B018 - the first tablet's relative has told something to move
        code = self._owner("POST", "/v1/pairing-codes").json()["code"]
        return self.client.post("/v1/devices", json={"pairing_code": code, "name": "New tablet"}).json()["device_id"]

    @cached_property
    def _import(self) -> dict:
        r = self._owner(
            "POST",
            f"/v1/personas/{self.persona_id}/sources",
            files={"file": ("letter.txt", b"Dear Anne,\nThe garden is lovely.\nLove, Mum", "text/plain")},
        )
        started = r.json()
        # Wait for the import to end, so that nothing changes behind a refused call's back.
        deadline = time.monotonic() + 60
        while self._owner("GET", started["job_url"]).json()["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the import did not finish"
            time.sleep(0.02)
        return started

    @property
    def source_id(self) -> str:
        return self._import["source_id"]

    @property
    def job_id(self) -> str:
        return self._import["job_id"]

    @cached_property
    def sample_id(self) -> str:
        r = self._owner("POST", f"/v1/personas/{self.persona_id}/voice-samples", content=TONE, headers={"content-type": "audio/wav"})
        return r.json()["sample"]["id"]

    @cached_property
    def caregiver_id(self) -> str:
        """Someone the owner can remove: a viewer invited for it."""
        code = self._owner("POST", "/v1/invitations", json={"role": "viewer"}).json()["code"]
        email = f"leaving{time.monotonic_ns()}@example.com"
        joined = self.client.post("/v1/invitations/accept", json={"code": code, "email": email, "password": "a long password"})
        assert joined.status_code == 201, joined.text
        return next(c["id"] for c in self._owner("GET", "/v1/caregivers").json() if c["email"] == email)

    def portrait(self) -> None:
        self._owner("PUT", f"/v1/personas/{self.persona_id}/portrait", content=_png(), headers={"content-type": "image/png"})

    def request(self, method: str, path: str) -> tuple[str, dict]:
        """The URL and the request's body for ``path`` in this world, everything it names made first."""
        params = re.findall(r"{(\w+)}", path)
        url = path.format(**{p: getattr(self, p) for p in params})
        if path.endswith("/portrait") and method == "GET":
            self.portrait()
        body: dict = {}
        match (method, path):
            case ("POST", "/v1/personas"):
                body = {"json": PERSONA}
            case ("POST", "/v1/sessions"):
                body = {"json": {"persona_id": self.persona_id}}
            case ("PATCH", "/v1/household/settings"):
                body = {"json": {"crisis_contact_name": "Anne"}}
            case ("POST", "/v1/invitations"):
                body = {"json": {"role": "viewer"}}
            case ("PATCH", "/v1/personas/{persona_id}"):
                body = {"json": {"biography": "changed"}}
            case ("POST", "/v1/personas/{persona_id}/retire"):
                body = {"json": {"then": "erase"}}
            case ("POST", "/v1/personas/{persona_id}/consent"):
                body = {"json": CONSENT}
            case ("PUT", "/v1/personas/{persona_id}/portrait"):
                body = {"content": _png(), "headers": {"content-type": "image/png"}}
            case ("POST", "/v1/personas/{persona_id}/memories"):
                body = {"json": {"text": "We went to the fair."}}
            case ("POST", "/v1/personas/{persona_id}/facts"):
                body = {"json": {"text": "Tom started at the bakery."}}
            case ("PATCH", "/v1/personas/{persona_id}/memories/{memory_id}") | ("PATCH", "/v1/personas/{persona_id}/facts/{fact_id}"):
                body = {"json": {"text": "changed"}}
            case ("POST", "/v1/personas/{persona_id}/sources"):
                body = {"files": {"file": ("note.txt", b"Dear Anne,\nAll is well.\nLove, Mum", "text/plain")}}
            case ("POST", "/v1/personas/{persona_id}/voice-samples") | ("POST", "/v1/personas/{persona_id}/dictation"):
                body = {"content": TONE, "headers": {"content-type": "audio/wav"}}
            case ("PATCH", "/v1/devices/{device_id}"):
                body = {"json": {"daily_minutes": 5}}
            case ("POST", "/v1/sessions/{session_id}/turns"):
                body = {"json": {"text": "Hello Nana"}}
            case ("POST", "/v1/sessions/{session_id}/turns/{turn_id}/playback"):
                body = {"json": {"sentences_played": 0}}
        return url, body


def settle(client) -> None:
    """Wait for imports an allowed call started: they must not change rows while a refused call is checked."""
    db = client.app.state.keepsake.db
    deadline = time.monotonic() + 60
    while db.one("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")[0]:
        assert time.monotonic() < deadline, "an import did not finish"
        time.sleep(0.02)


def everything(client, data_dir) -> tuple[dict, list]:
    """Every row of every table and every file of the data folder: what a refused call must not change."""
    rows = every_row(client.app.state.keepsake.db)
    files = sorted(
        (str(p.relative_to(data_dir)), p.stat().st_size)
        for p in data_dir.rglob("*")
        if p.is_file() and not p.name.startswith("keepsake.db")
    )
    return rows, files


@pytest.fixture
def household(client) -> Household:
    owner = new_household(client)
    ids = {"owner": client.get("/v1/caregivers", headers=owner["headers"]).json()[0]["id"]}
    for role in ("caregiver", "viewer"):
        code = client.post("/v1/invitations", json={"role": role}, headers=owner["headers"]).json()["code"]
        joined = client.post("/v1/invitations/accept", json={"code": code, "email": f"{role}@example.com", "password": "a long password"})
        assert joined.status_code == 201, joined.text
        ids[role] = next(c["id"] for c in client.get("/v1/caregivers", headers=owner["headers"]).json() if c["role"] == role)
    return Household(client, owner, editor_id=ids["caregiver"], viewer_id=ids["viewer"], owner_id=ids["owner"])


def test_every_route_has_a_row(client):
    routes = every_route(client.app)
    documented = {(m.upper(), p) for p, ms in client.get("/openapi.json").json()["paths"].items() for m in ms}
    assert documented <= routes, "the walk through app.routes missed routes the API documents"
    missing = sorted(routes - set(WHO_MAY))
    assert not missing, f"say who may call these routes in WHO_MAY (and the README): {missing}"
    assert not sorted(set(WHO_MAY) - routes), "WHO_MAY names routes the app no longer has"
    # A route said to need no token really needs none, and the others all need one.
    api = _api_routes(client.app)
    for key, who in WHO_MAY.items():
        if key in api:
            assert _needs_a_token(api[key]) == (who != ANYONE) or key == ("GET", "/v1/media/{media_id}"), key


def test_each_role_may_call_what_the_table_says_and_nothing_else(client, household, data_dir):
    checked = 0
    for (method, path), who in sorted(WHO_MAY.items()):
        if who == ANYONE:
            continue
        refused = [role for role in ROLES if role not in who]
        if refused:
            world = household.world()
            url, body = world.request(method, path)
            for role in refused:
                before = everything(client, data_dir)
                r = client.request(method, url, **{**body, "headers": {**world.headers[role], **body.get("headers", {})}})
                assert r.status_code in (403, 404), f"{role} {method} {path} -> {r.status_code} {r.text[:200]}"
                assert everything(client, data_dir) == before, f"{role} {method} {path} was refused but changed something"
                checked += 1
        shared = household.world() if method == "GET" else None
        for role in sorted(who):
            world = shared or household.world()  # a change (an erasure, a sign-out) gets a world of its own
            url, body = world.request(method, path)
            r = client.request(method, url, **{**body, "headers": {**world.headers[role], **body.get("headers", {})}})
            assert r.status_code < 400 or r.status_code in ACCEPTED_REFUSALS, f"{role} {method} {path} -> {r.status_code} {r.text[:200]}"
            settle(client)
            checked += 1
    assert checked >= 4 * len([w for w in WHO_MAY.values() if w != ANYONE])
