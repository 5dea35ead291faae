"""Choosing a file on the tablet for the studio: a photo for the portrait, recordings for the voice.

Where plyer has a native chooser (Android, Windows, macOS) the system's own
chooser opens. Elsewhere, and whenever the native one fails, a chooser of our
own opens over the screen: one big row per folder and file, in the studio's
large type (Kivy's FileChooser is sized for a desktop mouse, not a tired
finger). It starts in ``KEEPSAKE_PICK_DIR`` when set, else the home folder
(on Android, the shared storage).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.factory import Factory
from kivy.logger import Logger
from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import platform

from client.uix import theme
from client.uix.studio_forms import list_folder
from client.worker import on_ui

NATIVE_PLATFORMS = ("android", "win", "macosx")


def start_folder() -> Path:
    chosen = os.environ.get("KEEPSAKE_PICK_DIR")
    if chosen and Path(chosen).is_dir():
        return Path(chosen)
    if platform == "android":
        try:
            from android.storage import primary_external_storage_path

            return Path(primary_external_storage_path())
        except Exception:
            pass
    return Path.home()


def pick_native(extensions: tuple[str, ...], on_pick: Callable[[Path], None]) -> bool:
    """Open the system's chooser; False when there is none here (then ours is used)."""
    if platform not in NATIVE_PLATFORMS or os.environ.get("KEEPSAKE_PICK_DIR"):
        return False
    try:
        from plyer import filechooser

        def chosen(selection) -> None:  # called from the chooser's own thread
            if selection:
                on_ui(on_pick, Path(selection[0]))

        filechooser.open_file(on_selection=chosen, filters=[["Files", *(f"*{e}" for e in extensions)]])
        return True
    except Exception as exc:
        Logger.info(f"Keepsake: no native file chooser ({exc!r}); using the built-in one")
        return False


class StudioPicker(BoxLayout):
    """The built-in chooser; its look is in kv/studio.kv. Rows get ids ``pick_<file name>`` for the tests' taps."""

    title = StringProperty("")
    folder = StringProperty("")
    preview = StringProperty("")  # a photo tapped in the list, shown big before it is used
    preview_name = StringProperty("")

    def on_preview(self, _picker, path: str) -> None:
        self.preview_name = Path(path).name if path else ""

    def __init__(
        self, extensions: tuple[str, ...], on_pick: Callable[[Path], None], on_close: Callable[[], None], preview: bool = False, **kwargs
    ) -> None:
        self.extensions = extensions
        self.previews = preview  # photos: see it big first (a file name says little about a photo)
        self._row_ids: list[str] = []
        self.on_pick = on_pick
        self.on_close = on_close
        super().__init__(**kwargs)
        self.open_folder(start_folder())

    def open_folder(self, folder: Path) -> None:
        app = App.get_running_app()
        self.folder = str(folder)
        self.preview = ""
        rows = self.ids.rows
        rows.clear_widgets()
        for key in self._row_ids:
            self.ids.pop(key, None)
        self._row_ids = []
        folders, files = list_folder(folder, self.extensions)
        height = dp(64) * app.ui_scale
        for path in folders:
            row = Factory.SoftButton(
                text=app.t("picker_folder", name=path.name),
                size_hint_y=None,
                height=height,
                halign="left",
                bg=theme.PANEL,
                font_size=dp(22) * app.ui_scale,
            )
            row.bind(on_press=lambda _b, p=path: self.open_folder(p))
            rows.add_widget(row)
            self._row_ids.append(f"pick_dir_{path.name}")
            self.ids[f"pick_dir_{path.name}"] = row
        for path in files:
            row = Factory.SoftButton(
                text=path.name, size_hint_y=None, height=height, halign="left", bold=False, font_size=dp(22) * app.ui_scale
            )
            row.bind(on_press=lambda _b, p=path: self.tapped(p))
            rows.add_widget(row)
            self._row_ids.append(f"pick_{path.name}")
            self.ids[f"pick_{path.name}"] = row
        if not folders and not files:
            rows.add_widget(Factory.FieldLabel(text=app.t("picker_empty")))
        self.ids.scroll_rows.scroll_y = 1

    def tapped(self, path: Path) -> None:
        if self.previews:
            self.preview = str(path)
        else:
            self.choose(path)

    def use_preview(self) -> None:
        if self.preview:
            self.choose(Path(self.preview))

    def up(self) -> None:
        if self.preview:  # "up" from a photo is back to its folder
            self.preview = ""
            return
        parent = Path(self.folder).parent
        if parent != Path(self.folder):
            self.open_folder(parent)

    def choose(self, path: Path) -> None:
        self.on_close()
        self.on_pick(path)

    def cancel(self) -> None:
        self.on_close()
