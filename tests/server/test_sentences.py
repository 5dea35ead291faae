"""server/text/sentences.py: sentences out of streamed LLM text, whatever the chunking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.text import SentenceSplitter, is_speakable, split_sentences


def feed_in_pieces(text: str, cuts: list[int], **options) -> list[str]:
    splitter = SentenceSplitter(**options)
    out: list[str] = []
    previous = 0
    for cut in sorted(set(cuts)) + [len(text)]:
        out += splitter.feed(text[previous:cut])
        previous = cut
    return out + splitter.flush()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello Mr. Smith. How are you today? I am fine!", ["Hello Mr. Smith.", "How are you today?", "I am fine!"]),
        ("Dr. Chen lives on Baker St. near the park. We visit often.", ["Dr. Chen lives on Baker St. near the park.", "We visit often."]),
        ("Fruit, e.g. apples and pears, is good. I like it.", ["Fruit, e.g. apples and pears, is good.", "I like it."]),
        ("It cost 3.5 dollars back then. That was a lot of money.", ["It cost 3.5 dollars back then.", "That was a lot of money."]),
        ("Well... maybe not that day. Wait... Really? Yes, really.", ["Well... maybe not that day.", "Wait... Really?", "Yes, really."]),
        ("I remember it well… It was snowing. And you laughed.", ["I remember it well…", "It was snowing.", "And you laughed."]),
        ('"Come here, my dear," she said. "Now!" And he came running.', ['"Come here, my dear," she said.', '"Now!" And he came running.']),
        ("We married in June (it rained all day.) Your father cried.", ["We married in June (it rained all day.)", "Your father cried."]),
        (
            "你好！我是奶奶。今天天气很好；我们去公园散步吧……好不好呀？",
            ["你好！我是奶奶。", "今天天气很好；", "我们去公园散步吧……", "好不好呀？"],
        ),
        ("他说：“我们走吧。”然后就走了。", ["他说：“我们走吧。”", "然后就走了。"]),
        ("First line without a stop\nSecond line, also plain", ["First line without a stop", "Second line, also plain"]),
        ("We met in 1990. It was spring!", ["We met in 1990.", "It was spring!"]),
        ("J. R. R. Tolkien wrote that book. I read it to you.", ["J. R. R. Tolkien wrote that book.", "I read it to you."]),
    ],
)
def test_whole_text(text, expected):
    assert split_sentences(text) == expected


def test_very_short_fragments_merge_into_the_next_sentence():
    assert split_sentences("Oh. Yes. I remember that summer very well.") == ["Oh. Yes. I remember that summer very well."]
    assert split_sentences("好。我记得那年夏天。") == ["好。我记得那年夏天。"]
    # a short fragment at the very end is still spoken
    assert split_sentences("I love you very much, my dear. Bye.") == ["I love you very much, my dear.", "Bye."]


def test_a_long_sentence_is_cut_at_a_comma_so_tts_can_start():
    clause = "and then we walked down to the river where your grandfather used to fish"
    text = ", ".join([clause] * 6) + "."
    sentences = split_sentences(text, max_chars=200)
    assert len(sentences) > 1
    assert all(len(s) <= 200 for s in sentences)
    assert sentences[0].endswith(",")
    assert "".join(sentences).replace(" ", "") == text.replace(" ", "")


def test_a_long_sentence_without_commas_is_cut_at_a_space_and_cjk_without_either_hard():
    words = " ".join(["word"] * 100)
    sentences = split_sentences(words, max_chars=50)
    assert all(len(s) <= 50 for s in sentences)
    assert all(not s.startswith(" ") and not s.endswith("wor") for s in sentences)
    cjk = "我" * 120
    assert [len(s) for s in split_sentences(cjk, max_chars=50)] == [50, 50, 20]


def test_streaming_emits_a_sentence_as_soon_as_it_is_settled():
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there, my dear") == []
    assert splitter.feed(".") == []  # could still be "..." or an abbreviation
    assert splitter.feed(" ") == []  # the next word decides ("Well. and" is not an end)
    assert splitter.feed("How") == ["Hello there, my dear."]
    assert splitter.feed(" are you?") == []
    assert splitter.flush() == ["How are you?"]
    assert splitter.flush() == []


def test_chinese_stops_emit_without_waiting_for_a_space():
    splitter = SentenceSplitter()
    assert splitter.feed("我今天很高兴见到你") == []
    assert splitter.feed("。") == []  # a closing quote may still follow
    assert splitter.feed("你") == ["我今天很高兴见到你。"]


def test_pieces_split_mid_word_and_mid_punctuation():
    text = 'She said "Really?!" and laughed. Mr. Lee came at 3.30 pm... Then we ate. 然后我们回家了。'
    whole = split_sentences(text)
    for step in (1, 2, 3, 7):
        assert feed_in_pieces(text, list(range(step, len(text), step))) == whole


def test_is_speakable():
    assert is_speakable("Hi")
    assert is_speakable("好")
    assert is_speakable("42")
    assert not is_speakable("")
    assert not is_speakable(" ...!? 。… ")


# --- properties ---------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Hello",
        "world",
        "mr",
        "Mr",
        "Dr",
        "St",
        "e.g",
        "i.e",
        "3.5",
        "J",
        "I",
        "and",
        "well",
        "好",
        "你好",
        "奶奶",
        "the",
        "A",
        "x",
        "remember",
        "grandfather",
        "我记得那年夏天",
    ]
)
_PUNCT = st.sampled_from(
    [
        ".",
        "!",
        "?",
        "...",
        "…",
        "……",
        "。",
        "！",
        "？",
        "；",
        ",",
        "，",
        '"',
        "”",
        ")",
        "」",
        "\n",
        " ",
        "  ",
        ". ",
        "! ",
        "? ",
        '." ',
        ".) ",
        ". ",
        "\t",
    ]
)
_TEXT = st.lists(st.one_of(_WORDS, _PUNCT), max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    text=_TEXT,
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=60),
    max_chars=st.sampled_from([20, 60, 200]),
    min_weight=st.sampled_from([0, 10]),
)
def test_any_chunking_gives_the_same_sentences(text, cuts, max_chars, min_weight):
    cuts = [c for c in cuts if c <= len(text)]
    options = {"max_chars": max_chars, "min_weight": min_weight}
    whole = split_sentences(text, **options)
    assert feed_in_pieces(text, cuts, **options) == whole
    assert feed_in_pieces(text, list(range(len(text))), **options) == whole  # one character at a time


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_TEXT, st.text(max_size=300)), max_chars=st.sampled_from([20, 200]))
def test_sentences_keep_every_non_space_character_in_order(text, max_chars):
    sentences = split_sentences(text, max_chars=max_chars)
    assert all(s and s == s.strip() for s in sentences)
    assert "".join("".join(sentences).split()) == "".join(text.split())


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=30))
def test_any_chunking_of_arbitrary_text(text, cuts):
    cuts = [c for c in cuts if c <= len(text)]
    assert feed_in_pieces(text, cuts) == split_sentences(text)


# --- guessing the sentence the next piece will settle ----------------------------------


def test_a_full_stop_at_the_end_is_guessed_and_the_next_word_confirms_it():
    splitter = SentenceSplitter()
    assert splitter.feed("Oh, my dear, we married in June 1952.") == []  # " It" or "5" could still follow
    assert splitter.guess() == "Oh, my dear, we married in June 1952."
    assert splitter.feed(" It") == ["Oh, my dear, we married in June 1952."]
    assert splitter.guess() is None


@pytest.mark.parametrize("text", ["We saw Dr.", "Hello", "Oh.", "It was lovely,", ""])
def test_no_guess_after_an_abbreviation_without_a_stop_or_for_a_fragment(text):
    splitter = SentenceSplitter()
    splitter.feed(text)
    assert splitter.guess() is None


def test_chinese_and_quoted_ends_are_guessed():
    splitter = SentenceSplitter()
    splitter.feed("我记得那年夏天。")
    assert splitter.guess() == "我记得那年夏天。"
    splitter = SentenceSplitter()
    splitter.feed('She said it was "lovely."')
    assert splitter.guess() == 'She said it was "lovely."'


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=60))
def test_a_guess_is_exactly_what_ending_the_stream_there_would_give(text, cuts):
    splitter = SentenceSplitter()
    previous = 0
    for cut in sorted(c for c in cuts if c <= len(text)) + [len(text)]:
        splitter.feed(text[previous:cut])
        previous = cut
        guess = splitter.guess()
        if guess is not None:
            ending_here = SentenceSplitter()
            ending_here._buf, ending_here._start = splitter._buf, splitter._start
            assert ending_here.flush() == [guess]
