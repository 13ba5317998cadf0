"""A bounded walker for ISO base media file format boxes (MP4, MOV, 3GP, HEIF, AVIF).

Written here rather than using a library: PyAV/ffmpeg hides the box layout
and offsets we must patch, and the pure-Python readers we know of allocate
whatever a box header claims. Every size is checked against its parent (and
the file), 64-bit and "to the end" sizes are handled, nesting depth and box
counts are capped, and each step moves strictly forward, so a walk ends.

Cleaning works by *patching*: a :class:`BoxPlan` lists byte ranges to zero and
small byte strings to write over the input, plus where the output ends; the shared
in-place engine (:mod:`inplace`) streams the copy.
"""

from __future__ import annotations

import os
import struct
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers.file_view import FileView
from share_guard.core.containers.inplace import Plan, merged, write_plan
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message

__all__ = ["Box", "BoxPlan", "Buffer", "Plan", "TopLevel", "parse_header", "read_box_tree",
           "walk_top", "write_plan"]

MAX_DEPTH = 24
MAX_BOXES = 500_000  # per parse (a long fragmented movie has many moof boxes)
#: largest box payload we read into memory to parse (moov, meta, udta...)
MAX_PARSE_BYTES = 256 * 1024 * 1024

#: boxes whose payload is made of child boxes, with the bytes to skip first
#: (full-box version/flags, entry counts). ``meta`` is special-cased.
CONTAINERS: dict[bytes, int] = {
    b"moov": 0, b"trak": 0, b"mdia": 0, b"minf": 0, b"stbl": 0, b"dinf": 0,
    b"edts": 0, b"udta": 0, b"mvex": 0, b"moof": 0, b"traf": 0, b"mfra": 0,
    b"tref": 0, b"gmhd": 0, b"ilst": 0, b"iprp": 0, b"ipco": 0, b"trgr": 0,
    b"grpl": 0, b"sinf": 0, b"schi": 0, b"meta": 4, b"iinf": 0, b"iref": 4,
    b"dref": 8, b"stsd": 8,
}


def fourcc(raw: bytes) -> str:
    """A box type as text (Latin-1, so '\\xa9xyz' reads as '©xyz')."""
    return raw.decode("latin-1")


