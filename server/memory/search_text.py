"""Text normalisation behind memory retrieval (SQLite FTS5), and a small re-ranker.

The storage layer keeps one row per memory in

    CREATE VIRTUAL TABLE memory_fts USING fts5(body, memory_id UNINDEXED, persona_id UNINDEXED)

with the default ``unicode61`` tokenizer. FTS5 itself knows nothing about
English endings or Chinese words, so we do that work in Python and hand FTS5
plain space-separated terms:

* ``index_terms(text, title=...)`` is what goes into ``body``;
* ``match_query(question)`` is the MATCH expression for the relative's question
  (an OR of quoted terms, so it can never be an FTS5 syntax error);
* ``rank(question, candidates)`` re-orders the rows FTS5 found (or all of a
  persona's memories, when there are few) with BM25 in pure Python, counting
  synonyms and partial names at a discount and giving the title a boost.

Recommended use (what tests/server/test_search_text.py measures)::

    body = index_terms(memory.text, title=memory.title)          # on insert/update
    expr = match_query(question)                                   # None: nothing to search
    rows = SELECT memory_id FROM memory_fts
           WHERE memory_fts MATCH :expr AND persona_id = :pid
           ORDER BY bm25(memory_fts) LIMIT 200
    hits = rank(question, [MemoryHit(id, text, title) for each row])[:3]

With a few hundred memories or fewer, ``rank(question, all_memories)`` is as
fast (about 7 ms for 200 once their tokens are cached) and a little more
accurate, because document frequencies then come from the whole persona.

English words are lower-cased, lightly stemmed ("married" -> "marry",
"houses" -> "hous") and stop-words dropped. Chinese is cut into overlapping
character bigrams plus single characters, after splitting at particles and
pronouns, so "你还记得台州吗" and "台州的城墙" share the term "台州".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from server.storage.records import MemoryHit

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A "word" is a run of letters or digits in any script (underscore excluded,
# because FTS5's unicode61 tokenizer treats it as a separator).
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE_S = re.compile(r"['\u2019]s\b")
_APOSTROPHE = re.compile(r"['\u2019]")
# Spelled out before apostrophes go, so "I'll" never becomes "ill" nor "she'll" "shell".
_CONTRACTIONS = [
    (re.compile(r"n['\u2019]t\b"), " not"),
    (re.compile(r"['\u2019]ll\b"), " will"),
    (re.compile(r"['\u2019]re\b"), " are"),
    (re.compile(r"['\u2019]ve\b"), " have"),
    (re.compile(r"['\u2019]m\b"), " am"),
    (re.compile(r"['\u2019]d\b"), " would"),
]

# The most query terms a MATCH expression carries; more only slows FTS5 down.
MAX_QUERY_TERMS = 64

# ---------------------------------------------------------------------------
# Stop-words: words that say nothing about WHICH memory is meant. Besides the
# usual function words this drops how people ask ("do you remember that time
# when...", "tell me about..."), so only the subject of the question remains.
# ---------------------------------------------------------------------------
_EN_STOP = set(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else ever every few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under
    until up upon very was we were what whatever when where which while who whom whose why will
    with would you your yours yourself yourselves
    ca wo s t d ll m re ve o
    oh ah um uh hmm yes yeah no ok okay well please thanks thank
    remember remembered recall recalled tell told telling say said talk talked talking story
    stories know knew think thought thing things something anything everything like just really
    much many lot lots still always never ever again back ago used use way ones one
    go goes went gone going get gets got getting come came coming make makes made let lets
    time times bit sort kind maybe perhaps favourite favorite dear darling love
    """.split()
)

# Chinese: split a run of characters at these, so they never join a bigram.
# Longer phrases are removed first. Kept short on purpose: 会 (舞会), 去 (去世),
# 过 (过世) and 想 (想念) carry meaning in words elderly people use.
_ZH_STOP_PHRASES = sorted(
    """
    还记得 记得 记不记得 什么 怎么样 怎么 为什么 时候的事 哪里 哪儿 哪个 哪些 多少 干嘛 为啥 一下 告诉 讲讲 说说 讲一讲 说一说 知道
    那个 这个 那次 这次 那些 这些 我们 你们 他们 她们 自己 一个 的话 是不是 有没有 可以 给我
    """.split(),
    key=len,
    reverse=True,
)
_ZH_STOP_CHARS = set("的了吗呢吧啊呀嘛哦是你我他她它们和也都就还在这那个么很着把被让跟请")

