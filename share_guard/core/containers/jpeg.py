"""JPEG: findings from APPn/COM segments and trailers; a lossless strip written from fields.

Kept (see :mod:`jpeg_clean`): SOI, the JFIF header (without its thumbnail), the ICC profile
with its text made neutral, the Adobe colour transform, the tables, frame and scan headers
some scan uses (each written from its parsed fields), the entropy-coded data without fill
bytes, EOI. A fresh EXIF holding only Orientation is written when the image is not upright.
:mod:`jpeg_account` proves every byte of a clean copy.
"""

from __future__ import annotations

from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.jpeg_account import account_jpeg
from share_guard.core.containers.jpeg_app import ICC_SIG, icc_profile
from share_guard.core.containers.jpeg_clean import Analysis, analyse, clean
from share_guard.core.containers.jpeg_segments import (
    DECODING,
    JpegLayout,
    Segment,
    parse_jpeg,
    sof_info,
)
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.icc import IccError, icc_findings
from share_guard.core.metadata.iptc import irb_findings
from share_guard.core.metadata.thumbnail import thumbnail_mismatch
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
MAX_SAME_SEGMENTS = 8
_NOTHING = Finding(Category.UNKNOWN, "JPEG", N_("segment"), "", N_("a segment that reveals nothing"))
XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"
#: "Adobe", DCTEncodeVersion, APP14Flags0, APP14Flags1, ColorTransform: all a decoder reads
ADOBE_LEN = 12
#: printable bytes at the end of the image data from which inspect calls them text (entropy-
#: coded data ends that way by chance about once in ten million files)
TEXT_TAIL = 16


class JpegHandler(FormatHandler):
    name = "jpeg"
    kind = "image"
    mime = "image/jpeg"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")
    priority = 10
    accounts = True

    def sniff(self, head: bytes) -> bool:
        return head[:3] == b"\xff\xd8\xff"

    def _layout(self, src: Source) -> tuple[bytes, JpegLayout]:
        return src.parsed("jpeg", parse_jpeg)

    def _analysis(self, src: Source) -> Analysis:
        data, layout = self._layout(src)
        return src.cached("jpeg-analysis", lambda: analyse(data, layout))

    def inspect(self, src: Source) -> Inspection:
        data, layout = self._layout(src)
        result = Inspection()
        result.properties.update(sof_info(data, layout))
        result.properties["orientation"] = 1
        thumbnail: bytes | None = None
        # Each kind of metadata segment is read a few times at most: 100,000 tiny
        # APPn segments (or thousands of 64 KB XMP ones) made inspect take seconds.
        seen: dict[bytes, list[Finding]] = {}
        repeats: dict[bytes, int] = {}
        for seg in layout.segments:
            if seg.marker not in DECODING:
                kind = bytes([seg.marker]) + seg.payload(data)[:12]
                if len(seen.get(kind, ())) >= MAX_SAME_SEGMENTS:
                    repeats[kind] = repeats.get(kind, 0) + 1
                    continue
            found, thumb = _segment_findings(data, seg, result)
            if seg.marker not in DECODING:
                seen.setdefault(kind, []).append(found[0] if found else _NOTHING)
            result.findings.extend(found)
            thumbnail = thumbnail or thumb
        for kind, n in repeats.items():
            first = seen[kind][0]
            if first is _NOTHING:  # like segments that revealed nothing (JFIF, Adobe)
                continue
            result.findings.append(Finding(
                first.category, first.where, message(N_("{n} more blocks like {name}"),
                                                     n=n, name=first.name), f"{n}",
                N_("repeated blocks of the same kind; not read one by one"),
                identifying=first.identifying, removable=first.removable))
        if thumbnail is not None and src.thorough:
            mismatch = thumbnail_mismatch(data, thumbnail, result.properties["orientation"])
            if mismatch:
                result.findings.append(Finding(
                    Category.HIDDEN, "EXIF IFD1", N_("Thumbnail differs from the photo"), mismatch,
                    N_("the embedded thumbnail shows a different picture (e.g. before cropping)")))
        if layout.truncated:
            result.problems.append(N_("the image data is truncated (no end-of-image marker)"))
        if not any(s.marker == 0xDA for s in layout.segments):
            result.problems.append(N_("the file holds no image data"))
        result.problems.extend(layout.problems)
        analysis = self._analysis(src)
        result.problems.extend(analysis.problems)
        result.findings.extend(_structure_findings(data, layout, analysis))
        if layout.eoi_end < len(data):
            result.findings.append(describe_trailer(data[layout.eoi_end :], layout.eoi_end))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._layout(src)
        if layout.truncated:
            raise CorruptFile(N_("the image data is truncated; use rebuild to keep what decodes"))
        if layout.problems:
            raise CorruptFile(message(N_("JPEG structure not understood: {problems}"),
                                      problems=layout.problems[0]))
        orientation = 1
        for seg in layout.segments:
            if seg.marker == 0xE1 and seg.payload(data).startswith(b"Exif\x00"):
                orientation = exif_findings(seg.payload(data)).orientation
                break
        cleaned = clean(data, layout, self._analysis(src), orientation)
        for piece in cleaned.pieces:
            out.write(piece)
        return StripResult(list(dict.fromkeys(cleaned.removed)), cleaned.kept)

    def account(self, src: Source) -> Ledger:
        return account_jpeg(src.read_all())


