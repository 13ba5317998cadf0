"""JPEG: findings from APPn/COM segments and trailers; lossless strip by dropping segments.

Kept: SOI, APP0 JFIF (without its thumbnail), APP2 ICC_PROFILE, APP14 Adobe,
every table/frame/scan segment and the scan data byte for byte, EOI. A fresh
EXIF holding only Orientation is written when the image is not upright.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.jpeg_segments import (
    COM,
    DECODING,
    JpegLayout,
    Segment,
    parse_jpeg,
    sof_info,
)
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.iptc import irb_findings
from share_guard.core.metadata.thumbnail import thumbnail_mismatch
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
MAX_SAME_SEGMENTS = 8
_NOTHING = Finding(Category.UNKNOWN, "JPEG", "segment", "", "a segment that reveals nothing")
XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"
ICC_SIG = b"ICC_PROFILE\x00"
#: "Adobe", DCTEncodeVersion, APP14Flags0, APP14Flags1, ColorTransform: all a decoder reads
ADOBE_LEN = 12


class JpegHandler(FormatHandler):
    name = "jpeg"
    kind = "image"
    mime = "image/jpeg"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")
    priority = 10

    def sniff(self, head: bytes) -> bool:
        return head[:3] == b"\xff\xd8\xff"

    def _layout(self, src: Source) -> tuple[bytes, JpegLayout]:
        return src.parsed("jpeg", parse_jpeg)

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
                first.category, first.where, f"{n} more blocks like {first.name}", f"{n}",
                "repeated blocks of the same kind; not read one by one",
                identifying=first.identifying, removable=first.removable))
        if thumbnail is not None and src.thorough:
            mismatch = thumbnail_mismatch(data, thumbnail, result.properties["orientation"])
            if mismatch:
                result.findings.append(Finding(
                    Category.HIDDEN, "EXIF IFD1", "Thumbnail differs from the photo", mismatch,
                    "the embedded thumbnail shows a different picture (e.g. before cropping)"))
        if layout.truncated:
            result.problems.append("the image data is truncated (no end-of-image marker)")
        if not any(s.marker == 0xDA for s in layout.segments):
            result.problems.append("the file holds no image data")
        result.problems.extend(layout.problems)
        if layout.eoi_end < len(data):
            result.findings.append(describe_trailer(data[layout.eoi_end :], layout.eoi_end))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._layout(src)
        if layout.truncated:
            raise CorruptFile("the image data is truncated; use rebuild to keep what decodes")
        if layout.problems:
            raise CorruptFile(f"JPEG structure not understood: {layout.problems[0]}")
        res = StripResult()
        orientation = 1
        for seg in layout.segments:
            if seg.marker == 0xE1 and seg.payload(data).startswith(b"Exif\x00"):
                orientation = exif_findings(seg.payload(data)).orientation
                break
        out.write(b"\xff\xd8")
        wrote_header = False
        for seg in layout.segments:
            keep, label = _keep(data, seg)
            if not keep:
                res.removed.append(label)
                continue
            if not wrote_header and seg.marker not in (0xE0,):
                _write_orientation(out, orientation, res)
                wrote_header = True
            if seg.marker == 0xE0 and seg.payload(data).startswith(b"JFIF\x00"):
                _write_jfif_without_thumbnail(out, seg.payload(data), res)
            elif seg.marker == 0xEE and len(seg.payload(data)) > ADOBE_LEN:
                # decoders read the first 12 bytes only; what follows is not ours to pass on
                payload = seg.payload(data)[:ADOBE_LEN]
                out.write(b"\xff\xee" + struct.pack(">H", len(payload) + 2) + payload)
                res.removed.append("data after the Adobe colour header")
            else:
                out.write(data[seg.start : seg.end])
                if label:
                    res.kept.append(label)
        if not wrote_header:
            _write_orientation(out, orientation, res)
        out.write(b"\xff\xd9")
        if layout.eoi_end < len(data):
            res.removed.append(f"{len(data) - layout.eoi_end} bytes after the end of the image")
        return res


def _keep(data: bytes, seg: Segment) -> tuple[bool, str]:
    p = seg.payload(data)
    m = seg.marker
    if m == 0xE0 and p.startswith(b"JFIF\x00"):
        return True, ""
    if m == 0xE2 and p.startswith(ICC_SIG):
        return True, "colour profile"
    if m == 0xEE and p.startswith(b"Adobe"):
        return True, ""
    if m in DECODING or m in (0xF7, 0xF8):  # JPEG-LS frame and parameters
        return True, ""
    if m == 0xE1:
        if p.startswith(b"Exif\x00"):
            return False, "EXIF"
        if p.startswith(XMP_SIG) or p.startswith(XMP_EXT_SIG):
            return False, "XMP"
    if m == 0xE2 and p.startswith(b"MPF\x00"):
        return False, "MPF index of extra images"
    if m == 0xED:
        return False, "Photoshop/IPTC block"
    if m == COM:
        return False, "comment"
    return False, f"{seg.name} segment"


def _write_orientation(out: BinaryIO, orientation: int, res: StripResult) -> None:
    if orientation == 1:
        return
    payload = b"Exif\x00\x00" + minimal_orientation_exif(orientation)
    out.write(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    res.kept.append("orientation")


def _write_jfif_without_thumbnail(out: BinaryIO, payload: bytes, res: StripResult) -> None:
    body = bytearray(payload[:14].ljust(14, b"\x00"))
    if len(payload) > 14 and (payload[12] or payload[13]):
        res.removed.append("JFIF thumbnail")
    body[12] = body[13] = 0
    out.write(b"\xff\xe0" + struct.pack(">H", len(body) + 2) + bytes(body))


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
        return [Finding(Category.HIDDEN, "XMP extension", "Extended XMP", f"{len(p)} bytes",
                        "overflow metadata; Google phones store depth maps and videos here")], None
    if m == 0xE2 and p.startswith(ICC_SIG):
        return [Finding(Category.KEPT, "APP2 ICC", "Colour profile", f"{len(p)} bytes",
                        "needed to show colours correctly; kept", identifying=False)], None
    if m == 0xE2 and p.startswith(b"MPF\x00"):
        return [Finding(Category.HIDDEN, "APP2 MPF", "Extra images (MPF)", "index",
                        "points at secondary images stored after the photo (previews, depth)")], None
    if m == 0xED and p.startswith(b"Photoshop 3.0\x00"):
        return irb_findings(p[14:], where="APP13 Photoshop"), None
    if m == 0xFE:
        return [Finding(Category.HIDDEN, "JPEG COM", "Comment", p.decode("utf-8", "replace"),
                        "free text hidden in the file")], None
    if m == 0xE0 and p.startswith(b"JFIF\x00"):
        if len(p) > 14 and (p[12] or p[13]):
            return [Finding(Category.HIDDEN, "APP0 JFIF", "JFIF thumbnail", f"{p[12]}x{p[13]}",
                            "a small copy of the picture")], None
        return [], None
    if m == 0xE0 and p.startswith(b"JFXX\x00"):
        return [Finding(Category.HIDDEN, "APP0 JFXX", "JFIF extension thumbnail",
                        f"{len(p)} bytes", "a small copy of the picture")], None
    if m == 0xEE and p.startswith(b"Adobe"):
        if len(p) > ADOBE_LEN:
            return [Finding(Category.HIDDEN, "APP14 Adobe", "Data after the Adobe colour header",
                            f"{len(p) - ADOBE_LEN} bytes",
                            "extra bytes no decoder reads; removed")], None
        return [], None
    if 0xE0 <= m <= 0xEF:
        sig = p[:24].split(b"\x00", 1)[0].decode("latin-1", "replace")
        return [Finding(Category.UNKNOWN, seg.name, f"{seg.name} block", sig or f"{len(p)} bytes",
                        "vendor data we do not interpret; removed")], None
    return [], None


HANDLERS = [JpegHandler()]
