"""The storage layer's SQLite SQL, said in PostgreSQL's words: the one place the two dialects differ.

The storage modules write one SQL for both databases. The few things SQLite says its own way
are rewritten here, once per distinct statement (the result is cached):

- ``?`` and ``:name`` placeholders become psycopg's ``%s`` and ``%(name)s`` (a literal ``%``
  is doubled);
- ``INSERT OR IGNORE`` becomes ``ON CONFLICT DO NOTHING``, ``INSERT OR REPLACE`` an upsert on the
  table's key (``_KEYS``);
- ``LIKE`` is ``ILIKE`` (SQLite's LIKE ignores case), ``x IS ?`` is ``IS NOT DISTINCT FROM``,
  ``instr``/``char`` are ``strpos``/``chr``, and ``? IS NULL`` says the parameter's type;
- full-text search: ``memory_fts MATCH ?`` and ``bm25(memory_fts)`` use the table's tsvector
  column and ``keepsake_match`` (see ``server.storage.migrations.POSTGRES_FIRST``), with the
  same expression as on SQLite;
- migrations: SQLite's column types as PostgreSQL's (64-bit INTEGER, 8-byte REAL, BLOB),
  ``COLLATE NOCASE`` as citext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from server.storage.migrations import POSTGRES_AFTER, POSTGRES_INSTEAD

# The key an ``INSERT OR REPLACE`` replaces on, per table (SQLite finds it from the schema).
_KEYS = {"speech_cache": ("key",), "cloned_voices": ("provider", "voice_id")}

# A string literal, a quoted name, a placeholder (``?``, ``?{m}``/``?{=m}`` for the full-text
# query and its repeat, ``:name``) or a percent sign; everything else is copied.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?\{=?m\}|\?|(?<![:\w]):([A-Za-z_]\w*)|%")
_OR_REPLACE = re.compile(r"\bINSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.I)
_FTS_ALIAS = re.compile(r"\bmemory_fts\s+(?:AS\s+)?(?!MATCH\b|WHERE\b|JOIN\b|ON\b)(\w+)", re.I)
_SIMPLE = [
    (re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.I), "INSERT INTO"),
    (re.compile(r"\bLIKE\b", re.I), "ILIKE"),
    # A parameter tested for NULL has no type PostgreSQL could infer when it is NULL.
    (re.compile(r"\?(\s+IS\s+(?:NOT\s+)?NULL)\b", re.I), r"CAST(? AS TEXT)\1"),
    (re.compile(r"\bIS\s+NOT\s+\?", re.I), "IS DISTINCT FROM ?"),
    (re.compile(r"\bIS\s+\?", re.I), "IS NOT DISTINCT FROM ?"),
    (re.compile(r"\binstr\(", re.I), "strpos("),
    (re.compile(r"\bchar\(", re.I), "chr("),
]


@dataclass(frozen=True)
class Statement:
    sql: str
    # Which of the caller's positional parameters fills each ``%s``, in order; None: by name.
    order: tuple[int, ...] | None
    # Whether psycopg reads placeholders at all (a statement without any is sent as written).
    has_params: bool
    # An INSERT that must tell the new row's rowid (SQLite's ``cursor.lastrowid``).
    returns_rowid: bool


@lru_cache(maxsize=4096)
def translate(sql: str) -> Statement:
    text = sql
    for pattern, instead in _SIMPLE:
        text = pattern.sub(instead, text)
    if re.search(r"\bINSERT\s+OR\s+IGNORE\b", sql, re.I):
        text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    replace = _OR_REPLACE.search(text)
    if replace is not None:
        table, columns = replace.group(1), [c.strip() for c in replace.group(2).split(",")]
        keys = _KEYS[table]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        text = text[: replace.start()] + f"INSERT INTO {table} ({replace.group(2)})" + text[replace.end() :]
        text = text.rstrip().rstrip(";") + f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    if re.search(r"\bMATCH\b|\bbm25\(", text):
        alias_match = _FTS_ALIAS.search(text)
        alias = alias_match.group(1) if alias_match else "memory_fts"
        text = re.sub(r"\bmemory_fts\s+MATCH\s+\?", f"{alias}.tsv @@ keepsake_match(?{{m}})", text)
        text = re.sub(r"\bbm25\(memory_fts\)", f"-ts_rank({alias}.tsv, keepsake_match(?{{=m}}))", text)
    returns_rowid = bool(re.match(r"\s*INSERT\s+INTO\s+login_failures\b", text, re.I))
    if returns_rowid:
        text = text.rstrip().rstrip(";") + " RETURNING rowid AS keepsake_rowid"
    return _placeholders(text, returns_rowid)


def _placeholders(text: str, returns_rowid: bool) -> Statement:
    out: list[str] = []
    order: list[int] = []
    named = False
    match_index = -1
    position = 0
    last = 0
    for token in _TOKEN.finditer(text):
        out.append(text[last : token.start()])
        last = token.end()
        value = token.group(0)
        if value in ("?", "?{m}"):
            if value == "?{m}":
                match_index = position
            order.append(position)
            position += 1
            out.append("%s")
        elif value == "?{=m}":
            order.append(match_index)
            out.append("%s")
        elif token.group(1) is not None:
            named = True
            out.append(f"%({token.group(1)})s")
        elif value == "%":
            out.append("%%")
        else:  # a literal or a quoted name: percent signs in it are doubled too
            out.append(value.replace("%", "%%"))
    out.append(text[last:])
    if not order and not named:  # sent as written: no percent doubling
        return Statement(text, (), False, returns_rowid)
    return Statement("".join(out), None if named else tuple(order), True, returns_rowid)


def parameters(statement: Statement, params: tuple[object, ...] | dict[str, object]) -> tuple[object, ...] | dict[str, object] | None:
    """The caller's parameters in the order the translated statement reads them."""
    if not statement.has_params:
        return None
    if isinstance(params, dict) or statement.order is None:
        return params
    return tuple(params[i] for i in statement.order)


def _statements(script: str) -> list[str]:
    without_comments = re.sub(r"--[^\n]*", "", script)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


def _column_types(statement: str) -> str:
    statement = re.sub(r"\bTEXT((?:\s+\w+)*?)\s+COLLATE\s+NOCASE\b", r"CITEXT\1", statement)
    statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
    statement = re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)
    return re.sub(r"\bBLOB\b", "BYTEA", statement)


def schema(version: int, script: str) -> list[str]:
    """Migration ``version`` (SQLite's script) as PostgreSQL statements."""
    instead = POSTGRES_INSTEAD.get(version, {})
    statements: list[str] = []
    for statement in _statements(script):
        replacement = next((new for start, new in instead.items() if statement.startswith(start)), None)
        if replacement is not None:
            statements.extend(_statements(replacement))
        else:
            statements.append(_column_types(statement))
    statements.extend(_statements(POSTGRES_AFTER.get(version, "")))
    return statements
