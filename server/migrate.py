"""Moving a family: every row and every media file from one place a Keepsake keeps its data to another.

A place is what a server on it is configured with: its data folder (``KEEPSAKE_DATA_DIR``), its
database (``KEEPSAKE_DATABASE_URL``: unset, SQLite in the data folder) and its media store
(``KEEPSAKE_MEDIA_URL``: unset, the media folder in the data folder). The operator passes the same
three values the servers on each side are started with, so there is no new URL form to learn and a
database URL with a password never has to carry a store's URL inside it.

The copy refuses a target that holds anything; copies the media files first, one at a time through
a temporary file (a large recording is never held in memory), then every table's rows in the
order their foreign keys need, in one transaction; and finally compares the household export of
every household on both sides (``server.migrate_check``). A copy that stops half-way leaves the
target not empty: the message says to empty it and run again.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from server.config import S3Settings
from server.migrate_check import compare_exports
from server.storage.blobs import BlobStore, StoreUnavailable, open_store, parse_media_url
from server.storage.connect import DatabaseUnavailable, open_database
from server.storage.db import Database

BATCH = 500  # rows per insert batch: a large table is never read whole into memory
# Tables only the database's own machinery keeps: the target's migrations made them.
# Also what only running processes hold (places in the busy gate, speak-ahead claims): leases, not data.
_NOT_COPIED = {"schema_version", "turn_places", "speak_ahead_claims"}
# Tables whose order of insertion is read back (SQLite's rowid; an identity column on PostgreSQL).
_ROWID_TABLES = {"memories", "pairing_codes", "login_failures"}


class MigrateError(Exception):
    """Why the move cannot go on, in one line; ``code`` is the command's exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Place:
    """Where one Keepsake's data live: what its server's settings say."""

    data_dir: Path | None = None
    database_url: str | None = None
    media_url: str | None = None
    s3: S3Settings = field(default_factory=S3Settings)

    def check_form(self, side: str) -> None:
        """A one-line MigrateError for a place that is not well formed; nothing is opened."""
        if self.database_url is not None and not re.match(r"postgres(ql)?://[^/\s]*/[^/\s]+$", self.database_url):
            raise MigrateError(f"--{side}-database must be postgresql://user:password@host:port/dbname, not {_redact(self.database_url)!r}")
        if self.media_url is not None:
            try:
                parse_media_url(self.media_url)
            except ValueError as err:
                raise MigrateError(f"--{side}-media: {err}") from None
        if self.data_dir is None and (self.database_url is None or self.media_url is None):
            raise MigrateError(f"--{side}-data-dir is needed: the SQLite database or the media folder lives there")

    def describe(self) -> str:
        database = _redact(self.database_url) if self.database_url else f"SQLite {self.data_dir / 'keepsake.db' if self.data_dir else ''}"
        media = self.media_url or f"media folder {self.data_dir / 'media' if self.data_dir else ''}"
        return f"{database} + {media}"


