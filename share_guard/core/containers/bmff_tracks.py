"""Tracks of a movie: what each one is (by the codec of its samples, not by its handler),
its data references and its sample descriptions, and what a clean copy keeps of them.

Data references become "this file" ('url ' with flag 1): a reference elsewhere (an
'alis' record, a 'url ' location) names a path on the computer that wrote the movie.
Sample descriptions are laid out by :mod:`bmff_entries`; their vendor and compressor
names, extra children (XMP 'uuid', unknown boxes) and SEI in decoder configurations go.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from share_guard.core.containers.bmff_boxes import Box, Buffer, fourcc
from share_guard.core.containers.bmff_entries import Entry, describe
from share_guard.core.containers.bmff_layout import plan_segments
from share_guard.core.containers.bmff_meta import (
    XMP_UUID,
    finding,
    meta_findings,
    udta_findings,
    uuid_finding,
    xmp_block_findings,
)
from share_guard.core.containers.bmff_samples import Sample
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import IccError, icc_findings
from share_guard.core.metadata.samsung import sef_findings
from share_guard.core.report import Category

if TYPE_CHECKING:
    from share_guard.core.containers.bmff_movie import MovieScan

C = Category

KEEP_HANDLERS = {b"vide", b"soun", b"pict", b"auxv"}
#: sample entries that mark a data track whatever its handler
DATA_ENTRIES: dict[bytes, tuple[Category, str]] = {
    b"gpmd": (C.LOCATION, N_("GoPro telemetry track (GPS, motion sensors)")),
    b"camm": (C.LOCATION, N_("Camera motion metadata track (can hold GPS)")),
    b"mett": (C.HIDDEN, N_("Timed metadata track")),
    b"metx": (C.HIDDEN, N_("Timed XML metadata track")),
    b"mebx": (C.HIDDEN, N_("Apple timed metadata track")),
    b"rtmd": (C.HIDDEN, N_("Sony real-time metadata track")),
    b"tmcd": (C.TIME, N_("Timecode track (can hold the time of day)")),
}
HANDLER_WORDS = {
    b"meta": (C.HIDDEN, N_("Timed metadata track")),
    b"data": (C.HIDDEN, N_("Data track")),
    b"text": (C.HIDDEN, N_("Text track")),
    b"sbtl": (C.HIDDEN, N_("Subtitle track")),
    b"subt": (C.HIDDEN, N_("Subtitle track")),
    b"tmcd": (C.TIME, N_("Timecode track (can hold the time of day)")),
    b"camm": (C.LOCATION, N_("Camera motion metadata track (can hold GPS)")),
    b"hint": (C.HIDDEN, N_("Streaming hint track")),
}


@dataclass
class Track:
    box: Box
    track_id: int = 0
    handler: bytes = b""
    entries: list[Entry] = field(default_factory=list)
    drop: tuple[Category, str] | None = None
    rotation: int = 0
    samples: list[Sample] = field(default_factory=list)
    sample_count: int | None = None


def judge(track: Track, problems: list[str]) -> None:
    """Keep a picture or sound track; mark any other for removal; refuse what is unknown."""
    kinds = [e.kind for e in track.entries]
    named = next((DATA_ENTRIES[e.codec] for e in track.entries if e.codec in DATA_ENTRIES),
                 None)
    if "refused" in kinds:
        reason = next(e.reason for e in track.entries if e.kind == "refused")
        problems.append(message(N_("a track cannot be cleaned: {reason}"), reason=reason))
    elif named is not None:
        track.drop = named
    elif "text" in kinds:
        track.drop = HANDLER_WORDS.get(track.handler, (C.HIDDEN, N_("Text track")))
        if track.drop[1].startswith(("Timed", "Data", "Streaming")):
            track.drop = (C.HIDDEN, N_("Text track"))
    elif "unknown" in kinds and track.handler not in KEEP_HANDLERS:
        track.drop = HANDLER_WORDS.get(
            track.handler, (C.HIDDEN, message(N_("Non-media track '{handler}'"),
                                              handler=fourcc(track.handler))))
    elif "unknown" in kinds:
        codec = next(e.codec for e in track.entries if e.kind == "unknown")
        problems.append(message(N_("a track in a format share_guard does not know ('{fourcc}')"),
                                fourcc=fourcc(codec)))
    elif not kinds and track.handler not in KEEP_HANDLERS:
        track.drop = HANDLER_WORDS.get(
            track.handler, (C.HIDDEN, message(N_("Non-media track '{handler}'"),
                                              handler=fourcc(track.handler))))
    elif not kinds and track.samples:
        problems.append(N_("a track with samples but no sample description"))
    elif not kinds:
        track.drop = (C.OTHER, N_("Empty track"))  # nothing to play: not kept


def remove_metadata(s: MovieScan, buf: Buffer, box: Box, where: str) -> None:
    """Report a metadata box (udta, meta, XMP, previews, ...) and turn it into 'free'."""
    typ = box.type
    if typ == b"udta":
        s.findings.extend(udta_findings(buf, box, f"{where} udta"))
    elif typ == b"meta":
        s.findings.extend(meta_findings(buf, box, f"{where} meta"))
    elif typ == b"uuid" and box.usertype == XMP_UUID:
        s.findings.extend(xmp_block_findings(buf.payload(box), f"{where} XMP"))
    elif typ == b"uuid":
        s.findings.append(uuid_finding(buf, box, where))
    elif typ == b"XMP_":
        s.findings.extend(xmp_block_findings(buf.payload(box), f"{where} XMP"))
    elif typ in (b"pnot", b"PICT"):
        s.findings.append(finding(C.HIDDEN, "QuickTime preview", message(N_("Preview '{name}'"),
                                                                         name=box.name),
                                  f"{box.payload_size} bytes",
                                  N_("a preview picture stored beside the movie; removed")))
    elif typ == b"sefd":  # Samsung's archive: capture time, country code, video...
        s.findings.extend(sef_findings(buf.payload(box), f"{where} Samsung sefd", "video"))
    elif typ == b"prft":
        s.findings.append(finding(C.TIME, where, N_("Producer reference time"),
                                  f"{box.payload_size} bytes",
                                  N_("the wall-clock time the stream was produced; removed")))
    else:
        words = {b"meco": "Additional metadata container", b"elng": "Extended language tag",
                 b"pssh": "Content protection data", b"emsg": "Event message"}[typ]
        value = f"{box.payload_size} bytes"
        if typ == b"elng":
            value = buf.payload(box)[4:64].split(b"\x00")[0].decode("utf-8", "replace")
        s.findings.append(finding(C.OTHER, where, words, value,
                                  N_("data players do not need; removed")))
    s.plan.free(box)


def plan_dref(s: MovieScan, buf: Buffer, dref: Box) -> None:
    """Every data reference becomes 'url ' with flag 1: the samples are in this file.
    A reference elsewhere ('alis' records, 'url ' locations) names a path on the
    computer that wrote the movie (/Users/name/...)."""
    if dref.payload_size < 8:
        s.problems.append(N_("a malformed data reference box"))
        return
    s.plan.patch(dref.payload_start, b"\0\0\0\0")
    if buf.u32(dref.payload_start + 4) != len(dref.children):
        s.problems.append(N_("the data reference count does not match its entries"))
    for entry in dref.children:
        raw = buf.payload(entry)[4:]
        if entry.type != b"url " or any(raw) or buf.u32(entry.payload_start) != 1:
            paths = [t.decode("utf-8", "replace") for t in
                     (raw.replace(b"\x00", b" ").split()) if len(t) > 3]
            value = max(paths, key=len) if paths else f"{entry.payload_size} bytes"
            if entry.type != b"url " or any(raw):
                s.findings.append(finding(C.IDENTITY, "data reference",
                                          N_("Path to the original media"), value,
                                          N_("can name the computer account that made the "
                                          "movie; replaced by 'this file'")))
        if entry.header != 8:
            s.problems.append(N_("a data reference with an odd header"))
            continue
        s.plan.patch(entry.start + 4, b"url ")
        s.plan.patch(entry.payload_start, b"\0\0\0\1")
        s.plan.zero_range(entry.payload_start + 4, entry.end)

def plan_stsd(s: MovieScan, buf: Buffer, stsd: Box, track: Track, names: list[str],
              hidden: list[str]) -> None:
    """Describe a track's sample entries and plan their neutral layout."""
    if stsd.payload_size < 8 or buf.u32(stsd.payload_start + 4) != len(stsd.children):
        s.problems.append(N_("the sample description count does not match its entries"))
    s.plan.patch(stsd.payload_start, b"\0\0\0\0")
    for box in stsd.children:
        try:
            entry = describe(buf, box, track.handler)
        except CorruptFile as exc:
            s.problems.append(message(N_("the '{name}' sample description is malformed ({exc})"),
                                      name=box.name, exc=exc))
            continue
        track.entries.append(entry)
        if entry.kind not in ("video", "audio"):
            continue
        if entry.compressor:
            names.append(entry.compressor)
        vendor = buf.get(box.payload_start + 12, 4) if box.payload_size >= 16 else b""
        if entry.kind == "video" and any(vendor):
            names.append(f"vendor {vendor.decode('latin-1').strip(chr(0))}")
        for note in entry.notes:
            s.findings.append(finding(C.DEVICE, "sample description", N_("Decoder setup data"),
                                      note, N_("text inside the codec configuration; "
                                      "overwritten")))
        for child in entry.drop:
            _entry_child(s, buf, child)
        _profile_findings(s, buf, entry)
        try:
            changed = plan_segments(buf, entry.segs, s.plan)
        except IccError:
            changed = []
            s.problems.append(N_("a colour profile in a sample description is not valid"))
        # vendor and compressor names are reported with the names above
        named = {box.payload_start + 8, box.payload_start + 42} if entry.kind == "video" \
            else {box.payload_start + 10}
        if any(seg.cls == "zeroed" and seg.start not in named for seg in changed):
            hidden.append(box.name)

