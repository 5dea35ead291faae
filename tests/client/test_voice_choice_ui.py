"""The studio's voice step, for real under X: what each voice is, whether the one she speaks with suits
her (in English and Chinese), and choosing her own recordings and captions only."""

from __future__ import annotations

import pytest

from tests.client.harness import (
    caregiver_client,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    persona_named,
    region_is_not_flat,
    scroll_into_view,
    sign_in_on_tablet,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]


def _open_voice_step(app, server, persona_id: str) -> None:
    open_caregiver_area(app)
    sign_in_on_tablet(app, server.data_dir)
    scroll_into_view(app, f"studio_edit_persona_{persona_id}")
    app.tap(f"studio_edit_persona_{persona_id}")
    app.wait_screen("studio")
    app.wait_for("studio_loaded", lambda e: e["persona_id"] == persona_id, timeout=30, since_start=True)
    app.tap("step_voice")
    app.wait_for("studio_step", lambda e: e["step"] == "voice", timeout=10)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_voice_step_says_the_built_in_voice_does_not_suit_rose(start_app, live_server, language):
    rose = persona_named(live_server.url, live_server.data_dir, "Rose Whitfield")
    app = paired_app(start_app, live_server, language=language)
    _open_voice_step(app, live_server, rose["id"])
    app.wait_for("studio_voice_choice", lambda e: e["speaks_with"] == "built_in", timeout=30, since_start=True)
    shown = app.layout()["shown"]
    if language == "en":
        assert shown["voice_built_in"] == "built-in voice: a man, American English"
        assert shown["voice_own"] == "only Rose Whitfield's own recordings, with captions"
        assert "The built-in voice is a man's voice, and Rose Whitfield is a woman." in shown["voice_fit_note"].replace("\n", " ")
    else:
        assert shown["voice_built_in"] == "内置声音：男声，美式英语"
        assert "内置声音是男声" in shown["voice_fit_note"].replace("\n", "")
    shot = app.screenshot(f"{language}-studio-voice-choice.png")
    assert region_is_not_flat(shot, (0.5, 0.2, 1.0, 0.7))

    if language == "en":
        try:
            app.tap("voice_own")
            note = app.wait_for("studio_voice_choice", lambda e: e["speaks_with"] == "own_recordings_only", timeout=30)
            assert note["fits"] and "large captions" in note["note"]
            app.screenshot("en-studio-voice-own-recordings.png")
            with caregiver_client(live_server.url, live_server.data_dir) as http:
                assert http.get(f"/v1/personas/{rose['id']}").json()["voice_choice"] == "own_recordings_only"
        finally:  # the demo server is shared by the module's tests: Rose speaks as before
            with caregiver_client(live_server.url, live_server.data_dir) as http:
                http.patch(f"/v1/personas/{rose['id']}", json={"voice_choice": "built_in"})