def _redact(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


@dataclass
class Opened:
    db: Database
    blobs: BlobStore


def open_place(place: Place, *, must_exist: bool) -> Opened:
    """The place's database and store, each checked; DatabaseUnavailable/StoreUnavailable when one cannot be used."""
    if place.database_url is None:
        assert place.data_dir is not None  # check_form
        sqlite_path = place.data_dir / "keepsake.db"
        if must_exist and not sqlite_path.is_file():
            raise DatabaseUnavailable(f"there is no Keepsake database at {sqlite_path}")
    if not must_exist and place.data_dir is not None:
        place.data_dir.mkdir(parents=True, exist_ok=True)  # a new target's data folder
    db = open_database(place.database_url, place.data_dir / "keepsake.db" if place.data_dir else Path("keepsake.db"))
    try:
        if place.media_url is None and must_exist:
            assert place.data_dir is not None
            if not place.data_dir.is_dir():
                raise StoreUnavailable(f"there is no data folder {place.data_dir}")
        blobs = open_store(place.media_url, place.data_dir / "media" if place.data_dir else Path("media"), place.s3)
        blobs.check()
    except BaseException:
        db.close()
        raise
    return Opened(db, blobs)


# --- the tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]


def tables() -> list[Table]:
    """Every table the migrations make, parents before children, with the columns both databases share.

    Read from a fresh in-memory SQLite: its schema is the migrations', and PostgreSQL's is the same
    tables and columns (plus the rowid identity and the search vector, which it makes itself)."""
    fresh = Database(":memory:")
    try:
        names = [
            r["name"]
            for r in fresh.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            if not r["name"].startswith("memory_fts_") and r["name"] not in _NOT_COPIED  # FTS5's own shadow tables
        ]
        parents = {name: {r["table"] for r in fresh.all(f"PRAGMA foreign_key_list({name})")} - {name} for name in names}
        columns = {name: tuple(r["name"] for r in fresh.all(f"PRAGMA table_info({name})")) for name in names}
    finally:
        fresh.close()
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise RuntimeError(f"the tables' foreign keys go round in a circle: {sorted(set(names) - set(ordered))}")
        ordered += ready
    return [Table(name, columns[name]) for name in ordered]


def _count(db: Database, table: str) -> int:
    return int(db.first(f"SELECT COUNT(*) FROM {table}")[0])


def _read(db: Database, table: Table) -> Iterator[list[tuple[object, ...]]]:
    """The table's rows in batches, in the order they were written where that order is read back."""
    order = " ORDER BY rowid" if db.dialect == "sqlite" or table.name in _ROWID_TABLES else ""
    select = f"SELECT {', '.join(table.columns)} FROM {table.name}{order}"
    if db.dialect == "sqlite":
        rows = db._thread_conn().execute(select)  # noqa: SLF001 - sqlite3's own cursor fetches as it goes
        while batch := rows.fetchmany(BATCH):
            yield [tuple(r) for r in batch]
        return
    # PostgreSQL: a server-side cursor, so a large table comes a batch at a time.
    from server.storage.postgres import PostgresDatabase

    assert isinstance(db, PostgresDatabase)
    raw = db._pg_conn().raw  # noqa: SLF001 - the one place rows are streamed past the storage layer
    with raw.transaction(), raw.cursor(name=f"migrate_{table.name}") as named:
        named.execute(select.encode())  # built from the migrations' own names
        while batch := named.fetchmany(BATCH):
            yield [tuple(r) for r in batch]


# --- the copy -----------------------------------------------------------------------------------


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # media rows whose bytes the source no longer has
    households: int = 0  # whose exports were compared
    differences: list[str] = field(default_factory=list)  # what differs between the two sides' exports


def refuse_if_not_empty(target: Opened, where: str) -> None:
    filled = [t.name for t in tables() if _count(target.db, t.name)]
    if filled:
        raise MigrateError(
            f"the target {where} is not empty (it has rows in {', '.join(filled[:5])}); move a family only into an empty one"
        )
    if target.blobs.keys(""):
        raise MigrateError(f"the target {where} is not empty (its media store already holds files); move a family only into an empty one")


@contextmanager
def _staging(place: Place) -> Iterator[Path]:
    """A folder for one file at a time on its way to the target: beside the target's media folder
    when it has one (so taking it in is a rename), else the system's temporary folder."""
    parent = place.data_dir if place.media_url is None else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".keepsake-migrate-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_media(source: Opened, target: Opened, target_place: Place, report: Report) -> None:
    """Every file a media row names, streamed a chunk at a time through one temporary file."""
    keys = [
        r[0] for r in source.db.all("SELECT path FROM media ORDER BY rowid" if source.db.dialect == "sqlite" else "SELECT path FROM media")
    ]
    with _staging(target_place) as staging:
        for key in keys:
            opened = source.blobs.open(key)
            if opened is None:
                report.missing.append(key)
                continue
            part = staging / "part"
            with open(part, "wb") as fh:
                for chunk in opened.chunks:
                    fh.write(chunk)
            report.bytes += target.blobs.put_file(key, part)  # takes the file in: moved or uploaded, then gone
            report.files += 1


def copy_rows(source: Opened, target: Opened, report: Report) -> None:
    """Every table's rows, parents first, in one transaction on the target: all of them or none."""
    with target.db.transaction() as conn:
        for table in tables():
            insert = f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({', '.join('?' * len(table.columns))})"
            count = 0
            for batch in _read(source.db, table):
                conn.executemany(insert, batch)
                count += len(batch)
            report.rows[table.name] = count


def migrate(source_place: Place, target_place: Place) -> Report:
    """Copy everything from ``source_place`` to the empty ``target_place``; MigrateError says why not.

    The places are checked before anything is opened, the source before the target, and the
    target's emptiness before anything is written."""
    source_place.check_form("from")
    target_place.check_form("to")
    if source_place == target_place:
        raise MigrateError("--from and --to name the same place")
    with ExitStack() as stack:
        try:
            source = open_place(source_place, must_exist=True)
        except (DatabaseUnavailable, StoreUnavailable) as err:
            raise MigrateError(f"cannot read the source: {err}", code=3) from None
        stack.callback(source.db.close)
        try:
            target = open_place(target_place, must_exist=False)
        except (DatabaseUnavailable, StoreUnavailable) as err:
            raise MigrateError(f"cannot use the target: {err}", code=3) from None
        stack.callback(target.db.close)
        refuse_if_not_empty(target, target_place.describe())
        report = Report()
        try:
            copy_media(source, target, target_place, report)
            copy_rows(source, target, report)
        except MigrateError:
            raise
        except Exception as err:
            raise MigrateError(
                f"the copy stopped half-way ({type(err).__name__}: {err}); empty the target {target_place.describe()} and run again",
                code=1,
            ) from err
        # The check: what a family would take away from each side must be the same.
        report.households, report.differences = compare_exports(source.db, source.blobs, target.db, target.blobs)
        return report
