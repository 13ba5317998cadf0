"""TIFF: findings from every IFD, and a cleaner that rewrites the IFDs around untouched strips.

The cleaner keeps every full-resolution page of the IFD chain with only the
tags needed to decode and show it (:data:`KEEP_TAGS`); strip or tile data is
copied byte for byte and its offsets re-pointed. Dropped: the EXIF, GPS and
Interop sub-IFDs, SubIFDs (previews, raw data), reduced-resolution pages
(thumbnails: marked so, or unmarked and at most a third of the first image's
width and height, as old writers stored them), every descriptive tag and
anything not referenced by a kept page. Byte order is preserved.
Orientation stays in each page (when a page has none but its XMP says how to
turn it, as Pillow reads it, the clean page gets that Orientation tag,
because the XMP goes).

Multi-page documents keep all their full-resolution pages; exiftool names
the second page "IFD1", which some leak counters read as a thumbnail.

Refused with a reason: BigTIFF, old-style JPEG compression (offsets hidden in
tags we would have to trust), camera raw files built on TIFF (DNG, CR2,
files whose only full image lives in a SubIFD) and damaged page structures.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers._orientation import xmp_orientation
from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.errors import CorruptFile, ExportRefused, UnsupportedFormat
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.iptc import iptc_findings, irb_findings
from share_guard.core.metadata.tiff_ifd import Entry, Ifd, TiffData, parse_tiff
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

NEW_SUBFILE_TYPE, SUBFILE_TYPE = 0x00FE, 0x00FF
WIDTH, LENGTH, COMPRESSION, ORIENTATION = 0x0100, 0x0101, 0x0103, 0x0112
STRIP_OFFSETS, STRIP_COUNTS = 0x0111, 0x0117
TILE_OFFSETS, TILE_COUNTS = 0x0144, 0x0145
XMP, IPTC, PHOTOSHOP, DNG_VERSION = 0x02BC, 0x83BB, 0x8649, 0xC612

#: tags a clean page keeps: image structure, colour, resolution, orientation
KEEP_TAGS = frozenset({
    NEW_SUBFILE_TYPE, WIDTH, LENGTH, 0x0102, COMPRESSION, 0x0106, 0x010A, STRIP_OFFSETS,
    ORIENTATION, 0x0115, 0x0116, STRIP_COUNTS, 0x011A, 0x011B, 0x011C, 0x0128, 0x012D,
    0x013D, 0x013E, 0x013F, 0x0140, 0x0142, 0x0143, TILE_OFFSETS, TILE_COUNTS, 0x0152,
    0x0153, 0x015B, 0x0211, 0x0212, 0x0213, 0x0214, 0x8773,
})
MAX_BLOCKS_PER_PAGE = 1_000_000
#: GeoTIFF tags: map coordinates of what the image shows
GEO_TAGS = frozenset({0x830E, 0x8482, 0x85D8, 0x87AF, 0x87B0, 0x87B1})
_SUB_NAMES = {"ExifIFD": "EXIF camera details", "GPS": "GPS location",
              "Interop": "EXIF interoperability data"}
_CHAIN = re.compile(r"IFD\d+")
_TAG_IN_PROBLEM = re.compile(r"tag 0x([0-9a-f]{4})")


@dataclass
class Page:
    ifd: Ifd
    #: (tag, type, count, raw value bytes) of the tags kept, offsets excluded
    entries: list[tuple[int, int, int, bytes]] = field(default_factory=list)
    offsets_tag: int = STRIP_OFFSETS
    #: (offset, length) of each strip or tile, in file order of the tag
    blocks: list[tuple[int, int]] = field(default_factory=list)
    #: the Orientation tag was added from XMP tiff:Orientation
    orientation_from_xmp: bool = False


@dataclass
class TiffPlan:
    tiff: TiffData
    pages: list[Page] = field(default_factory=list)
    previews: list[Ifd] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _ints(entry: Entry | None, bo: str) -> list[int] | None:
    """All integer values of an entry (also for arrays too long for the parser to decode)."""
    if entry is None:
        return None
    code = {3: "H", 4: "I", 13: "I"}.get(entry.type)
    if code is None or len(entry.raw) != entry.count * struct.calcsize(code):
        return None
    return list(struct.unpack(f"{bo}{entry.count}{code}", entry.raw))


def _size(ifd: Ifd) -> tuple[int, int]:
    width, length = ifd.get(WIDTH), ifd.get(LENGTH)
    return ((width.first_int() or 0) if width else 0, (length.first_int() or 0) if length else 0)


def _is_reduced(ifd: Ifd, first: Ifd) -> bool:
    """A thumbnail or preview: marked reduced-resolution, or an unmarked much smaller copy."""
    new = ifd.get(NEW_SUBFILE_TYPE)
    flags = (new.first_int() or 0) if new is not None else 0
    old = ifd.get(SUBFILE_TYPE)
    if flags & 1 or (old is not None and old.first_int() == 2):
        return True
    if ifd is first or flags & 2:  # the first image, or marked as a page of a document
        return False
    # old writers store the EXIF-style thumbnail as an unmarked second IFD
    (w, h), (w0, h0) = _size(ifd), _size(first)
    return 0 < w * 3 <= w0 and 0 < h * 3 <= h0


def plan(data: bytes) -> TiffPlan:
    """Parse a TIFF file and work out what a clean copy keeps (bounded; never writes)."""
    if data[:4] in (b"II+\x00", b"MM\x00+"):
        raise UnsupportedFormat("BigTIFF files are not supported yet")
    if data[:2] == b"II" and data[8:10] == b"CR":
        raise UnsupportedFormat("Canon raw (CR2) files are not supported")
    tiff = parse_tiff(data)
    result = TiffPlan(tiff)
    chain = [ifd for ifd in tiff.ifds if _CHAIN.fullmatch(ifd.name)]
    if not chain or not chain[0].entries:
        raise CorruptFile("TIFF is damaged: its first image directory is empty or unreadable")
    if any(ifd.get(DNG_VERSION) is not None for ifd in chain):
        raise UnsupportedFormat("camera raw (DNG) files are not supported")
    for problem in tiff.problems:
        result.problems.extend(_blocking(problem))
    damaged = {problem.split(" ", 1)[0] for problem in tiff.problems}
    for ifd in chain:
        if _is_reduced(ifd, chain[0]):
            result.previews.append(ifd)
        else:
            page = _page(data, ifd, tiff.byte_order, result.problems)
            if page.orientation_from_xmp and ifd.name in damaged:
                # readers that trip over the damaged tags ignore the XMP, others do not
                result.problems.append(f"TIFF {ifd.name} orientation is ambiguous (damaged tags)")
            result.pages.append(page)
    if not result.pages:
        result.problems.append(
            "TIFF has no full-resolution image, only previews (a camera raw file?)")
    return result


def _blocking(problem: str) -> list[str]:
    """Parser problems that touch what the clean copy keeps (others go with dropped data)."""
    name = problem.split(" ", 1)[0]
    if problem.startswith("too many IFDs"):
        return ["TIFF has more pages than we can check"]
    if not _CHAIN.fullmatch(name):
        return []
    tag = _TAG_IN_PROBLEM.search(problem)
    if tag is not None and int(tag.group(1), 16) not in KEEP_TAGS:
        return []
    return [f"TIFF is damaged: {problem}"]


def _page(data: bytes, ifd: Ifd, bo: str, problems: list[str]) -> Page:
    page = Page(ifd)
    for tag in (WIDTH, LENGTH):
        if ifd.get(tag) is None:
            problems.append(f"TIFF {ifd.name} lacks its image size")
    compression = ifd.get(COMPRESSION)
    if compression is not None and compression.first_int() == 6:
        problems.append("TIFF uses old-style JPEG compression, which cannot be cleaned safely")
    if ifd.get(TILE_OFFSETS) is not None:
        page.offsets_tag, counts_tag = TILE_OFFSETS, TILE_COUNTS
    else:
        page.offsets_tag, counts_tag = STRIP_OFFSETS, STRIP_COUNTS
    offsets = _ints(ifd.get(page.offsets_tag), bo)
    counts = _ints(ifd.get(counts_tag), bo)
    if offsets is None or counts is None or len(offsets) != len(counts) or not offsets:
        problems.append(f"TIFF {ifd.name} has missing or mismatched strip/tile offsets")
        return page
    if len(offsets) > MAX_BLOCKS_PER_PAGE:
        problems.append(f"TIFF {ifd.name} has more than {MAX_BLOCKS_PER_PAGE} strips or tiles")
        return page
    for off, length in zip(offsets, counts, strict=True):
        if off + length > len(data) or off < 8 or length == 0:
            problems.append(f"TIFF {ifd.name} image data is missing or lies outside the file (truncated?)")
            return page
        page.blocks.append((off, length))
    if compression is None or compression.first_int() == 1:
        need = _uncompressed_size(ifd)
        if need is not None and sum(counts) < need:
            # readers would fetch pixels from bytes the strip table does not claim
            problems.append(f"TIFF {ifd.name} image data is shorter than the image (damaged)")
    seen: set[int] = set()
    for entry in ifd.entries:
        if entry.tag in KEEP_TAGS and entry.tag != page.offsets_tag and entry.tag not in seen:
            seen.add(entry.tag)
            page.entries.append((entry.tag, entry.type, entry.count, entry.raw))
    xmp = ifd.get(XMP)
    if ORIENTATION not in seen and xmp is not None:
        value = xmp_orientation(xmp.raw)
        if value is not None and value != 1:
            page.entries.append((ORIENTATION, 3, 1, struct.pack(bo + "H", value)))
            page.orientation_from_xmp = True
    return page


def _uncompressed_size(ifd: Ifd) -> int | None:
    """Fewest bytes an uncompressed page of this size needs (None when unsure)."""
    width, length = ifd.get(WIDTH), ifd.get(LENGTH)
    bits = ifd.get(0x0102)
    w = width.first_int() if width is not None else None
    h = length.first_int() if length is not None else None
    if not w or not h:
        return None
    per_sample = [v for v in (bits.value if bits is not None else (1,)) or (1,)
                  if isinstance(v, int)]
    spp_entry = ifd.get(0x0115)
    spp = (spp_entry.first_int() if spp_entry is not None else None) or len(per_sample) or 1
    depth = per_sample[0] if per_sample else 1
    return spp * ((w * depth + 7) // 8) * h


class TiffHandler(FormatHandler):
    name = "tiff"
    kind = "image"
    mime = "image/tiff"
    extensions = (".tif", ".tiff")
    priority = 30

    def sniff(self, head: bytes) -> bool:
        return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

    def _plan(self, src: Source) -> tuple[bytes, TiffPlan]:
        return src.parsed("tiff", plan)

    def inspect(self, src: Source) -> Inspection:
        data, tp = self._plan(src)
        result = Inspection(problems=list(tp.problems))
        first = tp.pages[0].ifd if tp.pages else tp.tiff.ifds[0]
        for key, tag in (("width", WIDTH), ("height", LENGTH)):
            entry = first.get(tag)
            if entry is not None and entry.first_int() is not None:
                result.properties[key] = entry.first_int()
        orient = next((v for t, _, _, v in (tp.pages[0].entries if tp.pages else [])
                       if t == ORIENTATION), None)
        result.properties["orientation"] = (
            struct.unpack(tp.tiff.byte_order + "H", orient[:2])[0] if orient else 1
        )
        result.properties["pages"] = len(tp.pages)
        result.findings.extend(_findings(data, tp))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, tp = self._plan(src)
        if tp.problems:
            raise ExportRefused(f"cannot clean this TIFF with confidence: {tp.problems[0]}")
        write_clean(data, tp, out)
        result = StripResult()
        dropped_subs = [i.name for i in tp.tiff.ifds if not _CHAIN.fullmatch(i.name)]
        for name in dict.fromkeys(dropped_subs):
            result.removed.append(_SUB_NAMES.get(name, "a preview image (SubIFD)"))
        if tp.previews:
            result.removed.append(f"{len(tp.previews)} reduced-resolution preview page(s)")
        dropped_tags = sum(
            1 for p in tp.pages for e in p.ifd.entries if e.tag not in KEEP_TAGS
        )
        if dropped_tags:
            result.removed.append(f"{dropped_tags} descriptive tags")
        result.kept.append(f"{len(tp.pages)} page(s) with image-structure tags")
        if any(t == 0x8773 for p in tp.pages for t, *_ in p.entries):
            result.kept.append("colour profile")
        return result


def write_clean(data: bytes, tp: TiffPlan, out: BinaryIO) -> None:
    """Write header, all strip/tile data, then each page's IFD and out-of-line values."""
    bo = tp.tiff.byte_order
    pos = 8
    new_offsets: list[list[int]] = []
    for page in tp.pages:
        offs = []
        for _off, length in page.blocks:
            offs.append(pos)
            pos += length + (length & 1)
        new_offsets.append(offs)
    ifd_bytes: list[bytes] = []
    ifd_positions: list[int] = []
    for page, offs in zip(tp.pages, new_offsets, strict=True):
        entries = list(page.entries)
        entries.append((page.offsets_tag, 4, len(offs), struct.pack(f"{bo}{len(offs)}I", *offs)))
        entries.sort(key=lambda e: e[0])
        ifd_positions.append(pos)
        ifd_bytes.append(_ifd(entries, pos, bo))
        pos += len(ifd_bytes[-1])
    if pos > 0xFFFFFFFF:
        raise ExportRefused("the cleaned TIFF would be larger than 4 GB")
    magic = b"II*\x00" if bo == "<" else b"MM\x00*"
    out.write(magic + struct.pack(bo + "I", ifd_positions[0]))
    for page in tp.pages:
        for off, length in page.blocks:
            out.write(data[off : off + length])
            if length & 1:
                out.write(b"\x00")
    for i, blob in enumerate(ifd_bytes):
        nxt = ifd_positions[i + 1] if i + 1 < len(ifd_positions) else 0
        # the next-IFD pointer sits right after the entries (patched in here)
        n = struct.unpack(bo + "H", blob[:2])[0]
        cut = 2 + 12 * n
        out.write(blob[:cut] + struct.pack(bo + "I", nxt) + blob[cut + 4 :])


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int, bo: str) -> bytes:
    """One IFD at ``start`` followed by its out-of-line values (next pointer left 0)."""
    table = bytearray(struct.pack(bo + "H", len(entries)))
    values = bytearray()
    value_pos = start + 2 + 12 * len(entries) + 4
    for tag, typ, count, raw in entries:
        table += struct.pack(bo + "HHI", tag, typ, count)
        if len(raw) <= 4:
            table += raw.ljust(4, b"\x00")
        else:
            table += struct.pack(bo + "I", value_pos + len(values))
            values += raw
            if len(raw) & 1:
                values += b"\x00"
    return bytes(table) + b"\x00\x00\x00\x00" + bytes(values)


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
        out.append(Finding(Category.LOCATION, "TIFF GeoTIFF", "Map coordinates", ", ".join(geo),
                           "GeoTIFF tags place the picture on a map; removed"))
    for ifd in tp.tiff.ifds:
        if ifd.name.startswith("SubIFD"):
            out.append(Finding(Category.HIDDEN, f"TIFF {ifd.name}", "Preview image",
                               f"{len(ifd.entries)} tags",
                               "an extra copy of the picture (preview or raw data); removed"))
    return out


HANDLERS = [TiffHandler()]
