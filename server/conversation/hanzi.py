"""Traditional Chinese characters folded to Simplified, before any pattern looks at the words.

Speech recognition (Whisper) often writes Mandarin in Traditional characters, a
relative in Hong Kong or Taiwan types them, and a model may answer in them:
"活著沒意思" must be heard like "活着没意思", and "把驗證碼告訴我" blocked like
"把验证码告诉我". OpenCC's traditional-to-simplified conversion (t2s) folds every
Traditional character it knows (about 3,700) and the phrases that need context;
it is only ever used to match, never to change what is shown or spoken.
"""

from __future__ import annotations

import re

import opencc

_T2S = opencc.OpenCC("t2s")

# Two characters OpenCC rightly leaves alone, because Simplified writes them too (著名, 蚊帐),
# but that the patterns must read as their everyday forms: "活著" is 活着 (alive), and
# "帳戶"/"轉帳" are 账户/转账 (a bank account, a transfer) to the money checks.
_FOR_MATCHING = str.maketrans({"著": "着", "帳": "账"})

# Any Han character (the unified block and extension A, compatibility ideographs, the
# supplementary planes): text without one, most English, skips the converter.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# A lone surrogate (JSON may carry "\\ud800") cannot be handed to OpenCC, which takes UTF-8.
_SURROGATES = re.compile("([\ud800-\udfff]+)")


def to_simplified(text: str) -> str:
    if not _HAN.search(text):
        return text
    text = text.translate(_FOR_MATCHING)
    try:
        simplified: str = _T2S.convert(text)
        return simplified
    except UnicodeEncodeError:
        # Converted around the surrogates, which are kept as they are.
        pieces = _SURROGATES.split(text)
        return "".join(piece if i % 2 else _T2S.convert(piece) for i, piece in enumerate(pieces))
