"""Exact Hamming-radius search over millions of stored hashes, in one memory-mapped file.

Multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012), the scheme faiss's
``IndexBinaryMultiHash`` uses: a hash of ``b`` bits is cut into ``m = b/16``
blocks of 16 bits. Two hashes within distance ``r`` have at least one block
within ``r // m`` of each other (if every block differed in more, the total
would exceed ``r``), so probing, in each block's table, the buckets within
``p`` bits of the query's block finds *every* entry within ``m * (p + 1) - 1``
bits: for PDQ (m = 16), ``p = 1`` is exact to distance 31, ``p = 2`` to 47,
``p = 3`` to 63. Candidates are then checked against their full hash.

Why our own and not faiss (measured on this machine, benchmarks/takedown.py
--faiss): ``IndexBinaryMultiHash`` (16 x 16 bits) takes 550 ms per 8-variant
query at 10 M hashes, 277 B of RAM per entry, 2.1 s to load and 77 s to
build, and its hash maps cannot be memory-mapped, so every process would hold
its own copy; ``IndexBinaryHNSW`` finds 39% of planted near-duplicates at
ef=256; ``IndexBinaryIVF`` needs to scan a quarter of the list for recall 1.
The same algorithm over flat sorted arrays answers in ~10-25 ms, maps in
milliseconds and is shared by every process through the page cache.

File layout (little endian, sections aligned for ``mmap``): a header (format,
key, counts), the hashes as stored (big-endian bytes) sorted by their first
block, one bucket directory per block (65,537 uint32 offsets), the row
numbers sorted by each other block (uint32; the first block needs none), and
the entry id of each row (int64). Only the hashes and directories stay mapped
(32 B per PDQ entry of address space, which counts against a sandboxed
worker's RLIMIT_AS); the posting lists and ids are mapped for the duration of
one search, while no picture is held in memory.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from share_guard.core.errors import LimitExceeded
from share_guard.core.i18n import N_, message

BLOCK_BITS = 16
BUCKETS = 1 << BLOCK_BITS
FORMAT = 1
MAGIC = b"SGTDIDX\x00"
ALIGN = 1 << 16  # mmap offsets must be multiples of the allocation granularity (Windows: 64 KiB)
_HEAD = struct.Struct("<8sIIQ256s")  # magic, format, bits, rows, key
#: Below this many rows a plain scan is as fast as probing and needs no tables.
SCAN_ROWS = 1 << 12
#: Buckets probed plus candidates checked that a search may spend before it probes less
#: widely than its radius needs (see search()): about 10-20 ms of work on one core.
BUDGET = 200_000


@dataclass(frozen=True)
class Hit:
    query: int  # index of the query hash (variant)
    entry_id: int
    distance: int


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def query_array(values: Sequence[int], bits: int) -> np.ndarray:
    """Hash integers -> (q, bits/8) uint8, big-endian bytes as the list stores them."""
    raw = b"".join(v.to_bytes(bits // 8, "big") for v in values)
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), bits // 8)


@lru_cache(maxsize=8)
def _probe_masks(p: int) -> np.ndarray:
    """All 16-bit values with at most ``p`` bits set (the flips probed per block)."""
    v = np.arange(BUCKETS, dtype=np.uint32)
    return v[np.bitwise_count(v) <= p].astype(np.int64)


def brute_force(rows: np.ndarray, queries: np.ndarray, radius: int) -> list[tuple[int, int, int]]:
    """The reference: (query, row, distance) of every pair within ``radius``, by scanning all rows.

    What matching did before the index (and what it falls back to without room
    to map the posting lists): all queries against a block of rows at once; the
    first half of each hash prunes, the second half is only read for the few left.
    """
    nw = rows.shape[1] // 8
    half = max(1, nw // 2)
    qw = np.ascontiguousarray(queries).view("<u8").reshape(-1, nw)
    out: list[tuple[int, int, int]] = []
    step = 1 << 15
    for start in range(0, rows.shape[0], step):
        words = np.ascontiguousarray(rows[start : start + step]).view("<u8").reshape(-1, nw)
        d = np.zeros((qw.shape[0], words.shape[0]), np.int64)
        for w in range(half):
            d += np.bitwise_count(qw[:, w : w + 1] ^ words[None, :, w])
        qi, ri = np.nonzero(d <= radius)
        if qi.size == 0:
            continue
        dist = d[qi, ri]
        for w in range(half, nw):
            dist += np.bitwise_count(qw[qi, w] ^ words[ri, w])
        keep = dist <= radius
        out += [(int(a), start + int(b), int(c))
                for a, b, c in zip(qi[keep], ri[keep], dist[keep], strict=True)]
    return sorted(out)


class DamagedIndex(ValueError):
    """An index file that is damaged or from another version: it is rebuilt, never trusted."""


class HashIndex:
    """Fixed-width hashes with their entry ids, searched by Hamming radius (see module doc).

    Open one with :meth:`open` (a file written by :meth:`write`) or :meth:`build`
    (a private temporary file). Read-only once written; safe to share across processes.
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path, self.key = path, key
        self._fh = open(path, "rb")  # noqa: SIM115 - kept open for the per-search mappings
        try:
            head = self._fh.read(_HEAD.size)
            if len(head) != _HEAD.size:
                raise DamagedIndex(N_("truncated header"))
            magic, fmt, bits, n, raw_key = _HEAD.unpack(head)
            if magic != MAGIC or fmt != FORMAT or bits not in (64, 256):
                raise DamagedIndex(N_("not an index of this version"))
            if raw_key.rstrip(b"\x00").decode("utf-8", "replace") != key:
                raise DamagedIndex(N_("index of another list state"))
            self.bits, self.n = int(bits), int(n)
            self.nbytes_row = self.bits // 8
            self.blocks = self.bits // BLOCK_BITS
            self._layout = _layout(self.n, self.bits)
            self._kept: mmap.mmap | None = None
            if os.fstat(self._fh.fileno()).st_size != self._layout["end"]:
                raise DamagedIndex(N_("index file has the wrong size"))
            self._map = self._map_hot()
        except BaseException:
            self._fh.close()
            raise

    # -- opening -----------------------------------------------------------------------

    def _map_hot(self) -> mmap.mmap | None:
        lay = self._layout
        if self.n == 0:
            self.rows = np.zeros((0, self.nbytes_row), np.uint8)
            self.words = self.rows.view("<u8")
            self.dirs = np.zeros((self.blocks, BUCKETS + 1), np.uint32)
            return None
        mm = mmap.mmap(self._fh.fileno(), lay["posts"], access=mmap.ACCESS_READ)
        self.rows = np.frombuffer(mm, np.uint8, self.n * self.nbytes_row, lay["rows"]).reshape(
            self.n, self.nbytes_row
        )
        self.dirs = np.frombuffer(mm, np.uint32, self.blocks * (BUCKETS + 1), lay["dirs"]).reshape(
            self.blocks, BUCKETS + 1
        )
        self.words = self.rows.view("<u8")
        if not (self.dirs[:, 0] == 0).all() or not (self.dirs[:, -1] == self.n).all():
            raise DamagedIndex(N_("index directories are inconsistent"))
        return mm

    @classmethod
    def open(cls, path: str | os.PathLike[str], key: str) -> HashIndex | None:
        """The index at ``path`` if it was written for ``key`` and looks whole, else None."""
        try:
            return cls(Path(path), key)
        except (OSError, ValueError):
            return None

    @classmethod
    def build(cls, entry_ids: Sequence[int] | np.ndarray, raw: bytes | np.ndarray,
              bits: int) -> HashIndex:
        """An index of in-memory hashes, in a private temporary file (tests, small lists)."""
        ids = np.asarray(entry_ids, dtype=np.int64)
        rows = np.frombuffer(raw, np.uint8) if isinstance(raw, bytes) else np.asarray(raw, np.uint8)
        rows = rows.reshape(ids.shape[0], bits // 8)
        fd, name = tempfile.mkstemp(prefix="share_guard-index-", suffix=".idx")
        os.close(fd)
        try:
            write(Path(name), "memory", ids, rows, bits)
            index = cls(Path(name), "memory")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)  # POSIX: the open file lives on; elsewhere it stays until closed
        return index

    def close(self) -> None:
        self.__dict__.pop("rows", None)
        self.__dict__.pop("words", None)
        self.__dict__.pop("dirs", None)
        for mm in (self._map, self._kept):
            if mm is not None:
                with contextlib.suppress(BufferError):  # a caller still holds a view: GC closes it
                    mm.close()
        self._kept = None
        self._fh.close()

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        """Bytes of the index file (what the page cache holds when it is hot)."""
        return int(self._layout["end"])

    @property
    def mapped_bytes(self) -> int:
        """Address space this process keeps mapped between searches."""
        hot = int(self._layout["posts"]) if self.n else 0
        return hot + (self.nbytes - int(self._layout["posts"]) if self._kept is not None else 0)

    # -- searching ---------------------------------------------------------------------

    def _map_cold(self) -> mmap.mmap:
        """The posting lists and entry ids: kept mapped when there is room, else per search."""
        if self._kept is not None:
            return self._kept
        lay = self._layout
        mm = mmap.mmap(self._fh.fileno(), lay["end"] - lay["posts"], access=mmap.ACCESS_READ,
                       offset=lay["posts"])
        if _roomy(lay["end"] - lay["posts"]):
            self._kept = mm
        return mm

    def _release(self, mm: mmap.mmap) -> None:
        if mm is not self._kept:
            with contextlib.suppress(BufferError):
                mm.close()

    def probe_for(self, nq: int, radius: int, exact_to: int) -> int:
        """Bits probed per block: exact to ``radius`` when the budget allows, never below ``exact_to``."""
        need, floor = radius // self.blocks, exact_to // self.blocks
        for p in range(need, floor, -1):
            if nq * self.blocks * len(_probe_masks(p)) * (1 + self.n / BUCKETS) <= BUDGET:
                return p
        return floor

    def search(self, queries: np.ndarray, radius: int, *, exact_to: int | None = None) -> list[Hit]:
        """Entries within ``radius`` of each query ((q, bits/8) uint8, see :func:`query_array`).

        Every entry within ``exact_to`` (default: ``radius``) is found. Between
        ``exact_to`` and ``radius`` the search probes as widely as :data:`BUDGET`
        candidates allow: exact to ``16 * (p + 1) - 1`` for PDQ, and beyond that
        an entry is found when one of its 16-bit blocks is within ``p`` bits.
        """
        q = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, self.nbytes_row)
        if self.n == 0 or q.shape[0] == 0:
            return []
        try:
            mm = self._map_cold()
        except OSError:  # no address space left to map the posting lists (RLIMIT_AS): scan
            scanned = brute_force(self.rows, q, radius)
            known = self._read_ids({r for _, r, _ in scanned})
            return [Hit(qi, known[r], d) for qi, r, d in scanned]
        lay = self._layout
        posts = np.frombuffer(mm, np.uint32, (self.blocks - 1) * self.n, 0)
        ids = np.frombuffer(mm, np.int64, self.n, lay["ids"] - lay["posts"])
        try:
            if self.n <= SCAN_ROWS:
                return [Hit(qi, int(ids[r]), d) for qi, r, d in brute_force(self.rows, q, radius)]
            p = self.probe_for(q.shape[0], radius, radius if exact_to is None else exact_to)
            qi, rows, d = self._check(q, self._candidates(q, _probe_masks(p), posts), radius)
            _keys, first = np.unique(qi * self.n + rows, return_index=True)  # found via 2 blocks
            found = np.take(ids, rows[first], mode="raise")
            return [Hit(int(a), int(e), int(b))
                    for a, e, b in zip(qi[first], found, d[first], strict=True)]
        except IndexError as exc:  # a posting points past the end: a damaged file
            raise DamagedIndex(message(N_("index file is damaged: {exc}"), exc=exc))
        finally:
            del posts, ids
            self._release(mm)

    def _candidates(self, q: np.ndarray, masks: np.ndarray,
                    posts: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(query, rows) for every row sharing a probed bucket with the query."""
        nq, m = q.shape[0], self.blocks
        dirs = self.dirs.reshape(-1)
        probes = q.view("<u2").astype(np.int64)[:, :, None] ^ masks[None, None, :]  # (nq, m, k)
        probes += (np.arange(m, dtype=np.int64) * (BUCKETS + 1))[None, :, None]
        starts = np.take(dirs, probes).astype(np.int64)
        lens = np.take(dirs, probes + 1).astype(np.int64) - starts
        # block 0: the rows are in its order; blocks 1..m-1: their posting lists, one array
        starts[:, 1:, :] += (np.arange(m - 1, dtype=np.int64) * self.n)[None, :, None]
        out: list[tuple[int, np.ndarray]] = []
        for part, source in ((np.s_[:, :1, :], None), (np.s_[:, 1:, :], posts)):
            st, ln = starts[part].reshape(-1), lens[part].reshape(-1)
            total = int(ln.sum())
            if total == 0:
                continue
            pos = np.arange(total, dtype=np.int64) + np.repeat(st - (np.cumsum(ln) - ln), ln)
            rows = pos if source is None else np.take(source, pos, mode="raise").astype(np.int64)
            bounds = np.concatenate(([0], np.cumsum(ln.reshape(nq, -1).sum(axis=1))))
            out += [(i, rows[bounds[i] : bounds[i + 1]]) for i in range(nq) if bounds[i + 1] > bounds[i]]
        return out

    def _check(self, q: np.ndarray, cands: list[tuple[int, np.ndarray]],
               radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Full distances of the candidates: (query, row, distance) of those within radius."""
        if not cands:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        rows = np.concatenate([r for _, r in cands])
        x = np.take(self.words, rows, axis=0, mode="raise")
        qw = q.view("<u8")
        at = 0
        for i, r in cands:
            x[at : at + r.shape[0]] ^= qw[i]
            at += r.shape[0]
        counts = np.bitwise_count(x)
        d = counts[:, 0].astype(np.int64)
        for w in range(1, x.shape[1]):
            d += counts[:, w]
        qi = np.repeat(np.array([i for i, _ in cands], np.int64), [r.shape[0] for _, r in cands])
        keep = d <= radius
        return qi[keep], rows[keep], d[keep]

    def _read_ids(self, rows: set[int]) -> dict[int, int]:
        out = {}
        for r in sorted(rows):
            self._fh.seek(self._layout["ids"] + 8 * r)
            out[r] = struct.unpack("<q", self._fh.read(8))[0]
        return out


def _roomy(size: int) -> bool:
    """Whether ``size`` more bytes may stay mapped: always without an address-space limit,
    else while they take at most an eighth of it (a sandboxed worker needs the rest for pictures)."""
    try:
        import resource
    except ImportError:
        return True
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return soft == resource.RLIM_INFINITY or size <= soft // 8


def _layout(n: int, bits: int) -> dict[str, int]:
    rows = ALIGN
    dirs = _align(rows + n * (bits // 8))
    posts = _align(dirs + (bits // BLOCK_BITS) * (BUCKETS + 1) * 4)
    ids = _align(posts + (bits // BLOCK_BITS - 1) * n * 4)
    return {"rows": rows, "dirs": dirs, "posts": posts, "ids": ids, "end": ids + n * 8}


def write(path: Path, key: str, ids: np.ndarray, raw: np.ndarray, bits: int) -> None:
    """Write an index of ``raw`` ((n, bits/8) big-endian hash bytes) with entry ``ids``.

    Memory: the input plus ~12 bytes per row (one sort order and one block
    column at a time); nothing is built twice. The file appears atomically.
    """
    n = int(ids.shape[0])
    if n >= 1 << 32:
        raise LimitExceeded(N_("a takedown index holds at most 4 billion hashes"))
    key_bytes = key.encode("utf-8")
    if len(key_bytes) > 256:
        raise ValueError("index key too long")
    blocks = bits // BLOCK_BITS
    lay = _layout(n, bits)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(_HEAD.pack(MAGIC, FORMAT, bits, n, key_bytes))
            columns = raw.view("<u2") if n else np.zeros((0, blocks), np.uint16)
            order = np.argsort(columns[:, 0], kind="stable") if n else np.zeros(0, np.int64)
            fh.seek(lay["rows"])
            step = 1 << 18
            for start in range(0, n, step):
                fh.write(np.ascontiguousarray(np.take(raw, order[start : start + step], axis=0)).data)
            dirs = np.zeros((blocks, BUCKETS + 1), "<u4")
            fh.seek(lay["posts"])
            for b in range(blocks):  # one block column at a time: its directory and postings
                col = np.take(columns[:, b], order) if n else np.zeros(0, np.uint16)
                dirs[b, 1:] = np.cumsum(np.bincount(col, minlength=BUCKETS))
                if b:
                    fh.write(np.argsort(col, kind="stable").astype("<u4").data)
            fh.seek(lay["dirs"])
            fh.write(dirs.data)
            fh.seek(lay["ids"])
            fh.write(np.ascontiguousarray(np.take(ids, order).astype("<i8")).data)
            fh.truncate(lay["end"])
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
