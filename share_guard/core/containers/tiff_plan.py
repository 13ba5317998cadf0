"""What a clean TIFF copy keeps: its pages, their tags, their strips, and its exact size.

A *page* is an image of the main IFD chain that is a full picture in its own right. Every
page is kept, in order (scans and faxes hold one page per sheet); extra pages are named
in the report because viewers that show one page hide them. Not pages, and removed:
reduced-resolution images (marked so, or an unmarked image at most a third of the first
one's size, as old writers stored thumbnails), transparency masks, SubIFDs (previews,
pyramid levels, raw data) and the EXIF, GPS and Interop IFDs.

Strips and tiles are checked by their codec (:mod:`tiff_blocks`); a block several
entries point at is kept once and shared, blocks that partly overlap are refused, and
the clean copy's exact size is known before anything is written: it may never exceed
the original's by more than :data:`SLACK` bytes (a TIFF whose strips all point at the
same bytes would otherwise grow without bound).
"""

from __future__ import annotations

import bisect
import re
import struct
from dataclasses import dataclass, field

from share_guard.core.containers import jpeg_frames, tiff_probe
from share_guard.core.containers._orientation import xmp_orientation
from share_guard.core.containers.tiff_blocks import (
    BlockError,
    Kept,
    Layout,
    clean_block,
    layout,
    relevant,
)
from share_guard.core.containers.tiff_tags import (
    BLOCK_TAGS,
    COLORMAP,
    ICC,
    JPEG_TABLES,
    LENGTH,
    LONG,
    NEW_SUBFILE_TYPE,
    ORIENTATION,
    PHOTOMETRIC,
    ROWS_PER_STRIP,
    RULES,
    SHORT,
    STRIP_COUNTS,
    STRIP_OFFSETS,
    TILE_COUNTS,
    TILE_OFFSETS,
    WIDTH,
    Tag,
    TagError,
    count_ok,
    int_values,
    neutral_tables,
    read_tags,
)
from share_guard.core.errors import CorruptFile, UnsupportedFormat
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import IccError, neutral_profile
from share_guard.core.metadata.tiff_ifd import Ifd, TiffData, parse_tiff

SUBFILE_TYPE, XMP, DNG_VERSION = 0x00FF, 0x02BC, 0xC612
THUMB_OFFSET, THUMB_LENGTH = 0x0201, 0x0202
#: the most strips and tiles a file may have (each costs a check and an index entry)
MAX_BLOCKS = 200_000
#: a clean copy may be at most this much larger than the original (index entries widen)
SLACK = 64 * 1024
CHAIN = re.compile(r"IFD\d+")
_TAG_IN_PROBLEM = re.compile(r"tag 0x([0-9a-f]{4})")


@dataclass
class Piece:
    """One block of strip or tile data as the clean copy holds it (possibly shared)."""

    off: int
    #: bytes the original's index claims for it
    count: int
    kept: Kept

    @property
    def source_end(self) -> int:
        """End of the original bytes this block's kept data comes from."""
        return self.off + (self.kept.used if self.kept.data is None
                           else min(self.count, len(self.kept.data)))


@dataclass
class Page:
    ifd: Ifd
    #: kept tags as written, block offsets and counts excluded
    tags: dict[int, Tag] = field(default_factory=dict)
    layout: Layout | None = None
    #: index in :attr:`TiffPlan.pieces` of each block, in the order of the offsets tag
    blocks: list[int] = field(default_factory=list)
    orientation_from_xmp: bool = False
    #: tags dropped although kept tags of their kind are (malformed, unused, not a profile)
    dropped: list[str] = field(default_factory=list)

    @property
    def offsets_tag(self) -> int:
        return TILE_OFFSETS if self.layout is not None and self.layout.tiled else STRIP_OFFSETS


@dataclass
class TiffPlan:
    tiff: TiffData
    pages: list[Page] = field(default_factory=list)
    #: IFDs of the chain that are not pages, with why (removed)
    previews: list[tuple[Ifd, str]] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: what cleaning the blocks removed -> how many blocks
    found: dict[str, int] = field(default_factory=dict)
    #: non-zero bytes that no structure of the file references
    unreferenced: int = 0
    #: exact size of the clean copy
    size: int = 0


def _flags(ifd: Ifd) -> int:
    new = ifd.get(NEW_SUBFILE_TYPE)
    return (new.first_int() or 0) if new is not None else 0


def _size(ifd: Ifd) -> tuple[int, int]:
    width, length = ifd.get(WIDTH), ifd.get(LENGTH)
    return ((width.first_int() or 0) if width else 0, (length.first_int() or 0) if length else 0)


