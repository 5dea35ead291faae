"""A caregiver dictates a memory on the real tablet app under X against the real server (``keepsake serve --demo``).

The file microphone "hears" a sentence spoken by the embedded Piper voice; the server's embedded speech to
text writes it down; the words join what the caregiver had already typed, and the saved memory is a typed
one, with no recording kept.

Screenshots (looked at by a person): test-output/screenshots/en-memories-dictating.png, en-memories-dictated.png.
"""

from __future__ import annotations

import time
import wave

import pytest

from tests.client.harness import (
    caregiver_client,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    persona_named,
    scroll_into_view,
    sign_in_on_tablet,
    type_into,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

SAID = "My mother baked bread every Sunday in the old stone oven."
TYPED_FIRST = "From Anne:"


def seconds_of(path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def test_caregiver_dictates_a_memory_checks_it_and_saves_it(start_app, live_server, speak):
    speech = speak(SAID)
    rose = persona_named(live_server.url, live_server.data_dir, "Rose Whitfield")
    pid = rose["id"]
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        memories_before = len(http.get(f"/v1/personas/{pid}/memories", params={"limit": 200}).json())
    app = paired_app(start_app, live_server, mic_file=speech)

    open_caregiver_area(app)
    sign_in_on_tablet(app, live_server.data_dir)
    scroll_into_view(app, f"studio_memories_{pid}")
    app.tap(f"studio_memories_{pid}")
    app.wait_screen("memories")
    app.wait_for("memories_shown", timeout=30)
    app.tap("tab_add")
    type_into(app, "title_field", "Sunday bread")
    type_into(app, "text_field", TYPED_FIRST)

    # Dictate: the button reads Stop while the microphone listens
    assert app.layout()["shown"]["dictate"] == "Dictate"
    app.tap("dictate")
    started = app.wait_for("recording", timeout=10)
    assert started["started"] is True and started["purpose"] == "dictation"
    assert app.wait_shown("dictate", lambda text: text == "Stop")
    assert app.wait_shown("add_status", lambda text: text.startswith("Recording… "))
    assert app.layout()["widgets"]["record_start"][3] > 0, "her own voice's column keeps its Start (not Stop and keep) during a dictation"
    app.screenshot("en-memories-dictating.png")
    time.sleep(seconds_of(speech) + 1.0)  # the file microphone speaks in real time
    app.tap("dictate")
    stopped = app.wait_for("recording", timeout=15)
    assert stopped["kept"] is True and stopped["purpose"] == "dictation"

    # the words join what was typed, for the caregiver to check
    done = app.wait_for("dictation_done", timeout=120)
    assert "bread" in done["text"].lower(), done
    field = app.layout()["typed"]["text_field"]
    assert field.startswith(TYPED_FIRST + " ") and "bread" in field.lower(), field
    assert app.wait_shown("add_status", lambda text: text.startswith("Check the words"))
    assert app.layout()["shown"]["dictate"] == "Dictate"
    app.wait_still()  # wrapped words are laid out a frame later
    app.screenshot("en-memories-dictated.png")

    # nothing was kept by the dictation itself: no memory appeared before Save
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert len(http.get(f"/v1/personas/{pid}/memories", params={"limit": 200}).json()) == memories_before

    app.tap("save_memory")
    added = app.wait_for("memory_added", timeout=30)
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        memory = http.get(f"/v1/personas/{pid}/memories/{added['id']}").json()
    assert memory["title"] == "Sunday bread"
    assert memory["text"] == field.strip()
    assert "bread" in memory["text"].lower()
    assert memory["origin"]["kind"] == "typed" and not memory.get("audio_url"), "a caregiver's voice is never kept as hers"
    assert app.wait_shown("add_status", lambda text: text.startswith("Saved."))
