"""Start the tablet app. Importing this module opens no window; ``run()`` does.

Environment (all optional):
- ``KEEPSAKE_TABLET_DIR``: where the tablet keeps its settings, token and outbox
  (default: Kivy's private ``user_data_dir``);
- ``KEEPSAKE_MIC_FILE=speech.wav``: a file-backed microphone (demos, tests);
- ``KEEPSAKE_AUDIO=null|sounddevice|kivy``: force a sound output;
- ``KEEPSAKE_WINDOW=1920x1200``: the window size on a desktop (default 1280x800);
  ``KEEPSAKE_FULLSCREEN=1`` for a kiosk;
- ``KEEPSAKE_FONT``: a font file with Latin and Chinese to use instead of the shipped one;
- ``KEEPSAKE_LIVE_SOCKET=0``: never the live socket, always the POST turn (a proxy known to
  break WebSockets; the tablet falls back by itself when a server has no socket).
"""

from __future__ import annotations

import os


def _configure_kivy() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our command line is ours, not Kivy's
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xclip/xsel: they may be missing, and only log noise
    from kivy.config import Config

    width, _, height = os.environ.get("KEEPSAKE_WINDOW", "1280x800").partition("x")
    Config.set("graphics", "width", width or "1280")
    Config.set("graphics", "height", height or "800")
    Config.set("graphics", "position", "custom")
    Config.set("graphics", "left", "0")
    Config.set("graphics", "top", "0")
    if os.environ.get("KEEPSAKE_FULLSCREEN") == "1":
        Config.set("graphics", "fullscreen", "auto")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # a right click must not leave red dots
    Config.set("kivy", "exit_on_escape", "0")  # Android's back button must not end the conversation
    Config.set("kivy", "window_icon", os.path.join(os.path.dirname(__file__), "assets", "icon.png"))


def run(
    server: str | None,
    pairing_code: str | None = None,
    screenshot: str | None = None,
    screenshot_after: float | None = None,
    language: str | None = None,
) -> int:
    """Run the tablet until its window closes; returns the process exit code.

    ``server`` and ``pairing_code`` pair the tablet at start (``keepsake serve --demo``
    prints a code); without them it uses what it stored last time, or opens the
    set-up screen. ``screenshot`` saves a PNG after ``screenshot_after`` seconds
    (default 5), or once the tablet has started if it is still connecting then, and exits.
    """
    _configure_kivy()
    from client.fonts import install_default_font

    install_default_font()
    from kivy.core.window import Window

    from client.app import KeepsakeApp
    from client.uix.theme import BACKGROUND

    Window.clearcolor = BACKGROUND
    app = KeepsakeApp(server=server, pairing_code=pairing_code, screenshot=screenshot, screenshot_after=screenshot_after, language=language)
    app.run()
    return app.exit_code
