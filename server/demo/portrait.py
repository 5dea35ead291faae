"""Draw the demo personas' portraits: an illustrated, fictional older woman (Rose) and man (Arthur).

Pure Pillow shapes (no photo, no real person's likeness), drawn at twice the
size and scaled down for smooth edges. Run ``python -m server.demo.portrait``
to rewrite ``server/demo/portrait.png`` and ``server/demo/grandfather.png``.
Both faces are drawn alike, so both share ``MOUTH``. ``MOUTH`` is where the mouth is drawn,
as fractions of the image (the same numbers persona.json carries for the
tablet's mouth animation); a test keeps the two in step.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 1024
SCALE = 2  # draw at 2048 x 2048, then scale down: Pillow shapes have no anti-aliasing
PORTRAIT_PATH = Path(__file__).with_name("portrait.png")
GRANDFATHER_PATH = Path(__file__).with_name("grandfather.png")
MAX_BYTES = 300_000

# Face geometry in final-image pixels.
FACE_CX, FACE_CY = 512, 478
FACE_W, FACE_H = 360, 430
MOUTH_CX, MOUTH_CY, MOUTH_W = 512, 612, 112
MOUTH = {"x": MOUTH_CX / SIZE, "y": round(MOUTH_CY / SIZE, 4), "width": round(MOUTH_W / SIZE, 3)}

SKIN = (244, 205, 178)
SKIN_SHADOW = (222, 172, 145)
HAIR = (232, 230, 236)
HAIR_SHADE = (196, 194, 206)
HAIR_DARK = (168, 166, 180)
CARDIGAN = (176, 112, 138)
CARDIGAN_DARK = (146, 86, 112)
BLOUSE = (250, 246, 240)
LINE = (120, 72, 60)
EYE = (92, 70, 52)
# Arthur: short grey hair, a tweed jacket over a shirt and tie.
GREY = (204, 204, 208)
GREY_SHADE = (170, 170, 178)
GREY_DARK = (138, 138, 148)
JACKET = (118, 104, 84)
JACKET_DARK = (92, 80, 64)
SHIRT = (236, 240, 246)
TIE = (128, 42, 52)


def _s(value: float) -> int:
    return int(round(value * SCALE))


def _box(cx: float, cy: float, w: float, h: float) -> tuple[int, int, int, int]:
    return (_s(cx - w / 2), _s(cy - h / 2), _s(cx + w / 2), _s(cy + h / 2))


def _background(size: int) -> Image.Image:
    """A warm vertical gradient with a soft glow behind the head and a few blurred lights."""
    image = Image.new("RGB", (size, size))
    top, bottom = (252, 228, 200), (240, 196, 170)
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        draw.line([(0, y), (size, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    glow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(glow).ellipse(_box(512, 430, 900, 820), fill=150)
    glow = glow.filter(ImageFilter.GaussianBlur(_s(110)))
    image.paste(Image.new("RGB", (size, size), (255, 244, 226)), mask=glow)
    lights = Image.new("L", (size, size), 0)
    light_draw = ImageDraw.Draw(lights)
    for x, y, r in [(150, 170, 70), (880, 220, 90), (120, 640, 55), (905, 600, 60), (800, 90, 40), (250, 360, 35)]:
        light_draw.ellipse(_box(x, y, 2 * r, 2 * r), fill=90)
    lights = lights.filter(ImageFilter.GaussianBlur(_s(14)))
    image.paste(Image.new("RGB", (size, size), (255, 250, 238)), mask=lights)
    return image


def _soft(image: Image.Image, shape: list[tuple[Any, ...]], color: tuple[int, int, int], blur: float) -> None:
    """Paint blurred ellipses (blush, shadows) onto ``image``."""
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for cx, cy, w, h, alpha in shape:
        draw.ellipse(_box(cx, cy, w, h), fill=alpha)
    image.paste(Image.new("RGB", image.size, color), mask=mask.filter(ImageFilter.GaussianBlur(_s(blur))))


def _arc(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, w: float, h: float, start: float, end: float, fill: tuple[int, int, int], width: float
) -> None:
    draw.arc(_box(cx, cy, w, h), start, end, fill=fill, width=_s(width))


def _hair_back(draw: ImageDraw.ImageDraw) -> None:
    # Soft volume behind the face, ending just below the ears.
    draw.ellipse(_box(FACE_CX, 400, 470, 420), fill=HAIR_SHADE)
    for side in (-1, 1):
        draw.ellipse(_box(FACE_CX + side * 175, 470, 150, 190), fill=HAIR_SHADE)


def _hair_front(draw: ImageDraw.ImageDraw) -> None:
    # A neat bun on top, then soft waves swept back from the forehead.
    draw.ellipse(_box(FACE_CX, 200, 170, 130), fill=HAIR_SHADE)
    draw.ellipse(_box(FACE_CX - 4, 194, 150, 112), fill=HAIR)
    _arc(draw, FACE_CX, 214, 110, 60, 200, 340, HAIR_DARK, 3)
    _arc(draw, FACE_CX - 10, 196, 80, 40, 210, 330, HAIR_DARK, 3)
    waves = [
        (-150, 345, 140, 150),
        (-70, 300, 170, 130),
        (20, 292, 180, 126),
        (110, 310, 170, 136),
        (168, 370, 130, 150),
        (-185, 440, 100, 150),
        (190, 445, 100, 150),
    ]
    for dx, y, w, h in waves:
        draw.ellipse(_box(FACE_CX + dx, y, w, h), fill=HAIR_SHADE)
    for dx, y, w, h in waves:
        draw.ellipse(_box(FACE_CX + dx - 5, y - 7, w * 0.9, h * 0.84), fill=HAIR)
    for dx, y, w, h in waves:  # a few strokes so the waves read as hair
        _arc(draw, FACE_CX + dx, y + 6, w * 0.7, h * 0.55, 195, 300, HAIR_DARK, 3)
        _arc(draw, FACE_CX + dx + 8, y + 16, w * 0.5, h * 0.4, 205, 290, HAIR_SHADE, 3)


def _short_hair_back(draw: ImageDraw.ImageDraw) -> None:
    # Close-cropped at the back and sides, just over the ears.
    draw.ellipse(_box(FACE_CX, 392, 410, 330), fill=GREY_SHADE)
    for side in (-1, 1):
        draw.ellipse(_box(FACE_CX + side * 168, 440, 90, 150), fill=GREY_SHADE)


def _short_hair_front(draw: ImageDraw.ImageDraw) -> None:
    # Receding a little at the temples, parted on his left and combed across.
    draw.chord(_box(FACE_CX, 350, 372, 230), 180, 360, fill=GREY_SHADE)
    draw.chord(_box(FACE_CX + 6, 344, 352, 206), 180, 350, fill=GREY)
    for side in (-1, 1):  # short sideburns above the ears
        draw.ellipse(_box(FACE_CX + side * 172, 430, 26, 84), fill=GREY)
    for k in range(6):  # comb strokes across from the parting
        _arc(draw, FACE_CX + 40, 330 + k * 8, 300 - k * 20, 120 - k * 8, 200, 300, GREY_DARK, 3)
    draw.line([(_s(FACE_CX - 70), _s(262)), (_s(FACE_CX - 96), _s(320))], fill=GREY_DARK, width=_s(4))  # the parting


def _jacket(image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    # Neck, a white shirt collar with a dark red tie, and a tweed jacket with lapels.
    draw.rounded_rectangle(_box(FACE_CX, 690, 146, 180), radius=_s(40), fill=SKIN)
    _soft(image, [(FACE_CX, 672, 160, 70, 120)], SKIN_SHADOW, 16)
    draw = ImageDraw.Draw(image)
    draw.ellipse(_box(FACE_CX, 1010, 900, 560), fill=JACKET)
    draw.rectangle(_box(FACE_CX, 1090, 900, 200), fill=JACKET)
    draw.polygon([(_s(430), _s(742)), (_s(594), _s(742)), (_s(512), _s(960))], fill=SHIRT)
    for side in (-1, 1):  # collar points
        draw.polygon([(_s(FACE_CX), _s(770)), (_s(FACE_CX + side * 84), _s(736)), (_s(FACE_CX + side * 56), _s(812))], fill=SHIRT)
        draw.line([(_s(FACE_CX), _s(770)), (_s(FACE_CX + side * 56), _s(812))], fill=(200, 204, 214), width=_s(2))
    draw.polygon([(_s(498), _s(772)), (_s(526), _s(772)), (_s(532), _s(796)), (_s(492), _s(796))], fill=TIE)  # knot
    draw.polygon([(_s(494), _s(796)), (_s(530), _s(796)), (_s(542), _s(930)), (_s(512), _s(962)), (_s(482), _s(930))], fill=TIE)
    for side in (-1, 1):  # lapels
        draw.polygon(
            [(_s(FACE_CX + side * 88), _s(736)), (_s(FACE_CX + side * 22), _s(960)), (_s(FACE_CX + side * 150), _s(860))], fill=JACKET_DARK
        )
    weave = Image.new("L", image.size, 0)  # a faint tweed weave, on the jacket only
    weave_draw = ImageDraw.Draw(weave)
    for i in range(0, 940, 18):
        weave_draw.line([(_s(62 + i), _s(740)), (_s(22 + i), _s(1024))], fill=110, width=_s(1))
    jacket = Image.new("L", image.size, 0)
    ImageDraw.Draw(jacket).ellipse(_box(FACE_CX, 1010, 900, 560), fill=255)
    ImageDraw.Draw(jacket).rectangle(_box(FACE_CX, 1090, 900, 200), fill=255)
    image.paste(
        Image.new("RGB", image.size, JACKET_DARK), mask=Image.fromarray((np.asarray(weave) * (np.asarray(jacket) / 255)).astype("uint8"))
    )


def _shoulders(image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
    # Neck, then a cardigan with a V opening over a blouse, and a string of pearls.
    draw.rounded_rectangle(_box(FACE_CX, 690, 136, 180), radius=_s(40), fill=SKIN)
    _soft(image, [(FACE_CX, 672, 150, 70, 120)], SKIN_SHADOW, 16)
    draw = ImageDraw.Draw(image)
    draw.ellipse(_box(FACE_CX, 1010, 880, 560), fill=CARDIGAN)
    draw.rectangle(_box(FACE_CX, 1090, 880, 200), fill=CARDIGAN)
    # blouse in the V, with a rounded collar on each side
    draw.polygon([(_s(440), _s(742)), (_s(584), _s(742)), (_s(512), _s(902))], fill=BLOUSE)
    for side in (-1, 1):
        draw.chord(_box(FACE_CX + side * 52, 754, 120, 70), 0 if side > 0 else 0, 180, fill=BLOUSE)
        _arc(draw, FACE_CX + side * 52, 754, 120, 70, 0, 180, (224, 214, 204), 2)
    # cardigan edges, ribbed band and buttons
    draw.line([(_s(430), _s(742)), (_s(512), _s(907)), (_s(594), _s(742))], fill=CARDIGAN_DARK, width=_s(14), joint="curve")
    draw.line([(_s(512), _s(907)), (_s(512), _s(1024))], fill=CARDIGAN_DARK, width=_s(6))
    for button_y in (940, 985):
        draw.ellipse(_box(527, button_y, 16, 16), fill=(240, 226, 208))
    for i in range(19):  # pearls along a curve below the collar
        t = i / 18
        x = 446 + 132 * t
        y = 784 + 62 * math.sin(math.pi * t)
        draw.ellipse(_box(x, y, 16, 16), fill=(248, 244, 238), outline=(212, 204, 194), width=_s(1))


def _face(image: Image.Image, earrings: bool = True) -> None:
    draw = ImageDraw.Draw(image)
    for side in (-1, 1):  # ears (hers with small pearl earrings)
        ex = FACE_CX + side * 176
        draw.ellipse(_box(ex, 500, 56, 96), fill=SKIN_SHADOW)
        draw.ellipse(_box(ex - side * 3, 500, 44, 82), fill=SKIN)
        if earrings:
            draw.ellipse(_box(ex, 556, 20, 20), fill=(248, 244, 238), outline=(212, 204, 194), width=_s(1))
    draw.ellipse(_box(FACE_CX, FACE_CY, FACE_W, FACE_H), fill=SKIN)
    # Jaw shadow, rosy cheeks, a little warmth on the nose.
    _soft(image, [(FACE_CX, FACE_CY + 190, 240, 50, 60)], SKIN_SHADOW, 18)
    _soft(image, [(FACE_CX - 100, 565, 100, 62, 120), (FACE_CX + 100, 565, 100, 62, 120), (FACE_CX, 548, 36, 26, 70)], (236, 150, 140), 18)
    draw = ImageDraw.Draw(image)

    for side in (-1, 1):
        cx = FACE_CX + side * 72
        _arc(draw, cx, 438, 96, 42, 200, 340, (156, 146, 146), 7)  # eyebrow
        # smiling eyes: white, iris, pupil, highlight, then the upper lid over them
        draw.ellipse(_box(cx, 486, 60, 36), fill=(255, 252, 248))
        draw.ellipse(_box(cx, 487, 31, 31), fill=EYE)
        draw.ellipse(_box(cx, 487, 14, 14), fill=(40, 30, 26))
        draw.ellipse(_box(cx + 6, 481, 8, 8), fill=(255, 255, 255))
        draw.chord(_box(cx, 477, 66, 30), 180, 360, fill=SKIN)
        _arc(draw, cx, 486, 64, 36, 195, 345, LINE, 4)
        _arc(draw, cx, 489, 58, 26, 25, 155, SKIN_SHADOW, 3)  # lower lid, lifted by the smile
        for k in (-1, 0, 1):  # laugh lines at the outer corner
            ox = cx + side * 44
            if side > 0:
                _arc(draw, ox + 6, 486 + k * 9, 22, 14, 300 + k * 15, 350 + k * 15, SKIN_SHADOW, 2)
            else:
                _arc(draw, ox - 6, 486 + k * 9, 22, 14, 190 - k * 15, 240 - k * 15, SKIN_SHADOW, 2)
        draw.ellipse(_box(cx, 490, 110, 94), outline=(184, 140, 82), width=_s(4))  # round gold glasses
    _arc(draw, FACE_CX, 487, 32, 22, 200, 340, (184, 140, 82), 4)
    for side in (-1, 1):
        draw.line([(_s(FACE_CX + side * 127), _s(484)), (_s(FACE_CX + side * 172), _s(474))], fill=(184, 140, 82), width=_s(4))

    # nose: a soft shadow down one side, a rounded tip and two small nostrils
    _soft(image, [(FACE_CX + 16, 520, 20, 70, 70)], SKIN_SHADOW, 8)
    draw = ImageDraw.Draw(image)
    _arc(draw, FACE_CX, 553, 36, 22, 30, 150, SKIN_SHADOW, 4)
    for side in (-1, 1):
        _arc(draw, FACE_CX + side * 18, 551, 18, 14, 60 if side > 0 else 20, 160 if side > 0 else 120, LINE, 3)
    # soft smile lines from the nose towards the mouth corners
    _arc(draw, FACE_CX - 70, 596, 60, 90, 110, 190, SKIN_SHADOW, 3)
    _arc(draw, FACE_CX + 70, 596, 60, 90, 350, 70, SKIN_SHADOW, 3)
    _arc(draw, FACE_CX, 396, 120, 22, 205, 335, SKIN_SHADOW, 2)  # a forehead line

    # mouth: a closed, warm smile centred on MOUTH (the tablet opens it while speaking)
    half = MOUTH_W / 2
    upper, lower = [], []
    for i in range(41):
        u = -1 + i / 20
        x = MOUTH_CX + u * half
        upper.append((_s(x), _s(MOUTH_CY - 6 + 8 * (1 - u * u))))
        lower.append((_s(x), _s(MOUTH_CY - 6 + 24 * (1 - u * u) ** 0.8)))
    draw.polygon(upper + lower[::-1], fill=(204, 112, 112))
    draw.line(upper, fill=(140, 62, 62), width=_s(4), joint="curve")
    for side in (-1, 1):  # the corners lift a little: that is the smile
        corner_x = MOUTH_CX + side * half
        draw.line([(_s(corner_x), _s(MOUTH_CY - 6)), (_s(corner_x + side * 7), _s(MOUTH_CY - 11))], fill=(140, 62, 62), width=_s(4))
    lip_shine = [(x, y + _s(8)) for x, y in upper[14:27]]
    draw.line(lip_shine, fill=(226, 150, 146), width=_s(3))


def draw_portrait(who: str = "rose") -> Image.Image:
    """Rose's portrait, or Arthur's (``who="arthur"``): the same drawn face with his hair and clothes."""
    big = SIZE * SCALE
    image = _background(big)
    draw = ImageDraw.Draw(image)
    if who == "arthur":
        _short_hair_back(draw)
        _jacket(image, draw)
        _face(image, earrings=False)
        _short_hair_front(ImageDraw.Draw(image))
    else:
        _hair_back(draw)
        _shoulders(image, draw)
        _face(image)
        _hair_front(ImageDraw.Draw(image))
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def save_portrait(path: Path = PORTRAIT_PATH, who: str = "rose") -> Path:
    image = draw_portrait(who)
    image.save(path, optimize=True)
    if path.stat().st_size > MAX_BYTES:  # it is committed: keep it small, at the cost of some banding
        image.quantize(colors=256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    return path


if __name__ == "__main__":
    for who, target in (("rose", PORTRAIT_PATH), ("arthur", GRANDFATHER_PATH)):
        written = save_portrait(target, who)
        print(f"wrote {written} ({written.stat().st_size // 1024} KB), mouth at {MOUTH}")
