"""Writing a clean TIFF: laid out in full before the first byte, and never past that size.

Layout: the 8-byte header, then for each page its IFD (entries sorted by tag, next-IFD
pointer), the values too long for an entry (each on a word boundary), and the page's
strips or tiles not already written for an earlier page. Every entry and value is
serialised from a parsed :class:`~tiff_tags.Tag`; every byte between structures is a
zero alignment byte. The writer counts what it writes and stops at the planned size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from share_guard.core.containers.tiff_tags import LONG, SHORT, STRIP_COUNTS, TILE_COUNTS, Tag
from share_guard.core.errors import ExportRefused
from share_guard.core.i18n import N_

if TYPE_CHECKING:
    from share_guard.core.containers.tiff_plan import TiffPlan

_COPY_CHUNK = 1 << 20


@dataclass
class PageOut:
    ifd_pos: int
    tags: list[Tag]
    #: pieces first written after this page's IFD, in order, with their positions
    pieces: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Placed:
    pages: list[PageOut]
    size: int


def _value_size(raw_len: int) -> int:
    return 0 if raw_len <= 4 else raw_len + (raw_len & 1)


def layout_pages(tp: TiffPlan, bo: str) -> Placed:
    """Where every IFD, value and block of the clean copy goes, and its total size
    (offsets as 16-bit numbers where the whole copy is small enough for them)."""
    placed = _layout(tp, bo, LONG)
    return _layout(tp, bo, SHORT) if placed.size <= 0xFFFF else placed


def _layout(tp: TiffPlan, bo: str, offsets_type: int) -> Placed:
    pos = 8
    placed: dict[int, int] = {}
    pages: list[PageOut] = []
    for page in tp.pages:
        pos += pos & 1
        sizes = [tp.pieces[i].kept.size for i in page.blocks]
        counts_tag = TILE_COUNTS if page.offsets_tag != 273 else STRIP_COUNTS
        tags = list(page.tags.values())
        tags.append(Tag(counts_tag, SHORT if max(sizes) <= 0xFFFF else LONG, tuple(sizes)))
        raw_lens = [len(t.encode(bo)) for t in tags] + [(2 if offsets_type == SHORT else 4) * len(sizes)]
        start = pos
        pos += 2 + 12 * (len(tags) + 1) + 4 + sum(_value_size(n) for n in raw_lens)
        out = PageOut(start, tags)
        for i in page.blocks:
            if i not in placed:
                placed[i] = pos
                out.pieces.append((i, pos))
                pos += tp.pieces[i].kept.size
        tags.append(Tag(page.offsets_tag, offsets_type, tuple(placed[i] for i in page.blocks)))
        out.tags = sorted(tags, key=lambda t: t.tag)
        pages.append(out)
    return Placed(pages, pos)


def _ifd(tags: list[Tag], start: int, nxt: int, bo: str) -> bytes:
    """One IFD at ``start`` followed by its out-of-line values."""
    table = bytearray(struct.pack(bo + "H", len(tags)))
    values = bytearray()
    value_pos = start + 2 + 12 * len(tags) + 4
    for tag in tags:
        raw = tag.encode(bo)
        table += struct.pack(bo + "HHI", tag.tag, tag.type, tag.count)
        if len(raw) <= 4:
            table += raw.ljust(4, b"\x00")
        else:
            table += struct.pack(bo + "I", value_pos + len(values))
            values += raw + b"\x00" * (len(raw) & 1)
    return bytes(table) + struct.pack(bo + "I", nxt) + bytes(values)


class _Budget:
    """A writer that refuses to write past the planned size."""

    def __init__(self, out: BinaryIO, limit: int) -> None:
        self.out, self.limit, self.written = out, limit, 0

    def write(self, chunk: bytes | memoryview) -> None:
        if self.written + len(chunk) > self.limit:
            raise ExportRefused(N_("the cleaned TIFF grew past its planned size; refused"))
        self.out.write(chunk)
        self.written += len(chunk)


def write_clean(data: bytes, tp: TiffPlan, out: BinaryIO) -> int:
    """Write the clean copy planned in ``tp``; returns its size."""
    bo = tp.tiff.byte_order
    placed = layout_pages(tp, bo)
    if placed.size > 0xFFFFFFFF:
        raise ExportRefused(N_("the cleaned TIFF would be larger than 4 GB"))
    if tp.size and placed.size != tp.size:
        raise ExportRefused(N_("the cleaned TIFF does not match its plan; refused"))
    sink = _Budget(out, placed.size)
    magic = b"II*\x00" if bo == "<" else b"MM\x00*"
    sink.write(magic + struct.pack(bo + "I", placed.pages[0].ifd_pos))
    view = memoryview(data)
    for n, page in enumerate(placed.pages):
        if sink.written < page.ifd_pos:
            sink.write(b"\x00" * (page.ifd_pos - sink.written))
        nxt = placed.pages[n + 1].ifd_pos if n + 1 < len(placed.pages) else 0
        sink.write(_ifd(page.tags, page.ifd_pos, nxt, bo))
        for index, pos in page.pieces:
            if sink.written != pos:
                raise ExportRefused(N_("the cleaned TIFF does not match its plan; refused"))
            piece = tp.pieces[index]
            if piece.kept.data is not None:
                sink.write(piece.kept.data)
                continue
            for at in range(piece.off, piece.off + piece.kept.used, _COPY_CHUNK):
                sink.write(view[at : min(at + _COPY_CHUNK, piece.off + piece.kept.used)])
    if sink.written != placed.size:
        raise ExportRefused(N_("the cleaned TIFF does not match its plan; refused"))
    return sink.written