# ---------------------------------------------------------------------------
# Synonyms: groups of words that name the same thing the way people ask about
# it, in English and Chinese. A question word in a group also searches for the
# other members (at a discount), which is how "your wedding" finds "the day I
# married your grandad" and "讲讲你的狗" finds an English memory about a dog.
# Members are written as plain words; English ones are stemmed at import.
# ---------------------------------------------------------------------------
_SYNONYM_GROUPS: list[tuple[str, ...]] = [
    # family
    ("wedding", "wed", "married", "marry", "marriage", "bride", "groom", "婚礼", "结婚", "嫁", "新娘"),
    ("husband", "grandpa", "grandad", "granddad", "grandfather", "gramps", "丈夫", "老公", "爷爷", "外公", "姥爷", "老伴"),
    ("wife", "grandma", "granny", "gran", "nana", "nan", "grandmother", "妻子", "老婆", "奶奶", "外婆", "姥姥", "老伴"),
    ("mother", "mum", "mom", "mam", "mummy", "mama", "妈妈", "母亲", "妈"),
    ("father", "dad", "daddy", "papa", "爸爸", "父亲", "爸"),
    ("brother", "哥哥", "弟弟", "兄弟"),
    ("sister", "姐姐", "妹妹", "姐妹"),
    ("kids", "children", "child", "孩子", "子女", "小孩", "儿女"),
    ("son", "儿子"),
    ("daughter", "女儿", "闺女"),
    ("baby", "born", "birth", "pregnant", "出生", "生孩子", "宝宝", "婴儿", "怀孕"),
    ("grandchild", "grandchildren", "grandson", "granddaughter", "grandkids", "孙子", "孙女", "外孙", "外孙女"),
    ("family", "relatives", "家人", "家里人", "亲戚", "一家"),
    ("friend", "friends", "pal", "朋友", "好友"),
    ("meet", "met", "meeting", "认识", "相识", "遇见", "碰见", "相遇"),
    ("courting", "courtship", "sweetheart", "romance", "date", "恋爱", "谈恋爱", "约会"),
    ("propose", "proposed", "proposal", "engaged", "engagement", "求婚", "订婚"),
    ("dance", "dancing", "danced", "ballroom", "跳舞", "舞会", "舞厅"),
    # life and work
    ("job", "work", "worked", "working", "career", "employed", "occupation", "工作", "上班", "职业", "干活"),
    (
        "war",
        "wartime",
        "army",
        "soldier",
        "navy",
        "sailor",
        "military",
        "bomb",
        "bombs",
        "evacuated",
        "evacuee",
        "战争",
        "打仗",
        "参军",
        "当兵",
        "军队",
        "海军",
        "二战",
        "抗战",
        "战时",
    ),
    ("house", "home", "cottage", "flat", "房子", "老房子", "住处", "家里"),
    ("move", "moved", "moving", "搬家", "搬"),
    ("childhood", "young", "little", "girl", "boy", "girlhood", "小时候", "童年", "小的时候", "年轻"),
    ("school", "teacher", "classroom", "lessons", "pupil", "学校", "上学", "老师", "读书", "小学"),
    ("money", "savings", "saved", "pennies", "钱", "存钱", "攒钱"),
    ("retire", "retired", "retirement", "退休"),
    ("telephone", "phone", "switchboard", "operator", "exchange", "电话", "接线员", "电话局"),
    ("shop", "bakery", "baker", "store", "商店", "面包店", "店", "铺子"),
    ("drive", "driving", "car", "driver", "开车", "汽车", "驾驶", "学车"),
    ("bicycle", "bike", "cycle", "cycling", "自行车", "骑车"),
    ("letter", "letters", "wrote", "write", "信", "写信", "来信"),
    # places and travel
    ("sea", "seaside", "beach", "coast", "shore", "ocean", "waves", "海", "海边", "大海", "海滩"),
    ("pier", "harbour", "harbor", "quay", "码头", "栈桥", "港口"),
    ("fish", "fishing", "fisherman", "boat", "boats", "鱼", "钓鱼", "渔民", "打鱼", "船"),
    ("town", "village", "镇", "小镇", "村", "村子", "老家", "家乡"),
    (
        "trip",
        "travel",
        "travelled",
        "traveled",
        "journey",
        "abroad",
        "visit",
        "visited",
        "flew",
        "flight",
        "旅行",
        "旅游",
        "出国",
        "坐飞机",
        "飞机",
        "去过",
    ),
    ("holiday", "holidays", "vacation", "caravan", "度假", "假期", "放假"),
    ("honeymoon", "蜜月"),
    ("china", "chinese", "中国", "中文", "汉字"),
    ("wall", "walls", "城墙", "墙"),
    ("lake", "lakes", "湖", "湖边"),
    ("mountain", "mountains", "hill", "hills", "fell", "山", "爬山"),
    ("church", "chapel", "vicar", "教堂", "教会"),
    # food and home life
    ("cook", "cooking", "recipe", "bake", "baking", "kitchen", "做饭", "做菜", "菜谱", "食谱", "厨房", "烤"),
    ("cake", "sponge", "蛋糕"),
    ("scone", "scones", "司康", "司康饼"),
    ("bread", "loaf", "loaves", "面包"),
    ("pudding", "dessert", "布丁", "甜点"),
    ("tea", "teapot", "茶", "喝茶", "茶叶"),
    ("noodle", "noodles", "面条", "面"),
    ("food", "eat", "ate", "meal", "dinner", "supper", "吃", "吃饭", "饭", "晚饭"),
    ("sweets", "candy", "toffee", "糖", "糖果"),
    ("ration", "rationing", "rations", "配给", "定量"),
    ("garden", "gardening", "allotment", "flowers", "plants", "grew", "grow", "花园", "园子", "种花", "种菜", "花"),
    ("rose", "roses", "玫瑰", "月季"),
    ("knit", "knitting", "knitted", "wool", "jumper", "sweater", "织毛衣", "毛衣", "毛线"),
    # animals
    ("dog", "puppy", "terrier", "狗", "小狗"),
    ("cat", "kitten", "猫", "小猫"),
    ("pet", "pets", "dog", "cat", "宠物"),
    # events
    (
        "song",
        "songs",
        "sing",
        "sang",
        "singing",
        "music",
        "tune",
        "choir",
        "hymn",
        "lullaby",
        "歌",
        "唱歌",
        "唱",
        "音乐",
        "合唱",
        "歌曲",
        "摇篮曲",
    ),
    ("christmas", "xmas", "圣诞", "圣诞节"),
    ("birthday", "生日"),
    ("flood", "flooded", "storm", "洪水", "水灾", "发大水", "暴风雨", "淹"),
    ("queen", "coronation", "king", "女王", "加冕"),
    ("television", "telly", "tv", "电视"),
    ("swim", "swimming", "swam", "bathing", "游泳"),
    ("advice", "wisdom", "lesson", "motto", "建议", "忠告", "道理", "教导", "嘱咐"),
    ("die", "died", "dying", "death", "dead", "passed", "funeral", "grave", "去世", "死", "走了", "葬礼", "过世"),
    ("sick", "ill", "illness", "hospital", "doctor", "生病", "医院", "医生", "病"),
    ("happy", "happiest", "joy", "开心", "高兴", "快乐", "幸福"),
    ("sad", "saddest", "cry", "cried", "tears", "难过", "哭", "伤心"),
    ("secret", "trick", "秘诀", "诀窍", "秘密"),
    ("childhood", "grew up", "grow up", "growing up", "brought up", "raised", "长大", "小时候"),
    ("die", "passed away", "passed on", "去世"),
    ("courting", "fell in love", "fall in love", "爱上"),
    ("sleep", "fall asleep", "go to sleep", "睡着"),
    ("new year", "new years", "hogmanay", "新年", "元旦", "过年"),
    ("summer", "summertime", "summers", "夏天", "暑假"),
    ("winter", "wintertime", "snow", "冬天", "下雪"),
    ("spring", "springtime", "春天"),
    ("autumn", "秋天"),
    ("rain", "rained", "raining", "weather", "wet", "下雨", "雨", "天气"),
    ("sleep", "asleep", "bedtime", "night", "睡觉", "睡", "晚上", "哄睡"),
    ("photo", "photograph", "picture", "camera", "照片", "相片", "拍照"),
]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A deliberately light English stemmer: the same word family gets the same key.

    Not Porter: it only strips plural and -ed/-ing endings and a final e, which is
    what questions and memories mostly differ by ("married"/"marry",
    "dancing"/"dance", "houses"/"house"). Short words are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3 and re.search("[aeiouy]", base):
            word = base
            # "wedding" -> "wedd" -> "wed", but "falling" -> "fall" stays.
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _chinese_terms(run: str, *, singles: bool = True) -> list[str]:
    """Bigrams (and single characters) of a run of Chinese characters, split at stop-words."""
    for phrase in _ZH_STOP_PHRASES:
        run = run.replace(phrase, " ")
    parts = "".join(" " if ch in _ZH_STOP_CHARS else ch for ch in run).split()
    terms: list[str] = []
    for part in parts:
        terms.extend(part[i : i + 2] for i in range(len(part) - 1))
        if singles or len(part) == 1:
            terms.extend(part)
    return terms


