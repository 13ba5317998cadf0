"""Movies in ISO-BMFF (MP4, MOV, 3GP, M4V, HEIF image sequences): what they give away and
the plan to clean them.

Cleaning neutralises in place rather than rewriting ``moov``: metadata boxes
(``udta``, ``meta``, XMP ``uuid``) and the ``trak`` of every data/telemetry
track become ``free`` boxes of the same size with zeroed payloads, the
samples of dropped tracks are zeroed inside ``mdat``, and creation and
modification times are zeroed. Why: no box moves, so every chunk offset
(``stco``/``co64``, fragment ``trun`` data offsets, ``sidx`` ranges, HEIF
``iloc`` extents) stays valid whatever the layout (faststart or not,
fragmented or not); the audio and video bytes are copied untouched, and the
copy is one streamed pass. The cost is that the output is as large as the input.
"""

from __future__ import annotations

import math
import struct
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
from share_guard.core.containers.bmff_meta import (
    XMP_UUID,
    cap_findings,
    finding,
    meta_findings,
    qt_time,
    udta_findings,
    uuid_finding,
    xmp_block_findings,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.report import Category, Finding

C = Category
MAX_SMALL_READ = 16 * 1024 * 1024
MAX_FREE_CHECK = 1024 * 1024
MAX_CHUNKS = 2_000_000  # samples/chunks of one dropped track (GoPro writes ~1 per second)

KEEP_HANDLERS = {b"vide", b"soun", b"pict", b"auxv"}
#: sample entries that mark a data track even under a 'vide'/'soun' handler
DATA_ENTRIES: dict[bytes, tuple[Category, str]] = {
    b"gpmd": (C.LOCATION, "GoPro telemetry track (GPS, motion sensors)"),
    b"camm": (C.LOCATION, "Camera motion metadata track (can hold GPS)"),
    b"mett": (C.HIDDEN, "Timed metadata track"),
    b"metx": (C.HIDDEN, "Timed XML metadata track"),
    b"mebx": (C.HIDDEN, "Apple timed metadata track"),
    b"rtmd": (C.HIDDEN, "Sony real-time metadata track"),
    b"tmcd": (C.TIME, "Timecode track (can hold the time of day)"),
}
HANDLER_WORDS = {
    b"meta": (C.HIDDEN, "Timed metadata track"),
    b"data": (C.HIDDEN, "Data track"),
    b"text": (C.HIDDEN, "Text track"),
    b"sbtl": (C.HIDDEN, "Subtitle track"),
    b"subt": (C.HIDDEN, "Subtitle track"),
    b"tmcd": (C.TIME, "Timecode track (can hold the time of day)"),
    b"camm": (C.LOCATION, "Camera motion metadata track (can hold GPS)"),
    b"hint": (C.HIDDEN, "Streaming hint track"),
}
METADATA_BOXES = {b"udta", b"meta", b"uuid"}
#: children that are part of playback, per parent ('*' = any parent in a trak)
STRUCTURE: dict[bytes, set[bytes]] = {
    b"moov": {b"mvhd", b"trak", b"mvex", b"iods", b"pssh", b"ctab", b"clip", b"prfl"},
    b"trak": {b"tkhd", b"tref", b"trgr", b"edts", b"mdia", b"load", b"imap", b"matt",
              b"txas", b"clip", b"tapt", b"kmat", b"prfl", b"meco"},
    b"mdia": {b"mdhd", b"hdlr", b"minf", b"elng"},
    b"minf": {b"vmhd", b"smhd", b"hmhd", b"nmhd", b"sthd", b"gmhd", b"dinf", b"stbl", b"hdlr"},
    b"stbl": {b"stsd", b"stts", b"ctts", b"cslg", b"stss", b"stps", b"stsh", b"sdtp", b"stsc",
              b"stsz", b"stz2", b"stco", b"co64", b"sbgp", b"sgpd", b"subs", b"saiz", b"saio",
              b"padb", b"stdp", b"csgp"},
    b"edts": {b"elst"},
    b"dinf": {b"dref"},
    b"mvex": {b"mehd", b"trex", b"leva", b"trep"},
    b"moof": {b"mfhd", b"traf", b"pssh"},
    b"traf": {b"tfhd", b"tfdt", b"trun", b"sdtp", b"sbgp", b"sgpd", b"subs", b"saiz", b"saio",
              b"senc"},
}
SPACE = {b"free", b"skip", b"wide"}
#: video codecs whose sample-entry vendor/compressor name is safe to blank
NAMELESS_CODECS = {b"avc1", b"avc3", b"hvc1", b"hev1", b"av01", b"mp4v", b"vp09", b"dvh1",
                   b"dvhe", b"vvc1"}
ENTRY_LISTS = {b"stsd", b"dref"}


@dataclass
class Track:
    box: Box
    track_id: int = 0
    handler: bytes = b""
    entries: list[bytes] = field(default_factory=list)
    drop: tuple[Category, str] | None = None
    rotation: int = 0


@dataclass
class MovieScan:
    plan: BoxPlan
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    properties: dict[str, object] = field(default_factory=dict)
    media: list[tuple[int, int]] = field(default_factory=list)  # mdat payload ranges
    fragmented: bool = False


class MovieScanner:
    """Reads the movie parts of one file and builds findings plus a cleaning plan."""

    def __init__(self, fh: BinaryIO, top: TopLevel, media: str = "video") -> None:
        self.fh = fh
        self.top = top
        self.media = media
        self.scan = MovieScan(BoxPlan(end=top.end))
        self.times: dict[tuple[str, str], int] = {}
        self.handler_names: list[str] = []
        self.tracks: list[Track] = []
        self.moov_buf: Buffer | None = None

    # -- top level ------------------------------------------------------
    def run(self, skip: frozenset[bytes] = frozenset()) -> MovieScan:
        s = self.scan
        s.media = [(b.payload_start, b.end) for b in self.top.boxes if b.type == b"mdat"]
        for box in self.top.boxes:
            if box.type in skip:
                continue
            self.top_box(box)
        self.finish()
        return s

    def top_box(self, box: Box) -> None:
        s, plan = self.scan, self.scan.plan
        typ = box.type
        if typ == b"ftyp":
            data = self.read(box)
            brands = [data[i : i + 4] for i in range(0, len(data) - 3, 4) if i != 4]
            s.properties["brands"] = [fourcc(b) for b in dict.fromkeys(brands)][:16]
        elif typ == b"moov":
            buf = read_box_tree(self.fh, box)
            self.moov_buf = buf
            self.moov(buf, box)
        elif typ == b"moof":
            s.fragmented = True
            buf = read_box_tree(self.fh, box, MAX_SMALL_READ)
            self.check_children(buf, box, b"moof")
        elif typ in SPACE:
            self.space(box)
        elif typ == b"uuid":
            buf = Buffer(self.read(box), box.payload_start)
            self.uuid(buf, box, "top level")
        elif typ == b"meta":
            buf = read_box_tree(self.fh, box, MAX_SMALL_READ)
            s.findings.extend(meta_findings(buf, box, "file meta"))
            plan.free(box)
        elif typ in (b"pnot", b"PICT"):
            s.findings.append(finding(C.HIDDEN, "QuickTime preview", f"Preview '{box.name}'",
                                      f"{box.payload_size} bytes",
                                      "a preview picture stored beside the movie; removed"))
            plan.free(box)
        elif typ == b"prft":
            s.findings.append(finding(C.TIME, "top level", "Producer reference time",
                                      f"{box.payload_size} bytes",
                                      "the wall-clock time the stream was produced; removed"))
            plan.free(box)
        elif typ in (b"mdat", b"sidx", b"ssix", b"styp", b"mfra", b"pdin"):
            return
        elif box.payload_size == 0:
            plan.free(box)
        else:
            s.findings.append(finding(C.UNKNOWN, "top level", f"Unknown box '{box.name}'",
                                      f"{box.payload_size} bytes",
                                      "data we cannot interpret; the file is not cleaned"))
            s.problems.append(f"unknown top-level box '{box.name}' holding "
                              f"{box.payload_size} bytes")

    def read(self, box: Box, limit: int = MAX_SMALL_READ) -> bytes:
        """The payload of a small box (bounded)."""
        if box.payload_size > limit:
            raise CorruptFile(f"box '{box.name}' is too large to read ({box.payload_size} bytes)")
        self.fh.seek(box.payload_start)
        data = self.fh.read(box.payload_size)
        if len(data) != box.payload_size:
            raise CorruptFile(f"box '{box.name}' is cut short")
        return data

    def space(self, box: Box) -> None:
        """'free'/'skip'/'wide': always zeroed; reported when they hold data."""
        self.scan.plan.blank_payload(box)
        self.fh.seek(box.payload_start)
        sample = self.fh.read(min(box.payload_size, MAX_FREE_CHECK))
        if any(sample):
            self.scan.findings.append(
                finding(C.OTHER, "free space", f"Leftover data in '{box.name}'",
                        f"{box.payload_size} bytes",
                        "unused space that still holds old data; zeroed"))

    def uuid(self, buf: Buffer, box: Box, where: str) -> None:
        if box.usertype == XMP_UUID:
            self.scan.findings.extend(xmp_block_findings(buf.payload(box), f"{where} XMP"))
        else:
            self.scan.findings.append(uuid_finding(buf, box, where))
        self.scan.plan.free(box)

    # -- moov -----------------------------------------------------------
    def moov(self, buf: Buffer, moov: Box) -> None:
        for child in moov.children:
            if child.type == b"mvhd":
                self.times_of(buf, child, "Movie")
            elif child.type == b"trak":
                self.trak(buf, child)
            elif child.type == b"cmov":
                self.scan.problems.append("compressed movie header ('cmov') is not supported")
            else:
                self.child(buf, child, b"moov", "movie")

    def child(self, buf: Buffer, box: Box, parent: bytes, where: str) -> bool:
        """Handle metadata/space/unknown boxes; True when ``box`` is structural."""
        s = self.scan
        if box.type == b"udta":
            s.findings.extend(udta_findings(buf, box, f"{where} udta"))
            s.plan.free(box)
        elif box.type == b"meta":
            s.findings.extend(meta_findings(buf, box, f"{where} meta"))
            s.plan.free(box)
        elif box.type == b"uuid":
            self.uuid(buf, box, where)
        elif box.type in SPACE:
            s.plan.blank_payload(box)
        elif box.type in STRUCTURE.get(parent, set()):
            return True
        else:
            s.findings.append(finding(C.UNKNOWN, where, f"Unknown box '{box.name}'",
                                      f"{box.payload_size} bytes",
                                      "data we cannot interpret; the file is not cleaned"))
            s.problems.append(f"unknown box '{box.name}' inside '{fourcc(parent)}'")
        return False

    def check_children(self, buf: Buffer, box: Box, kind: bytes) -> None:
        for child in box.children:
            # sample and data-reference entries are codec parameters, kept as they are
            if self.child(buf, child, kind, fourcc(kind)) and child.type not in ENTRY_LISTS:
                self.check_children(buf, child, child.type)

    def times_of(self, buf: Buffer, box: Box, label: str) -> None:
        """Record and zero the creation/modification times of mvhd/tkhd/mdhd."""
        version, _ = buf.version_flags(box)
        width = 8 if version == 1 else 4
        for i, what in enumerate(("created", "modified")):
            off = box.payload_start + 4 + i * width
            value = buf.uint(off, width)
            if value:
                self.times[(f"{label} {what}", qt_time(value))] = value
                self.scan.plan.patch(off, bytes(width))

    def trak(self, buf: Buffer, trak: Box) -> None:
        track = Track(trak)
        self.tracks.append(track)
        for child in trak.children:
            if not self.child(buf, child, b"trak", "track"):
                continue
            if child.type == b"tkhd":
                version, _ = buf.version_flags(child)
                track.track_id = buf.u32(child.payload_start + (20 if version == 1 else 12))
                self.times_of(buf, child, "Track")
                track.rotation = tkhd_rotation(buf, child, version)
            elif child.type == b"mdia":
                self.mdia(buf, child, track)
            elif child.type == b"edts":
                self.check_children(buf, child, b"edts")
        entry_kind = next((DATA_ENTRIES[e] for e in track.entries if e in DATA_ENTRIES), None)
        if entry_kind is not None:
            track.drop = entry_kind
        elif track.handler not in KEEP_HANDLERS:
            track.drop = HANDLER_WORDS.get(
                track.handler, (C.HIDDEN, f"Non-media track '{fourcc(track.handler)}'"))

    def mdia(self, buf: Buffer, mdia: Box, track: Track) -> None:
        for child in mdia.children:
            if not self.child(buf, child, b"mdia", "track media"):
                continue
            if child.type == b"mdhd":
                self.times_of(buf, child, "Track")
            elif child.type == b"hdlr":
                track.handler = buf.get(child.payload_start + 8, 4)
                self.handler_name(buf, child)
            elif child.type == b"minf":
                for sub in child.children:
                    if not self.child(buf, sub, b"minf", "track media"):
                        continue
                    if sub.type == b"hdlr":
                        self.handler_name(buf, sub)
                    elif sub.type == b"stbl":
                        self.check_children(buf, sub, b"stbl")
                        stsd = sub.find(b"stsd")
                        if stsd is not None:
                            track.entries = [e.type for e in stsd.children]
                            for entry in stsd.children:
                                self.encoder_name(buf, entry)
                    elif sub.type == b"dinf":
                        self.check_children(buf, sub, b"dinf")

    def encoder_name(self, buf: Buffer, entry: Box) -> None:
        """Blank the vendor and compressor name of a video sample entry ("GoPro AVC encoder",
        "Lavc57 libx264"). Only for codecs whose decoders never look at them (ffmpeg reads
        the compressor name for a few legacy QuickTime codecs, not these)."""
        if entry.type not in NAMELESS_CODECS or entry.payload_size < 78:
            return
        raw = buf.get(entry.payload_start + 42, 32)
        name = raw[1 : 1 + min(raw[0], 31)].decode("utf-8", "replace").strip("\x00 ")
        if name:
            self.handler_names.append(name)
        self.scan.plan.zero_range(entry.payload_start + 12, entry.payload_start + 16)
        self.scan.plan.zero_range(entry.payload_start + 42, entry.payload_start + 74)

    def handler_name(self, buf: Buffer, hdlr: Box) -> None:
        """Handler names ("GoPro AVC", "DJI.AVC") fingerprint the device: blanked."""
        start = hdlr.payload_start + 24
        if hdlr.end > start:
            raw = buf.get(start, hdlr.end - start)
            text = raw[1:] if raw and raw[0] == len(raw) - 1 else raw
            name = text.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
            if name:
                self.handler_names.append(name)
            self.scan.plan.zero_range(start, hdlr.end)

    # -- tracks and the final plan ---------------------------------------
    def finish(self) -> None:
        s = self.scan
        for (label, value), _raw in self.times.items():
            where = "movie header" if label.startswith("Movie") else "track header"
            s.findings.append(finding(C.TIME, where, label, value,
                                      f"shows when the {self.media} was made"))
        if self.handler_names:
            s.findings.append(finding(C.OTHER, "track headers", "Handler and encoder names",
                                      ", ".join(dict.fromkeys(self.handler_names)),
                                      "names of the software or device that wrote the tracks; "
                                      "blanked"))
        dropped = {t.track_id for t in self.tracks if t.drop}
        kept = [t for t in self.tracks if not t.drop]
        s.properties["tracks"] = [fourcc(t.handler) for t in kept]
        s.properties["has_audio"] = any(t.handler == b"soun" for t in kept)
        video = [t for t in kept if t.handler == b"vide"]
        degrees = video[0].rotation if video else 0
        s.properties["rotation"] = degrees
        if degrees:
            s.findings.append(
                finding(C.KEPT, "track header", "Rotation", f"{degrees}°",
                        f"display rotation; kept so the {self.media} shows the right way up",
                        identifying=False, removable=False))
        for track in self.tracks:
            if track.drop is None:
                continue
            category, what = track.drop
            entry = ", ".join(fourcc(e) for e in track.entries) or "none"
            s.findings.append(finding(category, f"track {track.track_id}", what,
                                      f"sample format {entry}",
                                      "a track that is not picture or sound; removed"))
            self.drop_track(track)
        s.findings = cap_findings(s.findings)
        if dropped:
            for track in kept:
                tref = track.box.find(b"tref")
                if tref is not None:
                    s.plan.free(tref)  # references to removed tracks would dangle

    def drop_track(self, track: Track) -> None:
        s = self.scan
        s.plan.free(track.box)
        if s.fragmented:
            s.problems.append("a data track in a fragmented movie cannot be removed yet")
            return
        stbl = track.box.find(b"mdia", b"minf", b"stbl")
        if stbl is None or self.moov_buf is None:
            return
        try:
            ranges = chunk_ranges(self.moov_buf, stbl)
        except CorruptFile as exc:
            s.problems.append(f"the samples of a data track cannot be located ({exc})")
            return
        for a, b in ranges:
            if not any(lo <= a and b <= hi for lo, hi in s.media):
                s.problems.append("samples of a data track lie outside the media data")
                return
            s.plan.zero_range(a, b)


def tkhd_rotation(buf: Buffer, tkhd: Box, version: int) -> int:
    """Clockwise display rotation in degrees from the track matrix (0 when none)."""
    off = tkhd.payload_start + (52 if version == 1 else 40)
    if off + 36 > tkhd.end:
        return 0
    a, b, _u, c, d, _v = struct.unpack(">iiiiii", buf.get(off, 24))
    if (a, b, c, d) == (0, 0, 0, 0):
        return 0
    return round(math.degrees(math.atan2(b, a))) % 360


def chunk_ranges(buf: Buffer, stbl: Box) -> list[tuple[int, int]]:
    """File byte ranges of every chunk of a track (from stsc, stsz/stz2 and stco/co64)."""
    sizes = _sample_sizes(buf, stbl)
    co = stbl.find(b"stco") or stbl.find(b"co64")
    stsc = stbl.find(b"stsc")
    if co is None or stsc is None:
        raise CorruptFile("the track has no chunk table")
    wide = co.type == b"co64"
    n_chunks = buf.u32(co.payload_start + 4)
    if n_chunks > MAX_CHUNKS or 8 + n_chunks * (8 if wide else 4) > co.payload_size:
        raise CorruptFile("the chunk table is larger than its box")
    offsets = [buf.uint(co.payload_start + 8 + i * (8 if wide else 4), 8 if wide else 4)
               for i in range(n_chunks)]
    n_runs = buf.u32(stsc.payload_start + 4)
    if 8 + n_runs * 12 > stsc.payload_size:
        raise CorruptFile("the sample-to-chunk table is larger than its box")
    runs = [struct.unpack(">II", buf.get(stsc.payload_start + 8 + i * 12, 8))
            for i in range(n_runs)]
    out: list[tuple[int, int]] = []
    sample = 0
    for r, (first, per_chunk) in enumerate(runs):
        last = runs[r + 1][0] - 1 if r + 1 < len(runs) else n_chunks
        if first < 1 or last > n_chunks:
            raise CorruptFile("the sample-to-chunk table points past the chunk table")
        for chunk in range(first, last + 1):
            take = sizes[sample : sample + per_chunk]
            if len(take) < per_chunk:
                raise CorruptFile("more samples in chunks than in the size table")
            sample += per_chunk
            start = offsets[chunk - 1]
            out.append((start, start + sum(take)))
    return out


def _sample_sizes(buf: Buffer, stbl: Box) -> list[int]:
    stsz = stbl.find(b"stsz")
    if stsz is not None:
        fixed = buf.u32(stsz.payload_start + 4)
        count = buf.u32(stsz.payload_start + 8)
        if count > MAX_CHUNKS:
            raise CorruptFile("too many samples")
        if fixed:
            return [fixed] * count
        if 12 + count * 4 > stsz.payload_size:
            raise CorruptFile("the sample size table is larger than its box")
        data = buf.get(stsz.payload_start + 12, count * 4)
        return list(struct.unpack(f">{count}I", data))
    stz2 = stbl.find(b"stz2")
    if stz2 is None:
        raise CorruptFile("the track has no sample size table")
    bits = buf.u8(stz2.payload_start + 7)
    count = buf.u32(stz2.payload_start + 8)
    if bits not in (4, 8, 16) or count > MAX_CHUNKS:
        raise CorruptFile("bad compact sample size table")
    data = buf.get(stz2.payload_start + 12, (count * bits + 7) // 8)
    if bits == 16:
        return list(struct.unpack(f">{count}H", data))
    if bits == 8:
        return list(data)
    return [(data[i // 2] >> (4 if i % 2 == 0 else 0)) & 0xF for i in range(count)]
