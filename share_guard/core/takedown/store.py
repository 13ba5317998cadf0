"""The local takedown list: hashes only (never the media), in SQLite.

One database (``takedown.sqlite3`` in the data folder unless a path is given)
holds several named lists. An entry is one hash: type, value, quality, label,
source, added date and status. Removing an entry withdraws it: the row stays
as a tombstone so an export tells subscribers to drop it too. Every change
bumps a generation counter, and a counter per hash type (``gen:pdq``...): the
matching index of a type is keyed by its counter, so it is rebuilt only when
entries of that type change (adding a video does not rebuild a PDQ index).
Opening the store, or a transaction that changes nothing, bumps nothing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from share_guard.core.errors import ShareGuardError
from share_guard.core.hashing.values import HashType, MalformedHash, normalize_value
from share_guard.core.hashing.video import FrameHash, format_vpdq
from share_guard.core.i18n import N_, message
from share_guard.core.takedown.location import DB_NAME as DB_NAME
from share_guard.core.takedown.location import default_path as default_path

DEFAULT_LIST = "default"
SCHEMA_VERSION = 1
ACTIVE, WITHDRAWN = "active", "withdrawn"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    uid TEXT NOT NULL UNIQUE,
    publisher TEXT NOT NULL DEFAULT '',
    sequence INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('pdq', 'phash', 'sha256', 'md5', 'vpdq')),
    value TEXT NOT NULL,
    bits BLOB,
    quality INTEGER,
    label TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    added TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    changed TEXT NOT NULL,
    UNIQUE (list_id, type, value)
);
CREATE INDEX IF NOT EXISTS entries_lookup ON entries (type, status);
CREATE INDEX IF NOT EXISTS entries_item ON entries (item);
CREATE TABLE IF NOT EXISTS vpdq_frames (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    quality INTEGER NOT NULL,
    bits BLOB NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS vpdq_entry ON vpdq_frames (entry_id);
"""


_SELECT = (
    "SELECT e.id, l.name, e.item, e.type, e.value, e.quality, e.label, e.source,"
    " e.added, e.status FROM entries e JOIN lists l ON l.id = e.list_id"
)


class _Result(list[Any]):
    """Rows of one statement, fetched while the lock was held."""

    lastrowid: int | None = None

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


class _LockedDB:
    """The connection behind a re-entrant lock: a GUI worker and the UI may share a store."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lock = threading.RLock()

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Result:
        with self.lock:
            cur = self.conn.execute(sql, args)
            out = _Result(cur.fetchall())
            out.lastrowid = cur.lastrowid
            return out

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            self.conn.executemany(sql, rows)

    @property
    def total_changes(self) -> int:
        return self.conn.total_changes

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class StoreError(ShareGuardError):
    """The takedown list cannot be read or changed as asked."""


@dataclass(frozen=True)
class Entry:
    id: int
    list: str
    item: str
    type: HashType
    value: str
    quality: int | None
    label: str
    source: str
    added: str
    status: str

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class NewEntry:
    """An entry to add. ``value`` is hex (ignored for vPDQ: ``frames`` holds the hash)."""

    type: HashType
    value: str = ""
    quality: int | None = None
    label: str = ""
    source: str = ""
    added: str | None = None
    status: str = ACTIVE
    frames: tuple[FrameHash, ...] = ()
    item: str | None = None


@dataclass(frozen=True)
class ListInfo:
    name: str
    uid: str
    publisher: str
    sequence: int
    created: str
    active: int
    withdrawn: int


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def type_key(execute: Callable[..., Any], kind: HashType) -> str:
    """The cache key of ``kind``'s entries, read with ``execute`` (any connection's)."""
    counter = f"gen:{kind.value}"
    rows = dict(execute(
        "SELECT key, value FROM meta WHERE key IN ('instance', 'generation', 'typed_at', ?)",
        (counter,),
    ).fetchall())
    instance, generation = rows.get("instance", ""), rows.get("generation", "0")
    if rows.get("typed_at") == generation:
        return f"{instance}:{kind.value}:{rows.get(counter, '0')}"
    return f"{instance}:*:{generation}"  # written by a version without type counters


def _vpdq_value(frames: Sequence[FrameHash]) -> str:
    """A vPDQ entry's value: the SHA-256 of its canonical hash file (identity for dedupe)."""
    import hashlib

    return hashlib.sha256(format_vpdq(frames).encode()).hexdigest()


