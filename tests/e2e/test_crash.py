"""SIGKILL the server in the middle of a turn, start it again: nothing the relative said is lost."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import httpx
import pytest

from tests.live_server import start_server

pytestmark = pytest.mark.slow

QUESTION = "Tell me about the garden and the roses."


def test_kill_mid_turn_then_restart(tmp_path, spoken_wav):
    data = tmp_path / "data"
    env = {"KEEPSAKE_TURN_STALE_S": "1"}
    server = start_server(data, env=env)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            token = http.post("/v1/devices", json={"pairing_code": server.pairing_code, "name": "t"}).json()["device_token"]
            headers = {"Authorization": f"Bearer {token}"}
            persona = http.get("/v1/personas", headers=headers).json()[0]
            session = http.post("/v1/sessions", json={"persona_id": persona["id"]}, headers=headers).json()
            done = http.post(f"/v1/sessions/{session['id']}/turns", json={"text": "Hello Nana, it's me."}, headers=headers)
            assert done.status_code == 200

            # The spoken turn: kill the server as soon as the upload is in, while it is still listening.
            def send() -> None:
                try:
                    http.post(
                        f"/v1/sessions/{session['id']}/turns",
                        content=spoken_wav(QUESTION),
                        headers={**headers, "content-type": "audio/wav"},
                        timeout=30,
                    )
                except httpx.HTTPError:
                    pass  # the server died under it, as intended

            sender = threading.Thread(target=send)
            sender.start()
            db = sqlite3.connect(data / "keepsake.db")
            deadline = time.monotonic() + 30
            while db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            db.close()
            server.stop(sig_kill=True)
            sender.join()
    finally:
        server.stop(sig_kill=True)

    restarted = start_server(data, port=server.port, env=env)
    try:
        db = sqlite3.connect(data / "keepsake.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
        with httpx.Client(base_url=restarted.url, timeout=60) as http:
            # The caregiver reads what was said (a tablet only sees the conversations it opened itself).
            creds = json.loads((data / "demo-credentials.json").read_text())
            login = http.post("/v1/auth/login", json={"email": creds["email"], "password": creds["password"]})
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            deadline = time.monotonic() + 60
            while True:
                items = http.get(f"/v1/sessions/{session['id']}/history", headers=headers).json()["items"]
                said = [i["text"] for i in items if i["role"] == "relative"]
                if len(said) == 2 and "garden" in said[1].lower() or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        assert said[0] == "Hello Nana, it's me."  # the turn before the crash is intact
        assert "garden" in said[1].lower() and "roses" in said[1].lower(), items
        assert any(i["role"] == "persona" for i in items)
    finally:
        restarted.stop()