def _english_words(segment: str) -> list[str]:
    """Lower-case words of a non-Chinese stretch of text, before stop-words and stemming."""
    for pattern, spelled in _CONTRACTIONS:
        segment = pattern.sub(spelled, segment)
    segment = _APOSTROPHE_S.sub("", segment)
    segment = _APOSTROPHE.sub("", segment)
    return _WORD.findall(_strip_accents(segment))


def _keep(word: str) -> bool:
    if word in _EN_STOP:
        return False
    # Single letters ("a", "i", initials) say nothing; a single character of
    # another script (a Japanese kana, say) may.
    return len(word) >= 2 or not word.isascii()


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (common in Chinese input) to ASCII.
    return unicodedata.normalize("NFKC", text or "").casefold()


def tokens(text: str) -> list[str]:
    """Search terms of ``text`` in order (repeats kept: they are term frequency)."""
    return list(_cached_tokens(text or ""))


@lru_cache(maxsize=50_000)
def _cached_tokens(text: str) -> tuple[str, ...]:
    # Memories are re-ranked on every turn: tokenising each text once saves most of the work.
    out: list[str] = []
    for i, piece in enumerate(_CJK_RUN.split(_normalise(text))):
        if i % 2:  # odd pieces are the Chinese runs captured by the split
            out.extend(_chinese_terms(piece))
        else:
            out.extend(stem(w) for w in _english_words(piece) if _keep(w))
    return tuple(out)


