"""A picture of the tablet's window (``keepsake demo --screenshot`` and the UI tests)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kivy.core.window import Window


def save_screenshot(path: str) -> str:
    """Save exactly ``path`` (Kivy's own screenshot adds a counter to the name)."""
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="keepsake-shot-"))
    # draw now: the GL back buffer may still hold an older frame when nothing moved since
    Window.dispatch("on_draw")
    made = Window.screenshot(name=str(folder / "shot.png"))
    if made and Path(made).exists():
        shutil.move(made, target)
    shutil.rmtree(folder, ignore_errors=True)
    return str(target)
