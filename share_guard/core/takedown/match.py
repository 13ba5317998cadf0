"""Check a file against the takedown list.

Thresholds (PDQ, 256 bits): distance <= 31 is a match, 32-52 a possible match
shown as a warning; hashes with quality < 50 are ignored on both sides (too
flat to mean anything). pHash (64 bits): <= 8 match, 9-10 possible (tighter
than PDQ's fractions: pHash collides more across a large list). SHA-256/MD5
match only when equal. A video matches a vPDQ entry when >= 80% of its usable
sampled frames have an entry frame within 31 (possible match: within 52). A
match is evidence, never proof: every result carries the entry's label,
source, date, hash type and distance.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from share_guard.core.hashing.image import ImageHashes, hash_image
from share_guard.core.hashing.values import BitHash, HashType, file_digests
from share_guard.core.hashing.video import FrameHash, hash_video
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.takedown.index import DamagedIndex, HashIndex, Hit, query_array
from share_guard.core.takedown.indexfiles import KINDS, index_key, open_or_build
from share_guard.core.takedown.store import Entry, TakedownStore

PDQ_MATCH = 31
PDQ_POSSIBLE = 52
PHASH_MATCH = 8
PHASH_POSSIBLE = 10
MIN_QUALITY = 50
VIDEO_FRACTION = 0.8

MATCH, POSSIBLE = "match", "possible"


@dataclass(frozen=True)
class Match:
    entry: Entry
    hash_type: HashType
    distance: int
    strength: str  # MATCH or POSSIBLE
    how: str  # "rotate90", "trimmed+original", "file bytes", "84% of frames"...

    @property
    def is_match(self) -> bool:
        return self.strength == MATCH


def classify(kind: HashType, distance: int) -> str | None:
    match, possible = (PHASH_MATCH, PHASH_POSSIBLE) if kind is HashType.PHASH else (
        PDQ_MATCH,
        PDQ_POSSIBLE,
    )
    if distance <= match:
        return MATCH
    if distance <= possible:
        return POSSIBLE
    return None


class Matcher:
    """Matches files against a store.

    Indexes are memory-mapped files in the data folder (see :mod:`.indexfiles`),
    built once per list change and shared by every process; opening a matcher
    costs nothing until a file needs an index.
    """

    def __init__(self, store: TakedownStore) -> None:
        self.store = store
        self._indexes: dict[str, HashIndex] = {}
        self._counts: tuple[str, dict[HashType, int]] = ("", {})

    def counts(self) -> dict[HashType, int]:
        """Which hash types have active entries (1 each; cached until the store changes)."""
        key = self.store.version_key
        if self._counts[0] != key:
            self._counts = (key, self.store.present_types())
        return self._counts[1]

    def _index(self, name: str) -> HashIndex:
        kind = KINDS[name][0]
        key = index_key(self.store.type_key(kind), name, MIN_QUALITY)
        cached = self._indexes.get(name)
        if cached is not None and cached.key == key:
            return cached
        if cached is not None:
            cached.close()
            del self._indexes[name]
        index = open_or_build(self.store.path, name, MIN_QUALITY, key)
        self._indexes[name] = index
        return index

    def warm(self, names: Sequence[str] | None = None) -> None:
        """Build (once per list change) or map the indexes the list needs, now."""
        counts = self.counts()
        for name in names or KINDS:
            if counts.get(KINDS[name][0]):
                self._index(name)

    def close(self) -> None:
        for index in self._indexes.values():
            index.close()
        self._indexes.clear()

    # -- queries --------------------------------------------------------------

    def _bit_matches(
        self, kind: HashType, queries: Sequence[tuple[str, BitHash]], radius: int, exact_to: int
    ) -> list[tuple[int, int, str]]:
        """(entry id, distance, variant) per hit."""
        if not queries:
            return []
        q = query_array([h.value for _, h in queries], 256 if kind is HashType.PDQ else 64)
        return [(h.entry_id, h.distance, queries[h.query][0])
                for h in self._search(kind.value, q, radius, exact_to)]

    def _search(self, name: str, q: np.ndarray, radius: int, exact_to: int) -> list[Hit]:
        """Search ``name``'s index; a damaged index file is removed and rebuilt once."""
        for attempt in (1, 2):
            index = self._index(name)
            if len(index) == 0:
                return []
            try:
                return index.search(q, radius, exact_to=exact_to)
            except DamagedIndex:
                if attempt == 2:
                    raise
                self._indexes.pop(name, None)
                index.close()
                with contextlib.suppress(OSError):
                    index.path.unlink()
        return []

    def _best(self, hits: list[tuple[int, int, str]], kind: HashType) -> list[Match]:
        best: dict[int, tuple[int, str]] = {}
        for entry_id, dist, how in hits:
            if entry_id not in best or dist < best[entry_id][0]:
                best[entry_id] = (dist, how)
        entries = self.store.get(best)
        out = []
        for entry_id, (dist, how) in best.items():
            strength = classify(kind, dist)
            entry = entries.get(entry_id)
            if strength is not None and entry is not None and entry.active:
                out.append(Match(entry, kind, dist, strength, how))
        return out

    def match_image_hashes(self, hashes: ImageHashes) -> list[Match]:
        pdq_q = [(n, h) for n, h in hashes.queries if h.quality >= MIN_QUALITY]
        counts = self.counts()
        out: list[Match] = []
        if counts.get(HashType.PDQ):
            hits = self._bit_matches(HashType.PDQ, pdq_q, PDQ_POSSIBLE, PDQ_MATCH)
            out += self._best(hits, HashType.PDQ)
        # pHash has no quality of its own: flat pictures all hash alike, so it is only
        # trusted when PDQ finds enough detail in the same picture.
        if counts.get(HashType.PHASH) and hashes.pdq is not None \
                and hashes.pdq.quality >= MIN_QUALITY:
            ph = self._bit_matches(HashType.PHASH, list(hashes.phash_queries), PHASH_POSSIBLE,
                                   PHASH_MATCH)
            out += self._best(ph, HashType.PHASH)
        return out

    def match_digests(self, path: str | os.PathLike[str]) -> list[Match]:
        out = []
        for kind, digest in file_digests(path).items():
            for entry in self.store.find_exact(kind, digest.hex):
                out.append(Match(entry, kind, 0, MATCH, "file bytes"))
        return out

    def match_frames(self, frames: Sequence[FrameHash]) -> list[Match]:
        """vPDQ rule: share of usable query frames that have an entry frame nearby."""
        usable = [f for f in frames if f.quality >= MIN_QUALITY]
        if not usable:
            return []
        variants: list[tuple[int, int]] = []  # (query frame number, PDQ value)
        for i, f in enumerate(usable):
            variants.append((i, f.pdq.value))
            if f.trimmed is not None:
                variants.append((i, f.trimmed.value))
        queries = query_array([v for _, v in variants], 256)
        # closest distance per (entry, query frame)
        best: dict[int, dict[int, int]] = defaultdict(dict)
        for hit in self._search("frames", queries, PDQ_POSSIBLE, PDQ_MATCH):
            frame_no = variants[hit.query][0]
            per = best[hit.entry_id]
            if hit.distance < per.get(frame_no, 999):
                per[frame_no] = hit.distance
        entries = self.store.get(best)
        out = []
        n = len(usable)
        for entry_id, per in best.items():
            dists = np.fromiter(per.values(), dtype=np.int64)
            strong = int(np.sum(dists <= PDQ_MATCH))
            loose = len(dists)
            if strong >= VIDEO_FRACTION * n:
                strength, share = MATCH, strong / n
                dist = int(np.median(dists[dists <= PDQ_MATCH]))
            elif loose >= VIDEO_FRACTION * n:
                strength, share, dist = POSSIBLE, loose / n, int(np.median(dists))
            else:
                continue
            if entry_id in entries and entries[entry_id].active:
                how = f"{share:.0%} of {n} sampled frames"
                out.append(Match(entries[entry_id], HashType.VPDQ, dist, strength, how))
        return out

    def check_file(
        self,
        path: str | os.PathLike[str],
        kind: str | None = None,
        *,
        progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None,
    ) -> list[Match]:
        """All matches for one file, strongest first. ``kind`` is "image" or "video".

        Only the work the list can use is done: no digests without digest
        entries, no decoding of a video when the list holds no vPDQ.
        """
        counts = self.counts()
        if not counts:
            return []
        matches: list[Match] = []
        if counts.get(HashType.SHA256) or counts.get(HashType.MD5):
            matches += self.match_digests(path)
        perceptual = counts.get(HashType.PDQ) or counts.get(HashType.PHASH)
        kind = kind or (media_kind(path) if perceptual or counts.get(HashType.VPDQ) else None)
        if kind == "image" and perceptual:
            hashes = hash_image(path, pdq_queries=bool(counts.get(HashType.PDQ)),
                                phash_queries=bool(counts.get(HashType.PHASH)), progress=progress)
            matches += self.match_image_hashes(hashes)
        elif kind == "video" and counts.get(HashType.VPDQ):
            frames = hash_video(path, dense=False, cancel=cancel, progress=progress)
            matches += self.match_frames(frames)
        return dedupe(matches)


def dedupe(matches: list[Match]) -> list[Match]:
    """One result per entry (its strongest), matches before possible matches."""
    best: dict[int, Match] = {}
    for m in matches:
        cur = best.get(m.entry.id)
        if cur is None or (not cur.is_match and m.is_match) or (
            cur.strength == m.strength and m.distance < cur.distance
        ):
            best[m.entry.id] = m
    return sorted(best.values(), key=lambda m: (not m.is_match, m.distance, m.entry.id))


def media_kind(path: str | os.PathLike[str]) -> str:
    """'image' or 'video' from the file's bytes (never its name)."""
    from share_guard.core.containers import detect
    from share_guard.core.containers.base import open_regular
    from share_guard.core.errors import UnsupportedFormat

    with open_regular(path) as fh:
        head = fh.read(4096)
    try:
        return detect(head).kind
    except UnsupportedFormat:
        pass
    try:
        from share_guard.core.media.images import open_image

        with open_image(Path(path)) as im:  # our formats only, bomb limits on
            im.verify()
        return "image"
    except Exception:  # noqa: BLE001 - anything Pillow refuses is tried as a video
        return "video"
