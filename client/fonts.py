"""Pick a font that draws both English and Simplified Chinese, and make it Kivy's default.

Kivy draws a label with a single font file (no per-character fallback), so
the font must hold Latin and CJK together. Order of preference:

1. ``KEEPSAKE_FONT`` (a .ttf/.otf path), for deployments that want another face;
2. the shipped "Keepsake Sans SC" (a subset of Noto Sans CJK SC: Latin and all
   GB2312 hanzi; SIL OFL, see assets/fonts/OFL.txt);
3. the system's Noto Sans CJK (Debian ``fonts-noto-cjk``, Android), which has
   every CJK character but uses Japanese glyph shapes for a few of them;
4. Droid Sans Fallback; 5. Kivy's Roboto (no Chinese: a last resort).
"""

from __future__ import annotations

import os
from pathlib import Path

from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.logger import Logger

SHIPPED = Path(__file__).parent / "assets" / "fonts"
CANDIDATES = [
    (SHIPPED / "KeepsakeSansSC-Regular.otf", SHIPPED / "KeepsakeSansSC-Bold.otf"),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")),
    (Path("/system/fonts/NotoSansCJK-Regular.ttc"), None),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), None),
]


def install_default_font() -> str | None:
    """Register the best font as Kivy's default (every Label and TextInput); returns its path."""
    choices = list(CANDIDATES)
    if os.environ.get("KEEPSAKE_FONT"):
        choices.insert(0, (Path(os.environ["KEEPSAKE_FONT"]), None))
    for regular, bold in choices:
        if regular.exists():
            bold_path = str(bold) if bold and bold.exists() else None
            LabelBase.register(DEFAULT_FONT, fn_regular=str(regular), fn_bold=bold_path)
            Logger.info(f"Keepsake: font {regular}")
            return str(regular)
    Logger.warning("Keepsake: no CJK font found; Chinese text will not render")
    return None