def _segment_findings(data: bytes, seg: Segment,
                      result: Inspection) -> tuple[list[Finding], bytes | None]:
    p = seg.payload(data)
    m = seg.marker
    if m == 0xE1 and p.startswith(b"Exif\x00"):
        info = exif_findings(p, where="EXIF")
        result.properties["orientation"] = info.orientation
        return info.findings, info.thumbnail
    if m == 0xE1 and p.startswith(XMP_SIG):
        return xmp_findings(p[len(XMP_SIG):], where="XMP"), None
    if m == 0xE1 and p.startswith(XMP_EXT_SIG):
        return [Finding(Category.HIDDEN, "XMP extension", N_("Extended XMP"), f"{len(p)} bytes",
                        N_("overflow metadata; Google phones store depth maps and videos here"))], None
    if m == 0xE2 and p.startswith(ICC_SIG):
        return [], None  # read whole, across its segments (see _structure_findings)
    if m == 0xE2 and p.startswith(b"MPF\x00"):
        return [Finding(Category.HIDDEN, "APP2 MPF", N_("Extra images (MPF)"), "index",
                        N_("points at secondary images stored after the photo (previews, depth)"))], None
    if m == 0xED and p.startswith(b"Photoshop 3.0\x00"):
        return irb_findings(p[14:], where="APP13 Photoshop"), None
    if m == 0xFE:
        return [Finding(Category.HIDDEN, "JPEG COM", N_("Comment"), p.decode("utf-8", "replace"),
                        N_("free text hidden in the file"))], None
    if m == 0xE0 and p.startswith(b"JFIF\x00"):
        if len(p) > 14 and (p[12] or p[13]):
            return [Finding(Category.HIDDEN, "APP0 JFIF", N_("JFIF thumbnail"), f"{p[12]}x{p[13]}",
                            N_("a small copy of the picture"))], None
        return [], None
    if m == 0xE0 and p.startswith(b"JFXX\x00"):
        return [Finding(Category.HIDDEN, "APP0 JFXX", N_("JFIF extension thumbnail"),
                        f"{len(p)} bytes", N_("a small copy of the picture"))], None
    if m == 0xEE and p.startswith(b"Adobe"):
        if len(p) > ADOBE_LEN:
            return [Finding(Category.HIDDEN, "APP14 Adobe", N_("Data after the Adobe colour header"),
                            f"{len(p) - ADOBE_LEN} bytes",
                            N_("extra bytes no decoder reads; removed"))], None
        return [], None
    if 0xE0 <= m <= 0xEF:
        sig = p[:24].split(b"\x00", 1)[0].decode("latin-1", "replace")
        return [Finding(Category.UNKNOWN, seg.name, message(N_("{name} block"),
                                                            name=seg.name), sig or f"{len(p)} bytes",
                        N_("vendor data we do not interpret; removed"))], None
    return [], None


HANDLERS = [JpegHandler()]


def _structure_findings(data: bytes, layout: JpegLayout, analysis: Analysis) -> list[Finding]:
    """The colour profile (read across its segments), coding tables no scan uses, and
    markers no decoder knows."""
    found: list[Finding] = []
    if analysis.icc_chunks:
        try:
            found.extend(icc_findings(icc_profile(analysis.icc_chunks), "APP2 ICC"))
        except IccError as exc:
            found.append(Finding(Category.HIDDEN, "APP2 ICC", N_("Data behind a colour-profile "
                                 "signature"), f"{sum(map(len, analysis.icc_chunks))} bytes",
                                 message(N_("{exc}; not kept"), exc=exc)))
    spare = analysis.spare_tables()
    if spare:
        found.append(Finding(Category.OTHER, "JPEG DQT/DHT", N_("Coding tables no scan uses"),
                             f"{len(spare)} tables, {sum(n for _i, _j, n in spare)} bytes",
                             N_("tables the picture does not need; they can carry hidden data; "
                             "removed"), identifying=False))
    scans = [s for s in layout.segments if s.marker == 0xDA]
    tail = _printable_tail(data[scans[-1].payload_end : scans[-1].end]) if scans else 0
    if tail >= TEXT_TAIL:
        found.append(Finding(Category.HIDDEN, "JPEG image data", N_("Text after the image data"),
                             f"{tail} bytes", N_("readable text where the image data ends, which "
                             "no decoder reads; zeroed")))
    is_ls = any(s.marker == 0xF7 for s in layout.segments)
    unknown = sorted({s.marker for s in layout.segments
                      if not (s.marker in DECODING or 0xE0 <= s.marker <= 0xEF
                              or s.marker == 0xFE or (is_ls and s.marker in (0xF7, 0xF8)))})
    for marker in unknown:
        size = sum(s.end - s.start for s in layout.segments if s.marker == marker)
        found.append(Finding(Category.UNKNOWN, f"JPEG marker 0x{marker:02X}",
                             message(N_("Unknown segment 0x{marker}"),
                                     marker=f"{marker:02X}"), f"{size} bytes",
                             N_("data no decoder reads; removed")))
    return found


def _printable_tail(scan: bytes) -> int:
    """How many bytes at the end of ``scan`` are printable ASCII."""
    n = 0
    for byte in reversed(scan[-4096:]):
        if not 0x20 <= byte <= 0x7E:
            break
        n += 1
    return n
