"""The item structure of a HEIF/AVIF ``meta`` box: items, where their bytes are, references
and properties. Bounded like the box walker: counts are capped and every
extent is checked against the file (or the ``idat`` box) before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from share_guard.core.containers.bmff_boxes import Box, Buffer
from share_guard.core.containers.heif_layout import ALPHA_AUX
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message

MAX_ITEMS = 20_000
MAX_EXTENTS = 100_000
MAX_REFS = 100_000

IMAGE_TYPES = {b"hvc1", b"av01", b"grid", b"iden", b"iovl", b"jpeg", b"unci", b"tmap",
               b"hvt1", b"vvc1", b"avc1", b"j2k1", b"mski"}

__all__ = ["ALPHA_AUX", "HeifMeta", "Item", "parse_heif_meta"]


@dataclass
class Item:
    id: int
    type: bytes
    infe: Box
    name: str = ""
    content_type: str = ""
    #: file offset of the 4-byte item type inside 'infe' (version 2+), else None
    type_offset: int | None = None
    #: file offset and length of the content type string (NUL excluded), for 'mime' items
    content_type_at: tuple[int, int] | None = None
    hidden: bool = False
    #: a protection scheme applies (the picture cannot be decoded without a key)
    protected: bool = False
    construction: int = 0
    #: resolved byte ranges in the file
    extents: list[tuple[int, int]] = field(default_factory=list)
    located: bool = False
    #: data reference index from 'iloc' (0: this file)
    data_ref: int = 0
    props: list[Box] = field(default_factory=list)
    #: (1-based property index, essential) of each association, in 'ipma' order
    assoc: list[tuple[int, bool]] = field(default_factory=list)
    #: outgoing references: type -> item ids
    refs: dict[bytes, list[int]] = field(default_factory=dict)
    #: how many 'ipma' entries (b"ipma") and reference boxes of each type name this item as
    #: their subject: above one, readers differ (libheif takes the first, ``props`` and
    #: ``refs`` hold them all)
    mentions: dict[bytes, int] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.type in IMAGE_TYPES

    @property
    def size(self) -> int:
        return sum(b - a for a, b in self.extents)

    def prop(self, typ: bytes) -> Box | None:
        return next((p for p in self.props if p.type == typ), None)


@dataclass
class HeifMeta:
    buf: Buffer
    meta: Box
    primary: int | None
    items: dict[int, Item]
    problems: list[str] = field(default_factory=list)
    #: the item properties ('ipco' children), property index 1 first
    props: list[Box] = field(default_factory=list)

    def data(self, item: Item, limit: int) -> bytes:
        """The bytes of an item held in the parsed buffer (idat), or b''."""
        out = bytearray()
        for a, b in item.extents:
            if a >= self.buf.base and b <= self.buf.end:
                out += self.buf.get(a, min(b - a, limit - len(out)))
        return bytes(out)

    def referrers(self, target: int, ref: bytes) -> list[Item]:
        return [i for i in self.items.values() if target in i.refs.get(ref, [])]

    def aux_type(self, item: Item) -> str:
        auxc = item.prop(b"auxC")
        if auxc is None:
            return ""
        text, _ = self.buf.cstring(auxc.payload_start + 4, auxc.end)
        return text


def parse_heif_meta(buf: Buffer, meta: Box, file_size: int) -> HeifMeta:
    pitm = meta.find(b"pitm")
    primary = None
    if pitm is not None:
        version, _ = buf.version_flags(pitm)
        primary = buf.u32(pitm.payload_start + 4) if version else buf.u16(pitm.payload_start + 4)
    items: dict[int, Item] = {}
    iinf = meta.find(b"iinf")
    if iinf is not None:
        for infe in iinf.all(b"infe")[:MAX_ITEMS]:
            item = _infe(buf, infe)
            items[item.id] = item
    result = HeifMeta(buf, meta, primary, items)
    iloc = meta.find(b"iloc")
    if iloc is not None:
        _iloc(buf, iloc, result, meta.find(b"idat"), file_size)
    iref = meta.find(b"iref")
    if iref is not None:
        _iref(buf, iref, items)
    iprp = meta.find(b"iprp")
    if iprp is not None:
        ipco = iprp.find(b"ipco")
        result.props = list(ipco.children) if ipco is not None else []
        _ipma(buf, iprp, items)
    return result


def _infe(buf: Buffer, infe: Box) -> Item:
    version, flags = buf.version_flags(infe)
    pos, end = infe.payload_start + 4, infe.end
    if version >= 2:
        wide = version == 3
        item_id = buf.u32(pos) if wide else buf.u16(pos)
        pos += (4 if wide else 2) + 2
        item = Item(item_id, buf.get(pos, 4), infe, type_offset=pos)
        pos += 4
    else:
        item = Item(buf.u16(pos), b"mime", infe)
        pos += 4
    item.hidden = bool(flags & 1)
    item.protected = buf.u16(infe.payload_start + (8 if version == 3 else 6)) != 0 \
        if version >= 2 else buf.u16(infe.payload_start + 6) != 0
    item.name, pos = buf.cstring(pos, end)
    if item.type == b"uri " and pos < end:
        item.content_type, pos = buf.cstring(pos, end)
    if item.type == b"mime" and pos < end:
        start = pos
        item.content_type, pos = buf.cstring(pos, end)
        item.content_type_at = (start, len(item.content_type.encode("utf-8")))
    return item


def _iloc(buf: Buffer, iloc: Box, meta: HeifMeta, idat: Box | None, file_size: int) -> None:
    version, _ = buf.version_flags(iloc)
    if version > 2:
        raise CorruptFile(message(N_("unknown item location version {version}"), version=version))
    pos = iloc.payload_start + 4
    sizes = buf.u8(pos)
    off_size, len_size = sizes >> 4, sizes & 0xF
    sizes = buf.u8(pos + 1)
    base_size, index_size = sizes >> 4, (sizes & 0xF) if version else 0
    if any(n not in (0, 4, 8) for n in (off_size, len_size, base_size, index_size)):
        raise CorruptFile(N_("item locations use unsupported field sizes"))
    pos += 2
    count = buf.u32(pos) if version == 2 else buf.u16(pos)
    pos += 4 if version == 2 else 2
    if count > MAX_ITEMS:
        raise LimitExceeded(N_("too many items in the image"))
    extents_seen = 0
    for _ in range(count):
        item_id = buf.u32(pos) if version == 2 else buf.u16(pos)
        pos += 4 if version == 2 else 2
        method = 0
        if version:
            method = buf.u16(pos) & 0xF
            pos += 2
        data_ref = buf.u16(pos)
        pos += 2
        base = buf.uint(pos, base_size)
        pos += base_size
        n_ext = buf.u16(pos)
        pos += 2
        extents_seen += n_ext
        if extents_seen > MAX_EXTENTS:
            raise LimitExceeded(N_("too many item extents"))
        ranges: list[tuple[int, int]] = []
        for _ in range(n_ext):
            pos += index_size
            offset = buf.uint(pos, off_size)
            length = buf.uint(pos + off_size, len_size)
            pos += off_size + len_size
            ranges.append((base + offset, length))
        item = meta.items.get(item_id)
        if item is None:
            continue
        item.construction = method
        item.data_ref = data_ref
        item.located = True
        item.extents = _resolve(ranges, method, idat, file_size, meta, item_id)


def _resolve(
    ranges: list[tuple[int, int]], method: int, idat: Box | None, file_size: int,
    meta: HeifMeta, item_id: int,
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    if method == 0:
        lo, hi = 0, file_size
    elif method == 1 and idat is not None:
        lo, hi = idat.payload_start, idat.end
    else:
        meta.problems.append(message(N_("item {item_id} is stored in a way we cannot follow"),
                                     item_id=item_id))
        return out
    for start, length in ranges:
        a = lo + start if method == 1 else start
        b = hi if length == 0 else a + length
        if a < lo or b > hi or a > b:
            raise CorruptFile(message(N_("item {item_id} points outside the file"), item_id=item_id))
        out.append((a, b))
    return out


def _iref(buf: Buffer, iref: Box, items: dict[int, Item]) -> None:
    version, _ = buf.version_flags(iref)
    width = 4 if version else 2
    total = 0
    for ref in iref.children:
        pos = ref.payload_start
        from_id = buf.uint(pos, width)
        count = buf.u16(pos + width)
        total += count
        if total > MAX_REFS:
            raise LimitExceeded(N_("too many item references"))
        pos += width + 2
        targets = [buf.uint(pos + i * width, width) for i in range(count)]
        item = items.get(from_id)
        if item is not None:
            item.refs.setdefault(ref.type, []).extend(targets)
            item.mentions[ref.type] = item.mentions.get(ref.type, 0) + 1


def _ipma(buf: Buffer, iprp: Box, items: dict[int, Item]) -> None:
    ipco = iprp.find(b"ipco")
    props = ipco.children if ipco is not None else []
    for ipma in iprp.all(b"ipma"):
        version, flags = buf.version_flags(ipma)
        pos = ipma.payload_start + 4
        count = buf.u32(pos)
        pos += 4
        if count > MAX_ITEMS:
            raise LimitExceeded(N_("too many property associations"))
        for _ in range(count):
            item_id = buf.u32(pos) if version else buf.u16(pos)
            pos += 4 if version else 2
            n = buf.u8(pos)
            pos += 1
            subject = items.get(item_id)
            if subject is not None:
                subject.mentions[b"ipma"] = subject.mentions.get(b"ipma", 0) + 1
            for _ in range(n):
                if flags & 1:
                    raw, width = buf.u16(pos), 16
                    pos += 2
                else:
                    raw, width = buf.u8(pos), 8
                    pos += 1
                index = raw & ((1 << (width - 1)) - 1)
                item = items.get(item_id)
                if item is not None:
                    item.assoc.append((index, bool(raw >> (width - 1))))
                    if 1 <= index <= len(props):
                        item.props.append(props[index - 1])
