"""TIFF: findings from every IFD, and a cleaner that writes each kept structure again.

The clean copy holds every *page* (a full picture of the main IFD chain: see
:mod:`tiff_plan`) with only the tags needed to decode and show it, each written from its
parsed value with the type and count the specification allows (:mod:`tiff_tags`); the
colour profile is kept with its text made neutral; ``JPEGTables`` only for JPEG pages
and only its tables. Strip and tile data is kept as the codec reads it (:mod:`tiff_blocks`):
bytes after an LZW/Deflate/PackBits stream or after the rows of an uncompressed strip are
dropped, a stream that goes on past the picture is cut where the picture ends, APPn/COM
payloads of JPEG strips are zeroed; decoded pixels stay identical. Dropped: the EXIF, GPS
and Interop IFDs, SubIFDs, reduced-resolution pages and masks, every descriptive tag, and
every byte nothing references. Byte order is preserved. Orientation stays in each page
(when a page has none but its XMP says how to turn it, as Pillow reads it, the clean page
gets that Orientation tag, because the XMP goes).

:meth:`TiffHandler.account` proves a clean copy byte by byte (:mod:`tiff_account`).

Refused with a reason: BigTIFF, old-style JPEG and unknown compressions, camera raw files
built on TIFF (DNG, CR2, files whose only full image lives in a SubIFD), damaged page
structures, strips that overlap, and any file whose clean copy would be larger than it.
"""

from __future__ import annotations

from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.tiff_account import account_tiff
from share_guard.core.containers.tiff_plan import CHAIN, TiffPlan, plan
from share_guard.core.containers.tiff_tags import ICC, KEEP_TAGS, LENGTH, ORIENTATION, WIDTH
from share_guard.core.containers.tiff_write import write_clean
from share_guard.core.errors import ExportRefused
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.icc import icc_findings
from share_guard.core.metadata.iptc import iptc_findings, irb_findings
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

__all__ = ["KEEP_TAGS", "TiffHandler", "plan"]

XMP, IPTC, PHOTOSHOP = 0x02BC, 0x83BB, 0x8649
#: GeoTIFF tags: map coordinates of what the image shows
GEO_TAGS = frozenset({0x830E, 0x8482, 0x85D8, 0x87AF, 0x87B0, 0x87B1})
_SUB_NAMES = {"ExifIFD": "EXIF camera details", "GPS": "GPS location",
              "Interop": "EXIF interoperability data"}


class TiffHandler(FormatHandler):
    name = "tiff"
    kind = "image"
    mime = "image/tiff"
    extensions = (".tif", ".tiff")
    priority = 30
    accounts = True

    def sniff(self, head: bytes) -> bool:
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

    def _plan(self, src: Source) -> tuple[bytes, TiffPlan]:
        return src.parsed("tiff", plan)

    def inspect(self, src: Source) -> Inspection:
        data, tp = self._plan(src)
        result = Inspection(problems=list(tp.problems))
        first = tp.pages[0] if tp.pages else None
        ifd = first.ifd if first is not None else tp.tiff.ifds[0]
        for key, tag in (("width", WIDTH), ("height", LENGTH)):
            entry = ifd.get(tag)
            if entry is not None and entry.first_int() is not None:
                result.properties[key] = entry.first_int()
        orient = first.tags.get(ORIENTATION) if first is not None else None
        result.properties["orientation"] = orient.first() if orient is not None else 1
        result.properties["pages"] = len(tp.pages)
        result.findings.extend(_findings(data, tp))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, tp = self._plan(src)
        if tp.problems:
            raise ExportRefused(message(N_("cannot clean this TIFF with confidence: {problems}"),
                                        problems=tp.problems[0]))
        write_clean(data, tp, out)
        result = StripResult()
        dropped_subs = [i.name for i in tp.tiff.ifds if not CHAIN.fullmatch(i.name)]
        for name in dict.fromkeys(dropped_subs):
            result.removed.append(_SUB_NAMES.get(name, "a preview image (SubIFD)"))
        if tp.previews:
            result.removed.append(message(N_("{count} reduced-resolution preview page(s)"),
                                          count=len(tp.previews)))
        dropped_tags = sum(1 for p in tp.pages for e in p.ifd.entries if e.tag not in KEEP_TAGS)
        if dropped_tags:
            result.removed.append(message(N_("{dropped_tags} descriptive tags"), dropped_tags=dropped_tags))
        for what, n in tp.found.items():
            result.removed.append(message(N_("{what} ({n} strips or tiles)"), what=what, n=n))
        for what in dict.fromkeys(d for p in tp.pages for d in p.dropped):
            result.removed.append(what)
        if tp.unreferenced:
            result.removed.append(message(N_("{unreferenced} bytes of data nothing referenced"),
                                          unreferenced=tp.unreferenced))
        result.kept.append(message(N_("{count} page(s) with image-structure tags"), count=len(tp.pages)))
        if any(ICC in p.tags for p in tp.pages):
            result.kept.append(N_("colour profile (its text made neutral)"))
        return result

    def account(self, src: Source) -> Ledger:
        data = src.read_all()
        ledger = Ledger(len(data))
        account_tiff(data, ledger)
        return ledger