def index_terms(text: str, title: str | None = None) -> str:
    """The string to store in ``memory_fts.body`` for a memory.

    The title's terms are written twice more, so FTS5's own bm25() also favours
    a memory whose title names what was asked about.
    """
    terms = tokens(text)
    if title:
        title_terms = tokens(title)
        terms = title_terms + title_terms + terms
    return " ".join(terms)


# --- synonyms ---------------------------------------------------------------


def _member_terms(member: str) -> list[str]:
    """The search terms one synonym-group member stands for."""
    if _CJK_CHAR.search(member):
        return [member] if len(member) <= 2 else _chinese_terms(member, singles=False)
    return [stem(w) for w in _english_words(_normalise(member)) if _keep(w)]


def _phrase_key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in words)


_GROUP_TERMS: list[set[str]] = []  # every search term of each group
_EN_WORD_GROUPS: dict[str, list[int]] = {}  # stem of a one-word member -> its groups
_EN_PHRASES: list[tuple[tuple[str, ...], int]] = []  # "grew up" -> ("grew", "up"), group
_ZH_MEMBERS: dict[str, list[int]] = {}  # Chinese member -> its groups
for _index, _group in enumerate(_SYNONYM_GROUPS):
    _GROUP_TERMS.append({t for m in _group for t in _member_terms(m)})
    for _member in _group:
        if _CJK_CHAR.search(_member):
            _ZH_MEMBERS.setdefault(_member, []).append(_index)
            continue
        _words = _english_words(_normalise(_member))
        if len(_words) > 1:
            _EN_PHRASES.append((_phrase_key(_words), _index))
        else:
            _EN_WORD_GROUPS.setdefault(stem(_words[0]), []).append(_index)
