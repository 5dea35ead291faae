"""The one form every understanding check reads a sentence in.

Kept apart from the intent patterns so that the dialogue acts, the safety check by meaning and
the intents can all use it without importing one another.
"""

from __future__ import annotations

import re
import unicodedata

from server.conversation.hanzi import to_simplified


def normalise(text: str) -> str:
    """Lower-case, full-width folded, Traditional Chinese as Simplified, straight apostrophes, single spaces."""
    text = to_simplified(unicodedata.normalize("NFKC", text or "").casefold())
    # Zero-width and other invisible format characters split words for patterns only, never for the ear.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()
