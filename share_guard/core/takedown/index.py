"""Fast Hamming-distance search over many stored hashes (numpy, one core).

Hashes are kept as uint64 words, one contiguous array per word (column
layout), deduplicated, with a CSR map from each unique hash to its entry ids.
A query XORs and popcounts blocks of rows for all its variants at once; the
first two words (128 bits) prune: a row cannot be within ``radius`` of the
query if the first half already differs in more than ``radius`` bits, and for
unrelated hashes that leaves ~2% of rows to finish. faiss ``IndexBinaryFlat``
would do the same work with a large native dependency; this is fast enough
(see benchmarks/takedown.py: 1M hashes x 8 variants well under 50 ms).

Building from SQLite is the slow part for big lists, so the arrays are cached
in an ``.npz`` next to the database, keyed by the store's generation counter,
and only built when a check first needs them (never at app start).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 1 << 14  # rows per block: the working set of one block stays in cache


@dataclass(frozen=True)
class Hit:
    query: int  # index of the query hash (variant)
    entry_id: int
    distance: int


def words_from_bytes(raw: bytes, bits: int) -> np.ndarray:
    """Concatenated big-endian hashes -> (nwords, n) uint64, column layout."""
    nwords = bits // 64
    arr = np.frombuffer(raw, dtype=">u8").reshape(-1, nwords)
    out = np.empty((nwords, arr.shape[0]), dtype=np.uint64)
    for w in range(nwords):
        out[w] = arr[:, w]  # byte-swapping copy into one contiguous row per word
    return out


def words_from_ints(values: Sequence[int], bits: int) -> np.ndarray:
    raw = b"".join(v.to_bytes(bits // 8, "big") for v in values)
    return words_from_bytes(raw, bits)


class HashIndex:
    """Deduplicated fixed-width hashes with their entry ids."""

    def __init__(self, words: np.ndarray, offsets: np.ndarray, entry_ids: np.ndarray) -> None:
        self.words = words  # (nwords, n_unique) uint64
        self.offsets = offsets  # (n_unique + 1,) int64: CSR into entry_ids
        self.entry_ids = entry_ids  # int64
        self.bits = 64 * words.shape[0]

    @classmethod
    def build(cls, entry_ids: Sequence[int] | np.ndarray, raw: bytes, bits: int) -> HashIndex:
        words = words_from_bytes(raw, bits)
        ids = np.asarray(entry_ids, dtype=np.int64)
        if ids.size == 0:
            empty = np.zeros((bits // 64, 0), dtype=np.uint64)
            return cls(empty, np.zeros(1, dtype=np.int64), ids)
        # Sorting by the first word puts identical hashes next to each other (unless two
        # different hashes share their first 64 bits, which only costs a duplicate row).
        order = np.argsort(words[0], kind="stable")
        ordered = words[:, order]
        starts = np.zeros(ordered.shape[1], dtype=bool)
        starts[0] = True
        for w in range(ordered.shape[0]):
            np.logical_or(starts[1:], ordered[w, 1:] != ordered[w, :-1], out=starts[1:])
        first = np.flatnonzero(starts)
        offsets = np.append(first, ordered.shape[1]).astype(np.int64)
        unique_words = np.ascontiguousarray(ordered[:, first])
        return cls(unique_words, offsets, ids[order])

    def __len__(self) -> int:
        return int(self.words.shape[1])

    @property
    def nbytes(self) -> int:
        return int(self.words.nbytes + self.offsets.nbytes + self.entry_ids.nbytes)

    def search(self, queries: np.ndarray, radius: int) -> list[Hit]:
        """All (query, entry, distance) with distance <= radius. ``queries``: (nwords, q)."""
        n = len(self)
        if n == 0 or queries.shape[1] == 0:
            return []
        nw = self.words.shape[0]
        q = queries.astype(np.uint64)
        nq = q.shape[1]
        half = max(1, nw // 2)
        # Reused buffers: XOR words, per-word bit counts, first-half distance (<= 128: uint8).
        x = np.empty((nq, BLOCK), dtype=np.uint64)
        count = np.empty((nq, BLOCK), dtype=np.uint8)
        dist = np.empty((nq, BLOCK), dtype=np.uint8)
        near = np.empty((nq, BLOCK), dtype=bool)
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        for start in range(0, n, BLOCK):
            stop = min(n, start + BLOCK)
            k = stop - start
            xs, cs, ds, ns = x[:, :k], count[:, :k], dist[:, :k], near[:, :k]
            # first half of the words, every query variant at once: (variants, block)
            for w in range(half):
                np.bitwise_xor(self.words[w, start:stop][None, :], q[w][:, None], out=xs)
                np.bitwise_count(xs, out=ds if w == 0 else cs)
                if w:
                    np.add(ds, cs, out=ds)
            np.less_equal(ds, radius, out=ns)
            qi, ri = np.nonzero(ns)
            if qi.size == 0:
                continue
            d = ds[qi, ri].astype(np.int64)
            rows = ri + start
            for w in range(half, nw):
                d += np.bitwise_count(self.words[w, rows] ^ q[w, qi])
            keep = d <= radius
            found_q.append(qi[keep])
            found_r.append(rows[keep])
            found_d.append(d[keep])
        if not found_q:
            return []
        hits: list[Hit] = []
        for qi_, row, dd in zip(
            np.concatenate(found_q), np.concatenate(found_r), np.concatenate(found_d), strict=True
        ):
            lo, hi = self.offsets[row], self.offsets[row + 1]
            for entry_id in self.entry_ids[lo:hi]:
                hits.append(Hit(int(qi_), int(entry_id), int(dd)))
        return hits

    # -- cache ------------------------------------------------------------------

    def save(self, path: Path, key: str) -> None:
        """Write the arrays atomically (a crash leaves the old cache or none)."""
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                words=self.words,
                offsets=self.offsets,
                entry_ids=self.entry_ids,
                key=np.array(key),
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, key: str) -> HashIndex | None:
        """The cached index if it was saved under ``key`` and is consistent, else None."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != key:
                    return None
                words, offsets, ids = data["words"], data["offsets"], data["entry_ids"]
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None
        ok = (
            words.ndim == 2 and words.dtype == np.uint64 and words.shape[0] in (1, 4)
            and offsets.ndim == 1 and offsets.shape[0] == words.shape[1] + 1
            and ids.ndim == 1 and offsets.dtype == np.int64 and ids.dtype == np.int64
            and int(offsets[0]) == 0 and int(offsets[-1]) == ids.shape[0]
            and bool(np.all(np.diff(offsets) >= 0))
        )
        return cls(words, offsets, ids) if ok else None