class TakedownStore:
    """SQLite-backed takedown lists. Cheap to open: nothing is loaded up front."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._touched: set[HashType] = set()
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db = _LockedDB(conn)
            self._db.execute("PRAGMA foreign_keys = ON")
            if self._schema() is None:  # a new database: nothing to write when it exists
                self._db.execute("PRAGMA journal_mode = WAL")
                with self.transaction() as db:
                    for stmt in _SCHEMA.split(";"):
                        if stmt.strip():
                            db.execute(stmt)
                    db.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('generation', '0'),"
                        " ('instance', ?)",
                        (str(SCHEMA_VERSION), uuid.uuid4().hex),
                    )
            schema = self._schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(message(N_("the takedown list {path} cannot be opened: {exc}"),
                                     path=self.path, exc=exc))
        if schema is None or int(schema) > SCHEMA_VERSION:
            raise StoreError(N_("the takedown list was written by a newer share_guard"))

    def _schema(self) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:  # no meta table yet
            return None
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TakedownStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[_LockedDB]:
        """One atomic change: everything inside is written, or nothing.

        The generation (and the counter of each hash type touched) moves only
        when something was written, so readers' caches stay valid otherwise.
        """
        db = self._db
        with db.lock:
            if db.in_transaction:
                yield db
                return
            db.execute("BEGIN IMMEDIATE")
            before = db.total_changes
            self._touched = set()
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                self._touched = set()
                raise
            if db.total_changes != before:
                kept = db.execute(
                    "SELECT (SELECT value FROM meta WHERE key='typed_at')"
                    " IS (SELECT value FROM meta WHERE key='generation')"
                ).fetchone()[0]
                if not kept:  # someone changed the list without keeping the type counters
                    self._touched = set(HashType)
                db.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
                for kind in sorted(self._touched):
                    db.execute(
                        "INSERT INTO meta VALUES (?, '1') ON CONFLICT(key) DO UPDATE"
                        " SET value = CAST(value AS INTEGER) + 1",
                        (f"gen:{kind.value}",),
                    )
                # The type counters are only trusted while they were kept by every writer
                # since the last change; a writer that does not know them leaves this behind.
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES"
                    " ('typed_at', (SELECT value FROM meta WHERE key='generation'))"
                )
            self._touched = set()
            db.execute("COMMIT")

    @property
    def generation(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0])

    @property
    def version_key(self) -> str:
        """Changes with every write, and differs between two databases (cache key)."""
        rows = dict(self._db.execute(
            "SELECT key, value FROM meta WHERE key IN ('instance', 'generation')"
        ).fetchall())
        return f"{rows.get('instance', '')}:{rows.get('generation', '')}"

    def type_key(self, kind: HashType) -> str:
        """Changes whenever active entries of ``kind`` may have changed (an index's cache key)."""
        return type_key(self._db.execute, kind)

    # -- lists ---------------------------------------------------------------

    def ensure_list(
        self, name: str = DEFAULT_LIST, *, uid: str | None = None, publisher: str = ""
    ) -> int:
        name = name.strip()
        if not name or len(name) > 100:
            raise StoreError(N_("a list name must be 1 to 100 characters"))
        with self.transaction() as db:
            row = db.execute("SELECT id, uid FROM lists WHERE name = ?", (name,)).fetchone()
            if row is not None:
                if uid is not None and row[1] != uid:
                    raise StoreError(message(N_("list {name} already exists with another list id"),
                                             name=f"{name!r}"))
                return int(row[0])
            cur = db.execute(
                "INSERT INTO lists (name, uid, publisher, created) VALUES (?, ?, ?, ?)",
                (name, uid or str(uuid.uuid4()), publisher, now()),
            )
            return int(cur.lastrowid or 0)

    def lists(self) -> list[ListInfo]:
        rows = self._db.execute(
            "SELECT l.name, l.uid, l.publisher, l.sequence, l.created,"
            " SUM(e.status = 'active'), SUM(e.status = 'withdrawn')"
            " FROM lists l LEFT JOIN entries e ON e.list_id = l.id GROUP BY l.id ORDER BY l.name"
        ).fetchall()
        return [ListInfo(r[0], r[1], r[2], r[3], r[4], r[5] or 0, r[6] or 0) for r in rows]

    def list_info(self, name: str) -> ListInfo:
        for info in self.lists():
            if info.name == name:
                return info
        raise StoreError(message(N_("there is no takedown list named {name}"), name=f"{name!r}"))

    def list_by_uid(self, uid: str) -> str | None:
        row = self._db.execute("SELECT name FROM lists WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else str(row[0])

    def set_sequence(self, name: str, sequence: int, publisher: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE lists SET sequence = ? WHERE name = ?", (sequence, name))
            if publisher is not None:
                db.execute("UPDATE lists SET publisher = ? WHERE name = ?", (publisher, name))

    def _bump(self, db: _LockedDB, list_id: int) -> None:
        db.execute("UPDATE lists SET sequence = sequence + 1 WHERE id = ?", (list_id,))

    # -- entries -------------------------------------------------------------

    def add(self, entries: Iterable[NewEntry], list_name: str = DEFAULT_LIST) -> list[int]:
        """Add entries (validated first: one bad hash adds nothing). Returns their ids.

        A hash already on the list keeps its row; an imported tombstone
        (status withdrawn) withdraws it; a withdrawn hash added again is active again.
        """
        rows = [self._validate(e) for e in entries]
        ids: list[int] = []
        with self.transaction() as db:
            list_id = self.ensure_list(list_name)
            for entry, value, bits in rows:
                ids.append(self._upsert(db, list_id, entry, value, bits))
            self._bump(db, list_id)
        return ids

    @staticmethod
    def _validate(entry: NewEntry) -> tuple[NewEntry, str, bytes | None]:
        if entry.status not in (ACTIVE, WITHDRAWN):
            raise MalformedHash(message(N_("unknown entry status {status}"), status=f"{entry.status[:20]!r}"))
        if entry.quality is not None and not 0 <= entry.quality <= 100:
            raise MalformedHash(N_("quality must be between 0 and 100"))
        if entry.type is HashType.VPDQ:
            if not entry.frames:
                raise MalformedHash(N_("a vPDQ entry needs at least one frame"))
            return entry, _vpdq_value(entry.frames), None
        value = normalize_value(entry.type, entry.value)
        bits = bytes.fromhex(value) if entry.type in (HashType.PDQ, HashType.PHASH) else None
        return entry, value, bits

    def _upsert(
        self, db: _LockedDB, list_id: int, e: NewEntry, value: str, bits: bytes | None
    ) -> int:
        stamp = now()
        row = db.execute(
            "SELECT id, status FROM entries WHERE list_id = ? AND type = ? AND value = ?",
            (list_id, e.type.value, value),
        ).fetchone()
        if row is not None:
            if row[1] != e.status:
                db.execute(
                    "UPDATE entries SET status = ?, changed = ? WHERE id = ?",
                    (e.status, stamp, row[0]),
                )
                self._touched.add(e.type)
            return int(row[0])
        cur = db.execute(
            "INSERT INTO entries (list_id, item, type, value, bits, quality, label, source,"
            " added, status, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                list_id,
                e.item or uuid.uuid4().hex[:12],
                e.type.value,
                value,
                bits,
                e.quality,
                e.label.strip()[:500],
                e.source.strip()[:500],
                e.added or stamp,
                e.status,
                stamp,
            ),
        )
        entry_id = int(cur.lastrowid or 0)
        self._touched.add(e.type)
        if e.type is HashType.VPDQ:
            db.executemany(
                "INSERT INTO vpdq_frames VALUES (?, ?, ?, ?, ?)",
                [(entry_id, f.frame, f.quality, f.pdq.to_bytes(), f.time) for f in e.frames],
            )
        return entry_id

    def withdraw(self, ids: Iterable[int] = (), items: Iterable[str] = ()) -> int:
        """Withdraw entries by id or by item (all hashes of one added file). Returns the count."""
        n = 0
        with self.transaction() as db:
            stamp = now()
            touched: set[int] = set()
            for entry_id in ids:
                cur = db.execute(
                    "UPDATE entries SET status = 'withdrawn', changed = ?"
                    " WHERE id = ? AND status = 'active' RETURNING list_id, type",
                    (stamp, int(entry_id)),
                )
                got = cur.fetchall()
                n += len(got)
                touched.update(r[0] for r in got)
                self._touched.update(HashType(r[1]) for r in got)
            for item in items:
                cur = db.execute(
                    "UPDATE entries SET status = 'withdrawn', changed = ?"
                    " WHERE item = ? AND status = 'active' RETURNING list_id, type",
                    (stamp, item),
                )
                got = cur.fetchall()
                n += len(got)
                touched.update(r[0] for r in got)
                self._touched.update(HashType(r[1]) for r in got)
            for list_id in touched:
                self._bump(db, list_id)
        return n

    def entries(
        self, list_name: str | None = None, *, include_withdrawn: bool = False
    ) -> Iterator[Entry]:
        sql = _SELECT + " WHERE 1"
        args: list[object] = []
        if list_name is not None:
            sql += " AND l.name = ?"
            args.append(list_name)
        if not include_withdrawn:
            sql += " AND e.status = 'active'"
        for r in self._db.execute(sql + " ORDER BY e.id", args):
            yield Entry(r[0], r[1], r[2], HashType(r[3]), r[4], r[5], r[6], r[7], r[8], r[9])

    def get(self, entry_ids: Iterable[int]) -> dict[int, Entry]:
        ids = sorted({int(i) for i in entry_ids})
        out: dict[int, Entry] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"{_SELECT} WHERE e.id IN ({marks})"  # noqa: S608 - only '?' marks
            for r in self._db.execute(sql, chunk):
                out[r[0]] = Entry(
                    r[0], r[1], r[2], HashType(r[3]), r[4], r[5], r[6], r[7], r[8], r[9]
                )
        return out

    def frames(self, entry_id: int) -> list[FrameHash]:
        from share_guard.core.hashing.values import PDQHash

        return [
            FrameHash(r[0], r[1], PDQHash(int.from_bytes(r[2], "big"), r[1]), r[3])
            for r in self._db.execute(
                "SELECT frame, quality, bits, time FROM vpdq_frames WHERE entry_id = ?"
                " ORDER BY frame",
                (entry_id,),
            )
        ]

    def type_counts(self) -> dict[HashType, int]:
        """Active entries per hash type."""
        rows = self._db.execute(
            "SELECT type, COUNT(*) FROM entries WHERE status = 'active' GROUP BY type"
        )
        return {HashType(r[0]): int(r[1]) for r in rows}

    def present_types(self) -> dict[HashType, int]:
        """1 for each hash type with an active entry (one index lookup per type, any list size)."""
        out = {}
        for kind in HashType:
            row = self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM entries WHERE type = ? AND status = 'active')",
                (kind.value,),
            ).fetchone()
            if row[0]:
                out[kind] = 1
        return out

    def count_active(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM entries WHERE status='active'").fetchone()
        return int(row[0])

    def find_exact(self, kind: HashType, value: str) -> list[Entry]:
        ids = [
            r[0]
            for r in self._db.execute(
                # list_id IN (...) lets SQLite seek the (list_id, type, value) index per list
                "SELECT id FROM entries WHERE list_id IN (SELECT id FROM lists)"
                " AND type = ? AND value = ? AND +status = 'active'",
                (kind.value, value.lower()),
            )
        ]
        return list(self.get(ids).values())

    def bit_rows(self, kind: HashType, min_quality: int = 0) -> tuple[list[int], bytes]:
        """(entry ids, concatenated raw hash bytes) of active PDQ or pHash entries."""
        ids: list[int] = []
        chunks: list[bytes] = []
        for entry_id, bits in self._db.execute(
            "SELECT id, bits FROM entries WHERE type = ? AND status = 'active'"
            " AND (quality IS NULL OR quality >= ?)",
            (kind.value, min_quality),
        ):
            ids.append(entry_id)
            chunks.append(bits)
        return ids, b"".join(chunks)

    def frame_rows(self, min_quality: int = 0) -> tuple[list[int], bytes]:
        """(entry id per frame, concatenated PDQ bytes) of active vPDQ entries' frames."""
        ids: list[int] = []
        chunks: list[bytes] = []
        for entry_id, bits in self._db.execute(
            "SELECT f.entry_id, f.bits FROM vpdq_frames f JOIN entries e ON e.id = f.entry_id"
            " WHERE e.status = 'active' AND f.quality >= ?",
            (min_quality,),
        ):
            ids.append(entry_id)
            chunks.append(bits)
        return ids, b"".join(chunks)

    def vpdq_frame_counts(self, min_quality: int = 0) -> dict[int, int]:
        return {
            r[0]: r[1]
            for r in self._db.execute(
                "SELECT entry_id, COUNT(*) FROM vpdq_frames WHERE quality >= ? GROUP BY entry_id",
                (min_quality,),
            )
        }
