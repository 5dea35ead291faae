"""How well story mode understands the relative, on a labelled set it was not written against.

The set lives in tests/eval/understanding/: three memoirs written for it
(``chengdu.md``, ``newlyn.md``, ``whitfield.md``) and utterances over them,
split once into ``dev.jsonl`` (the only split anything is tuned on) and
``test.jsonl``. Each line: {"text", "lang", "persona" (the memoir's name),
"act", "expected" ("<memoir>:p07", the paragraph that answers, or null),
"note" (the phenomenon), and for a follow-up "after" (the paragraph just told)}.

Each memoir is imported into a fresh persona in a temporary database through
the importer's own reading and saving (``parse.document`` and
``memory_admin.insert_all``), and each utterance is understood as a story-mode
turn understands it (``understanding.understand``: its act, the fact the turn
would keep, the memories retrieved and those past the confidence gate, a
follow-up's continuation); ``story.compose`` then shows which memory it would
actually tell.
``keepsake eval understanding`` prints these numbers.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.api import PersonaCreate
from server.conversation import story
from server.conversation.acts import Act
from server.conversation.understanding import Understanding, understand
from server.importers import parse
from server.services.base import ConversationContext, HistoryLine, MemoryHit, PersonaProfile
from server.storage import accounts, memories, memory_admin, personas
from server.storage.db import Database

SET_DIR = Path(__file__).resolve().parents[2] / "tests" / "eval" / "understanding"
ACTS = ("question_past", "followup", "news", "feeling", "greeting", "goodbye", "request", "about_avatar", "stop", "crisis")
# Acts that ask the persona something: none of them may be kept as the relative's news.
QUESTION_ACTS = ("question_past", "followup")
OTHER = "other"  # an intent that is none of the acts

# Small talk and "other" are no act of the set ("how are you?", "I don't know what this is"):
# both count as "other".

# Who each memoir's author is to the relative, as the caregiver would set them up.
PERSONAS: dict[str, dict[str, Any]] = {
    "chengdu": {"display_name": "王秀兰", "addressed_as": ["奶奶"], "language": "zh"},
    "newlyn": {"display_name": "Tom Pengelly", "addressed_as": ["Grandad"], "language": "en"},
    "whitfield": {"display_name": "Eleanor Whitfield", "addressed_as": ["Gran", "Grandma"], "language": "en"},
    # Two more memoirs for dev_c.jsonl, a dev file written after the first split (run it with --file).
    "harbin": {"display_name": "赵德明", "addressed_as": ["爷爷"], "language": "zh"},
    "clarendon": {"display_name": "Clement Brown", "addressed_as": ["Grandpa", "Papa"], "language": "en"},
}


def _snippet(text: str, size: int = 60) -> str:
    return " ".join(text.split())[:size]


def _squash(text: str) -> str:
    """Whitespace-free, so a paragraph is found in a memory however the importer joined it."""
    return re.sub(r"\s+", "", text)


@dataclass
class Memoir:
    persona: PersonaProfile
    paragraphs: dict[str, str]  # "p07" -> the paragraph's text
    hits: list[MemoryHit]  # every memory the import made, to name the one story tells

    def holds(self, memory_text: str, paragraph: str) -> bool:
        # The first 30 characters are enough to name a paragraph and survive a long one being cut.
        return _squash(self.paragraphs[paragraph])[:30] in _squash(memory_text)

    def memory_of(self, paragraph: str) -> MemoryHit:
        return next(h for h in self.hits if self.holds(h.text, paragraph))


@dataclass
class SplitResult:
    rows: int = 0
    with_memory: int = 0
    top1: int = 0
    top3: int = 0
    told_right: int = 0  # the memory story mode would actually tell is the expected one
    acts_right: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (labelled act, predicted act) -> count
    questions: int = 0
    questions_as_news: list[dict[str, Any]] = field(default_factory=list)
    unanswerable: int = 0
    unanswerable_told: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    requests_told: list[dict[str, Any]] = field(default_factory=list)
    retrieval_misses: list[dict[str, Any]] = field(default_factory=list)
    act_errors: list[dict[str, Any]] = field(default_factory=list)
    by_lang: dict[str, Counter[str]] = field(default_factory=dict)
    ms: list[float] = field(default_factory=list)

    @staticmethod
    def pct(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    def ms_at(self, share: float) -> float:
        if not self.ms:
            return 0.0
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_split(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("text"), str) or row.get("act") not in ACTS or row.get("persona") not in PERSONAS:
            raise ValueError(
                f"line {number} of {path.name} needs a text, an act of {', '.join(ACTS)} and a persona of {', '.join(PERSONAS)}"
            )
        for key in ("expected", "after"):
            if row.get(key) is not None and not re.fullmatch(rf"{row['persona']}:p\d\d", str(row[key])):
                raise ValueError(
                    f"line {number} of {path.name}: {key} must be null or a paragraph of its own memoir, like {row['persona']}:p07"
                )
        rows.append(row)
    return rows


def import_memoirs(db: Database, names: list[str], set_dir: Path) -> dict[str, Memoir]:
    """Each memoir as a new persona's memories, read and saved as an upload would be."""
    household_id, _, _ = accounts.create_household(db, "Understanding set", "eval@keepsake.invalid", "not a real password 1")
    made: dict[str, Memoir] = {}
    for name in names:
        path = set_dir / f"{name}.md"
        persona = personas.create(db, household_id, PersonaCreate(**PERSONAS[name]))
        read = parse.document(path, "md", None)
        memory_admin.insert_all(db, household_id, persona.id, None, read.memories)
        blocks = parse.read_blocks(path, "md")
        paragraphs = {f"p{i:02d}": b.text for i, b in enumerate((b for b in blocks if b.kind == "para"), 1)}
        hits = [MemoryHit(id=m.id, text=m.text, title=m.title) for m in memories.list_for(db, persona.id, include_hidden=False)]
        made[name] = Memoir(personas.profile(persona), paragraphs, hits)
    return made


