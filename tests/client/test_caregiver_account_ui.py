"""The caregiver signs in with the family account inside the tablet's caregiver area (real app, real server, under X)."""

from __future__ import annotations

import time

import pytest

from tests.client.harness import (
    caregiver_credentials,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    region_is_not_flat,
    scroll_into_view,
    type_into,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]


def test_sign_in_shows_the_household_personas_and_leaving_signs_out(start_app, live_server):
    app = paired_app(start_app, live_server)
    open_caregiver_area(app)
    email, password = caregiver_credentials(live_server.data_dir)

    type_into(app, "email_field", email)
    type_into(app, "password_field", "not the password")
    scroll_into_view(app, "sign_in_button")
    app.tap("sign_in_button")
    app.wait_for("caregiver_sign_in_failed", timeout=30)
    assert app.wait_shown("account_status", lambda text: text.startswith("Could not sign in"))
    assert app.layout()["typed"].get("email_field") == email  # the email stays; the password is wiped

    type_into(app, "password_field", password)
    scroll_into_view(app, "sign_in_button")
    app.tap("sign_in_button")
    assert app.wait_for("caregiver_signed_in", timeout=30)["email"] == email
    assert app.wait_for("studio_personas", timeout=30)["count"] >= 1  # Rose, the demo persona
    time.sleep(0.5)
    scroll_into_view(app, "account_card")
    shot = app.screenshot("en-caregiver-signed-in.png")
    assert region_is_not_flat(shot, (0.0, 0.1, 0.5, 0.9))

    scroll_into_view(app, "back")
    app.tap("back")
    app.wait_screen("talk")
    app.wait_for("caregiver_signed_out", timeout=10)