def _entry_child(s: MovieScan, buf: Buffer, child: Box) -> None:
    where = "sample description"
    if child.type == b"uuid" and child.usertype == XMP_UUID:
        s.findings.extend(xmp_block_findings(buf.payload(child), f"{where} XMP"))
    elif child.type == b"colr":
        s.findings.append(finding(C.HIDDEN, where, N_("Unusable colour description"),
                                          f"{child.payload_size} bytes",
                                          N_("a colour box that is not valid; removed")))
    else:
        s.findings.append(finding(C.UNKNOWN, where, message(N_("Extra box '{name}'"), name=child.name),
                                          f"{child.payload_size} bytes",
                                          N_("data the decoder does not need; removed")))
    s.plan.free(child)

def _profile_findings(s: MovieScan, buf: Buffer, entry: Entry) -> None:
    for seg in entry.segs:
        if seg.cls == "icc":
            data = buf.get(seg.start, seg.end - seg.start)
            s.findings.extend(icc_findings(data, "sample description colour"))


def tkhd_rotation(buf: Buffer, tkhd: Box, version: int) -> int:
    """Clockwise display rotation in degrees from the track matrix (0 when none)."""
    off = tkhd.payload_start + (52 if version == 1 else 40)
    if off + 36 > tkhd.end:
        return 0
    a, b, _u, c, d, _v = struct.unpack(">iiiiii", buf.get(off, 24))
    if (a, b, c, d) == (0, 0, 0, 0):
        return 0
    return round(math.degrees(math.atan2(b, a))) % 360
