"""Byte accounting for clean ISO-BMFF copies: every byte of the output answered for.

Walks the *output* on its own (the cleaner's plan is not consulted): each box must be one
share_guard keeps, laid out exactly as :mod:`bmff_layout` / :mod:`bmff_entries` specify
(its fields written, its blanks zero, its slack zero), or a ``free`` box of zeros; every
track must be picture or sound; every ``mdat`` byte must be a sample a kept track's index
points at, scrubbed (:mod:`bmff_scrub`), or zero. Anything else fails the export with the
place named. HEIF ``meta`` boxes are accounted by :mod:`heif_account` through ``meta``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from share_guard.core.containers import bmff_scrub
from share_guard.core.containers.bmff_boxes import Box, Buffer, Bytes, Counter, TopLevel, parse_children
from share_guard.core.containers.bmff_entries import Entry, describe
from share_guard.core.containers.bmff_layout import (
    MOVIE_LEAVES,
    TREF_CHILD,
    Seg,
    Z,
    account_segments,
    segments,
)
from share_guard.core.containers.bmff_media import gaps
from share_guard.core.containers.bmff_movie import SPACE, STRUCTURE
from share_guard.core.containers.bmff_samples import (
    Defaults,
    Sample,
    fragment_samples,
    track_samples,
    trex_defaults,
)
from share_guard.core.containers.ledger import Ledger
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

#: (start, end, how the bytes are coded, NAL length size): one scrubbed range in 'mdat'
Span = tuple[int, int, str, int]
MAX_TREE = 256 * 1024 * 1024
ZERO_CHUNK = 16 * 1024 * 1024


@dataclass
class _Track:
    track_id: int = 0
    handler: bytes = b""
    entries: list[Entry] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    sample_count: int | None = None


class MovieAccountant:
    """Files every byte of a clean movie (or HEIF file) in a ledger."""

    def __init__(self, mm: Bytes, ledger: Ledger) -> None:
        self.mm, self.ledger = mm, ledger
        self.tracks: list[_Track] = []
        self.media: list[tuple[int, int]] = []
        self.moofs: list[tuple[Buffer, Box]] = []
        self.defaults: dict[int, Defaults] = {}
        self.track: _Track | None = None

    def tree_buffer(self, box: Box) -> Buffer:
        if box.size > MAX_TREE:
            raise CorruptFile(message(N_("box '{name}' is too large to account for"), name=box.name))
        buf = Buffer(bytes(self.mm[box.start : box.end]), box.start)
        if box.type not in SPACE:
            parse_children(buf, box, Counter())
        return buf

    def run(self, top: TopLevel, meta: Callable[[Box], list[Span]] | None = None,
            ) -> None:
        extra: list[Span] = []
        for box in top.boxes:
            typ = box.type
            if typ == b"mdat":
                self.ledger.written(box.start, box.payload_start, "mdat header")
                self.media.append((box.payload_start, box.end))
            elif typ in SPACE or typ in (b"ftyp", b"styp", b"sidx", b"pdin"):
                buf = Buffer(bytes(self.mm[box.start : box.end]), box.start)
                self.leaf(buf, box)
            elif typ in (b"moov", b"moof", b"mfra"):
                buf = self.tree_buffer(box)
                self.ledger.written(box.start, box.payload_start, f"{box.name} header")
                if typ == b"moof":
                    self.moofs.append((buf, box))
                self.tree(buf, box)
                if typ == b"moov":
                    self.defaults = trex_defaults(buf, box.find(b"mvex"))
            elif typ == b"meta" and meta is not None:
                extra.extend(meta(box))
            else:
                self.ledger.refuse(box.start, box.end, box.name, N_("a box a clean copy never keeps"))
        self.samples(extra)

    # -- boxes --------------------------------------------------------------------------
    def leaf(self, buf: Buffer, box: Box, layout: object = None) -> None:
        chosen = layout or MOVIE_LEAVES.get(box.type)
        if chosen is None:
            self.ledger.refuse(box.start, box.end, box.name, N_("a box a clean copy never keeps"))
            return
        ctx = {"samples": self.track.sample_count} if self.track and \
            self.track.sample_count is not None else None
        try:
            segs = segments(buf, box, chosen, ctx)  # type: ignore[arg-type]
        except CorruptFile as exc:
            self.ledger.refuse(box.start, box.end, box.name, str(exc))
            return
        account_segments(buf, segs, self.ledger, box.name)

    def tree(self, buf: Buffer, parent: Box) -> None:
        for child in parent.children:
            typ = child.type
            if typ in SPACE:
                self.leaf(buf, child)
            elif parent.type == b"tref":
                self.leaf(buf, child, TREF_CHILD)
            elif typ not in STRUCTURE.get(parent.type, set()):
                self.ledger.refuse(child.start, child.end, child.name,
                                   message(N_("a box a clean copy never keeps in '{name}'"),
                                           name=parent.name))
            elif typ == b"trak":
                self.trak(buf, child)
            elif typ in STRUCTURE:
                self.ledger.written(child.start, child.payload_start, f"{child.name} header")
                self.tree(buf, child)
            elif typ in (b"dref", b"stsd"):
                self.entries(buf, child)
            else:
                self.leaf(buf, child)
                if typ == b"hdlr" and self.track is not None and child.payload_size >= 12:
                    self.track.handler = self.track.handler or buf.get(child.payload_start + 8, 4)
                if typ == b"tkhd" and self.track is not None:
                    v = buf.u8(child.payload_start)
                    self.track.track_id = buf.u32(child.payload_start + (20 if v else 12))

    def trak(self, buf: Buffer, trak: Box) -> None:
        track = _Track()
        self.tracks.append(track)
        stbl = trak.find(b"mdia", b"minf", b"stbl")
        stsz = stbl.find(b"stsz") if stbl else None
        if stsz is not None and stsz.payload_size >= 12:
            track.sample_count = buf.u32(stsz.payload_start + 8)
        self.track = track
        self.ledger.written(trak.start, trak.payload_start, "trak header")
        self.tree(buf, trak)
        self.track = None
        if stbl is not None:
            try:
                track.samples = track_samples(buf, stbl)
            except CorruptFile as exc:
                self.ledger.refuse(stbl.start, stbl.end, "sample table", str(exc))
        if not track.entries or any(e.kind not in ("video", "audio") for e in track.entries):
            self.ledger.refuse(trak.start, trak.end, "track", N_("a track that is not picture "
                               "or sound"))

    def entries(self, buf: Buffer, box: Box) -> None:
        """'dref' (data references) and 'stsd' (sample descriptions)."""
        ledger = self.ledger
        if box.payload_size < 8 or buf.u32(box.payload_start + 4) != len(box.children):
            ledger.refuse(box.start, box.end, box.name, N_("an entry count that does not match"))
            return
        ledger.written(box.start, box.payload_start, f"{box.name} header")
        if buf.get(box.payload_start, 4) != bytes(4):
            ledger.refuse(box.payload_start, box.payload_start + 4, box.name, N_("odd flags"))
        ledger.written(box.payload_start, box.payload_start + 8, f"{box.name} count")
        end = box.payload_start + 8
        for child in box.children:
            end = child.end
            if box.type == b"dref":
                if child.type != b"url ":
                    ledger.refuse(child.start, child.end, "data reference", N_("a reference to "
                                  "another file"))
                else:
                    self.leaf(buf, child)
                continue
            try:
                entry = describe(buf, child, self.track.handler if self.track else b"")
            except CorruptFile as exc:
                ledger.refuse(child.start, child.end, child.name, str(exc))
                continue
            if self.track is not None:
                self.track.entries.append(entry)
            if entry.kind not in ("video", "audio") or entry.drop:
                ledger.refuse(child.start, child.end, child.name, N_("a sample description that "
                              "is not kept as it is"))
                continue
            account_segments(buf, entry.segs, ledger, f"'{child.name}' sample description")
        if end < box.end:
            account_segments(buf, [Seg(end, box.end, Z)], ledger, box.name)

    # -- samples ------------------------------------------------------------------------
    def samples(self, extra: list[Span]) -> None:
        spans: list[Span] = list(extra)
        by_id = {t.track_id: t for t in self.tracks}
        for buf, moof in self.moofs:
            try:
                found = fragment_samples(buf, moof, self.defaults)
            except CorruptFile as exc:
                self.ledger.refuse(moof.start, moof.end, "fragment", str(exc))
                continue
            for tid, samples in found.items():
                track = by_id.get(tid)
                if track is None:
                    self.ledger.refuse(moof.start, moof.end, "fragment", N_("samples of a track "
                                       "that does not exist"))
                    continue
                track.samples.extend(samples)
        for track in self.tracks:
            coded = [(e.scrub, e.length_size) for e in track.entries]
            for a, b, e in track.samples:
                if b == a:
                    continue
                if not 1 <= e <= len(coded):
                    self.ledger.refuse(a, b, "sample", N_("a sample without a description"))
                    return
                spans.append((a, b, *coded[e - 1]))
        spans = sorted(set(spans))  # one range may be both a still picture and a frame
        media = sorted(self.media)
        starts = [a for a, _ in media]
        for start, end, _how, _size in spans:
            i = bisect_right(starts, start) - 1
            if i < 0 or end > media[i][1]:
                self.ledger.refuse(start, end, "sample", N_("a sample outside the media data"))
                return
        for run in bmff_scrub.runs(spans):
            bmff_scrub.account_run(self.mm, run, self.ledger, "sample")
        pos_by_media = gaps(media, [(s, e) for s, e, _, _ in spans])
        for a, b in pos_by_media:
            for lo in range(a, b, ZERO_CHUNK):  # bounded memory for a large blank stretch
                hi = min(b, lo + ZERO_CHUNK)
                self.ledger.zeroed(self.mm[lo:hi], lo, hi, "media data no sample uses", base=lo)

