"""The matching indexes on disk: one file per hash type and list state, built once, mapped by all.

An index file sits next to the database (``takedown.sqlite3.pdq-<key>.idx``)
and is named after the store's counter for that hash type, so every process
(the app, the command line, each sandboxed worker) finds the same file and
maps it read-only; the page cache holds one copy for all of them. A change to
the list's PDQ entries gives a new key: the next check builds a new file
(under a lock, so concurrent processes build it once) and removes the old one.
A video added to the list does not touch the PDQ index.

The rows are read in one read transaction on a connection of their own, and
the key is read inside the same transaction, so a file always describes
exactly the list state its name says.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np

from share_guard.core.hashing.values import HashType
from share_guard.core.i18n import N_, message
from share_guard.core.takedown.index import FORMAT, HashIndex, write
from share_guard.core.takedown.store import StoreError, type_key

#: index name -> (hash type whose counter keys it, bits)
KINDS: dict[str, tuple[HashType, int]] = {
    "pdq": (HashType.PDQ, 256),
    "phash": (HashType.PHASH, 64),
    "frames": (HashType.VPDQ, 256),
}
_BATCH = 1 << 16


def index_key(store_key: str, name: str, min_quality: int) -> str:
    return f"v{FORMAT}:{name}:q{min_quality}:{store_key}"


def index_path(db: Path, name: str, key: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return db.with_name(f"{db.name}.{name}-{digest}.idx")


_FRAMES = (" FROM vpdq_frames f JOIN entries e ON e.id = f.entry_id"
           " WHERE e.type = 'vpdq' AND e.status = 'active'")
_ENTRIES = " WHERE type = ? AND status = 'active'"


def _count(conn: sqlite3.Connection, name: str) -> int:
    """An upper bound of the rows an index holds (reads only the (type, status) index)."""
    if name == "frames":
        row = conn.execute("SELECT COUNT(*)" + _FRAMES).fetchone()
    else:
        row = conn.execute("SELECT COUNT(*) FROM entries" + _ENTRIES,  # noqa: S608 - constants
                           (KINDS[name][0].value,)).fetchone()
    return int(row[0])


def _rows(conn: sqlite3.Connection, name: str, min_quality: int, scan: bool) -> sqlite3.Cursor:
    """The (entry id, hash bytes) rows. A type that makes up most of the table is read by
    scanning it (sequential: half the time of 10 M index lookups), else through the index."""
    if name == "frames":
        return conn.execute("SELECT f.entry_id, f.bits" + _FRAMES + " AND f.quality >= ?",
                            (min_quality,))
    table = " FROM entries NOT INDEXED" if scan else " FROM entries"
    return conn.execute("SELECT id, bits" + table + _ENTRIES  # noqa: S608 - constants
                        + " AND (quality IS NULL OR quality >= ?)",
                        (KINDS[name][0].value, min_quality))


@contextlib.contextmanager
def _snapshot(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection inside one read transaction: a consistent view of the list."""
    try:
        conn = sqlite3.connect(f"file:{quote(os.fspath(db))}?mode=ro", uri=True,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(message(N_("the takedown list {db} cannot be read: {exc}"), db=db, exc=exc))
    try:
        conn.execute("BEGIN")
        yield conn
    except sqlite3.Error as exc:
        raise StoreError(message(N_("the takedown list {db} cannot be read: {exc}"), db=db, exc=exc))
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("COMMIT")
        conn.close()


def read_rows(conn: sqlite3.Connection, name: str,
              min_quality: int) -> tuple[np.ndarray, np.ndarray]:
    """(entry ids, (n, bits/8) hash bytes) of the rows an index holds, streamed in batches."""
    n = _count(conn, name)
    last = conn.execute("SELECT MAX(id) FROM entries").fetchone()[0] or 0
    width = KINDS[name][1] // 8
    ids = np.empty(n, np.int64)
    raw = np.empty((n, width), np.uint8)
    at = 0
    cur = _rows(conn, name, min_quality, scan=n > int(last) // 4)
    while batch := cur.fetchmany(_BATCH):
        k = len(batch)
        if at + k > n:  # cannot happen inside one read transaction
            raise StoreError(N_("the takedown list changed while it was read"))
        blob = b"".join(bits for _, bits in batch)
        if len(blob) != k * width:
            raise StoreError(N_("the takedown list holds a hash of the wrong length"))
        raw[at : at + k] = np.frombuffer(blob, np.uint8).reshape(k, width)
        ids[at : at + k] = np.fromiter((i for i, _ in batch), np.int64, k)
        at += k
    return ids[:at], raw[:at]


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Exclusive lock while one process builds (others wait, then find the file)."""
    try:
        import fcntl
    except ImportError:  # Windows: concurrent builds are only duplicated work
        yield
        return
    try:
        fh = open(path, "a+b")  # noqa: SIM115
    except OSError:
        yield
        return
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except OSError:
            pass
        yield


def open_or_build(db: Path, name: str, min_quality: int, key: str) -> HashIndex:
    """The index for ``key`` (the store's current key for ``name``): mapped, built if missing.

    Built at most once per list state across processes; in a data folder that
    cannot be written, built into a private temporary file of this process.
    """
    found = HashIndex.open(index_path(db, name, key), key)
    if found is not None:
        return found
    with _lock(db.with_name(f"{db.name}.{name}.lock")):
        with _snapshot(db) as conn:
            now = index_key(type_key(conn.execute, KINDS[name][0]), name, min_quality)
            target = index_path(db, name, now)
            found = HashIndex.open(target, now)
            if found is not None:
                return found
            ids, raw = read_rows(conn, name, min_quality)
        try:
            write(target, now, ids, raw, KINDS[name][1])
        except OSError:
            del ids, raw
            return _private(db, name, min_quality)
        del ids, raw
        _remove_stale(db, name, keep=target)
    found = HashIndex.open(target, now)
    if found is None:
        raise StoreError(message(N_("the takedown index {name} could not be read back"), name=target.name))
    return found


def _private(db: Path, name: str, min_quality: int) -> HashIndex:
    with _snapshot(db) as conn:
        now = index_key(type_key(conn.execute, KINDS[name][0]), name, min_quality)
        ids, raw = read_rows(conn, name, min_quality)
    fd, tmp = tempfile.mkstemp(prefix="share_guard-index-", suffix=".idx")
    os.close(fd)
    try:
        write(Path(tmp), now, ids, raw, KINDS[name][1])
        del ids, raw
        index = HashIndex.open(tmp, now)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # POSIX: the open file lives on while mapped
    if index is None:
        raise StoreError(N_("the takedown index could not be built"))
    return index


def _remove_stale(db: Path, name: str, keep: Path) -> None:
    """Older index files of ``name`` (a process that still maps one keeps its copy alive)."""
    for old in db.parent.glob(f"{db.name}.{name}-*"):
        if old != keep and (old.suffix in (".idx", ".npz") or old.name.endswith(".tmp")):
            if old.name.endswith(".tmp") and _young(old):
                continue  # another process may be writing it right now
            with contextlib.suppress(OSError):
                old.unlink()


def _young(path: Path) -> bool:
    import time

    try:
        return time.time() - path.stat().st_mtime < 3600
    except OSError:
        return False