_EN_PHRASES.sort(key=lambda item: len(item[0]), reverse=True)

_ZH_BY_LENGTH = sorted(_ZH_MEMBERS, key=len, reverse=True)


def synonyms(word: str) -> set[str]:
    """Search terms meaning the same as ``word`` (an English word or phrase, or Chinese), itself excluded."""
    related = {term for slot in _slots(word) for term in slot}
    return related - set(tokens(word))


# --- building a query -------------------------------------------------------
#
# A question becomes a list of "slots", one per thing it mentions. A slot maps
# search terms to weights: the word as said (1.0) and its synonyms (0.6). When
# ranking, a slot counts once, by its best-matching term, so a word with many
# synonyms ("sea": coast, beach, waves...) cannot outweigh the rest of the question.

Slot = dict[str, float]

_SAID_WEIGHT = 1.0
_SYNONYM_WEIGHT = 0.6
_JOINED_WEIGHT = 0.6
_ZH_SINGLE_WEIGHT = 0.3  # one Chinese character on its own is weak evidence


def _term_weight(term: str, weight: float) -> float:
    return min(weight, _ZH_SINGLE_WEIGHT) if len(term) == 1 and _CJK_CHAR.match(term) else weight


def _add(slot: Slot, terms: Iterable[str], weight: float) -> None:
    for term in terms:
        w = _term_weight(term, weight)
        if term and slot.get(term, 0.0) < w:
            slot[term] = w


def _with_groups(slot: Slot, groups: Iterable[int]) -> Slot:
    for group in groups:
        _add(slot, _GROUP_TERMS[group], _SYNONYM_WEIGHT)
    return slot


def _english_slots(words: list[str]) -> list[Slot]:
    keys = _phrase_key(words)
    used = [False] * len(words)
    slots: list[Slot] = []
    # Phrases first ("grew up" is childhood, not gardening; "passed away" is a death).
    for phrase, group in _EN_PHRASES:
        size = len(phrase)
        for start in range(len(keys) - size + 1):
            if keys[start : start + size] == phrase and not any(used[start : start + size]):
                slot: Slot = {}
                _add(slot, [k for k, w in zip(phrase, words[start : start + size]) if _keep(w)], _SAID_WEIGHT)
                slots.append(_with_groups(slot, [group]))
                used[start : start + size] = [True] * size
    for position, (word, key) in enumerate(zip(words, keys)):
        if not used[position] and _keep(word):
            slots.append(_with_groups({key: _SAID_WEIGHT}, _EN_WORD_GROUPS.get(key, ())))
    # "Tai Zhou" / "Salt mere": a name heard as two words is one word in the memory.
    for left, right in zip(words, words[1:]):
        short = left.isalpha() and right.isalpha() and len(left) <= 6 and len(right) <= 6
        if short and _keep(left) and _keep(right):
            slots.append({stem(left + right): _JOINED_WEIGHT})
    return slots


def _chinese_slots(run: str) -> list[Slot]:
    slots: list[Slot] = []
    remaining = run
    for member in _ZH_BY_LENGTH:  # longest first, so 外孙女 is not also read as 外孙
        if member in remaining:
            slot: Slot = {}
            _add(slot, _member_terms(member), _SAID_WEIGHT)
            slots.append(_with_groups(slot, _ZH_MEMBERS[member]))
            remaining = remaining.replace(member, " ")
    for term in _chinese_terms(remaining):
        slots.append({term: _term_weight(term, _SAID_WEIGHT)})
    return slots


