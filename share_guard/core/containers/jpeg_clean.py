"""The clean JPEG, written segment by segment from parsed fields.

Kept: SOI; JFIF, a neutral ICC profile and the Adobe colour transform (only when they
come before the first scan, where decoders read them); a fresh Orientation block; the
quantisation and Huffman tables some scan uses; frame, scan, restart-interval and
line-count headers; the entropy-coded data without fill bytes; EOI. Everything else
(APPn, COM, unknown markers, spare tables, data after EOI) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from share_guard.core.containers.jpeg_app import (
    ICC_SIG,
    adobe_segment,
    icc_profile,
    icc_segments,
    jfif_segment,
    orientation_segment,
)
from share_guard.core.containers.jpeg_scan_end import Build, decodes, needed
from share_guard.core.containers.jpeg_segments import COM, JpegLayout, Segment
from share_guard.core.containers.jpeg_tables import (
    DAC,
    DHT,
    DNL,
    DQT,
    DRI,
    HIERARCHICAL,
    LSE,
    SOF_KEPT,
    SOS,
    Event,
    HTable,
    QTable,
    parse_dac,
    parse_dht,
    parse_dnl,
    parse_dqt,
    parse_dri,
    parse_frame,
    parse_lse,
    parse_scan,
    scan_data,
    segment,
    table_use,
)
from share_guard.core.errors import CorruptFile, ExportRefused
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import IccError, neutral_profile


@dataclass
class Analysis:
    """What the cleaner needs to know about a JPEG, found once for inspect and strip."""

    first_scan: int  # index of the first SOS segment (len(segments) when there is none)
    parsed: dict[int, object] = field(default_factory=dict)  # segment index -> parsed fields
    used: set[tuple[int, int]] = field(default_factory=set)  # tables some scan uses
    icc_chunks: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def spare_tables(self) -> list[tuple[int, int, int]]:
        """(segment index, table index, bytes) of every table nothing uses."""
        out = []
        for i, parsed in self.parsed.items():
            if isinstance(parsed, list):
                for j, table in enumerate(parsed):
                    if (i, j) not in self.used:
                        out.append((i, j, len(table.encode())))
        return out


def analyse(data: bytes, layout: JpegLayout) -> Analysis:
    segs = layout.segments
    first = next((i for i, s in enumerate(segs) if s.marker == SOS), len(segs))
    result = Analysis(first)
    events: list[Event] = []
    frames = 0
    for i, seg in enumerate(segs):
        m, p = seg.marker, seg.payload(data)
        try:
            if m == DQT:
                result.parsed[i] = parse_dqt(p)
                events.append(("dqt", i, result.parsed[i]))
            elif m == DHT:
                result.parsed[i] = parse_dht(p)
                events.append(("dht", i, result.parsed[i]))
            elif m in SOF_KEPT:
                frames += 1
                result.parsed[i] = parse_frame(m, p)
                events.append(("sof", i, result.parsed[i]))
            elif m == SOS:
                result.parsed[i] = parse_scan(p)
                events.append(("sos", i, result.parsed[i]))
            elif m in HIERARCHICAL:
                result.problems.append(N_("a hierarchical JPEG (no common decoder shows it)"))
        except CorruptFile as exc:
            result.problems.append(str(exc))
        if m == 0xE2 and p.startswith(ICC_SIG) and i < first:
            result.icc_chunks.append(p)
    if frames > 1:
        result.problems.append(N_("more than one frame header"))
    used, problems = table_use(events)
    result.used = used
    result.problems.extend(problems)
    return result


@dataclass
class Cleaned:
    pieces: list[bytes] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def clean(data: bytes, layout: JpegLayout, analysis: Analysis, orientation: int) -> Cleaned:
    """The segments of the clean copy, in order (raises ExportRefused when it cannot be
    written from fields share_guard understands)."""
    if analysis.problems:
        raise ExportRefused(message(N_("JPEG structure not understood: {problems}"),
                                    problems=analysis.problems[0]))
    segs = layout.segments
    out = Cleaned([b"\xff\xd8"])
    head = segs[: analysis.first_scan]
    jfif = [s for s in (jfif_segment(s.payload(data)) for s in head if s.marker == 0xE0) if s]
    adobe = [s for s in (adobe_segment(s.payload(data)) for s in head if s.marker == 0xEE) if s]
    if jfif:
        out.pieces.append(jfif[-1])
    if any(s.marker == 0xE0 and s.payload(data)[12:14].strip(b"\x00") for s in segs
           if s.payload(data).startswith(b"JFIF\x00")):
        out.removed.append(N_("JFIF thumbnail"))
    if orientation != 1:
        out.pieces.append(orientation_segment(orientation))
        out.kept.append(N_("orientation"))
    if analysis.icc_chunks:
        try:
            out.pieces.extend(icc_segments(neutral_profile(icc_profile(analysis.icc_chunks))))
            out.kept.append(N_("colour profile (its text made neutral)"))
        except IccError as exc:
            out.removed.append(message(N_("colour profile ({exc})"), exc=exc))
    if adobe:
        out.pieces.append(adobe[-1])
    for seg in head:
        p = seg.payload(data)
        if adobe and seg.marker == 0xEE and p.startswith(b"Adobe") and p != adobe[-1][4:]:
            out.removed.append(N_("data after the Adobe colour header") if len(p) > 12
                               else N_("Adobe header fields no decoder reads"))
    is_ls = any(s.marker == 0xF7 for s in segs)
    spare = 0
    last_scan = -1
    for i, seg in enumerate(segs):
        piece, label = _decoding_piece(data, seg, analysis, i, is_ls)
        if piece is not None:
            if seg.marker == SOS:
                last_scan = len(out.pieces)
            out.pieces.append(piece)
        if label:
            out.removed.append(label)
        if seg.marker in (DQT, DHT):
            spare += sum(1 for j in range(len(_tables(analysis, i)))
                         if (i, j) not in analysis.used)
    if spare:
        out.removed.append(message(N_("{n} coding table no scan uses") if spare == 1 else
                                   N_("{n} coding tables no scan uses"), n=spare))
    out.pieces.append(b"\xff\xd9")
    if last_scan >= 0:
        _zero_after_last_scan(out, last_scan)
    if layout.eoi_end < len(data):
        out.removed.append(message(N_("{count} bytes after the end of the image"),
                                   count=len(data) - layout.eoi_end))
    return out


def _tables(analysis: Analysis, i: int) -> list[QTable | HTable]:
    parsed = analysis.parsed.get(i)
    return list(parsed) if isinstance(parsed, list) else []


def _decoding_piece(data: bytes, seg: Segment, analysis: Analysis, i: int,
                    is_ls: bool) -> tuple[bytes | None, str]:
    """The segment written from its fields, or None and what was left out."""
    m, p = seg.marker, seg.payload(data)
    if m in (DQT, DHT):
        kept = [t for j, t in enumerate(_tables(analysis, i)) if (i, j) in analysis.used]
        return (segment(m, b"".join(t.encode() for t in kept)) if kept else None), ""
    if m in SOF_KEPT:
        return parse_frame(m, p).encode(), ""
    if m == SOS:
        raw = data[seg.payload_end : seg.end]
        return parse_scan(p).encode() + scan_data(raw), ""
    if m == DRI:
        return parse_dri(p), ""
    if m == DNL:
        return parse_dnl(p), ""
    if m == DAC:
        return parse_dac(p), ""
    if m == LSE and is_ls:
        return parse_lse(p), ""
    if 0xE0 <= m <= 0xEF:
        return None, _app_label(seg, p)
    if m == COM:
        return None, "comment"
    return None, f"unknown marker 0x{m:02X}"


def _app_label(seg: Segment, p: bytes) -> str:
    m = seg.marker
    if m == 0xE1:
        if p.startswith(b"Exif\x00"):
            return "EXIF"
        if p.startswith(b"http://ns.adobe.com/"):
            return "XMP"
    if m == 0xE2 and p.startswith(b"MPF\x00"):
        return "MPF index of extra images"
    if m == 0xED:
        return "Photoshop/IPTC block"
    if m in (0xE0, 0xE2, 0xEE) and (p.startswith(b"JFIF\x00") or p.startswith(ICC_SIG)
                                    or p.startswith(b"Adobe")):
        return ""  # rewritten above (or, after the first scan, ignored by every decoder)
    return f"{seg.name} segment"


def scan_builder(before: bytes, after: bytes) -> Build:
    """Builds the whole JPEG around new data for its last scan."""
    return lambda scan: before + scan + after


def coded_padding(byte: int) -> bool:
    """True for 0b0..01..1 (not 0 or 0xFF): the last byte of a scan whose data bits are all
    zeros, followed by the encoder's padding ones (about one JPEG in three ends so: the
    standard chroma end-of-block code is 00). Flipping its first bit proves it read in
    nearly every photo; where that changes no pixel either, the search for the end zeroes
    it (which changes no pixel), and it is not reported as something hidden."""
    return byte != 0 and byte & (byte + 1) == 0 and byte != 0xFF


def _zero_after_last_scan(out: Cleaned, at: int) -> None:
    """Zero what follows the end of the last scan's entropy-coded data (see jpeg_scan_end)."""
    piece = out.pieces[at]
    head = 2 + int.from_bytes(piece[2:4], "big")
    scan = piece[head:]
    build = scan_builder(b"".join(out.pieces[:at]) + piece[:head], b"".join(out.pieces[at + 1 :]))
    if not decodes(build(scan)):
        raise ExportRefused(N_("the JPEG's image data does not decode; use rebuild"))
    keep = needed(scan, build)
    tail = scan[keep:]
    hidden = len(tail) - tail.count(0)
    if hidden:
        out.pieces[at] = piece[:head] + scan[:keep] + bytes(len(scan) - keep)
    if hidden and coded_padding(tail.lstrip(b"\0")[0]):
        hidden -= 1  # coded zero bits, then the encoder's padding: not hidden
    if hidden:
        out.removed.append(message(
            N_("{n} byte after the end of the image data (zeroed)") if hidden == 1 else
            N_("{n} bytes after the end of the image data (zeroed)"), n=hidden))
