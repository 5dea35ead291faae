"""Small files for import tests, made here: Word documents, PDFs, e-books, chat exports, zip bombs, photos."""

from __future__ import annotations

import io
import tempfile
import textwrap
import zipfile
from pathlib import Path

Chapters = list[tuple[str, list[str]]]

CHAPTERS: Chapters = [
    (
        "The Seaside",
        [
            "When I was a girl we lived by the sea in Whitby. Every morning before school I walked along the beach with my "
            "brother Tom and we filled our pockets with shells and bits of sea glass.",
            "Mother said the sea glass was the sea's way of saying sorry for the storms. I kept mine in a jam jar on the "
            "windowsill, and when the sun came through it the whole kitchen went green and blue.",
        ],
    ),
    (
        "The Bakery",
        [
            "At fourteen I started at Hudson's bakery on Flowergate. I was up at four to light the ovens, and by six the "
            "whole street smelled of bread.",
            "Mr Hudson taught me the secret of a good scone: cold butter, a light hand, and never twist the cutter. "
            "I have made them that way ever since, and I taught your mother the same.",
        ],
    ),
    (
        "Our Wedding",
        [
            "Your grandfather Arthur and I married in June 1952 at St Mary's, up the hundred and ninety-nine steps. It "
            "rained all day, and we danced anyway in the church hall until the band went home.",
            "We had no money for a honeymoon, so we took the bus to Scarborough for the day and ate chips on the pier. "
            "It was the happiest day of my life.",
        ],
    ),
]


def memoir_text(chapters: Chapters = CHAPTERS) -> str:
    parts = []
    for number, (title, paragraphs) in enumerate(chapters, start=1):
        parts.append(f"Chapter {number}\n\n{title}\n")
        parts.extend(paragraphs)
    return "\n\n".join(parts) + "\n"