def _told(pieces: list[Any], memoir: Memoir) -> MemoryHit | None:
    """The memory whose words story mode's answer carries, if any."""
    for piece in pieces:
        text = _squash(piece if isinstance(piece, str) else getattr(piece, "text", ""))
        if len(text) < 10:
            continue
        for hit in memoir.hits:
            if text in _squash(hit.text):
                return hit
    return None


def _understand(
    db: Database, memoir: Memoir, text: str, history: list[HistoryLine]
) -> tuple[Understanding, list[MemoryHit], ConversationContext]:
    """What a story-mode turn understands of the utterance, as the turn works it out, and the
    memories it would tell in order: a follow-up's continuation first, then the confident ones."""
    understood = understand(db, memoir.persona, text, history)
    ranked = list(understood.confident)
    if understood.continuation is not None:
        ranked = [understood.continuation[0], *ranked]  # a follow-up is answered from the story, not from a search
    ctx = ConversationContext(
        persona=memoir.persona,
        user_text=text,
        memories=list(understood.memories),
        history=history,
        language=memoir.persona.language,
        just_told=understood.just_told,
        told_next=understood.told_next,
        understanding=understood,
    )
    return understood, ranked, ctx


def evaluate(rows: list[dict[str, Any]], set_dir: Path | None = None) -> SplitResult:
    set_dir = set_dir or SET_DIR  # read when called, so another folder can stand in for the set
    result = SplitResult(rows=len(rows))
    with tempfile.TemporaryDirectory(prefix="keepsake-eval-") as folder:
        db = Database(Path(folder) / "eval.db")
        try:
            memoirs = import_memoirs(db, sorted({r["persona"] for r in rows}), set_dir)
            for row in rows:
                for key in ("expected", "after"):
                    if row.get(key) and row[key].split(":", 1)[1] not in memoirs[row["persona"]].paragraphs:
                        raise ValueError(f"{row[key]} is not a paragraph of that memoir ({row['text']!r})")
            for memoir in memoirs.values():  # warm: the first query pays for opening the index
                _understand(db, memoir, "hello", [])
            for row in rows:
                _score(db, memoirs[row["persona"]], row, result)
        finally:
            db.close()
    return result