@dataclass
class Box:
    type: bytes
    start: int  # file offset of the first header byte
    header: int  # header length (8, 16 for 64-bit size, +16 for uuid)
    size: int  # total size including the header
    depth: int = 0
    usertype: bytes = b""
    children: list[Box] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def payload_start(self) -> int:
        return self.start + self.header

    @property
    def payload_size(self) -> int:
        return self.size - self.header

    @property
    def name(self) -> str:
        return fourcc(self.type)

    def find(self, *path: bytes) -> Box | None:
        """The first descendant along ``path`` of box types."""
        node: Box | None = self
        for typ in path:
            if node is None:
                return None
            node = next((c for c in node.children if c.type == typ), None)
        return node

    def all(self, typ: bytes) -> list[Box]:
        return [c for c in self.children if c.type == typ]

    def walk(self) -> Iterator[Box]:
        """This box and every descendant, depth first (already bounded by the parse)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


class Buffer:
    """Bytes of a file region with the file offset they start at."""

    def __init__(self, data: bytes, base: int = 0) -> None:
        self.data = data
        self.base = base

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def get(self, offset: int, n: int) -> bytes:
        i = offset - self.base
        if i < 0 or n < 0 or i + n > len(self.data):
            raise CorruptFile(message(N_("a field at offset {offset} lies outside its box"), offset=offset))
        return self.data[i : i + n]

    def u8(self, offset: int) -> int:
        return self.get(offset, 1)[0]

    def u16(self, offset: int) -> int:
        return int(struct.unpack(">H", self.get(offset, 2))[0])

    def u32(self, offset: int) -> int:
        return int(struct.unpack(">I", self.get(offset, 4))[0])

    def u64(self, offset: int) -> int:
        return int(struct.unpack(">Q", self.get(offset, 8))[0])

    def uint(self, offset: int, n: int) -> int:
        return int.from_bytes(self.get(offset, n), "big") if n else 0

    def payload(self, box: Box) -> bytes:
        return self.get(box.payload_start, box.payload_size)

    def cstring(self, offset: int, end: int) -> tuple[str, int]:
        """A NUL-terminated UTF-8 string starting at ``offset``; returns (text, next offset)."""
        raw = self.get(offset, max(0, end - offset))
        cut = raw.find(b"\x00")
        if cut < 0:
            return raw.decode("utf-8", "replace"), end
        return raw[:cut].decode("utf-8", "replace"), offset + cut + 1

    def version_flags(self, box: Box) -> tuple[int, int]:
        vf = self.u32(box.payload_start)
        return vf >> 24, vf & 0xFFFFFF


def parse_header(head: bytes, start: int, limit: int, depth: int = 0) -> Box:
    """Decode the header in ``head`` (bytes at file offset ``start``); ``limit`` = parent end."""
    room = limit - start
    if room < 8 or len(head) < 8:
        raise CorruptFile(message(N_("a box at offset {start} is cut short"), start=start))
    size, typ = struct.unpack(">I4s", head[:8])
    header = 8
    if size == 1:
        if len(head) < 16 or room < 16:
            raise CorruptFile(message(N_("box '{fourcc}' at offset {start} is cut short"),
                                      fourcc=fourcc(typ), start=start))
        size = struct.unpack(">Q", head[8:16])[0]
        header = 16
    elif size == 0:
        size = room
    usertype = b""
    if typ == b"uuid":
        if len(head) < header + 16:
            raise CorruptFile(message(N_("uuid box at offset {start} is cut short"), start=start))
        usertype = head[header : header + 16]
        header += 16
    if size < header:
        raise CorruptFile(message(N_("box '{safe}' at offset {start} has an impossible size {size}"),
                                  safe=_safe(typ), start=start, size=size))
    if size > room:
        raise CorruptFile(
            message(N_("box '{safe}' at offset {start} claims {size} bytes but only {room} remain"),
                    safe=_safe(typ), start=start, size=size, room=room)
        )
    return Box(typ, start, header, size, depth, usertype)


def _safe(typ: bytes) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in fourcc(typ))


def looks_like_type(typ: bytes) -> bool:
    """True when four bytes read as a plausible box type (printable Latin-1)."""
    return len(typ) == 4 and all(32 <= b < 127 or b == 0xA9 for b in typ)


class Counter:
    """Shared box budget for one parse."""

    def __init__(self, limit: int = MAX_BOXES) -> None:
        self.left = limit

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise LimitExceeded(N_("the file holds too many boxes"))


def parse_children(
    buf: Buffer,
    parent: Box,
    counter: Counter,
    skip: int | None = None,
    containers: dict[bytes, int] | None = None,
) -> None:
    """Fill ``parent.children`` (recursively for known containers) from ``buf``."""
    kinds = CONTAINERS if containers is None else containers
    if parent.depth >= MAX_DEPTH:
        raise LimitExceeded(N_("boxes are nested too deeply"))
    if skip is None:
        skip = _container_skip(buf, parent, kinds)
    pos = parent.payload_start + skip
    end = parent.end
    while pos < end:
        if end - pos < 8:
            if not any(buf.get(pos, end - pos)):
                break  # QuickTime pads some lists with a 32-bit zero terminator
            raise CorruptFile(message(N_("{count} stray bytes at the end of box '{name}'"),
                                      count=end - pos, name=parent.name))
        if parent.type in (b"udta", b"ilst") and buf.u32(pos) == 0:
            if not any(buf.get(pos, end - pos)):
                break
        counter.take()
        box = parse_header(buf.get(pos, min(32, end - pos)), pos, end, parent.depth + 1)
        parent.children.append(box)
        # items of an 'ilst' are boxes holding 'data' boxes whatever their type
        if box.type in kinds or parent.type == b"ilst":
            parse_children(buf, box, counter, containers=kinds)
        pos = box.end


def _container_skip(buf: Buffer, box: Box, kinds: dict[bytes, int]) -> int:
    if box.type == b"meta":
        # QuickTime's 'meta' has no version/flags: its first child ('hdlr') starts at once.
        if box.payload_size >= 8 and buf.get(box.payload_start + 4, 4) == b"hdlr":
            return 0
        return 4
    if box.type == b"iinf":
        version = buf.u8(box.payload_start)
        return 6 if version == 0 else 8
    return kinds.get(box.type, 0)


def read_box_tree(fh: BinaryIO, box: Box, limit: int = MAX_PARSE_BYTES) -> Buffer:
    """Read ``box`` into memory (bounded) and parse its children; returns the buffer."""
    if box.size > limit:
        raise LimitExceeded(
            message(N_("box '{name}' is {size} MB, more than the {limit} MB we parse"),
                    name=box.name, size=f"{box.size / 1e6:.0f}", limit=f"{limit / 1e6:.0f}")
        )
    fh.seek(box.start)
    data = fh.read(box.size)
    if len(data) != box.size:
        raise CorruptFile(message(N_("box '{name}' is cut short"), name=box.name))
    buf = Buffer(data, box.start)
    parse_children(buf, box, Counter())
    return buf


#: box types found at the top of ISO-BMFF files: one of these running past the end of the
#: file is a file cut short; anything else that does is data appended after the last box
TOP_LEVEL_TYPES = frozenset({
    b"ftyp", b"styp", b"moov", b"mdat", b"meta", b"moof", b"mfra", b"free", b"skip",
    b"wide", b"uuid", b"sidx", b"ssix", b"prft", b"emsg", b"pdin", b"pnot", b"mpvd", b"sefd",
    b"idat", b"jumb", b"junk", b"PICT", b"bxml", b"xml ",
})


@dataclass
class TopLevel:
    boxes: list[Box]
    #: offset where readable boxes end; bytes after it are a trailer (not boxes)
    end: int
    #: size of the trailer (data after the last box), 0 when none
    trailer: int


def walk_top(fh: BinaryIO, file_size: int, max_boxes: int = MAX_BOXES) -> TopLevel:
    """Read the top-level box headers without loading payloads.

    A run of bytes that does not start with a plausible box type is a
    trailer (appended data); a plausible box running past the end of the
    file is a truncated file and raises :class:`CorruptFile`.
    """
    boxes: list[Box] = []
    pos = 0
    counter = Counter(max_boxes)
    while pos < file_size:
        fh.seek(pos)
        head = fh.read(40)
        if len(head) < 8 or not looks_like_type(head[4:8]):
            if not boxes:
                raise CorruptFile(N_("the file does not start with a box"))
            break
        if boxes and head[4:8] == b"ftyp":
            break  # a second file appended to this one (e.g. a Motion Photo video)
        try:
            box = parse_header(head, pos, file_size)
        except CorruptFile:
            if boxes and head[4:8] not in TOP_LEVEL_TYPES:
                break  # appended data that happens to start with letters, not a cut box
            raise
        counter.take()
        boxes.append(box)
        pos = box.end
    return TopLevel(boxes, pos, file_size - pos)


@dataclass
class BoxPlan(Plan):
    """A :class:`~share_guard.core.containers.inplace.Plan` that also knows boxes."""

    #: payloads of boxes turned into 'free' (nothing may be written back into them)
    freed: list[tuple[int, int]] = field(default_factory=list)

    def free(self, box: Box) -> None:
        """Turn ``box`` into a 'free' box of the same size with a zeroed payload."""
        head = free_header(box.size)
        self.patch(box.start, head)
        self.zero_range(box.start + len(head), box.end)
        self.freed.append((box.start + len(head), box.end))

    def settle(self) -> None:
        """Drop patches that would write into a box already turned into 'free' (a neutral
        profile inside a removed track must not bring bytes back into its blank payload)."""
        if not self.freed:
            return
        spans = merged(self.freed)
        starts = [a for a, _ in spans]

        def inside(offset: int, size: int) -> bool:
            i = bisect_right(starts, offset + size - 1) - 1
            return i >= 0 and spans[i][1] > offset

        self.patches = [(o, d) for o, d in self.patches if not inside(o, len(d))]

    def blank_payload(self, box: Box) -> None:
        self.zero_range(box.payload_start, box.end)


#: a whole file's bytes, on demand (read where asked, see :mod:`file_view`) or in memory
Bytes = FileView | bytes


#: files up to this size are read whole by :func:`mapped`
READ_AT_ONCE = 16 << 20


@contextmanager
def mapped(fh: BinaryIO) -> Iterator[FileView | bytes]:
    """The whole file behind ``fh``: a small one read at once (a photo's boxes are then
    walked at the speed of bytes: the corpus's phone photos and short movies cleaned with
    about a fifth less processor time than through the on-demand reads), a larger one read
    on demand (never loaded: a first touch costs less than an mmap page fault, which
    matters when a movie's hundreds of thousands of samples are each looked at for a few
    bytes)."""
    size = os.fstat(fh.fileno()).st_size
    if size <= READ_AT_ONCE:
        data = os.pread(fh.fileno(), size, 0)
        if len(data) != size:
            raise CorruptFile(N_("the file was cut short while being read"))
        yield data
        return
    yield FileView(fh, size)


def free_header(size: int) -> bytes:
    """The header of a 'free' box of ``size`` bytes (64-bit size when it needs one)."""
    if size < 2**32:
        return struct.pack(">I4s", size, b"free")
    return struct.pack(">I4sQ", 1, b"free", size)
