"""Byte accounting for clean Matroska/WebM copies: every byte filed, or the export fails.

Walks the clean copy on its own (it shares only the table of what may be kept with the
cleaner): element IDs and sizes, kept numbers and codes are *written*; codec headers
are filed by their own walkers (``matroska_codecs.account_private``); each frame of a
kept track is filed by its codec (NAL units, JPEG segments, or opaque payload); Void
payloads, padding and anything after the last element must be blank. An element the
clean copy should not hold (a Title, a SegmentUID, a Tags list, a subtitle track, a
block of a track that is not kept, an unknown element) fails the export.
"""

from __future__ import annotations

import zlib

from share_guard.core.containers._ebml import MAX_DEPTH, EbmlFile, Element, parse_children
from share_guard.core.containers.base import Source
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.matroska_blocks import CLUSTER_CAP, Track, account_cluster
from share_guard.core.containers.matroska_codecs import account_private, frame_codec
from share_guard.core.containers.matroska_meta import (
    BINARY_CAPS,
    TrackInfo,
    read_tracks,
    seek_ok,
)
from share_guard.core.containers.matroska_schema import (
    BLANK,
    CHILDREN,
    DROP,
    ID_CLUSTER,
    ID_CODECPRIVATE,
    ID_CRC32,
    ID_CUETRACK,
    ID_CUETRACKPOSITIONS,
    ID_EBML,
    ID_SEEK,
    ID_SEEKID,
    ID_SEGMENT,
    ID_TRACKENTRY,
    ID_TRACKS,
    ID_VOID,
    KEPT_LEVEL1,
    UID,
    B,
    M,
    leaf_problem,
    uid_value,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

META_CAP = 16 * 1024 * 1024
READ_CHUNK = 8 * 1024 * 1024


class _Walk:
    def __init__(self, f: EbmlFile, ledger: Ledger) -> None:
        self.f, self.ledger = f, ledger
        self.tracks: dict[int, TrackInfo] = {}
        self.level1: dict[int, int] = {}
        self.entry: TrackInfo | None = None

    # -- blank ranges read in pieces (a removed attachment can be large) ----------------
    def blank(self, start: int, end: int, what: str) -> None:
        pos = start
        while pos < end:
            n = min(READ_CHUNK, end - pos)
            self.ledger.zeroed(self.f.read(pos, n), pos, pos + n, what, base=pos)
            pos += n

    def void(self, el: Element, where: str) -> None:
        self.ledger.written(el.offset, el.data_offset, f"Void header ({where})")
        self.blank(el.data_offset, el.end, f"Void ({where})")

    # -- header masters --------------------------------------------------------------------
    def master(self, buf: bytes, start: int, end: int, parent: int, base: int,
               depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.ledger.refuse(base + start, base + end, "Matroska", N_("nesting too deep"))
            return
        try:
            kids = parse_children(buf, start, end)
        except CorruptFile as exc:
            self.ledger.refuse(base + start, base + end, f"Matroska 0x{parent:X}", str(exc))
            return
        for n, kid in enumerate(kids):
            self.element(buf, kid, n, parent, base, end, depth)

    def element(self, buf: bytes, kid: Element, n: int, parent: int, base: int, parent_end: int,
                depth: int) -> None:
        led = self.ledger
        a, h, e = base + kid.offset, base + kid.data_offset, base + kid.end
        data = buf[kid.data_offset : kid.end]
        what = f"Matroska element 0x{kid.id:X} in 0x{parent:X}"
        if kid.id == ID_VOID:
            led.written(a, h, "Void header")
            led.zeroed(data, h, e, "Void", base=h)
            return
        if kid.id == ID_CRC32:
            if n == 0 and kid.size == 4 and int.from_bytes(data, "little") == zlib.crc32(
                    buf[kid.end : parent_end]) & 0xFFFFFFFF:
                led.written(a, e, "CRC-32")
            else:
                led.refuse(a, e, what, N_("a CRC-32 that does not match"))
            return
        spec = CHILDREN.get(parent, {}).get(kid.id)
        if spec is None or spec[2] == DROP:
            led.refuse(a, e, what, N_("an element a clean copy does not keep"))
            return
        name, kind, policy = spec
        led.written(a, h, f"{name} header")
        if kind == M:
            if not self._master_ok(kid, data):
                led.refuse(h, e, name, N_("an entry a clean copy does not keep"))
                return
            self.master(buf, kid.data_offset, kid.end, kid.id, base, depth + 1)
            return
        if kid.id == ID_CODECPRIVATE and self.entry is not None:
            account_private(self.entry.codec, data, led, h, f"{self.entry.codec} codec header")
            return
        if kind == B:
            if kid.id == ID_SEEKID or (kid.size <= BINARY_CAPS.get(kid.id, -1)
                                       and not leaf_problem(kid.id, kind, data)):
                led.payload(h, e, name)
            else:
                led.refuse(h, e, name, N_("binary data a clean copy does not keep"))
            return
        problem = leaf_problem(kid.id, kind, data)
        if not problem and policy == BLANK and kid.size:
            problem = "an application name that is not empty"
        if not problem and policy == UID and kid.size and (
                self.entry is None or data != uid_value(self.entry.number, kid.size)):
            problem = "a TrackUID that is not the track number"
        if problem:
            led.refuse(h, e, name, problem)
        else:
            led.written(h, e, name)

    def _master_ok(self, kid: Element, data: bytes) -> bool:
        if kid.id == ID_TRACKENTRY:
            entries = read_tracks(_wrap(kid, data))
            self.entry = entries[0] if entries else None
            return self.entry is not None and self.entry.fate() == "keep"
        if kid.id == ID_SEEK:
            return seek_ok(data, self.level1)
        if kid.id == ID_CUETRACKPOSITIONS:
            for k in parse_children(data, 0, len(data)):
                if k.id == ID_CUETRACK:
                    return int.from_bytes(data[k.data_offset : k.end], "big") in self.tracks
            return False
        return True

    # -- the segment ------------------------------------------------------------------------
    def segment(self, seg: Element) -> None:
        self.ledger.written(seg.offset, seg.data_offset, "Segment header")
        elements = list(self.f.level1(seg))
        for el in elements:
            if el.id in KEPT_LEVEL1:
                self.level1[el.offset - seg.data_offset] = el.id
            if el.id == ID_TRACKS and not self.tracks:
                self.tracks = {t.number: t for t in read_tracks(
                    self.f.payload(el, META_CAP, "Tracks")) if t.fate() == "keep"}
        frames = {n: Track(frame_codec(t.codec, t.private), t.alpha)
                  for n, t in self.tracks.items()}
        for el in elements:
            if el.id == ID_VOID:
                self.void(el, "segment")
            elif el.id == ID_CLUSTER:
                if el.size > CLUSTER_CAP:
                    self.ledger.refuse(el.offset, el.end, "Matroska cluster", N_("too large"))
                    continue
                self.ledger.written(el.offset, el.data_offset, "Cluster header")
                account_cluster(self.f.view, el.data_offset, el.end, frames, self.ledger)
            elif el.id in KEPT_LEVEL1:
                self.ledger.written(el.offset, el.data_offset, f"{KEPT_LEVEL1[el.id]} header")
                payload = self.f.payload(el, META_CAP, KEPT_LEVEL1[el.id])
                self.master(payload, 0, len(payload), el.id, el.data_offset)
            else:
                self.ledger.refuse(el.offset, el.end, f"Matroska element 0x{el.id:X}",
                                   N_("an element a clean copy does not keep"))


def _wrap(kid: Element, data: bytes) -> bytes:
    """A TrackEntry's bytes as a one-entry track list, for ``read_tracks``."""
    return bytes([0xAE]) + (0x0100000000000000 | len(data)).to_bytes(8, "big") + data


def account(src: Source) -> Ledger:
    """File every byte of a clean Matroska/WebM copy."""
    ledger = Ledger(src.size)
    with src.open() as fh:
        f = EbmlFile(fh, src.size)
        walk = _Walk(f, ledger)
        hdr = f.element_at(0, src.size)
        if hdr.id != ID_EBML or hdr.size > 64 * 1024:
            raise CorruptFile(N_("not a Matroska file: no EBML header"))
        ledger.written(0, hdr.data_offset, "EBML header")
        head = f.read(hdr.data_offset, hdr.size)
        walk.master(head, 0, len(head), ID_EBML, hdr.data_offset)
        pos, segments = hdr.end, 0
        while pos < src.size:
            try:
                if src.size - pos < 2:
                    raise CorruptFile(N_("a stray byte"))
                el = f.element_at(pos, src.size)
            except CorruptFile:
                walk.blank(pos, src.size, "after the last element")
                break
            if el.id == ID_SEGMENT and not segments:
                segments += 1
                walk.segment(el)
            elif el.id == ID_VOID:
                walk.void(el, "file")
            else:
                ledger.refuse(el.offset, el.end, f"Matroska element 0x{el.id:X}",
                              N_("data outside the first segment"))
            pos = el.end
    return ledger