def docx_bytes(chapters: Chapters = CHAPTERS) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("My Life", 0)
    for title, paragraphs in chapters:
        document.add_heading(title, 1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf_escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A small, valid PDF written by hand: one page per list of paragraphs, Helvetica, wrapped at 85 characters."""
    objects: list[bytes] = []
    kids = []
    page_ids = []
    font_id = 3
    next_id = 4
    for paragraphs in pages:
        lines: list[str] = []
        for paragraph in paragraphs:
            lines.extend(textwrap.wrap(paragraph, 85) or [""])
            lines.append("")
        commands = ["BT", "/F1 10 Tf", "14 TL", "60 780 Td"]
        for line in lines:
            commands.append(f"({_pdf_escape(line)}) Tj T*")
        commands.append("ET")
        stream = "\n".join(commands).encode("latin-1", "replace")
        content_id, page_id = next_id, next_id + 1
        next_id += 2
        objects.append((content_id, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
        objects.append(
            (
                page_id,
                (
                    f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents {content_id} 0 R "
                    f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>"
                ).encode(),
            )
        )
        page_ids.append(page_id)
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    head = [
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()),
        (font_id, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
    ]
    everything = sorted(head + objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in everything:
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    count = max(offsets) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % count
    for number in range(1, count):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref)
    return bytes(out)


def memoir_pdf(chapters: Chapters = CHAPTERS) -> bytes:
    return pdf_bytes([[f"Chapter {n}: {title}", *paragraphs] for n, (title, paragraphs) in enumerate(chapters, start=1)])


def epub_bytes(chapters: Chapters = CHAPTERS) -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("keepsake-test-book")
    book.set_title("My Life")
    book.set_language("en")
    book.add_author("Rose Whitfield")
    items = []
    for number, (title, paragraphs) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=title, file_name=f"chap_{number}.xhtml", lang="en")
        item.content = f"<html><body><h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.epub"
        epub.write_epub(str(path), book)
        return path.read_bytes()


WHATSAPP_ANDROID = """\
12/31/21, 9:41 PM - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.
12/31/21, 9:41 PM - Anne: Happy new year Mum! Did you see the fireworks?
12/31/21, 9:42 PM - Rose Whitfield: Oh thank you darling, and to you. We watched them from the window,
they were ever so pretty over the harbour.
12/31/21, 9:43 PM - Anne: <Media omitted>
12/31/21, 9:44 PM - Rose Whitfield: Give my love to the little ones and tell Tom his grandma is proud of him.
1/2/22, 10:02 AM - Anne: Morning! How are you feeling?
1/2/22, 10:05 AM - Rose Whitfield: Right as rain, love. I've put a batch of scones in, cold butter and a light hand as always.
1/2/22, 10:06 AM - Anne: 😍
"""

WHATSAPP_IOS = """\
[31/12/2021, 21:41:05] Anne: Happy new year Mum!
[31/12/2021, 21:42:10] \u200eRose Whitfield: Thank you my love, it has been a good year all in all.
[31/12/2021, 21:42:30] Rose Whitfield: \u200eimage omitted
"""

LETTERS = """\
Whitby, 12th May 1944

Dear Arthur,

The lilacs are out along the churchyard wall and I thought of you. Mother sends her love and says to keep your feet dry.

We had a dance at the Spa on Saturday. I sat out most of it; it isn't the same without you.

All my love,
Rose

* * *

Whitby, 3rd June 1944

My dearest Arthur,

The wireless says there is news from France. I pray every night that you are safe.

Tom has joined the lifeboat crew, can you believe it.

Your loving Rose
"""


def zip_bytes(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """Looks like a Word document; its document.xml unpacks from ~100 KB to 150 MB of zeros."""
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"\0" * (150 * 1024 * 1024),
        },
        compression=zipfile.ZIP_DEFLATED,
    )


def face_png(size: int = 400) -> bytes:
    """A drawn face (no real person) that OpenCV's frontal-face detector finds; the mouth is drawn at (0.5, ~0.655)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("L", (size, size), 70)
    draw = ImageDraw.Draw(image)
    cx, cy = size // 2, size // 2
    s = size / 400
    draw.ellipse((cx - 100 * s, cy - 130 * s, cx + 100 * s, cy + 130 * s), fill=200)
    for ex in (cx - 45 * s, cx + 45 * s):
        draw.ellipse((ex - 17 * s, cy - 48 * s, ex + 17 * s, cy - 32 * s), fill=40)
        draw.rectangle((ex - 25 * s, cy - 72 * s, ex + 25 * s, cy - 64 * s), fill=70)
    draw.polygon([(cx, cy - 25 * s), (cx - 14 * s, cy + 25 * s), (cx + 14 * s, cy + 25 * s)], fill=160)
    draw.ellipse((cx - 38 * s, cy + 52 * s, cx + 38 * s, cy + 72 * s), fill=60)
    image = image.filter(ImageFilter.GaussianBlur(4 * s)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


MOUTH_DRAWN = (0.5, (200 + 62) / 400)


_WORDS = (
    "harbour morning bread mother brother school winter summer garden letter station bakery church dance wedding "
    "kitchen window shells boats market cousin teacher village chapel bicycle rain snow apples roses hymn wireless "
    "evening lamp kettle scones butter pier sea gulls cliff steps abbey river bridge train ticket uniform war peace"
).split()


def book_text(pages: int = 300, words_per_page: int = 330, chapters: int = 30) -> str:
    """A long memoir (about ``pages`` book pages): chapters of paragraphs of plain first-person sentences."""
    import random

    rng = random.Random(7)
    per_chapter = pages * words_per_page // chapters
    out = []
    for number in range(1, chapters + 1):
        out.append(f"Chapter {number}\n\nThe {rng.choice(_WORDS).title()} and the {rng.choice(_WORDS).title()}\n")
        written = 0
        while written < per_chapter:
            sentences = []
            for _ in range(rng.randint(3, 7)):
                words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
                sentences.append("I remember the " + " ".join(words) + ".")
                written += len(words) + 3
            out.append(" ".join(sentences))
    return "\n\n".join(out) + "\n"