def _score(db: Database, memoir: Memoir, row: dict[str, Any], result: SplitResult) -> None:
    text, act = row["text"], row["act"]
    expected = row["expected"].split(":", 1)[1] if row.get("expected") else None
    history: list[HistoryLine] = []
    if row.get("after"):
        # A follow-up comes right after the persona told the memory holding that paragraph.
        told_before = memoir.memory_of(row["after"].split(":", 1)[1])
        history = [HistoryLine("persona", story.memory_excerpt(told_before.text, memoir.persona.language))]

    started = time.perf_counter()
    understood, ranked, ctx = _understand(db, memoir, text, history)
    result.ms.append(1000 * (time.perf_counter() - started))
    told = _told(story.compose(ctx), memoir)

    lang = result.by_lang.setdefault(row.get("lang", "?"), Counter())
    predicted = understood.act.value if understood.act.value in ACTS else OTHER
    result.confusion[(act, predicted)] += 1
    lang["rows"] += 1
    if predicted == act:
        result.acts_right += 1
        lang["acts_right"] += 1
    else:
        result.act_errors.append({**row, "predicted": predicted})

    if act in QUESTION_ACTS:
        result.questions += 1
        # Taken for news: classified as news, or the turn would keep it as the relative's fact.
        if understood.act is Act.NEWS or understood.fact is not None:
            result.questions_as_news.append({**row, "kept": understood.fact})
    if act == "question_past" and expected is None:
        result.unanswerable += 1
        if told is not None:
            result.unanswerable_told.append({**row, "told": _snippet(told.text)})
    if act == "request":
        result.requests += 1
        if told is not None:
            result.requests_told.append({**row, "told": _snippet(told.text)})
    if expected is not None:
        result.with_memory += 1
        lang["with_memory"] += 1
        places = [i for i, hit in enumerate(ranked[:3]) if memoir.holds(hit.text, expected)]
        first = bool(places and places[0] == 0)
        result.top1 += first
        result.top3 += bool(places)
        lang["top1"] += first
        result.told_right += told is not None and memoir.holds(told.text, expected)
        if not first:
            result.retrieval_misses.append({**row, "got": _snippet(ranked[0].text, 50) if ranked else None})


def report(name: str, result: SplitResult, *, show_errors: bool = True) -> str:
    pct = SplitResult.pct
    lines = [
        f"understanding set, {name} split: {result.rows} utterances, {result.with_memory} with a memory that answers",
        f"  retrieval top-1: {result.top1}/{result.with_memory} = {pct(result.top1, result.with_memory):.1f}%",
        f"  retrieval top-3: {result.top3}/{result.with_memory} = {pct(result.top3, result.with_memory):.1f}%",
        f"  right memory told by story mode: {result.told_right}/{result.with_memory} = {pct(result.told_right, result.with_memory):.1f}%",
        f"  dialogue acts right: {result.acts_right}/{result.rows} = {pct(result.acts_right, result.rows):.1f}%",
        f"  questions taken for news: {len(result.questions_as_news)}/{result.questions} = {pct(len(result.questions_as_news), result.questions):.1f}%",
        f"  unanswerable questions told a memory: {len(result.unanswerable_told)}/{result.unanswerable} = "
        f"{pct(len(result.unanswerable_told), result.unanswerable):.1f}%",
        f"  requests told a memory: {len(result.requests_told)}/{result.requests} = {pct(len(result.requests_told), result.requests):.1f}%",
        f"  understanding time per utterance: p50 {result.ms_at(0.5):.2f} ms, p95 {result.ms_at(0.95):.2f} ms"
        f" (mean {statistics.fmean(result.ms) if result.ms else 0.0:.2f} ms)",
    ]
    for lang, c in sorted(result.by_lang.items()):
        lines.append(
            f"  [{lang}] top-1 {c['top1']}/{c['with_memory']} = {pct(c['top1'], c['with_memory']):.1f}%, "
            f"acts {c['acts_right']}/{c['rows']} = {pct(c['acts_right'], c['rows']):.1f}%"
        )
    lines.append(confusion_table(result.confusion))
    if show_errors:
        lines += [f"  taken for news: {r['text']}" for r in result.questions_as_news]
        lines += [f"  unanswerable, told: {r['text']} -> {r['told']}" for r in result.unanswerable_told]
        lines += [f"  request, told: {r['text']} -> {r['told']}" for r in result.requests_told]
        lines += [f"  retrieval miss: {r['text']} (wanted {r['expected']}, got {r['got']!r})" for r in result.retrieval_misses]
        lines += [f"  act: {r['text']} ({r['act']} read as {r['predicted']})" for r in result.act_errors]
    return "\n".join(lines)


def confusion_table(confusion: Counter[tuple[str, str]]) -> str:
    """Rows: the labelled act; columns: what today's intents made of it."""
    columns = [a for a in (*ACTS, OTHER) if any(p == a for (_, p) in confusion)]
    short = {a: a[:8] for a in columns}
    width = max(len(a) for a in ACTS) + 2
    lines = ["  confusion (rows labelled, columns predicted):", "  " + " " * width + " ".join(f"{short[c]:>8}" for c in columns)]
    for act in ACTS:
        if not any(a == act for (a, _) in confusion):
            continue
        lines.append("  " + f"{act:<{width}}" + " ".join(f"{confusion[(act, c)] or '.':>8}" for c in columns))
    return "\n".join(lines)