def _slots(question: str) -> list[Slot]:
    slots: list[Slot] = []
    for i, piece in enumerate(_CJK_RUN.split(_normalise(question))):
        if i % 2:  # odd pieces are the Chinese runs captured by the split
            slots.extend(_chinese_slots(piece))
        else:
            slots.extend(_english_slots(_english_words(piece)))
    return slots


def query_terms(question: str) -> dict[str, float]:
    """Every search term of a question with its weight (1.0 = said outright)."""
    weights: dict[str, float] = {}
    for slot in _slots(question):
        for term, weight in slot.items():
            weights[term] = max(weight, weights.get(term, 0.0))
    return weights


def _is_prefixable(term: str) -> bool:
    # Partial names ("Marg" for "Margaret") only make sense for longer Latin words.
    return len(term) >= 4 and term.isascii() and term.isalpha()


def match_query(question: str) -> str | None:
    """A safe FTS5 MATCH expression for ``question``, or None when there is nothing to look for.

    Every term is a double-quoted string (quotes doubled inside), joined with OR,
    so no input can produce FTS5 syntax. Longer English terms are prefix queries,
    so a partial name still finds the memory.
    """
    weights = query_terms(question)
    if not weights:
        return None
    ordered = sorted(weights, key=lambda t: (-weights[t], t))[:MAX_QUERY_TERMS]
    parts = []
    for term in ordered:
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + "*" if _is_prefixable(term) else quoted)
    return " OR ".join(parts)


# --- names the memories give to family members ------------------------------

_KIN = (
    "grandad|grandpa|granddad|grandfather|grandma|granny|gran|nana|grandmother|husband|wife|"
    "mother|mum|mom|mam|father|dad|son|daughter|brother|sister|cousin|aunt|auntie|uncle|"
    "friend|dog|cat|terrier|puppy|kitten"
)
# "your grandad, Arthur", "my big brother Tom", "a terrier called Biscuit"
_ALIAS_PATTERNS = [
    re.compile(rf"(?i:\b(?:my|our|your)\s+(?:[a-z]+\s+)?({_KIN})\b),?\s+([A-Z][a-z]{{2,}})"),
    re.compile(rf"(?i:\b({_KIN})\s+(?:called|named)\s+)([A-Z][a-z]{{2,}})"),
]


def family_names(texts: Iterable[str]) -> dict[str, set[str]]:
    """Stemmed kin word -> the names memories give it ("grandad" -> {"arthur"})."""
    aliases: dict[str, set[str]] = {}
    for text in texts:
        for kin, name in _names_in(text or ""):
            aliases.setdefault(kin, set()).add(name)
    return aliases


@lru_cache(maxsize=50_000)
def _names_in(text: str) -> tuple[tuple[str, str], ...]:
    found = []
    for pattern in _ALIAS_PATTERNS:
        for kin, name in pattern.findall(text):
            if name.casefold() not in _EN_STOP:
                found.append((stem(kin.casefold()), stem(name.casefold())))
    return tuple(found)


def _with_family_names(counts: Counter[str], aliases: dict[str, set[str]]) -> Counter[str]:
    """Count each family name as its kin word too, so "Grandad" finds every "Arthur" memory.

    Done on the document side so the kin word's document frequency is that of
    the name: "grandad" is then as common as "Arthur" and other words decide.
    """
    for kin, names in aliases.items():
        extra = sum(counts.get(name, 0) for name in names)
        if extra:
            counts[kin] += extra
    return counts


# --- re-ranking -------------------------------------------------------------

_K1 = 1.2
_B = 0.75
_TITLE_BOOST = 1.0  # a title hit counts like one more well-placed body hit
_PARTIAL_WEIGHT = 0.5


def _is_partial(term: str, word: str) -> bool:
    """ "marg" is part of "margaret"; "summertim" contains "summer"."""
    return word != term and (word.startswith(term) or (len(word) >= 5 and term.startswith(word)))