def _findings(data: bytes, tp: TiffPlan) -> list[Finding]:
    page_names = {p.ifd.name for p in tp.pages}
    detailed: list[Finding] = []
    generic = {"Embedded XMP": XMP, "Embedded IPTC": IPTC, "Photoshop data": PHOTOSHOP}
    replaced: set[tuple[str, str]] = set()
    for ifd in tp.tiff.ifds:
        where = f"TIFF {ifd.name}"
        for name, tag in generic.items():
            entry = ifd.get(tag)
            if entry is None:
                continue
            if tag == XMP:
                found = xmp_findings(entry.raw, where=f"{where} XMP")
            elif tag == IPTC:
                found = iptc_findings(entry.raw, where=f"{where} IPTC")
            else:
                found = irb_findings(entry.raw, where=f"{where} Photoshop")
            if found:
                detailed.extend(found)
                replaced.add((where, name))
        icc = ifd.get(ICC)
        if icc is not None:
            detailed.extend(icc_findings(icc.raw, f"{where} colour profile"))
            replaced.add((where, "Colour profile"))
    out: list[Finding] = []
    for finding in exif_findings(data, where="TIFF").findings:
        if (finding.where, finding.name) in replaced:
            continue
        if finding.name == "Embedded thumbnail" and finding.where[5:] in page_names:
            continue  # a full-resolution page of a multi-page TIFF, not a thumbnail
        if finding.name == "Malformed EXIF" and tp.problems:
            continue  # already a problem that blocks the export
        out.append(finding)
    out.extend(detailed)
    geo = sorted({f"0x{e.tag:04x}" for i in tp.tiff.ifds for e in i.entries if e.tag in GEO_TAGS})
    if geo:
        out.append(Finding(Category.LOCATION, "TIFF GeoTIFF", N_("Map coordinates"), ", ".join(geo),
                           N_("GeoTIFF tags place the picture on a map; removed")))
    for ifd in tp.tiff.ifds:
        if ifd.name.startswith("SubIFD"):
            out.append(Finding(Category.HIDDEN, f"TIFF {ifd.name}", N_("Preview image"),
                               f"{len(ifd.entries)} tags",
                               N_("an extra copy of the picture (preview or raw data); removed")))
    out.extend(_data_findings(tp))
    return out


def _data_findings(tp: TiffPlan) -> list[Finding]:
    """Hidden bytes: in strips, between structures, malformed tags; and the pages kept."""
    out = [Finding(Category.HIDDEN, "TIFF strips", what[:1].upper() + what[1:],
                   f"{n} strips or tiles", N_("bytes a decoder never reads or metadata inside "
                   "the compressed data; removed, the picture is unchanged"))
           for what, n in tp.found.items()]
    if tp.unreferenced:
        out.append(Finding(Category.HIDDEN, "TIFF", N_("Unreferenced data"),
                           f"{tp.unreferenced} bytes", N_("bytes no part of the file points to "
                           "(between or after its structures) can hide anything; removed")))
    for name in dict.fromkeys(d for p in tp.pages for d in p.dropped):
        out.append(Finding(Category.OTHER, "TIFF", N_("Malformed or unused image tag"), name,
                           N_("a tag a reader would not use as stored; removed")))
    for n, page in enumerate(tp.pages[1:], start=2):
        size = (f"{page.layout.width}×{page.layout.length}" if page.layout is not None
                else "unknown size")
        out.append(Finding(Category.KEPT, f"TIFF {page.ifd.name}",
                           message(N_("Page {n} of {total}"), n=n, total=len(tp.pages)), size,
                           N_("a further page of the document; kept. Viewers that show one page "
                           "hide it, and faces are looked for on the first page only: check it "
                           "before sharing"), identifying=False, removable=False))
    return out


HANDLERS = [TiffHandler()]
