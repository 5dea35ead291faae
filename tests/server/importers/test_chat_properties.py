"""Property tests of the chat-export parser: any text is parsed without crashing, and a
well-formed export gives back every message, in order, with its sender and words."""

from hypothesis import given, settings
from hypothesis import strategies as st

from server.importers import chat

names = st.sampled_from(["Rose", "Anne", "Tom Whitfield", "奶奶", "Dr. Lee"])
words = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" ,.!?'"), min_size=1, max_size=60).filter(
    # WhatsApp's own markers ("null", "<Media omitted>", ...) are not messages: the parser drops them on purpose
    lambda t: t.strip() and not t.strip().startswith(("<", "This message")) and not chat._SKIP.match(t.strip())
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_parses_or_is_refused_without_crashing(text):
    parsed = chat.parse(text)
    if parsed is not None:
        assert parsed.messages and all(m.text for m in parsed.messages)
        assert [m.number for m in parsed.messages] == sorted(m.number for m in parsed.messages)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, words), min_size=4, max_size=30), st.sampled_from(["android", "iphone"]))
def test_a_whatsapp_export_gives_back_every_message(messages, style):
    lines = []
    for minute, (sender, text) in enumerate(messages):
        if style == "android":
            lines.append(f"12/31/21, 9:{minute % 60:02d} PM - {sender}: {text}")
        else:
            lines.append(f"[31/12/2021, 21:{minute % 60:02d}:05] {sender}: {text}")
    parsed = chat.parse("\n".join(lines))
    assert parsed is not None and parsed.format == "whatsapp"
    assert [(m.sender, m.text) for m in parsed.messages] == [(s, t.strip()) for s, t in messages]
