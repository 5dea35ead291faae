"""What a file really is, from its first bytes (and, for text, its name), never from what the client claims.

The extension only chooses between formats that look alike inside (plain text
and Markdown) and catches files whose name and content disagree: a "letter.pdf"
that is really something else is refused with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.importers import safezip
from server.importers.errors import damaged, empty, unsupported

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileType:
    family: str  # "document", "audio" or "image"
    format: str  # txt, md, html, docx, pdf, epub; wav, mp3, m4a...; png, jpeg...
    mime: str
    extension: str


TEXT = FileType("document", "txt", "text/plain", "txt")
MARKDOWN = FileType("document", "md", "text/markdown", "md")
HTML = FileType("document", "html", "text/html", "html")
DOCX = FileType("document", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
PDF = FileType("document", "pdf", "application/pdf", "pdf")
EPUB = FileType("document", "epub", "application/epub+zip", "epub")

_AUDIO = {
    "wav": ("audio/wav", "wav"),
    "mp3": ("audio/mpeg", "mp3"),
    "ogg": ("audio/ogg", "ogg"),
    "flac": ("audio/flac", "flac"),
    "m4a": ("audio/mp4", "m4a"),
    "3gp": ("audio/3gpp", "3gp"),
    "webm": ("audio/webm", "webm"),
    "amr": ("audio/amr", "amr"),
    "aiff": ("audio/aiff", "aiff"),
    "caf": ("audio/x-caf", "caf"),
    "aac": ("audio/aac", "aac"),
}
_IMAGE = {
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "bmp": ("image/bmp", "bmp"),
    "tiff": ("image/tiff", "tif"),
}

MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
TEXT_EXTENSIONS = {"", ".txt", ".text", ".log", ".csv"} | MARKDOWN_EXTENSIONS | HTML_EXTENSIONS
# Names that promise a format: the content must agree.
_PROMISES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".epub": "epub",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".gif": "gif",
    ".webp": "webp",
    ".wav": "wav",
    ".mp3": "mp3",
    ".flac": "flac",
    ".ogg": "ogg",
    ".opus": "ogg",
    ".oga": "ogg",
    ".m4a": "m4a",
    ".aac": "aac",
    ".amr": "amr",
    ".webm": "webm",
    ".3gp": "3gp",
}
_KNOWN_OTHERS = {
    ".doc": "Old Word .doc files cannot be read. Open it in Word and save it as .docx or PDF.",
    ".rtf": "RTF files cannot be read. Save it as .docx, PDF or plain text.",
    ".odt": "OpenDocument files cannot be read. Save it as .docx or PDF.",
    ".pages": "Pages files cannot be read. Export it as .docx or PDF.",
    ".heic": "HEIC photos cannot be read here. Share the photo as JPEG (most phones offer 'Most compatible').",
    ".heif": "HEIC photos cannot be read here. Share the photo as JPEG (most phones offer 'Most compatible').",
    ".mobi": "Kindle books cannot be read. Use an EPUB or PDF copy.",
    ".azw3": "Kindle books cannot be read. Use an EPUB or PDF copy.",
}

SUPPORTED = (
    "a memoir or letters (.txt, .md, .docx, .pdf, .epub), a chat export (.txt), "
    "a voice memo (any common audio file) or a photo (.jpg, .png)"
)


def _media(family: str, fmt: str) -> FileType:
    table = _AUDIO if family == "audio" else _IMAGE
    mime, extension = table[fmt]
    return FileType(family, fmt, mime, extension)


def _ftyp_brand(head: bytes) -> bytes | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12]
    return None


def sniff_binary(head: bytes) -> tuple[str, str] | None:
    """(family, format) from magic bytes, or None."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return ("document", "pdf")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ("document", "zip")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ("image", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return ("image", "jpeg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return ("image", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ("image", "webp")
    if head.startswith(b"BM") and len(head) > 26 and head[6:10] == b"\0\0\0\0":
        return ("image", "bmp")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ("image", "tiff")
    brand = _ftyp_brand(head)
    if brand is not None:
        if brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif"):
            return ("image", "heic")
        if brand.startswith(b"3g"):
            return ("audio", "3gp")
        return ("audio", "m4a")  # M4A, M4B, mp42, isom, qt: PyAV decides whether audio is inside
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ("audio", "wav")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return ("audio", "mp3")
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return ("audio", "aac")
    if head.startswith(b"OggS"):
        return ("audio", "ogg")
    if head.startswith(b"fLaC"):
        return ("audio", "flac")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ("audio", "webm")
    if head.startswith(b"#!AMR"):
        return ("audio", "amr")
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return ("audio", "aiff")
    if head.startswith(b"caff"):
        return ("audio", "caf")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ("other", "ole")
    if head.startswith(b"{\\rtf"):
        return ("other", "rtf")
    return None


def looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as err:
        if err.start >= len(head) - 4:  # a character cut in two by the end of the sample
            return True
    # Legacy 8-bit text (Windows-1252): letters, not control bytes.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) // 100


def _zip_format(path: Path) -> str:
    names = set(safezip.names(path))
    if "word/document.xml" in names:
        return "docx"
    if "META-INF/container.xml" in names and any(n.lower().endswith(".opf") for n in names):
        return "epub"
    if "content.xml" in names and "mimetype" in names:
        raise unsupported("OpenDocument files cannot be read. Save it as .docx or PDF.")
    raise unsupported("This is a zip archive, not a Word document or an e-book. Unzip it and send the files inside one by one.")


def detect(path: Path, filename: str) -> FileType:
    """The file's type, or a 4xx that says what is wrong and what to send instead."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        raise empty("The file is empty (or holds only blank space).")
    extension = Path(filename).suffix.lower()
    sniffed = sniff_binary(head)

    if sniffed is None:
        if not looks_like_text(head):
            if extension in _KNOWN_OTHERS:
                raise unsupported(_KNOWN_OTHERS[extension])
            raise unsupported(f"This kind of file cannot be imported. Send {SUPPORTED}.")
        if extension in _PROMISES:
            raise damaged(f"The file is named {extension} but holds plain text; it may be damaged or renamed.")
        if extension in _KNOWN_OTHERS:
            raise unsupported(_KNOWN_OTHERS[extension])
        lowered = head[:2048].lower()
        if extension in HTML_EXTENSIONS or lowered.lstrip().startswith((b"<!doctype html", b"<html")):
            return HTML
        return MARKDOWN if extension in MARKDOWN_EXTENSIONS else TEXT

    family, fmt = sniffed
    if family == "other":
        raise unsupported(_KNOWN_OTHERS[".rtf" if fmt == "rtf" else ".doc"])
    if fmt == "heic":
        raise unsupported(_KNOWN_OTHERS[".heic"])
    if fmt == "zip":
        fmt = _zip_format(path)
    promised = _PROMISES.get(extension)
    # Audio containers overlap (an .m4a may hold AAC, an .opus is Ogg): only documents and images must match exactly.
    if promised and promised != fmt and (family != "audio" or promised in ("pdf", "docx", "epub", "png", "jpeg")):
        raise unsupported(f"The file is named {extension} but is really a {fmt.upper()} file; it may be damaged or renamed.")
    if family == "document":
        return {"pdf": PDF, "docx": DOCX, "epub": EPUB}[fmt]
    return _media(family, fmt)
