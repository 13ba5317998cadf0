"""Proof that every byte of a clean TIFF is accounted for, read from the copy alone.

The walk does not trust the writer: it parses the copy, and files each range in a
:class:`~share_guard.core.containers.ledger.Ledger` only after checking it:

* the header, each IFD's entry table and each out-of-line value are *written* when every
  entry is a kept tag of the type and count the specification allows, serialised
  exactly as its parsed value would be (spare bytes of an entry zero), entries sorted;
  a colour profile is filed by :func:`~share_guard.core.metadata.icc.account_icc`
  (neutral header and text, colour tags), ``JPEGTables`` only as tables;
* strips and tiles are *payload* when their codec reads exactly them (an uncompressed
  strip its rows, an LZW/Deflate/PackBits stream ending where the picture ends); JPEG
  strips are walked by :func:`~share_guard.core.containers.jpeg_frames.account_frame`
  (metadata payloads must be blank);
* a single byte before a structure that must start on a word boundary is *zeroed*
  filler when it is blank.

Anything else (a gap, a sub-IFD, a thumbnail page, a tag we do not keep, a strip that
claims more than its stream) leaves bytes unaccounted and fails the export.
"""

from __future__ import annotations

import struct

from share_guard.core.containers import jpeg_frames, tiff_probe
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.tiff_blocks import JPEG, Layout, check_block, layout, relevant
from share_guard.core.containers.tiff_plan import CHAIN, not_a_page
from share_guard.core.containers.tiff_tags import (
    BLOCK_TAGS,
    COLORMAP,
    ICC,
    JPEG_TABLES,
    NEW_SUBFILE_TYPE,
    ROWS_PER_STRIP,
    RULES,
    STRIP_COUNTS,
    STRIP_OFFSETS,
    TILE_COUNTS,
    TILE_OFFSETS,
    TagError,
    count_ok,
    int_values,
    read_tags,
    tables_are_neutral,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import account_icc
from share_guard.core.metadata.tiff_ifd import Ifd, parse_tiff


class _Refused(Exception):
    """A structure of the copy that cannot be vouched for (message: what and why)."""


def account_tiff(buf: bytes, ledger: Ledger) -> None:
    """File every byte of the clean TIFF ``buf`` in ``ledger``."""
    extents: list[tuple[int, int]] = []
    try:
        _walk(buf, ledger, extents)
    except (_Refused, CorruptFile, TagError) as exc:
        ledger.refuse(0, len(buf), "TIFF structure", str(exc))
        return
    pos = 0
    for start, end in sorted(extents):
        if start == pos + 1 and start % 2 == 0:
            ledger.zeroed(buf, pos, start, "TIFF alignment byte")
        pos = max(pos, end)


def _walk(buf: bytes, ledger: Ledger, extents: list[tuple[int, int]]) -> None:
    if buf[:4] not in (b"II*\x00", b"MM\x00*"):
        raise _Refused(N_("not a TIFF header"))
    ledger.written(0, 8, "TIFF header")
    extents.append((0, 8))
    tiff = parse_tiff(buf)
    if tiff.problems:
        raise _Refused(tiff.problems[0])
    bo = tiff.byte_order
    seen_blocks: set[tuple[int, int]] = set()
    for ifd in tiff.ifds:
        if not CHAIN.fullmatch(ifd.name):
            raise _Refused(message(N_("the copy holds a {name} directory"), name=ifd.name))
        if not_a_page(ifd, tiff.ifds[0]) is not None:
            raise _Refused(message(N_("{name} is not a full page"), name=ifd.name))
        lay = _entries(buf, ifd, bo, ledger, extents)
        _blocks(buf, ifd, bo, lay, ledger, extents, seen_blocks)


def _entries(buf: bytes, ifd: Ifd, bo: str, ledger: Ledger,
             extents: list[tuple[int, int]]) -> Layout:
    """Check and file one IFD's table and values; returns the page layout."""
    declared = struct.unpack(bo + "H", buf[ifd.offset : ifd.offset + 2])[0]
    tags, dropped = read_tags(ifd, bo)
    if ifd.offset % 2 or declared != len(ifd.entries) or dropped:
        raise _Refused(message(N_("{name} is not laid out as share_guard writes it"), name=ifd.name))
    order = [e.tag for e in ifd.entries]
    if order != sorted(set(order)):
        raise _Refused(message(N_("{name} entries are not in order"), name=ifd.name))
    lay = layout(tags)
    flags = tags.get(NEW_SUBFILE_TYPE)
    if flags is not None and flags.first() not in (0, 2):
        raise _Refused(message(N_("{name} keeps subfile flags"), name=ifd.name))
    rows = tags.get(ROWS_PER_STRIP)
    if rows is not None and (lay.tiled or rows.first() != lay.block_length):
        raise _Refused(message(N_("{name} has a strip height other than the one it uses"), name=ifd.name))
    end = ifd.offset + 2 + 12 * declared + 4
    ledger.written(ifd.offset, end, f"TIFF {ifd.name} entries")
    extents.append((ifd.offset, end))
    for entry in ifd.entries:
        rule = RULES.get(entry.tag)
        tag = tags.get(entry.tag)
        if rule is None or tag is None:
            raise _Refused(message(N_("{name} keeps tag {tag}"), name=ifd.name, tag=entry.tag))
        if not relevant(entry.tag, lay) or not count_ok(rule, tag.count, lay.spp, lay.bps,
                                                         lay.blocks):
            raise _Refused(message(N_("{ifd} {tag} has the wrong number of values"),
                                   ifd=ifd.name, tag=rule.name))
        raw = tag.encode(bo)
        if (tag.type, tag.count) != (entry.type, entry.count) or raw != entry.raw:
            raise _Refused(message(N_("{ifd} {tag} is not written as its value"),
                                   ifd=ifd.name, tag=rule.name))
        what = f"TIFF {ifd.name} {rule.name}"
        if len(raw) <= 4:
            if any(buf[entry.entry_offset + 8 + len(raw) : entry.entry_offset + 12]):
                raise _Refused(message(N_("{what} has bytes after its value"), what=what))
            continue
        start, stop = entry.value_offset, entry.value_offset + len(raw)
        if start % 2:
            raise _Refused(message(N_("{what} is not on a word boundary"), what=what))
        extents.append((start, stop))
        if entry.tag == COLORMAP:
            used = tiff_probe.palette_used(buf, int(ifd.name[3:]))
            values = tag.values
            assert not isinstance(values, bytes)
            if used is None or tiff_probe.clear_colormap(values, used) != values:
                raise _Refused(message(N_("{what} keeps colours no pixel uses"), what=what))
            ledger.written(start, stop, what)
        elif entry.tag == ICC:
            account_icc(raw, ledger, start, f"{what}")
        elif entry.tag == JPEG_TABLES and (lay.compression != JPEG or not tables_are_neutral(raw)):
            raise _Refused(message(N_("{what} holds more than the tables JPEG strips need"), what=what))
        else:
            ledger.written(start, stop, what)
    return lay


def _blocks(buf: bytes, ifd: Ifd, bo: str, lay: Layout, ledger: Ledger,
            extents: list[tuple[int, int]], seen: set[tuple[int, int]]) -> None:
    offsets_tag, counts_tag = ((TILE_OFFSETS, TILE_COUNTS) if lay.tiled
                               else (STRIP_OFFSETS, STRIP_COUNTS))
    offs_entry, counts_entry = ifd.get(offsets_tag), ifd.get(counts_tag)
    if offs_entry is None or counts_entry is None or \
            {e.tag for e in ifd.entries} & BLOCK_TAGS != {offsets_tag, counts_tag}:
        raise _Refused(message(N_("{name} has no proper strip or tile index"), name=ifd.name))
    offsets, counts = int_values(offs_entry, bo), int_values(counts_entry, bo)
    if offsets is None or counts is None or not len(offsets) == len(counts) == lay.blocks:
        raise _Refused(message(N_("{name} has no proper strip or tile index"), name=ifd.name))
    view = memoryview(buf)
    tables_entry = ifd.get(JPEG_TABLES)
    tables = bytes(tables_entry.raw) if tables_entry is not None else b""
    if lay.compression == JPEG and tables:
        frames = [buf[o : o + c] for o, c in zip(offsets, counts, strict=True)]
        try:
            if jpeg_frames.used_tables(tables, frames) != tables:
                raise _Refused(message(N_("{name} JPEGTables holds tables no strip uses"), name=ifd.name))
        except jpeg_frames.FrameError as exc:
            raise _Refused(message(N_("{name} JPEGTables: {exc}"), name=ifd.name, exc=exc)) from None
    for index, (off, count) in enumerate(zip(offsets, counts, strict=True)):
        if (off, count) in seen:
            continue  # a block shared by several entries is filed once
        seen.add((off, count))
        if off + count > len(buf) or count == 0:
            raise _Refused(message(N_("{name} points outside the file"), name=ifd.name))
        what = f"TIFF {ifd.name} block {index}"
        block = view[off : off + count]
        extents.append((off, off + count))
        if lay.compression == JPEG:
            if not jpeg_frames.scan_tail_is_blank(bytes(block), tables):
                ledger.refuse(off, off + count, what, N_("bytes after the end of the image data"))
                continue
            jpeg_frames.account_frame(block, ledger, off, what)
            continue
        why = check_block(block, lay, lay.expected(index), index)
        if why is not None:
            ledger.refuse(off, off + count, what, why)
            continue
        ledger.payload(off, off + count, what)