def not_a_page(ifd: Ifd, first: Ifd) -> str | None:
    """Why a chain IFD is not a page (a preview or a mask), or None for a page."""
    flags = _flags(ifd)
    old = ifd.get(SUBFILE_TYPE)
    if flags & 1 or (old is not None and old.first_int() == 2):
        return "reduced-resolution image"
    photometric = ifd.get(PHOTOMETRIC)
    if flags & 4 or (photometric is not None and photometric.first_int() == 4):
        return "transparency mask"
    if ifd is first or flags & 2:
        return None
    (w, h), (w0, h0) = _size(ifd), _size(first)
    if 0 < w * 3 <= w0 and 0 < h * 3 <= h0:  # old writers' unmarked EXIF-style thumbnail
        return "reduced-resolution image"
    return None


def plan(data: bytes) -> TiffPlan:
    """Parse a TIFF file and work out what a clean copy keeps (bounded; never writes)."""
    if data[:4] in (b"II+\x00", b"MM\x00+"):
        raise UnsupportedFormat(N_("BigTIFF files are not supported yet"))
    if data[:2] == b"II" and data[8:10] == b"CR":
        raise UnsupportedFormat(N_("Canon raw (CR2) files are not supported"))
    tiff = parse_tiff(data)
    result = TiffPlan(tiff)
    chain = [ifd for ifd in tiff.ifds if CHAIN.fullmatch(ifd.name)]
    if not chain or not chain[0].entries:
        raise CorruptFile(N_("TIFF is damaged: its first image directory is empty or unreadable"))
    if any(ifd.get(DNG_VERSION) is not None for ifd in chain):
        raise UnsupportedFormat(N_("camera raw (DNG) files are not supported"))
    for problem in tiff.problems:
        result.problems.extend(_blocking(problem))
    damaged = {problem.split(" ", 1)[0] for problem in tiff.problems}
    shared: dict[tuple[int, int, int, int, bytes], int] = {}
    for ifd in chain:
        why = not_a_page(ifd, chain[0])
        if why is not None:
            result.previews.append((ifd, why))
            continue
        page = _page(data, ifd, tiff.byte_order, result, shared)
        if page.orientation_from_xmp and ifd.name in damaged:
            # readers that trip over the damaged tags ignore the XMP, others do not
            result.problems.append(message(N_("TIFF {name} orientation is ambiguous (damaged tags)"),
                                           name=ifd.name))
        result.pages.append(page)
    if not result.pages:
        result.problems.append(
            N_("TIFF has no full-resolution image, only previews (a camera raw file?)"))
    if not result.problems:
        _check_overlaps(data, result)
    result.unreferenced = _unreferenced(data, result)
    if not result.problems:
        result.size = clean_size(result)
        if result.size > len(data) + SLACK:
            result.problems.append(message(N_("the cleaned TIFF would be larger than the original ({size} "
                                              "bytes for {count}); refused"),
                                           size=result.size, count=len(data)))
    return result


def _blocking(problem: str) -> list[str]:
    """Parser problems that touch what the clean copy keeps (others go with dropped data)."""
    name = problem.split(" ", 1)[0]
    if problem.startswith("too many IFDs"):
        return ["TIFF has more pages than we can check"]
    if not CHAIN.fullmatch(name):
        return []
    tag = _TAG_IN_PROBLEM.search(problem)
    if tag is not None and int(tag.group(1), 16) not in RULES:
        return []
    return [f"TIFF is damaged: {problem}"]


