"""A small, independent HEIF writer for tests: real coded pictures, planted hiding places.

The coded picture (HEVC parameter sets and slice data) comes from pillow-heif; everything
around it (items, names, properties, references, locations, trailing boxes) is written
here, so a test can put a marker in any place the format allows. Shares no code with the
cleaner under test.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

from bmff_fixtures import box, full, picture


def _children(data: bytes, start: int = 0) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    pos = start
    while pos + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[pos : pos + 8])
        out.setdefault(typ, []).append(data[pos : pos + size])
        pos += size
    return out


@dataclass
class Coded:
    """One HEVC picture: its 'hvcC' and 'ispe' boxes and its item data."""

    hvcc: bytes
    ispe: bytes
    data: bytes

    @property
    def length_size(self) -> int:
        return (self.hvcc[8 + 21] & 3) + 1


def coded_picture(w: int = 64, h: int = 48, image: object = None, quality: int = -1) -> Coded:
    """A picture coded by pillow-heif: ``image`` (a Pillow image) or the pattern of w x h."""
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(image if image is not None else picture(w, h)).save(
        out, quality=quality)
    data = out.getvalue()
    top = _children(data)
    meta = top[b"meta"][0]
    inner = _children(meta, 12)
    ipco = _children(_children(inner[b"iprp"][0], 8)[b"ipco"][0], 8)
    iloc = inner[b"iloc"][0]
    version = iloc[8]
    off_size, len_size, base_size = iloc[12] >> 4, iloc[12] & 15, iloc[13] >> 4
    pos = 16 + 2 + (2 if version else 0) + 2  # item ID, construction method, data reference
    base = int.from_bytes(iloc[pos : pos + base_size], "big")
    pos += base_size + 2  # base offset, extent count (one)
    offset = base + int.from_bytes(iloc[pos : pos + off_size], "big")
    length = int.from_bytes(iloc[pos + off_size : pos + off_size + len_size], "big")
    return Coded(ipco[b"hvcC"][0], ipco[b"ispe"][0], data[offset : offset + length])


@dataclass
class Item:
    id: int
    type: bytes
    data: bytes = b""
    name: str = ""
    content_type: str | None = None
    encoding: str | None = None
    uri: str | None = None
    #: (1-based property index, essential)
    props: list[tuple[int, bool]] = field(default_factory=list)
    in_idat: bool = False


@dataclass
class Heif:
    items: list[Item]
    props: list[bytes]
    primary: int = 1
    refs: list[tuple[bytes, int, list[int]]] = field(default_factory=list)
    hdlr_name: str = ""
    dinf: bytes = b""
    meta_extra: list[bytes] = field(default_factory=list)
    iprp_extra: list[bytes] = field(default_factory=list)  # after ipma
    top_extra: list[bytes] = field(default_factory=list)  # between meta and mdat
    mdat_extra: bytes = b""
    tail: list[bytes] = field(default_factory=list)  # boxes after mdat
    trailer: bytes = b""

    def encode(self) -> bytes:
        ftyp = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
        meta = self._meta([0] * len(self.items))
        mdat_start = len(ftyp) + len(meta) + sum(map(len, self.top_extra)) + 8
        offsets, pos = [], mdat_start
        for item in self.items:
            offsets.append(pos if not item.in_idat else 0)
            pos += 0 if item.in_idat else len(item.data)
        meta = self._meta(offsets)
        body = b"".join(i.data for i in self.items if not i.in_idat) + self.mdat_extra
        return (ftyp + meta + b"".join(self.top_extra) + box(b"mdat", body)
                + b"".join(self.tail) + self.trailer)

    def _meta(self, offsets: list[int]) -> bytes:
        hdlr = full(b"hdlr", 0, 0, bytes(4) + b"pict" + bytes(12) + self.hdlr_name.encode()
                    + b"\0")
        pitm = full(b"pitm", 0, 0, struct.pack(">H", self.primary))
        infes = b"".join(self._infe(i) for i in self.items)
        iinf = full(b"iinf", 0, 0, struct.pack(">H", len(self.items)) + infes)
        idat_pos = 0
        entries = b""
        for item, off in zip(self.items, offsets, strict=True):
            method = 1 if item.in_idat else 0
            start = idat_pos if item.in_idat else off
            idat_pos += len(item.data) if item.in_idat else 0
            entries += struct.pack(">HHHHII", item.id, method, 0, 1, start, len(item.data))
        iloc = full(b"iloc", 1, 0, struct.pack(">BBH", 0x44, 0x00, len(self.items)) + entries)
        iref = b""
        if self.refs:
            iref = full(b"iref", 0, 0, b"".join(
                box(t, struct.pack(">HH", src, len(dst)) + b"".join(struct.pack(">H", d)
                                                                    for d in dst))
                for t, src, dst in self.refs))
        ipco = box(b"ipco", b"".join(self.props))
        assoc = b""
        with_props = [i for i in self.items if i.props]
        for item in with_props:
            assoc += struct.pack(">HB", item.id, len(item.props)) + bytes(
                (0x80 if essential else 0) | index for index, essential in item.props)
        ipma = full(b"ipma", 0, 0, struct.pack(">I", len(with_props)) + assoc)
        idat_data = b"".join(i.data for i in self.items if i.in_idat)
        idat = box(b"idat", idat_data) if idat_data else b""
        return full(b"meta", 0, 0, hdlr + self.dinf + pitm + iloc + iinf + iref
                    + box(b"iprp", ipco + ipma + b"".join(self.iprp_extra)) + idat
                    + b"".join(self.meta_extra))

    @staticmethod
    def _infe(item: Item) -> bytes:
        body = struct.pack(">HH", item.id, 0) + item.type + item.name.encode() + b"\0"
        if item.type == b"mime":
            body += (item.content_type or "").encode() + b"\0"
            if item.encoding is not None:
                body += item.encoding.encode() + b"\0"
        if item.type == b"uri ":
            body += (item.uri or "").encode() + b"\0"
        return full(b"infe", 2, 0, body)


def simple(coded: Coded, **kw: object) -> Heif:
    """One HEVC picture as the primary item, with its hvcC and ispe."""
    primary = Item(1, b"hvc1", coded.data, props=[(1, True), (2, False)])
    return Heif([primary], [coded.hvcc, coded.ispe], **kw)  # type: ignore[arg-type]


def sei_nal(text: str, length_size: int = 4) -> bytes:
    """A length-prefixed HEVC prefix-SEI NAL unit: user_data_unregistered holding ``text``."""
    payload = bytes(range(1, 17)) + text.encode()
    body = bytes([5, len(payload)]) + payload + b"\x80"
    unit = bytes([39 << 1, 1]) + body
    return len(unit).to_bytes(length_size, "big") + unit


def hvcc_with_sei(hvcc: bytes, text: str) -> bytes:
    """An 'hvcC' box with one more array: a prefix SEI holding ``text``."""
    payload = bytearray(hvcc[8:])
    payload[22] += 1
    unit = sei_nal(text, 4)[4:]
    payload += bytes([0x80 | 39]) + struct.pack(">HH", 1, len(unit)) + unit
    return box(b"hvcC", bytes(payload))


def sef_archive(records: list[tuple[int, str, bytes]]) -> bytes:
    """A Samsung SEF archive: records, the SEFH directory, its size and 'SEFT'."""
    body = b""
    starts = []
    for kind, name, data in records:
        starts.append(len(body))
        body += struct.pack("<HHI", 0, kind, len(name)) + name.encode() + data
    sizes = [len(struct.pack("<HHI", 0, k, len(n))) + len(n) + len(d) for k, n, d in records]
    head = len(body)
    entries = b"".join(struct.pack("<HHII", 0, kind, head - start, size)
                       for (kind, _, _), start, size in zip(records, starts, sizes, strict=True))
    sefh = b"SEFH" + struct.pack("<II", 106, len(records)) + entries
    return body + sefh + struct.pack("<I", len(sefh)) + b"SEFT"
