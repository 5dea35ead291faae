"""Letters (one memory each, dated) and chat exports (own words kept apart from the others')."""

from __future__ import annotations

import pytest

from server.importers import chat, letters
from server.importers.blocks import text_blocks
from server.importers.errors import ImportRejected
from tests.server.importers import makers


def test_letters_split_on_dates_greetings_and_sign_offs():
    text = (
        "12 May 1944\n\nDear Arthur,\n\nIt rained all week.\n\nLove, Rose\n\n"
        "June 3, 1944\n\nDear Arthur,\n\nThe roses are out.\n\nYours ever,\n\nRose\n\n"
        "Dearest Tom,\n\nNo date on this one.\n\nAll my love,\nMum"
    )
    made = letters.memories(text_blocks(text))
    assert [m.title for m in made] == ["Letter to Arthur, 12 May 1944", "Letter to Arthur, June 3, 1944", "Letter to Tom"]
    assert made[1].text.endswith("Rose") and made[2].position == "letter 3"
    assert all(m.source == "letter" for m in made)


def test_chinese_letter_dates():
    text = "1962年3月5日\n\n亲爱的明明：\n\n家里一切都好，你不要挂念。\n\n想你的妈妈\n\n1963年1月2日\n\n亲爱的明明：\n\n新年快乐。"
    made = letters.memories(text_blocks(text))
    assert len(made) == 2 and "1962年3月5日" in made[0].title


@pytest.mark.parametrize("line", ["We left Whitby in May 1944.", "It was a long winter and the snow lay deep."])
def test_sentences_are_not_date_lines(line):
    assert not letters.is_date_line(line)


def test_whatsapp_android_multiline_media_and_system_lines():
    parsed = chat.parse(makers.WHATSAPP_ANDROID)
    assert parsed.format == "whatsapp" and set(parsed.senders) == {"Anne", "Rose Whitfield"}
    texts = [m.text for m in parsed.messages]
    assert "they were ever so pretty over the harbour." in texts[1]
    assert not any("omitted" in t or "encrypted" in t for t in texts)


def test_whatsapp_conversations_split_on_long_gaps():
    parsed = chat.parse(makers.WHATSAPP_ANDROID)
    made, _ = chat.memories(parsed, "Rose Whitfield")
    own = [m for m in made if m.source == "chat_self"]
    assert len(own) == 2  # New Year's Eve, and two days later
    assert own[0].title == "Chat with Anne (12/31/21)" and own[1].position.startswith("messages 6–8") is False


def test_whatsapp_iphone_format_with_invisible_marks():
    parsed = chat.parse(makers.WHATSAPP_IOS)
    assert parsed.format == "whatsapp"
    assert [m.sender for m in parsed.messages] == ["Anne", "Rose Whitfield"]


@pytest.mark.parametrize(
    "line",
    [
        "31.12.21, 21:41 - Rose: Prost Neujahr",
        "2021-12-31, 9:41\u202fp.m. - Rose: Happy new year",
        "31/12/2021 21:41 - Rose: Happy new year",
    ],
)
def test_whatsapp_date_styles(line):
    parsed = chat.parse(line + "\n" + line.replace("Rose", "Anne"))
    assert parsed is not None and parsed.messages[0].sender == "Rose"


def test_plain_log_and_prose_with_colons():
    assert chat.parse("Anne: hi\nRose: hello love, how are you keeping?\nAnne: fine\nRose: good, good.").format == "plain"
    prose = "Note: this is my story.\n\nIt begins in Whitby: a small town by the sea, where I was born in 1931.\n"
    assert chat.parse(prose) is None


def test_who_is_the_persona():
    parsed = chat.parse(makers.WHATSAPP_ANDROID)
    assert chat.find_self(parsed, None, ["Rose Whitfield"]) == "Rose Whitfield"
    assert chat.find_self(parsed, None, ["Rose"]) == "Rose Whitfield"  # first name is enough
    assert chat.find_self(parsed, "rose whitfield", []) == "Rose Whitfield"
    with pytest.raises(ImportRejected) as err:
        chat.find_self(parsed, "Grandpa", [])
    assert err.value.status == 422 and "Anne" in err.value.message


def test_short_replies_are_not_kept_as_examples():
    parsed = chat.parse("Anne: hi\nRose: ok\nAnne: bye\nRose: xx\n")
    made, skipped = chat.memories(parsed, "Rose")
    assert made == [] and skipped == 1
