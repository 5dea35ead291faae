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
    wait_laid_out,
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
    wait_laid_out(app, "studio_")
    scroll_into_view(app, "account_card")
    shot = app.screenshot("en-caregiver-signed-in.png")
    assert region_is_not_flat(shot, (0.0, 0.1, 0.5, 0.9))

    scroll_into_view(app, "back")
    app.tap("back")
    app.wait_screen("talk")
    app.wait_for("caregiver_signed_out", timeout=10)


def test_a_new_photo_is_on_the_face_as_soon_as_the_caregiver_area_closes(start_app, live_server):
    import io
    from pathlib import Path

    from PIL import Image, ImageChops, ImageOps, ImageStat

    from tests.client.harness import caregiver_client

    app = paired_app(start_app, live_server)
    before = Image.open(app.screenshot("en-face-before-new-photo.png")).convert("RGB")

    # The family changes Rose's photo and marks her mouth (from a laptop here; the studio on this
    # tablet saves the same way): the relative sees it when the caregiver hands the tablet back.
    demo = Path(__file__).resolve().parents[2] / "server" / "demo" / "portrait.png"
    picture = ImageOps.colorize(ImageOps.grayscale(Image.open(demo)), "#2b1d0e", "#f6e7c8").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    png = io.BytesIO()
    picture.save(png, "PNG")
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        rose = http.get("/v1/personas").json()[0]
        put = http.put(
            f"/v1/personas/{rose['id']}/portrait",
            params={"mouth_x": 0.47, "mouth_y": 0.63},
            content=png.getvalue(),
            headers={"content-type": "image/png"},
        )
        assert put.status_code == 200, put.text

    open_caregiver_area(app)
    app.tap("back")
    app.wait_screen("talk")
    refreshed = app.wait_for("face_refreshed", timeout=30, since_start=True)
    assert refreshed["mouth"][:2] == pytest.approx([0.47, 0.63], abs=0.001)
    assert refreshed["portrait"].endswith(".png")
    face = (0, 0, int(before.width * 0.55), before.height)  # the portrait's half of the screen

    def change() -> float:
        after = Image.open(app.screenshot("en-face-new-photo.png")).convert("RGB")
        return sum(ImageStat.Stat(ImageChops.difference(before.crop(face), after.crop(face))).mean) / 3

    # the new photo is drawn a frame or more later (frames are slow on a busy machine): look until it is there
    deadline, changed = time.monotonic() + 20, change()
    while changed <= 8 and time.monotonic() < deadline:
        changed = change()
    assert changed > 8, f"the face on screen is still the old photo ({changed:.1f})"
