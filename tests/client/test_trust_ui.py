"""Trust on the tablet, with the real app under X against the real server (``keepsake serve --demo``).

- a crisis ("I don't want to wake up tomorrow.") brings up whom to call, in very large type,
  until the relative touches it;
- "stop, I don't want this" leaves the tablet resting, and neither the rest of that run nor a
  restart of the app starts talking by itself; the relative's tap does;
- in quiet hours the server's session opens with a warm goodbye: the tablet says it, rests and tries
  nothing by itself; what the relative says after a tap reaches the server at once (crisis words at
  night bring up the card and alert the caregivers), then it rests again;
- the caregiver's test of the speaker never undoes the relative's "stop";
- a sentence in the person's own recorded voice (a voice memo the family imported) is marked
  as such under the caption, and the line goes when a recreated sentence follows;
- a busy server (503 with Retry-After) keeps the words on disk, shows the calm resting words,
  and the tablet sends them again after Retry-After, by itself.

Screenshots land in test-output/screenshots/ (en-crisis.png, zh-crisis.png, ...).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.client.harness import (
    BusyProxy,
    box_fraction,
    caregiver_client,
    has_xdotool,
    new_pairing_code,
    paired_app,
    region_is_not_flat,
    wait_scrolled,
    xdotool,
)

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

CRISIS_WORDS = "I don't want to wake up tomorrow."
STOP_WORDS = "Please stop. I don't want this."
HELLO = "Hello Nana, how are you today?"
QUESTION = "Tell me about the bakery."
# one voice memo per language of the screen: the persona does not tell the same recording twice
MEMOS = {
    # Two words to find the memo by, so one misheard word ("bees" as "beast") cannot lose it.
    "en": (
        "My father kept bees behind the chapel. Every summer his bees made enough honey for the whole street.",
        "Tell me about the bees and the honey.",
        "bees",
    ),
    "zh": (
        "My brother played the violin at every wedding in town. He learned it from an old sailor.",
        "Tell me about the violin.",
        "violin",
    ),
}
CAPTION_REGION = (0.56, 0.22, 0.98, 0.56)

CONTACTS = {
    "en": {"crisis_contact_name": "Anna, your daughter", "crisis_contact_phone": "+1 555 0142", "emergency_number": "911"},
    "zh": {"crisis_contact_name": "女儿 小芳", "crisis_contact_phone": "138 0013 8000", "emergency_number": "120"},
    "en-no-contact": {"crisis_contact_name": None, "crisis_contact_phone": None, "emergency_number": None},
}
SHOT_NAMES = {"en": "en-crisis.png", "zh": "zh-crisis.png", "en-no-contact": "en-crisis-no-contact.png"}


def _later(app, since: int, *kinds: str) -> list[dict]:
    return [e for e in app.events()[since:] if e["kind"] in kinds]


@pytest.mark.parametrize("case", ["en", "zh", "en-no-contact"])
def test_a_crisis_shows_whom_to_call_until_it_is_touched(start_app, live_server, speak, case):
    contact = CONTACTS[case]
    language = case[:2]
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        http.patch("/v1/household/settings", json=contact).raise_for_status()
    app = paired_app(start_app, live_server, mic_file=speak(CRISIS_WORDS), language=language)

    app.tap("talk")
    app.wait_state("listening", timeout=10)
    notice = app.wait_for("notice", lambda e: e["code"] == "crisis", timeout=120)
    assert notice["data"]["kind"] == "self_harm"
    shown = app.wait_for("crisis", lambda e: e["shown"], timeout=10)
    assert (shown["name"], shown["phone"], shown["emergency"]) == tuple(
        contact[k] or "" for k in ("crisis_contact_name", "crisis_contact_phone", "emergency_number")
    )

    # the persona answers with care while the card stays up; the card outlives the answer
    app.wait_for("played", timeout=120)
    time.sleep(1.0)
    report = app.layout()
    if contact["crisis_contact_phone"]:
        assert report["shown"]["crisis_phone"] == contact["crisis_contact_phone"]
        assert report["shown"]["crisis_emergency"] == contact["emergency_number"]
        assert contact["crisis_contact_name"] in report["shown"]["crisis_name"].replace("\n", "")
        assert report["widgets"]["crisis_phone"][3] >= 90  # very large type: the number is taller than 90 px
    else:
        heading = report["shown"]["crisis_heading"].replace("\n", " ")
        assert "someone you trust" in heading and not report["shown"]["crisis_phone"]
    shot = app.screenshot(SHOT_NAMES[case])
    with Image.open(shot) as image:
        size = image.size
    assert region_is_not_flat(shot, box_fraction(report["widgets"], "crisis_heading", size), min_colors=4)
    if contact["crisis_contact_phone"]:
        assert region_is_not_flat(shot, box_fraction(report["widgets"], "crisis_phone", size), min_colors=4)
        assert region_is_not_flat(shot, box_fraction(report["widgets"], "crisis_emergency", size), min_colors=4)
    assert not [e for e in app.events() if e["kind"] == "crisis" and not e["shown"]], "it must stay until touched"

    # a touch closes it, and that touch goes to nothing underneath
    since = len(app.events())
    app.tap("crisis")
    app.wait_for("crisis", lambda e: not e["shown"], timeout=10)  # tap() waited for the finger to lift: all of the touch is handled
    assert not _later(app, since, "tap"), "the touch that closes the card must not press the talk control"
    assert app.layout()["widgets"]["talk"]  # the talk screen is back under it


def test_stop_leaves_the_tablet_resting_and_a_restart_does_not_start_talking(start_app, live_server, speak):
    app = paired_app(start_app, live_server, mic_file=speak(STOP_WORDS))
    device_id = json.loads((app.tablet_dir / "settings.json").read_text())["device_id"]

    app.tap("talk")
    app.wait_for("notice", lambda e: e["code"] == "relative_declined", timeout=120)
    assert app.wait_for("done", timeout=60)["ended"] is True
    app.wait_state("ended", timeout=120)  # after the kind last words
    since = len(app.events())
    time.sleep(8)
    assert not _later(app, since, "connected", "sentence", "caption", "retry_scheduled", "health")
    assert not [e for e in _later(app, since, "state") if e["state"] != "ended"]
    app.wait_shown("caption")
    shot = app.screenshot("en-declined.png")
    assert region_is_not_flat(shot, CAPTION_REGION)
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        devices = {d["id"]: d for d in http.get("/v1/devices").json()}
    assert devices[device_id]["declined"] is True
    app.quit()

    # the app starts again (a reboot, the caregiver restarting it): it shows the face and waits
    again = start_app(tablet_dir=app.tablet_dir, mic_file=speak(HELLO))
    connected = again.wait_for("connected", timeout=60)
    assert connected["session"] is None and connected["declined"] is True
    again.wait_for("state", lambda e: e["state"] == "ended", timeout=10, since_start=True)
    time.sleep(8)
    assert not [e for e in again.events() if e["kind"] in ("sentence", "caption", "retry_scheduled")]
    assert {e["state"] for e in again.events() if e["kind"] == "state"} <= {"starting", "ended"}
    caption = again.wait_shown("caption")
    assert "when you want to talk" in caption.lower()
    shot = again.screenshot("en-declined-after-restart.png")
    assert region_is_not_flat(shot, CAPTION_REGION) and region_is_not_flat(shot, (0.0, 0.0, 0.5, 1.0))
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert {d["id"]: d for d in http.get("/v1/devices").json()}[device_id]["declined"] is True  # no session was opened

    # the relative's own tap starts a conversation again, and the server forgets the "stop"
    again.tap("talk")
    again.wait_state("listening", timeout=10)
    again.wait_for("recorded", timeout=30)
    assert again.wait_for("connected", timeout=60)["session"]
    again.wait_for("transcript", timeout=120)
    again.wait_for("played", timeout=120)
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert {d["id"]: d for d in http.get("/v1/devices").json()}[device_id]["declined"] is False


def test_a_busy_server_keeps_the_words_and_sends_them_after_retry_after(start_app, live_server, speak):
    proxy = BusyProxy(live_server.url, busy_turns=1, retry_after=4)
    try:
        code = new_pairing_code(live_server.url, live_server.data_dir)
        app = start_app(proxy.url, code, mic_file=speak(QUESTION))
        app.wait_for("connected", timeout=60)
        app.settle(timeout=60)

        app.tap("talk")
        recorded = app.wait_for("recorded", timeout=30)
        outcome = app.wait_for("turn_outcome", timeout=60)
        assert outcome["outcome"] == "offline" and outcome["retry_after"] == 4, outcome
        app.wait_state("resting", timeout=10)
        assert app.wait_for("retry_scheduled", timeout=10)["seconds"] == 4
        kept = list((app.tablet_dir / "outbox").glob("*.wav"))
        assert [p.name for p in kept] == [Path(recorded["path"]).name]  # the words wait on disk
        caption = app.wait_shown("caption", lambda text: "resting" in text)
        assert "saved" in caption
        shot = app.screenshot("en-busy-resting.png")
        assert region_is_not_flat(shot, CAPTION_REGION)

        app.wait_for("transcript", timeout=120)  # sent again by itself, no touch needed
        assert [status for _, status in proxy.turns] == [503, 200]
        assert proxy.turns[1][0] - proxy.turns[0][0] >= 3.9  # not before the server said
        app.wait_for("played", timeout=120)
        assert not list((app.tablet_dir / "outbox").glob("*.wav"))
    finally:
        proxy.stop()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_her_own_recorded_voice_is_marked_under_the_caption(start_app, live_server, speak, language):
    memo, question, word = MEMOS[language]
    with caregiver_client(live_server.url, live_server.data_dir) as http:  # the family imports a voice memo
        persona = next(p for p in http.get("/v1/personas").json() if p["consent"])
        started = http.post(
            f"/v1/personas/{persona['id']}/sources",
            data={"kind": "voice_memo"},
            files={"file": (f"{word}.wav", speak(memo).read_bytes(), "audio/wav")},
        )
        started.raise_for_status()
        deadline = time.monotonic() + 120
        while (job := http.get(started.json()["job_url"]).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
        assert job["state"] == "done" and job["counts"]["memories"] >= 1, job
    app = paired_app(start_app, live_server, mic_file=speak(question), language=language)

    app.tap("talk")
    own = app.wait_for("caption", lambda e: e.get("own_voice"), timeout=120)
    assert word in own["text"].lower()
    line = app.wait_shown("own_voice", timeout=10)
    assert line == ("Recorded in Grandma Rose's own voice" if language == "en" else "这是Grandma Rose本人的录音")
    report = app.layout()
    shot = app.screenshot(f"{language}-own-voice.png")
    with Image.open(shot) as image:
        size = image.size
    assert region_is_not_flat(shot, box_fraction(report["widgets"], "own_voice", size), min_colors=4)
    assert region_is_not_flat(shot, CAPTION_REGION)

    # the recreated sentence after it is not hers: the line goes
    app.wait_for("caption", lambda e: not e.get("own_voice"), timeout=60)
    app.wait_shown("own_voice", lambda text: text == "", timeout=10)
    app.wait_for("played", timeout=120)


def test_quiet_hours_say_a_warm_goodbye_and_nothing_is_retried_by_itself(start_app, live_server, speak):
    app = paired_app(start_app, live_server, mic_file=speak(HELLO))
    device_id = json.loads((app.tablet_dir / "settings.json").read_text())["device_id"]
    now = datetime.now(UTC)
    quiet = {
        "quiet_hours_start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_hours_end": (now + timedelta(hours=1)).strftime("%H:%M"),
        "timezone": "UTC",
    }
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        http.patch(f"/v1/devices/{device_id}", json=quiet).raise_for_status()
    app.quit()

    # e.g. the tablet restarts in the night; what the relative will say after a tap: crisis words
    again = start_app(tablet_dir=app.tablet_dir, mic_file=speak(CRISIS_WORDS))
    assert again.wait_for("connected", timeout=60)["ended"] is True
    again.wait_for("caption", timeout=30)  # the goodbye is spoken and shown
    again.wait_for("played", timeout=60)
    assert [e for e in again.events() if e["kind"] == "state"][-1]["state"] == "ended"
    since = len(again.events())
    time.sleep(8)
    assert not _later(again, since, "connected", "sentence", "caption", "retry_scheduled", "health", "tap")
    assert "tomorrow" in again.wait_shown("caption")  # "It's getting late, my dear. ... talk again tomorrow."
    shot = again.screenshot("en-quiet-hours.png")
    assert region_is_not_flat(shot, CAPTION_REGION)

    # the relative taps anyway, in the night, with crisis words: they reach the server at once (not with
    # the morning's talk), the card shows whom to call, the caregivers are alerted, and then it rests again
    night = again
    night.tap("talk")
    night.wait_for("recorded", timeout=30)
    connected = night.wait_for("connected", timeout=60)
    assert connected["ended"] is True
    night.wait_for("notice", lambda e: e["code"] == "crisis", timeout=120)
    night.wait_for("crisis", lambda e: e["shown"], timeout=10)
    assert night.wait_for("done", timeout=60)["ended"] is True
    assert night.wait_for("turn_outcome", timeout=30)["outcome"] == "ok"
    assert not list((night.tablet_dir / "outbox").glob("*.wav"))  # nothing waits for the morning
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert http.get("/v1/alerts").json()[0]["kind"] == "crisis"
        history = http.get(f"/v1/sessions/{connected['session']}/history").json()["items"]
    assert "wake up" in next(i["text"] for i in history if i["role"] == "relative").lower()
    deadline = time.monotonic() + 120  # the careful answer plays under the card, then it rests
    while [e for e in night.events() if e["kind"] == "state"][-1]["state"] != "ended":
        assert time.monotonic() < deadline, "the tablet did not rest after the answer"
        time.sleep(0.2)
    night.screenshot("en-quiet-hours-crisis.png")
    night.tap("crisis")
    night.wait_for("crisis", lambda e: not e["shown"], timeout=10)
    since = len(night.events())
    time.sleep(5)
    assert not _later(night, since, "connected", "retry_scheduled", "health", "turn_outcome")
    assert [e for e in night.events() if e["kind"] == "state"][-1]["state"] == "ended"


def test_the_caregivers_test_keeps_the_relatives_stop(start_app, live_server, speak):
    app = paired_app(start_app, live_server, mic_file=speak(STOP_WORDS))
    device_id = json.loads((app.tablet_dir / "settings.json").read_text())["device_id"]
    app.tap("talk")
    app.wait_for("notice", lambda e: e["code"] == "relative_declined", timeout=120)
    app.wait_state("ended", timeout=120)

    # the caregiver checks the speaker: the greeting plays, and the relative's "stop" stands
    app.long_press("corner")
    app.wait_screen("pin")
    for key in ("key_1", "key_2", "key_3", "key_4", "key_ok"):
        app.tap(key)
    app.wait_screen("caregiver")
    for _ in range(10):  # the test button may sit lower on a screen that scrolls
        layout = app.layout()
        x, y, w, h = layout["widgets"]["test_button"]
        if y >= 0 and y + h < layout["size"][1] or "scroll" not in layout["widgets"]:
            break
        sx, sy = app._center("scroll")
        xdotool("mousemove", str(sx), str(sy), "click", "--repeat", "2", "5" if y + h >= layout["size"][1] else "4")
        wait_scrolled(app, "test_button", [x, y, w, h])
    app.tap("test_button")
    assert app.wait_for("test_played", timeout=120)["sentences"] >= 1
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert {d["id"]: d for d in http.get("/v1/devices").json()}[device_id]["declined"] is True
