"""Movies in ISO-BMFF (MP4, MOV, 3GP, M4V, HEIF image sequences): what they give away and
the plan to clean them.

Cleaning neutralises in place rather than rewriting ``moov``: metadata boxes (``udta``,
``meta``, ``uuid``, ``meco``, ``elng``, ``pssh``...) and the ``trak`` of every track that
is not picture or sound become ``free`` boxes of the same size with zeroed payloads; every
kept box is laid out field by field (:mod:`bmff_layout`, :mod:`bmff_entries`), so times,
handler and compressor names, reserved fields and bytes after a table's last entry are
blanked; data references become "this file"; samples are scrubbed of in-band metadata
and every ``mdat`` byte no kept sample uses is zeroed (:mod:`bmff_media`). Why in place:
no box moves, so every chunk offset (``stco``/``co64``, ``trun`` data offsets, ``sidx``
ranges, HEIF ``iloc`` extents) stays valid whatever the layout, and the copy is one
streamed pass. The cost is that the output is as large as the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers.bmff_boxes import (
    Box,
    BoxPlan,
    Buffer,
    TopLevel,
    fourcc,
    read_box_tree,
)
from share_guard.core.containers.bmff_layout import MOVIE_LEAVES, TREF_CHILD, plan_segments, segments
from share_guard.core.containers.bmff_meta import cap_findings, finding, qt_time
from share_guard.core.containers.bmff_samples import (
    Defaults,
    fragment_samples,
    track_samples,
    trex_defaults,
)
from share_guard.core.containers.bmff_tracks import (
    Track,
    judge,
    plan_dref,
    plan_stsd,
    remove_metadata,
    tkhd_rotation,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding

C = Category
MAX_SMALL_READ = 16 * 1024 * 1024
MAX_FREE_CHECK = 1024 * 1024

#: boxes that hold metadata, not playback: always freed, with findings
METADATA_BOXES = {b"udta", b"meta", b"uuid", b"meco", b"elng", b"pssh", b"XMP_", b"emsg"}
#: boxes players do not need and that say nothing about the person: freed silently
SILENT = {b"iods", b"ctab", b"clip", b"prfl", b"imap", b"matt", b"kmat", b"txas", b"csgp",
          b"leva", b"trep", b"load", b"tapt"}
SPACE = {b"free", b"skip", b"wide"}
#: kept children, per parent
STRUCTURE: dict[bytes, set[bytes]] = {
    b"moov": {b"mvhd", b"trak", b"mvex"},
    b"trak": {b"tkhd", b"tref", b"edts", b"mdia"},
    b"tref": set(),
    b"mdia": {b"mdhd", b"hdlr", b"minf"},
    b"minf": {b"vmhd", b"smhd", b"hmhd", b"nmhd", b"sthd", b"gmhd", b"dinf", b"stbl", b"hdlr"},
    b"gmhd": {b"gmin"},
    b"stbl": {b"stsd", b"stts", b"ctts", b"cslg", b"stss", b"stps", b"stsh", b"sdtp", b"stsc",
              b"stsz", b"stz2", b"stco", b"co64", b"sbgp", b"sgpd", b"subs", b"saiz", b"saio",
              b"padb", b"stdp"},
    b"edts": {b"elst"},
    b"dinf": {b"dref"},
    b"mvex": {b"mehd", b"trex"},
    b"moof": {b"mfhd", b"traf"},
    b"traf": {b"tfhd", b"tfdt", b"trun", b"sdtp", b"sbgp", b"sgpd", b"subs", b"saiz", b"saio"},
    b"mfra": {b"tfra", b"mfro"},
}
#: leaves whose layout refuses some content: such a box is freed rather than refused
FREE_WHEN_ODD = {b"sgpd", b"sbgp"}


@dataclass
class MovieScan:
    plan: BoxPlan
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    properties: dict[str, object] = field(default_factory=dict)
    media: list[tuple[int, int]] = field(default_factory=list)  # mdat payload ranges
    fragmented: bool = False
    tracks: list[Track] = field(default_factory=list)


class MovieScanner:
    """Reads the boxes of one file into findings and a cleaning plan (samples aside)."""

    def __init__(self, fh: BinaryIO, top: TopLevel, media: str = "video") -> None:
        self.fh = fh
        self.top = top
        self.media = media
        self.scan = MovieScan(BoxPlan(end=top.end))
        self.times: dict[tuple[str, str], int] = {}
        self.names: list[str] = []
        self.hidden: list[str] = []
        self.track: Track | None = None
        self.moofs: list[tuple[Buffer, Box]] = []
        self.defaults: dict[int, Defaults] = {}
        #: boxes already removed whole (not walked again)
        self.skip: set[int] = set()

    # -- top level ------------------------------------------------------------------
    def run(self, skip: frozenset[bytes] = frozenset()) -> MovieScan:
        s = self.scan
        s.media = [(b.payload_start, b.end) for b in self.top.boxes if b.type == b"mdat"]
        for box in self.top.boxes:
            if box.type not in skip:
                self.top_box(box)
        self.finish()
        return s

    def top_box(self, box: Box) -> None:
        s, plan = self.scan, self.scan.plan
        typ = box.type
        if typ in (b"ftyp", b"styp"):
            data = self.read(box)
            brands = [data[i : i + 4] for i in range(0, len(data) - 3, 4) if i != 4]
            s.properties.setdefault("brands", [fourcc(b) for b in dict.fromkeys(brands)][:16])
            self.leaf(Buffer(data, box.payload_start), box)
        elif typ == b"moov":
            buf = read_box_tree(self.fh, box)
            self.walk(buf, box, "movie")
            self.defaults = trex_defaults(buf, box.find(b"mvex"))
        elif typ == b"moof":
            s.fragmented = True
            buf = read_box_tree(self.fh, box, MAX_SMALL_READ)
            self.moofs.append((buf, box))
        elif typ in (b"sidx", b"mfra", b"pdin"):
            buf = read_box_tree(self.fh, box, MAX_SMALL_READ)
            self.walk(buf, box, "index") if typ == b"mfra" else self.leaf(buf, box)
        elif typ in SPACE:
            self.space(box)
        elif typ in METADATA_BOXES or typ in (b"pnot", b"PICT", b"prft", b"sefd"):
            if typ in (b"udta", b"meta"):
                buf = read_box_tree(self.fh, box, MAX_SMALL_READ)
            else:
                buf = Buffer(self.read(box), box.payload_start)
            remove_metadata(self.scan, buf, box, "top level")
        elif typ in (b"mdat", b"ssix"):
            if typ == b"ssix":
                plan.free(box)
        elif box.payload_size == 0:
            plan.free(box)
        else:
            self.unknown(box, "top level")

    def read(self, box: Box, limit: int = MAX_SMALL_READ) -> bytes:
        """The payload of a small box (bounded)."""
        if box.payload_size > limit:
            raise CorruptFile(message(N_("box '{name}' is too large to read ({payload_size} bytes)"),
                                      name=box.name, payload_size=box.payload_size))
        self.fh.seek(box.payload_start)
        data = self.fh.read(box.payload_size)
        if len(data) != box.payload_size:
            raise CorruptFile(message(N_("box '{name}' is cut short"), name=box.name))
        return data

    def space(self, box: Box) -> None:
        """'free'/'skip'/'wide' at the top: always zeroed; reported when they hold data."""
        self.scan.plan.blank_payload(box)
        self.fh.seek(box.payload_start)
        if any(self.fh.read(min(box.payload_size, MAX_FREE_CHECK))):
            self.scan.findings.append(
                finding(C.OTHER, "free space", message(N_("Leftover data in '{name}'"), name=box.name),
                        f"{box.payload_size} bytes",
                        N_("unused space that still holds old data; zeroed")))

    def unknown(self, box: Box, where: str) -> None:
        self.scan.findings.append(finding(C.UNKNOWN, where, message(N_("Unknown box '{name}'"),
                                                                    name=box.name),
                                          f"{box.payload_size} bytes",
                                          N_("data we cannot interpret; the file is not cleaned")))
        self.scan.problems.append(message(N_("unknown box '{name}' in the {where}"),
                                          name=box.name, where=where))

    # -- metadata boxes ---------------------------------------------------------------
    # -- the box tree ---------------------------------------------------------------------
    def walk(self, buf: Buffer, parent: Box, where: str) -> None:
        for child in parent.children:
            typ = child.type
            if child.start in self.skip:
                continue
            if typ in SPACE:
                self.leaf(buf, child)
            elif typ in METADATA_BOXES:
                remove_metadata(self.scan, buf, child, where)
            elif typ in SILENT:
                self.scan.plan.free(child)
            elif parent.type == b"tref":
                self.leaf(buf, child, TREF_CHILD)
            elif parent.type == b"gmhd" and typ != b"gmin":
                # QuickTime text/timecode settings (font names) or anything else: removed
                name = message(N_("Extra box '{name}' in 'gmhd'"), name=child.name)
                self.scan.findings.append(finding(C.UNKNOWN, where, name, f"{child.payload_size} bytes",
                                                  N_("data players do not need; removed")))
                self.scan.plan.free(child)
            elif typ not in STRUCTURE.get(parent.type, set()):
                self.unknown(child, where)
            elif typ == b"trak":
                self.trak(buf, child)
            elif typ in STRUCTURE and typ not in (b"dinf",):
                self.walk(buf, child, where)
                if typ == b"stbl" and self.track is not None:
                    self.samples_of(buf, child)
            elif typ == b"dinf":
                self.walk(buf, child, where)
            elif typ == b"dref":
                plan_dref(self.scan, buf, child)
            elif typ == b"stsd" and self.track is not None:
                plan_stsd(self.scan, buf, child, self.track, self.names, self.hidden)
            else:
                self.leaf(buf, child)

    def leaf(self, buf: Buffer, box: Box, layout: object = None) -> None:
        s = self.scan
        chosen = layout or MOVIE_LEAVES.get(box.type)
        ctx = {"samples": self.track.sample_count} if self.track and \
            self.track.sample_count is not None else None
        try:
            segs = segments(buf, box, chosen, ctx)  # type: ignore[arg-type]
        except CorruptFile as exc:
            if box.type in FREE_WHEN_ODD:
                kind = buf.get(box.payload_start + 4, 4).decode("latin-1")
                s.findings.append(finding(C.OTHER, where_of(box), message(N_("Sample group '{kind}'"),
                                                                          kind=kind),
                                          f"{box.payload_size} bytes",
                                          N_("a grouping players do not need; removed")))
                s.plan.free(box)
                return
            s.problems.append(message(N_("box '{name}' cannot be kept ({exc})"), name=box.name, exc=exc))
            return
        explained: set[int] = set()
        if box.type in (b"mvhd", b"tkhd", b"mdhd"):
            explained.add(self.times_of(buf, box))
        elif box.type == b"hdlr":
            explained.update(self.handler_name(buf, box))
            if self.track is not None and box.payload_size >= 12:
                handler = buf.get(box.payload_start + 8, 4)
                self.track.handler = self.track.handler or handler
        if box.type == b"tkhd" and self.track is not None:
            version = buf.u8(box.payload_start)
            self.track.track_id = buf.u32(box.payload_start + (20 if version else 12))
            self.track.rotation = tkhd_rotation(buf, box, version)
        changed = plan_segments(buf, segs, s.plan)
        if changed and box.type in SPACE:
            s.findings.append(finding(C.OTHER, "movie header",
                                      message(N_("Leftover data in '{name}'"), name=box.name),
                                      f"{box.payload_size} bytes",
                                      N_("unused space that still holds old data; zeroed")))
        elif box.type not in (b"ftyp", b"styp") and \
                any(seg.start not in explained for seg in changed):
            self.hidden.append(box.name)  # (a minor version or odd brand is not worth a line)

    def times_of(self, buf: Buffer, box: Box) -> int:
        """Record the creation/modification times of mvhd/tkhd/mdhd (the layout blanks them);
        returns where they start."""
        version = buf.u8(box.payload_start)
        width = 8 if version == 1 else 4
        label = "Movie" if box.type == b"mvhd" else "Track"
        for i, what in enumerate(("created", "modified")):
            value = buf.uint(box.payload_start + 4 + i * width, width)
            if value:
                self.times[(f"{label} {what}", qt_time(value))] = value
        return box.payload_start + 4

    def handler_name(self, buf: Buffer, hdlr: Box) -> set[int]:
        """Handler names ("GoPro AVC", "DJI.AVC") fingerprint the device: blanked."""
        start = hdlr.payload_start + 24
        if hdlr.end > start:
            raw = buf.get(start, hdlr.end - start)
            text = raw[1:] if raw and raw[0] == len(raw) - 1 else raw
            name = text.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
            if name:
                self.names.append(name)
        return {hdlr.payload_start + 12, start}

    # -- tracks -----------------------------------------------------------------------
    def trak(self, buf: Buffer, trak: Box) -> None:
        track = Track(trak)
        self.scan.tracks.append(track)
        outer, self.track = self.track, track
        try:
            stbl = trak.find(b"mdia", b"minf", b"stbl")
            stsz = stbl.find(b"stsz") if stbl else None
            if stsz is not None and stsz.payload_size >= 12:
                track.sample_count = buf.u32(stsz.payload_start + 8)
            self.walk(buf, trak, "track")
        finally:
            self.track = outer

    def samples_of(self, buf: Buffer, stbl: Box) -> None:
        assert self.track is not None
        try:
            self.track.samples = track_samples(buf, stbl)
        except CorruptFile as exc:
            self.scan.problems.append(message(N_("the samples of a track cannot be located ({exc})"),
                                              exc=exc))

    def finish(self) -> None:
        s = self.scan
        for track in s.tracks:
            judge(track, s.problems)
        ids = [t.track_id for t in s.tracks]
        if len(set(ids)) != len(ids):
            s.problems.append(N_("two tracks share the same track ID"))
        dropped = {t.track_id for t in s.tracks if t.drop}
        kept = [t for t in s.tracks if not t.drop]
        for track in s.tracks:
            if track.drop is not None:
                category, what = track.drop
                entry = ", ".join(fourcc(e.codec) for e in track.entries) or "none"
                s.findings.append(finding(category, f"track {track.track_id}", what,
                                          f"sample format {entry}",
                                          N_("a track that is not picture or sound; removed")))
                s.plan.free(track.box)
        if dropped:
            for track in kept:
                tref = track.box.find(b"tref")
                if tref is not None:
                    s.plan.free(tref)  # references to removed tracks would dangle
        for buf, moof in self.moofs:
            self.fragment(buf, moof, dropped)
        for (label, value), _raw in self.times.items():
            where = "movie header" if label.startswith("Movie") else "track header"
            s.findings.append(finding(C.TIME, where, label, value,
                                      message(N_("shows when the {media} was made"), media=self.media)))
        if self.names:
            s.findings.append(finding(C.OTHER, "track headers", N_("Handler and encoder names"),
                                      ", ".join(dict.fromkeys(self.names)),
                                      N_("names of the software or device that wrote the tracks; "
                                      "blanked")))
        for name in dict.fromkeys(self.hidden):
            s.findings.append(finding(C.HIDDEN, "movie header",
                                      message(N_("Data in unused fields of '{name}'"), name=name),
                                      "reserved or trailing bytes",
                                      N_("bytes no player reads; zeroed")))
        s.findings = cap_findings(s.findings)
        s.properties["tracks"] = [fourcc(t.handler) for t in kept]
        s.properties["has_audio"] = any(t.handler == b"soun" for t in kept)
        video = [t for t in kept if t.handler == b"vide"]
        degrees = video[0].rotation if video else 0
        s.properties["rotation"] = degrees
        if degrees:
            s.findings.append(
                finding(C.KEPT, "track header", N_("Rotation"), f"{degrees}°",
                        message(N_("display rotation; kept so the {media} shows the right way up"),
                                media=self.media),
                        identifying=False, removable=False))

    def fragment(self, buf: Buffer, moof: Box, dropped: set[int]) -> None:
        self.track = None
        for traf in moof.all(b"traf"):
            tfhd = traf.find(b"tfhd")
            if tfhd is not None and tfhd.payload_size >= 8 and \
                    buf.u32(tfhd.payload_start + 4) in dropped:
                self.scan.plan.free(traf)
                self.skip.add(traf.start)
        self.walk(buf, moof, "fragment")
        try:
            found = fragment_samples(buf, moof, self.defaults)
        except CorruptFile as exc:
            self.scan.problems.append(message(N_("the samples of a fragment cannot be located ({exc})"),
                                              exc=exc))
            return
        by_id = {t.track_id: t for t in self.scan.tracks}
        for tid, samples in found.items():
            track = by_id.get(tid)
            if track is None:
                self.scan.problems.append(message(N_("a fragment holds samples of an unknown track {tid}"),
                                                  tid=tid))
            else:
                track.samples.extend(samples)


def where_of(box: Box) -> str:
    return "track" if box.type in STRUCTURE[b"stbl"] else "movie"
