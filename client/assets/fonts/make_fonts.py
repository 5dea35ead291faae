"""Rebuild the fonts shipped with the tablet (a developer tool, not used at run time).

The tablet must draw Simplified Chinese on any device, so it ships a subset of
Noto Sans CJK SC (SIL Open Font License 1.1, see OFL.txt): Latin, punctuation
and all 6,763 GB2312 hanzi, which covers everyday Chinese text. The subset is
renamed "Keepsake Sans SC" as the OFL asks of modified fonts.

    pip install fonttools
    python client/assets/fonts/make_fonts.py [/usr/share/fonts/opentype/noto]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SC_FACE = 2  # index of "Noto Sans CJK SC" inside Debian's NotoSansCJK-*.ttc


def wanted_codepoints() -> set[int]:
    ranges = [
        (0x20, 0x7F),
        (0xA0, 0x180),
        (0x2000, 0x206F),
        (0x2190, 0x22FF),
        (0x2460, 0x24FF),
        (0x25A0, 0x26FF),
        (0x3000, 0x303F),
        (0xFF00, 0xFFEF),
    ]
    points = {c for lo, hi in ranges for c in range(lo, hi)}
    for hi in range(0xB0, 0xF8):  # the GB2312 hanzi rows
        for lo in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return points


def main(src_dir: str = "/usr/share/fonts/opentype/noto") -> None:
    out_dir = Path(__file__).parent
    for weight in ("Regular", "Bold"):
        font = TTCollection(f"{src_dir}/NotoSansCJK-{weight}.ttc").fonts[SC_FACE]
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.hinting = False
        sub = subset.Subsetter(options)
        sub.populate(unicodes=wanted_codepoints())
        sub.subset(font)
        for record in font["name"].names:
            text = record.toUnicode()
            if "Noto Sans CJK SC" in text or "NotoSansCJKsc" in text:
                record.string = text.replace("Noto Sans CJK SC", "Keepsake Sans SC").replace("NotoSansCJKsc", "KeepsakeSansSC")
        font.save(out_dir / f"KeepsakeSansSC-{weight}.otf")
        print("wrote", out_dir / f"KeepsakeSansSC-{weight}.otf")


if __name__ == "__main__":
    main(*sys.argv[1:])