def _matches(term: str, counts: Counter[str], partials: Iterable[str] | None = None) -> float:
    """How often ``term`` occurs in a document; partial-word matches count half.

    ``partials`` are the words of the whole pool that partly match ``term``,
    worked out once per query (scanning every document's words for every
    term would be the slowest part of ranking).
    """
    if term in counts:
        return float(counts[term])
    if not _is_prefixable(term):
        return 0.0
    if partials is None:
        partials = [word for word in counts if _is_partial(term, word)]
    return _PARTIAL_WEIGHT * sum(counts.get(word, 0) for word in partials)


def rank(question: str, candidates: Iterable[MemoryHit], *, limit: int | None = None) -> list[MemoryHit]:
    """Candidates that share something with ``question``, best first, with ``score`` set.

    BM25 over ``tokens`` of each memory's text, plus a boost when its title
    names what was asked. Each thing the question mentions counts once, by its
    best term (the word itself, a synonym, a partial name, or a family name the
    memories use for a kin word). Document frequencies come from ``candidates``,
    so passing all of a persona's memories (fine up to a few thousand) gives the
    truest scores; passing FTS5's candidates works too. Candidates sharing no
    term with the question are dropped: an empty result means "no memory for that".
    """
    pool = list(candidates)
    if not pool:
        return []
    slots = _slots(question)
    if not slots:
        return []
    aliases = family_names(hit.text for hit in pool)
    bodies = [_with_family_names(Counter(tokens(hit.text)), aliases) for hit in pool]
    titles = [_with_family_names(Counter(tokens(hit.title or "")), aliases) for hit in pool]
    lengths = [sum(body.values()) for body in bodies]
    average = (sum(lengths) / len(lengths)) or 1.0
    total = len(pool)

    terms = {t for slot in slots for t in slot}
    vocabulary = set().union(*bodies, *titles)
    partials = {t: [w for w in vocabulary if _is_partial(t, w)] if _is_prefixable(t) else [] for t in terms}
    idf: dict[str, float] = {}
    for term in terms:
        df = sum(1 for body, title in zip(bodies, titles) if _matches(term, body, partials[term]) or _matches(term, title, partials[term]))
        idf[term] = math.log(1.0 + (total - df + 0.5) / (df + 0.5))

    scored: list[tuple[float, int]] = []
    for position, (body, title, length) in enumerate(zip(bodies, titles, lengths)):
        norm = _K1 * (1.0 - _B + _B * length / average)
        score = 0.0
        for slot in slots:
            best_body = best_title = 0.0
            for term, weight in slot.items():
                tf = _matches(term, body, partials[term])
                if tf:
                    best_body = max(best_body, weight * idf[term] * tf * (_K1 + 1.0) / (tf + norm))
                if _matches(term, title, partials[term]):
                    best_title = max(best_title, weight * idf[term] * _TITLE_BOOST)
            score += best_body + best_title
        if score > 0:
            scored.append((score, position))
    scored.sort(key=lambda item: (-item[0], item[1]))
    if limit is not None:
        scored = scored[:limit]
    return [replace(pool[position], score=round(score, 4)) for score, position in scored]


def shares_terms(question: str, text: str) -> bool:
    """True when ``text`` contains a search term of ``question`` (synonyms and partial names included)."""
    counts = Counter(tokens(text))
    return any(_matches(term, counts) for term in query_terms(question))


def coverage(question: str, text: str) -> float:
    """How much of what ``question`` mentions ``text`` contains, from 0 to 1.

    Each thing mentioned counts by its best term found (the word itself 1.0, a synonym 0.6,
    a single Chinese character 0.3) against the most it could count. A memory that shares
    only "you" and "remember" with a question covers none of it, however near its meaning.
    """
    slots = _slots(question)
    if not slots:
        return 0.0
    counts = Counter(tokens(text))
    found = possible = 0.0
    for slot in slots:
        possible += max(slot.values())
        found += max((weight for term, weight in slot.items() if _matches(term, counts)), default=0.0)
    return found / possible if possible else 0.0