def _page(data: bytes, ifd: Ifd, bo: str, result: TiffPlan,
          shared: dict[tuple[int, int, int, int, bytes], int]) -> Page:
    page = Page(ifd)
    problems = result.problems
    try:
        tags, page.dropped = read_tags(ifd, bo)
        lay = layout(tags)
    except TagError as exc:
        problems.append(message(N_("TIFF {name}: {exc}"), name=ifd.name, exc=exc))
        return page
    page.layout = lay
    offsets_tag = TILE_OFFSETS if lay.tiled else STRIP_OFFSETS
    counts_tag = TILE_COUNTS if lay.tiled else STRIP_COUNTS
    offsets_entry, counts_entry = ifd.get(offsets_tag), ifd.get(counts_tag)
    offsets = int_values(offsets_entry, bo) if offsets_entry is not None else None
    counts = int_values(counts_entry, bo) if counts_entry is not None else None
    if offsets is None or counts is None or len(offsets) != len(counts) \
            or len(offsets) != lay.blocks:
        problems.append(message(N_("TIFF {name} has missing or mismatched strip/tile offsets"),
                                name=ifd.name))
        return page
    if len(result.pieces) + len(offsets) > MAX_BLOCKS:
        problems.append(message(N_("TIFF has more than {MAX_BLOCKS} strips or tiles"), MAX_BLOCKS=MAX_BLOCKS))
        return page
    for rule_tag, tag in list(tags.items()):
        rule = RULES[rule_tag]
        if rule_tag in BLOCK_TAGS:
            del tags[rule_tag]
        elif not relevant(rule_tag, lay) and rule_tag != JPEG_TABLES:
            page.dropped.append(f"{rule.name} of a page that does not use it")
            del tags[rule_tag]
        elif not count_ok(rule, tag.count, lay.spp, lay.bps, lay.blocks):
            if rule.needed:
                problems.append(message(N_("TIFF {ifd} {tag} has the wrong number of values"),
                                        ifd=ifd.name, tag=rule.name))
                return page
            page.dropped.append(rule.name)
            del tags[rule_tag]
    _blobs(page, tags, lay, problems)
    if COLORMAP in tags and not _clear_palette(data, ifd, tags, page):
        problems.append(message(N_("TIFF {name} is a palette page that does not decode"), name=ifd.name))
        return page
    if not lay.tiled:  # a strip height beyond the page reads the same; write the one used
        tags[ROWS_PER_STRIP] = Tag(ROWS_PER_STRIP, SHORT if lay.block_length <= 0xFFFF else LONG,
                                   (lay.block_length,))
    xmp = ifd.get(XMP)
    if ORIENTATION not in tags and ORIENTATION not in {e.tag for e in ifd.entries} \
            and xmp is not None:
        value = xmp_orientation(xmp.raw)
        if value is not None and value != 1:
            tags[ORIENTATION] = Tag(ORIENTATION, SHORT, (value,))
            page.orientation_from_xmp = True
    page.tags = tags
    size, compression, blocks = len(data), lay.compression, page.blocks
    jpeg_tables = tags[JPEG_TABLES].values if JPEG_TABLES in tags else b""
    assert isinstance(jpeg_tables, bytes)
    for number, (off, count, expected) in enumerate(zip(offsets, counts, lay.expected_all(),
                                                        strict=True)):
        if off < 8 or count == 0 or off + count > size:
            problems.append(message(N_("TIFF {name} image data is missing or lies outside the file "
                                       "(truncated?)"),
                                    name=ifd.name))
            return page
        key = (off, count, expected, compression, jpeg_tables)
        index = shared.get(key)
        if index is None:
            try:
                kept = clean_block(data, off, count, lay, expected, number, jpeg_tables)
            except BlockError as exc:
                problems.append(message(N_("TIFF {name}: {exc}"), name=ifd.name, exc=exc))
                return page
            for what in kept.found:
                result.found[what] = result.found.get(what, 0) + 1
            index = shared[key] = len(result.pieces)
            result.pieces.append(Piece(off, count, kept))
        blocks.append(index)
    if jpeg_tables and not problems:
        frames = [p.kept.data if p.kept.data is not None else data[p.off : p.off + p.kept.used]
                  for p in (result.pieces[i] for i in blocks)]
        try:
            pruned = jpeg_frames.used_tables(jpeg_tables, frames)
        except jpeg_frames.FrameError as exc:
            problems.append(message(N_("TIFF {name}: JPEGTables {exc}"), name=ifd.name, exc=exc))
            return page
        if pruned != jpeg_tables:
            tags[JPEG_TABLES] = Tag(JPEG_TABLES, tags[JPEG_TABLES].type, pruned)
            page.dropped.append("JPEGTables tables no strip uses")
    return page


def _clear_palette(data: bytes, ifd: Ifd, tags: dict[int, Tag], page: Page) -> bool:
    """Set colour-map entries no pixel of the page uses to 0 (False: it does not decode)."""
    used = tiff_probe.palette_used(data, int(ifd.name[3:]))
    if used is None:
        return False
    values = tags[COLORMAP].values
    assert not isinstance(values, bytes)
    cleared = tiff_probe.clear_colormap(values, used)
    if cleared != values:
        tags[COLORMAP] = Tag(COLORMAP, tags[COLORMAP].type, cleared)
        page.dropped.append("colour-map entries no pixel uses")
    return True


