"""What one relative told the persona, shared with every tablet by the caregiver on the real tablet
app under X against the real server (``keepsake serve --demo``).

A second tablet tells Rose news; the caregiver's list says which tablet told it and that only there
will Rose ask about it; Share makes it every tablet's, and Stop sharing (in Chinese) takes it back.
Every change is checked through the server's API.

Screenshots (looked at by a person): test-output/screenshots/{en,zh}-facts-sharing*.png.
"""

from __future__ import annotations

import pytest

from tests.client.harness import caregiver_client, has_xdotool, paired_app, persona_named, tell_persona
from tests.client.test_memories_ui import open_memories, tap_in_list

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

NEWS = "I finally told Sarah about the affair last night."


def api_fact(live_server, persona_id: str) -> dict:
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        return next(f for f in http.get(f"/v1/personas/{persona_id}/facts").json() if "Sarah" in f["text"])


def fact_row(app) -> int:
    """The index of the news's row in the list on screen."""
    app.tap("tab_facts")
    app.wait_shown("fact_0_origin")
    shown = app.layout()["shown"]
    return next(i for i in range(50) if "Sarah" in shown.get(f"fact_{i}_text", "").replace("\n", ""))


def test_the_caregiver_shares_what_one_tablet_was_told_and_takes_it_back(start_app, live_server):
    rose = persona_named(live_server.url, live_server.data_dir, "Rose Whitfield")
    tell_persona(live_server.url, live_server.data_dir, rose["id"], NEWS)  # on a tablet of its own, "Test tablet"
    fact = api_fact(live_server, rose["id"])
    assert fact["shared"] is False and fact["told_by"]["name"] == "Test tablet"

    app = paired_app(start_app, live_server)
    open_memories(app, live_server, rose["id"])
    index = fact_row(app)
    row = f"fact_{index}"
    assert app.wait_shown(f"{row}_origin").replace("\n", " ").startswith("Told on ")
    assert "“Test tablet”" in app.layout()["shown"][f"{row}_origin"].replace("\n", " ")
    note = app.wait_shown(f"{row}_sharing_note").replace("\n", " ")
    assert note == "Only the one who said it, on “Test tablet”, hears Grandma Rose ask about it.", note
    assert app.layout()["shown"][f"{row}_share"] == "Share"
    app.screenshot("en-facts-sharing.png")

    tap_in_list(app, f"{row}_share", "facts_scroll")
    saved = app.wait_for("fact_saved", timeout=30)
    assert saved["id"] == fact["id"] and saved["shared"] is True and saved["fields"] == ["shared"]
    assert api_fact(live_server, rose["id"])["shared"] is True
    assert app.wait_shown(f"{row}_sharing_note", lambda text: text.startswith("Shared:")).replace("\n", " ") == (
        "Shared: Grandma Rose may ask about this on every tablet."
    )
    assert app.wait_shown(f"{row}_share", lambda text: text == "Stop sharing")
    app.screenshot("en-facts-shared.png")
    app.quit()

    # In Chinese: the same row, shared, and taken back.
    app = paired_app(start_app, live_server, language="zh")
    open_memories(app, live_server, rose["id"])
    row = f"fact_{fact_row(app)}"
    assert app.wait_shown(f"{row}_sharing_note").replace("\n", "") == "已共享：在每台平板上，Grandma Rose都可能问起这件事。"
    assert app.layout()["shown"][f"{row}_share"] == "取消共享"
    assert "在“Test tablet”上说的" in app.layout()["shown"][f"{row}_origin"].replace("\n", "")
    app.screenshot("zh-facts-sharing-shared.png")
    tap_in_list(app, f"{row}_share", "facts_scroll")
    assert app.wait_for("fact_saved", timeout=30)["shared"] is False
    assert api_fact(live_server, rose["id"])["shared"] is False
    note = app.wait_shown(f"{row}_sharing_note", lambda text: text.startswith("只有")).replace("\n", "")
    assert note == "只有在“Test tablet”上说这件事的人，才会听到Grandma Rose问起。", note
    assert app.wait_shown(f"{row}_share", lambda text: text == "共享")
    app.screenshot("zh-facts-sharing.png")
