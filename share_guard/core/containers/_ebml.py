"""Bounded reading and in-place rewriting of EBML (the byte layout of Matroska/WebM).

Written here rather than taken from a library: the Python EBML readers we know
(ebmlite, enzyme) load whole files or trust element sizes, and none can
rewrite an element in place at the same length, which is what lets the cleaner
keep every offset in the file (SeekHead, Cues) valid without re-muxing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from share_guard.core.containers.file_view import FileView, View
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message

ID_EBML = 0x1A45DFA3
ID_SEGMENT = 0x18538067
ID_CLUSTER = 0x1F43B675
ID_VOID = 0xEC
ID_CRC32 = 0xBF

#: Elements that may sit directly in a Segment (level 1).
LEVEL1 = {
    0x114D9B74: "SeekHead",
    0x1549A966: "Info",
    0x1654AE6B: "Tracks",
    0x1043A770: "Chapters",
    ID_CLUSTER: "Cluster",
    0x1C53BB6B: "Cues",
    0x1941A469: "Attachments",
    0x1254C367: "Tags",
    ID_VOID: "Void",
    ID_CRC32: "CRC-32",
}

MAX_DEPTH = 16
MAX_ELEMENTS = 200_000  # children parsed in memory for one master
# Level-1 elements (mostly clusters) in one segment: 500,000 one-second clusters is 139 hours;
# 2,000,000 let a 6 MB file of Void elements take 6 s to inspect and 9 s to clean.
MAX_LEVEL1 = 500_000
# Blocks walked to measure one unknown-size cluster. Block times are 16-bit offsets from the
# cluster's, so with the usual 1 ms timestamp scale a cluster spans at most ~33 s: even 1000
# blocks/s is 33,000 (a rarer scale may need more; refused, not hung). 50,000,000 let a
# 15 MB file of tiny elements take 9 s to inspect and 18 s to clean.
MAX_UNKNOWN_SIZE_CHILDREN = 200_000  # no more than a cluster may hold (MAX_ELEMENTS)


@dataclass(frozen=True)
class Element:
    id: int
    offset: int  # where its ID starts
    header_len: int  # ID + size field
    size: int  # payload size (measured when the file said "unknown")
    unknown_size: bool = False

    @property
    def data_offset(self) -> int:
        return self.offset + self.header_len

    @property
    def end(self) -> int:
        return self.data_offset + self.size

    @property
    def total(self) -> int:
        return self.header_len + self.size


def read_id(buf: View, pos: int, where: str = "") -> tuple[int, int]:
    """(id, length) of the element ID at ``pos``; IDs are 1-4 bytes."""
    if pos >= len(buf):
        raise CorruptFile(message(N_("Matroska element cut short{where}"), where=where))
    first = buf[pos]
    if first == 0 or first & 0xF0 == 0:
        raise CorruptFile(message(N_("invalid Matroska element ID{value}"), value=where or f' at byte {pos}'))
    length = 1 if first & 0x80 else 2 if first & 0x40 else 3 if first & 0x20 else 4
    if pos + length > len(buf):
        raise CorruptFile(message(N_("Matroska element cut short{where}"), where=where))
    return int.from_bytes(buf[pos : pos + length], "big"), length


def read_size(buf: View, pos: int, where: str = "") -> tuple[int | None, int]:
    """(size or None for "unknown", length) of the size field at ``pos``."""
    if pos >= len(buf):
        raise CorruptFile(message(N_("Matroska element cut short{where}"), where=where))
    first = buf[pos]
    if first == 0:
        raise CorruptFile(message(N_("invalid Matroska size field{value}"), value=where or f' at byte {pos}'))
    length = 8 - first.bit_length() + 1
    if pos + length > len(buf):
        raise CorruptFile(message(N_("Matroska element cut short{where}"), where=where))
    value = int.from_bytes(buf[pos : pos + length], "big") & ((1 << (7 * length)) - 1)
    if value == (1 << (7 * length)) - 1:
        return None, length
    return value, length


def encode_size(value: int, length: int) -> bytes:
    if not 1 <= length <= 8 or value >= (1 << (7 * length)) - 1:
        raise ValueError("size does not fit")
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def void_header(total: int) -> bytes:
    """Header of a Void element whose whole length (header + zero payload) is ``total``."""
    if total < 2:
        raise ValueError("a Void element takes at least 2 bytes")
    for length in range(1, 9):
        payload = total - 1 - length
        if 0 <= payload < (1 << (7 * length)) - 1:
            return bytes([ID_VOID]) + encode_size(payload, length)
    raise ValueError("Void too large")


def void(total: int) -> bytes:
    head = void_header(total)
    return head + bytes(total - len(head))


def blank_element(id_bytes: bytes, total: int) -> bytes:
    """An element with an empty payload, padded with a Void to ``total`` bytes."""
    for length in range(1, 9):
        rest = total - len(id_bytes) - length
        if rest == 0 or rest >= 2:
            return id_bytes + encode_size(0, length) + (void(rest) if rest else b"")
    raise ValueError("cannot blank element")


def parse_children(buf: View, start: int, end: int, where: str = "") -> list[Element]:
    """Children of a master element (in memory, or in a :class:`FileView`); sizes are
    checked against the parent."""
    kids: list[Element] = []
    pos = start
    while pos < end:
        if end - pos < 2:
            raise CorruptFile(message(N_("stray byte at the end of a Matroska element{where}"), where=where))
        head: View
        if isinstance(buf, FileView):  # one short read per header, not four
            head, at, said = buf[pos : min(end, pos + 12)], 0, where or f" at byte {pos}"
        else:
            head, at, said = buf, pos, where
        eid, ilen = read_id(head, at, said)
        size, slen = read_size(head, at + ilen, said)
        if size is None:
            raise CorruptFile(message(N_("Matroska element of unknown size inside metadata{where}"),
                                      where=where))
        if pos + ilen + slen + size > end:
            raise CorruptFile(message(N_("Matroska element larger than its parent{where}"), where=where))
        kids.append(Element(eid, pos, ilen + slen, size))
        if len(kids) > MAX_ELEMENTS:
            raise LimitExceeded(message(N_("too many Matroska elements{where}"), where=where))
        pos += ilen + slen + size
    return kids


Decide = Callable[[tuple[int, ...], Element, bytes], "str | bytes | None"]
KEEP, VOID, RECURSE = None, "void", "recurse"


def rewrite_master(payload: bytes, decide: Decide, path: tuple[int, ...] = ()) -> bytes:
    """Return ``payload`` rewritten at the same length.

    ``decide(path, child, payload)`` returns KEEP, VOID (turn the child into a
    Void of the same size), RECURSE (rewrite its children) or replacement
    bytes of the same length. A CRC-32 first child is always recomputed (a wrong
    one could carry four bytes of anything); a CRC-32 anywhere else becomes Void.
    """
    if len(path) > MAX_DEPTH:
        raise LimitExceeded(N_("Matroska metadata nested too deeply"))
    out = bytearray(payload)
    crc: Element | None = None
    for n, kid in enumerate(parse_children(payload, 0, len(payload))):
        if kid.id == ID_CRC32:
            if n == 0 and kid.size == 4:
                crc = kid
            else:
                out[kid.offset : kid.end] = void(kid.total)
            continue
        action = decide((*path, kid.id), kid, payload)
        if action == VOID:
            out[kid.offset : kid.end] = void(kid.total)
        elif action == RECURSE:
            sub = payload[kid.data_offset : kid.end]
            out[kid.data_offset : kid.end] = rewrite_master(sub, decide, (*path, kid.id))
        elif isinstance(action, bytes):
            if len(action) != kid.total:
                raise ValueError("replacement must keep the element size")
            out[kid.offset : kid.end] = action
    if crc is not None:
        value = zlib.crc32(bytes(out[crc.end :])) & 0xFFFFFFFF
        out[crc.data_offset : crc.end] = value.to_bytes(4, "little")
    return bytes(out)


#: files up to this size are read whole (their blocks are walked at the speed of bytes)
READ_AT_ONCE = 16 << 20


class EbmlFile:
    """Reads element headers from a file, checking every size against the file."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.size = size
        self._view: FileView | bytes | None = None

    @property
    def view(self) -> FileView | bytes:
        """The file's bytes: a small file's read at once, a larger one's read on demand
        (clusters are walked through it, not loaded)."""
        if self._view is None:
            if self.size <= READ_AT_ONCE:
                self._view = self.read(0, self.size)
            else:
                self._view = FileView(self.fh, self.size)
        return self._view

    def read(self, offset: int, length: int) -> bytes:
        self.fh.seek(offset)
        data = self.fh.read(length)
        if len(data) != length:
            raise CorruptFile(N_("the Matroska file is truncated"))
        return data

    def element_at(self, offset: int, limit: int) -> Element:
        head = self.read(offset, min(12, limit - offset))
        where = f" at byte {offset}"
        eid, ilen = read_id(head, 0, where)
        size, slen = read_size(head, ilen, where)
        if size is None:
            return Element(eid, offset, ilen + slen, limit - offset - ilen - slen, True)
        if offset + ilen + slen + size > limit:
            raise CorruptFile(
                message(N_("the Matroska file is truncated or corrupt: an element at byte {offset} claims "
                           "{size} bytes, more than is left"),
                        offset=offset, size=size)
            )
        return Element(eid, offset, ilen + slen, size)

    def payload(self, el: Element, cap: int, what: str) -> bytes:
        if el.size > cap:
            raise LimitExceeded(message(N_("Matroska {what} is {size} bytes, more than {cap} allowed"),
                                        what=what, size=el.size, cap=cap))
        return self.read(el.data_offset, el.size)

    def children(self, parent: Element) -> Iterator[Element]:
        pos = parent.data_offset
        n = 0
        while pos < parent.end:
            if parent.end - pos < 2:
                raise CorruptFile(message(N_("stray byte at the end of a Matroska element at byte {pos}"),
                                          pos=pos))
            el = self.element_at(pos, parent.end)
            if el.unknown_size:
                raise CorruptFile(message(N_("unexpected element of unknown size at byte {pos}"), pos=pos))
            yield el
            n += 1
            if n > MAX_ELEMENTS:
                raise LimitExceeded(N_("too many Matroska elements"))
            pos = el.end

    def level1(self, segment: Element) -> Iterator[Element]:
        """Level-1 elements of a segment; unknown-size clusters are measured by walking them."""
        pos, n = segment.data_offset, 0
        while pos < segment.end:
            if segment.end - pos < 2:
                raise CorruptFile(message(N_("stray byte at the end of the Matroska segment at {pos}"),
                                          pos=pos))
            el = self.element_at(pos, segment.end)
            if el.unknown_size:
                if el.id != ID_CLUSTER:
                    raise CorruptFile(message(N_("Matroska element of unknown size at byte {pos}"), pos=pos))
                el = self._measure_cluster(el, segment.end)
            yield el
            n += 1
            if n > MAX_LEVEL1:
                raise LimitExceeded(N_("too many top-level Matroska elements"))
            pos = el.end

    def _measure_cluster(self, cluster: Element, limit: int) -> Element:
        """An unknown-size cluster ends where the next level-1 element starts."""
        pos, n = cluster.data_offset, 0
        while pos < limit:
            if limit - pos < 2:
                break
            el = self.element_at(pos, limit)
            # Void and CRC-32 may sit in a cluster too; any other level-1 ID ends it
            if (el.id in LEVEL1 and el.id not in (ID_VOID, ID_CRC32)) or el.id in (
                ID_EBML, ID_SEGMENT):
                break
            if el.unknown_size:
                raise CorruptFile(message(N_("nested element of unknown size at byte {pos}"), pos=pos))
            n += 1
            if n > MAX_UNKNOWN_SIZE_CHILDREN:
                raise LimitExceeded(N_("too many blocks in a Matroska cluster"))
            pos = el.end
        return Element(cluster.id, cluster.offset, cluster.header_len,
                       pos - cluster.data_offset, True)


def as_uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if len(data) <= 8 else 0


def as_float(data: bytes) -> float | None:
    import struct

    if len(data) == 4:
        return float(struct.unpack(">f", data)[0])
    if len(data) == 8:
        return float(struct.unpack(">d", data)[0])
    return None


def as_text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")
