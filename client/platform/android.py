"""Android-only pieces: run-time permissions (Android 6+) and keeping the screen on while talking.

Every function is a no-op elsewhere, so the rest of the app calls them freely.
"""

from __future__ import annotations

from kivy.logger import Logger
from kivy.utils import platform

IS_ANDROID = platform == "android"
_screen_on: bool | None = None


def on_start() -> None:
    if not IS_ANDROID:
        return
    try:
        from android.permissions import Permission, request_permissions  # provided by python-for-android

        request_permissions([Permission.RECORD_AUDIO, Permission.INTERNET, Permission.WAKE_LOCK])
    except Exception as exc:  # an old p4a without the module: permissions come from the manifest
        Logger.warning(f"Keepsake: permission request failed: {exc!r}")


def keep_screen_on(on: bool) -> None:
    """While the relative talks or listens the screen must not go dark."""
    global _screen_on
    if not IS_ANDROID or on == _screen_on:
        return
    _screen_on = on
    try:
        from android.runnable import run_on_ui_thread
        from jnius import autoclass

        activity = autoclass("org.kivy.android.PythonActivity").mActivity
        flag = autoclass("android.view.WindowManager$LayoutParams").FLAG_KEEP_SCREEN_ON

        @run_on_ui_thread
        def apply() -> None:
            window = activity.getWindow()
            if on:
                window.addFlags(flag)
            else:
                window.clearFlags(flag)

        apply()
    except Exception as exc:
        Logger.warning(f"Keepsake: keep-screen-on failed: {exc!r}")