def _blobs(page: Page, tags: dict[int, Tag], lay: Layout, problems: list[str]) -> None:
    """The colour profile made neutral (dropped when it is not one), JPEGTables rebuilt
    from its tables where JPEG needs them and dropped elsewhere."""
    icc = tags.get(ICC)
    if icc is not None:
        assert isinstance(icc.values, bytes)
        try:
            tags[ICC] = Tag(ICC, icc.type, neutral_profile(icc.values))
        except IccError:
            del tags[ICC]
            page.dropped.append("data behind a colour-profile tag that is not a profile")
    tables = tags.get(JPEG_TABLES)
    if tables is not None:
        if not relevant(JPEG_TABLES, lay):
            del tags[JPEG_TABLES]
            page.dropped.append("JPEGTables of a page that is not JPEG-compressed")
            return
        assert isinstance(tables.values, bytes)
        try:
            rebuilt, changed = neutral_tables(tables.values)
        except TagError as exc:
            problems.append(message(N_("TIFF {name}: {exc}"), name=page.ifd.name, exc=exc))
            return
        tags[JPEG_TABLES] = Tag(JPEG_TABLES, tables.type, rebuilt)
        if changed:
            page.dropped.append("JPEGTables segments other than tables")


def _check_overlaps(data: bytes, result: TiffPlan) -> None:
    """Blocks may be shared whole, never overlap partly (a crafted file would have every
    strip copied over and over, or hide bytes between two readings of the same data), and
    never lie over the file's directories or tag values (they would carry the tags' text
    into the copy as if it were pixels)."""
    spans = sorted((p.off, p.source_end) for p in result.pieces)
    for (_s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False):
        if s1 < e0:
            result.problems.append(N_("TIFF strips or tiles overlap each other (a crafted file?)"))
            return
    tags = _merged(_structures(data, result))
    starts = [start for start, _ in tags]
    for start, end in spans:
        i = bisect.bisect_right(starts, end - 1) - 1
        if i >= 0 and tags[i][1] > start:
            result.problems.append(N_("TIFF image data lies over the file's tags (a crafted file?)"))
            return


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def clean_size(result: TiffPlan) -> int:
    """Bytes the clean copy will have (the writer lays it out the same way)."""
    from share_guard.core.containers.tiff_write import layout_pages

    return layout_pages(result, result.tiff.byte_order).size


def _structures(data: bytes, result: TiffPlan) -> list[tuple[int, int]]:
    """The header, every directory and every out-of-line tag value."""
    bo = result.tiff.byte_order
    spans = [(0, 8)]
    for ifd in result.tiff.ifds:
        declared = struct.unpack(bo + "H", data[ifd.offset : ifd.offset + 2])[0]
        spans.append((ifd.offset, min(len(data), ifd.offset + 2 + 12 * declared + 4)))
        for entry in ifd.entries:
            if len(entry.raw) > 4:
                spans.append((entry.value_offset, entry.value_offset + len(entry.raw)))
    return spans


def _covered(data: bytes, result: TiffPlan) -> list[tuple[int, int]]:
    """Byte ranges some structure of the file references."""
    bo = result.tiff.byte_order
    spans = _structures(data, result)
    for ifd in result.tiff.ifds:
        for off_tag, count_tag in ((STRIP_OFFSETS, STRIP_COUNTS), (TILE_OFFSETS, TILE_COUNTS),
                                   (THUMB_OFFSET, THUMB_LENGTH)):
            offs, counts = ifd.get(off_tag), ifd.get(count_tag)
            if offs is None or counts is None:
                continue
            o, n = int_values(offs, bo), int_values(counts, bo)
            if o is not None and n is not None and len(o) == len(n) <= MAX_BLOCKS:
                spans.extend((a, a + b) for a, b in zip(o, n, strict=True))
    return spans


def _unreferenced(data: bytes, result: TiffPlan) -> int:
    """Non-zero bytes outside everything the file references (after the last IFD, between
    strips, in alignment gaps)."""
    pos, hidden = 0, 0
    for start, end in sorted(_covered(data, result)):
        if start > pos:
            gap = data[pos : min(start, len(data))]
            hidden += len(gap) - gap.count(0)
        pos = max(pos, end)
    if pos < len(data):
        gap = data[pos:]
        hidden += len(gap) - gap.count(0)
    for ifd in result.tiff.ifds:  # the spare bytes of values stored inside their entry
        for entry in ifd.entries:
            if len(entry.raw) < 4:
                spare = data[entry.entry_offset + 8 + len(entry.raw) : entry.entry_offset + 12]
                hidden += len(spare) - spare.count(0)
    return hidden
