"""HEIC / HEIF / AVIF: a small HEIF writer of its own (the coded pictures come from
pillow-heif and Pillow's AVIF encoder), so every item, property, reference and box can hide
something; and the layouts iPhones and Samsung phones write."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import Case, case, icc_marker, icc_variant, picture


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full(kind: bytes, version: int, flags: int, payload: bytes = b"") -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def children(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        out.append((kind, data[pos : pos + size]))
        pos += size
    return out


@dataclass
class Coded:
    config: bytes  # the hvcC / av1C box
    ispe: bytes
    data: bytes


def _extract(data: bytes) -> Coded:
    top = dict(children(data))
    meta = top[b"meta"]
    inner = dict(children(meta, 12))
    ipco = dict(children(dict(children(inner[b"iprp"], 8))[b"ipco"], 8))
    iloc = inner[b"iloc"]
    version = iloc[8]
    off_size, len_size, base_size = iloc[12] >> 4, iloc[12] & 15, iloc[13] >> 4
    pos = 14 + (4 if version == 2 else 2)
    pos += 2 + (2 if version else 0) + 2  # item ID, construction method, data reference
    base = int.from_bytes(iloc[pos : pos + base_size], "big")
    pos += base_size + 2
    offset = base + int.from_bytes(iloc[pos : pos + off_size], "big")
    length = int.from_bytes(iloc[pos + off_size : pos + off_size + len_size], "big")
    config = ipco.get(b"hvcC") or ipco[b"av1C"]
    return Coded(config, ipco[b"ispe"], data[offset : offset + length])


def hevc(w: int = 64, h: int = 48, seed: int = 0, mode: str = "RGB") -> Coded:
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(picture(w, h, mode, seed)).save(out, quality=-1)
    return _extract(out.getvalue())


def av1(w: int = 64, h: int = 48) -> Coded:
    out = io.BytesIO()
    picture(w, h).save(out, "AVIF", quality=90)
    return _extract(out.getvalue())


@dataclass
class Item:
    id: int
    type: bytes
    data: bytes = b""
    name: str = ""
    props: list[tuple[int, bool]] = field(default_factory=list)  # (1-based index, essential)
    hidden: bool = False
    content_type: str = ""
    encoding: str = ""
    uri: str = ""
    in_idat: bool = False


@dataclass
class Heif:
    items: list[Item]
    properties: list[bytes]
    primary: int = 1
    refs: list[tuple[bytes, int, list[int]]] = field(default_factory=list)
    brand: bytes = b"heic"
    meta_extra: list[bytes] = field(default_factory=list)  # more boxes inside meta
    iprp_extra: list[bytes] = field(default_factory=list)
    ipma_extra: bytes = b""
    after: list[bytes] = field(default_factory=list)  # top-level boxes after mdat
    mdat_gap: bytes = b""  # bytes no item uses, before the items' data

    def infe(self, it: Item) -> bytes:
        body = struct.pack(">HH", it.id, 0) + it.type + it.name.encode() + b"\0"
        if it.type == b"mime":
            body += it.content_type.encode() + b"\0" + (it.encoding.encode() + b"\0"
                                                      if it.encoding else b"")
        if it.type == b"uri ":
            body += it.uri.encode() + b"\0"
        return full(b"infe", 2, 1 if it.hidden else 0, body)

    def _meta(self, base: int) -> bytes:
        iinf = full(b"iinf", 0, 0, struct.pack(">H", len(self.items))
                    + b"".join(self.infe(i) for i in self.items))
        iref = full(b"iref", 0, 0, b"".join(
            box(kind, struct.pack(">HH", src, len(dst)) + b"".join(struct.pack(">H", d)
                                                                  for d in dst))
            for kind, src, dst in self.refs)) if self.refs else b""
        ipma_entries = [i for i in self.items if i.props]
        ipma = full(b"ipma", 0, 0, struct.pack(">I", len(ipma_entries)) + b"".join(
            struct.pack(">HB", i.id, len(i.props))
            + bytes((0x80 if ess else 0) | idx for idx, ess in i.props) for i in ipma_entries)
            + self.ipma_extra)
        iprp = box(b"iprp", box(b"ipco", b"".join(self.properties)) + ipma
                   + b"".join(self.iprp_extra))
        idat_items = [i for i in self.items if i.in_idat]
        idat = box(b"idat", b"".join(i.data for i in idat_items)) if idat_items else b""
        entries, pos, ipos = b"", base + len(self.mdat_gap), 0
        for it in self.items:
            if it.in_idat:
                entries += struct.pack(">HHHHII", it.id, 1, 0, 1, ipos, len(it.data))
                ipos += len(it.data)
            else:
                entries += struct.pack(">HHHHII", it.id, 0, 0, 1, pos, len(it.data))
                pos += len(it.data)
        iloc = full(b"iloc", 1, 0, bytes([0x44, 0x00]) + struct.pack(">H", len(self.items))
                    + entries)
        hdlr = full(b"hdlr", 0, 0, bytes(4) + b"pict" + bytes(12) + b"\0")
        pitm = full(b"pitm", 0, 0, struct.pack(">H", self.primary))
        return full(b"meta", 0, 0, hdlr + pitm + iloc + iinf + iref + iprp + idat
                    + b"".join(self.meta_extra))

    def encode(self) -> bytes:
        ftyp = box(b"ftyp", self.brand + bytes(4) + b"mif1" + self.brand + b"miaf")
        size = len(self._meta(0))
        data = self.mdat_gap + b"".join(i.data for i in self.items if not i.in_idat)
        meta = self._meta(len(ftyp) + size + 8)
        assert len(meta) == size
        return ftyp + meta + box(b"mdat", data) + b"".join(self.after)


def simple(coded: Coded | None = None, **kw: object) -> Heif:
    """One picture: item 1 with its config (1), size (2) and a colour box (3)."""
    coded = coded or hevc()
    nclx = box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))
    props = kw.pop("properties", [coded.config, coded.ispe, nclx])
    kind = b"av01" if coded.config[4:8] == b"av1C" else b"hvc1"
    item = Item(1, kind, coded.data, props=[(1, True), (2, False), (3, False)])
    return Heif([item], props, brand=b"avif" if kind == b"av01" else b"heic", **kw)  # type: ignore[arg-type]


def exif_item(item_id: int, marker: str) -> Item:
    tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x3b\0\x02" + struct.pack(">II", len(marker) + 1, 26) \
        + b"\0\0\0\0" + marker.encode() + b"\0"
    return Item(item_id, b"Exif", struct.pack(">I", 6) + b"Exif\0\0" + tiff)


def xmp_item(item_id: int, marker: str) -> Item:
    return Item(item_id, b"mime", f"<x:xmpmeta><dc:creator>{marker}</dc:creator></x:xmpmeta>"
                .encode(), content_type="application/rdf+xml")


def sei_nal(text: str, length_size: int = 4, kind: int = 39) -> bytes:
    payload = bytes(range(16)) + text.encode()
    body = bytes([kind << 1, 1, 5, len(payload)]) + payload + b"\x80"
    return len(body).to_bytes(length_size, "big") + body


def hvcc_with_array(hvcc: bytes, nal_type: int, unit: bytes) -> bytes:
    """``hvcC`` with one more NAL array (of ``nal_type``) holding ``unit``."""
    body = bytearray(hvcc[8:])
    body[22] += 1
    body += bytes([0x80 | nal_type]) + struct.pack(">HH", 1, len(unit)) + unit
    return box(b"hvcC", bytes(body))


def obu_after_sequence_header(data: bytes, obu: bytes) -> bytes:
    """AV1 item data with ``obu`` inserted after its first OBU (the sequence header)."""
    header = data[0]
    pos = 1 + (1 if header & 0x04 else 0)
    size, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        size |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    end = pos + size
    return data[:end] + obu + data[end:]


def metadata_obu(text: str) -> bytes:
    payload = bytes([4, 0xB5, 0, 0x3B]) + text.encode() + b"\x80"  # ITU-T T.35
    return bytes([(5 << 3) | 0x02, len(payload)]) + payload


@case
def heif_cases() -> Iterator[Case]:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return
    coded = hevc()

    for place in ("private-tag", "xyz-extra-values", "text-tag-slack", "header-signatures"):
        marker = f"RT_HICC_{place.upper().replace('-', '_')}"
        colr = box(b"colr", b"prof" + icc_variant(place, marker))
        yield Case(f"heic-icc-{place}", simple(coded, properties=[coded.config, coded.ispe,
                                                                  colr]).encode(),
                   [icc_marker(place, marker)], 1)
    ricc = box(b"colr", b"rICC" + icc_variant("dmnd-dmdd", "RT_H_RICC_MODEL"))
    yield Case("heic-icc-ricc", simple(coded, properties=[coded.config, coded.ispe, ricc]).encode(),
               ["RT_H_RICC_MODEL"], 1)

    # properties of the kept picture with bytes after their fields
    grown = [coded.config, box(b"ispe", coded.ispe[8:] + b"RT_H_ISPE_EXTRA"),
             box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))]
    yield Case("heic-ispe-extra", simple(coded, properties=grown).encode(), ["RT_H_ISPE_EXTRA"], 5)
    nclx = box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80) + b"RT_H_NCLX_EXTRA")
    yield Case("heic-nclx-extra", simple(coded, properties=[coded.config, coded.ispe, nclx]).encode(),
               ["RT_H_NCLX_EXTRA"], 5)
    h = simple(coded)
    h.properties.append(box(b"irot", b"\x01RT_H_IROT_EXTRA"))
    h.items[0].props.append((4, True))
    yield Case("heic-irot-extra", h.encode(), ["RT_H_IROT_EXTRA"], 5)
    h = simple(coded)
    h.properties.append(full(b"pixi", 0, 0, b"\x03\x08\x08\x08RT_H_PIXI_EXTRA"))
    h.items[0].props.append((4, False))
    yield Case("heic-pixi-extra", h.encode(), ["RT_H_PIXI_EXTRA"], 5)
    h = simple(coded)
    h.ipma_extra = b"RT_H_IPMA_EXTRA"
    yield Case("heic-ipma-extra", h.encode(), ["RT_H_IPMA_EXTRA"], 5)
    # HDR numbers: a mastering display whose primaries spell text
    h = simple(coded)
    h.properties.append(box(b"mdcv", b"RT_H_MDCV_PRIMAR" + struct.pack(">II", 10_000_000, 50)))
    h.items[0].props.append((4, False))
    yield Case("heic-mdcv-numbers", h.encode(), ["RT_H_MDCV_PRIMAR"], 6)

    # the kept picture's name; items nobody references; Exif in idat
    h = simple(coded)
    h.items[0].name = "RT_H_PRIMARY_NAME"
    yield Case("heic-primary-item-name", h.encode(), ["RT_H_PRIMARY_NAME"], 3)
    h = simple(coded)
    stray = Item(2, b"hvc1", sei_nal("RT_H_STRAY_ITEM") + coded.data, hidden=True,
                 props=[(1, True), (2, False)])
    h.items.append(stray)
    yield Case("heic-unreferenced-hidden-item", h.encode(), ["RT_H_STRAY_ITEM"], 3)
    h = simple(coded)
    ex = exif_item(2, "RT_H_IDAT_EXIF")
    ex.in_idat = True
    h.items.append(ex)
    h.refs.append((b"cdsc", 2, [1]))
    yield Case("heic-exif-in-idat", h.encode(), ["RT_H_IDAT_EXIF"], 3)
    h = simple(coded)
    h.items.append(Item(2, b"uri ", b"RT_H_URI_PAYLOAD", uri="urn:RT_H_URI_TYPE"))
    h.refs.append((b"cdsc", 2, [1]))
    yield Case("heic-uri-item", h.encode(), ["RT_H_URI_PAYLOAD", "RT_H_URI_TYPE"], 3)

    # hvcC's profile compatibility and constraint flags (ten bytes decoders do not read)
    flags = box(b"hvcC", coded.config[8:10] + b"RT_H_FLAGS" + coded.config[20:])
    h = simple(coded, properties=[flags, coded.ispe,
                                  box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))])
    yield Case("heic-hvcc-profile-flags", h.encode(), ["RT_H_FLAGS"], 6)

    # inside the coded picture: an unknown NAL array in hvcC, a suffix SEI after the slice
    unit = bytes([62 << 1, 1]) + b"RT_H_HVCC_ARRAY62"
    h = simple(coded, properties=[hvcc_with_array(coded.config, 62, unit), coded.ispe,
                                  box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))])
    yield Case("heic-hvcc-unknown-array", h.encode(), ["RT_H_HVCC_ARRAY62"], 2)
    h = simple(coded)
    h.items[0].data = coded.data + sei_nal("RT_H_SUFFIX_SEI", kind=40)
    yield Case("heic-suffix-sei-in-item", h.encode(), ["RT_H_SUFFIX_SEI"], 2)
    h = simple(coded)
    aud = bytes([35 << 1, 1, 0x50]) + b"RT_H_AUD_PAYLOAD"
    h.items[0].data = len(aud).to_bytes(4, "big") + aud + coded.data
    yield Case("heic-aud-payload-in-item", h.encode(), ["RT_H_AUD_PAYLOAD"], 2)

    # boxes around the items: a second mdat, free in iprp, an unknown iref type, xml, grpl
    h = simple(coded)
    h.after.append(box(b"mdat", b"RT_H_SECOND_MDAT"))
    yield Case("heic-second-mdat", h.encode(), ["RT_H_SECOND_MDAT"], 4)
    h = simple(coded)
    h.mdat_gap = b"RT_H_MDAT_GAP_BEFORE_ITEMS"
    yield Case("heic-mdat-gap", h.encode(), ["RT_H_MDAT_GAP"], 4)
    h = simple(coded)
    h.iprp_extra.append(box(b"free", b"RT_H_FREE_IN_IPRP"))
    yield Case("heic-free-in-iprp", h.encode(), ["RT_H_FREE_IN_IPRP"], 3)
    h = simple(coded)
    h.items.append(xmp_item(2, "RT_H_IREF_XMP"))
    h.refs.append((b"zzzz", 2, [1]))
    yield Case("heic-unknown-reference", h.encode(), ["RT_H_IREF_XMP"], 3)
    h = simple(coded)
    h.meta_extra.append(full(b"xml ", 0, 0, b"<x>RT_H_META_XML</x>"))
    h.meta_extra.append(box(b"grpl", full(b"altr", 0, 0, struct.pack(">III", 7, 1, 1)
                                          + b"RT_H_GRPL_EXTRA")))
    yield Case("heic-xml-and-groups", h.encode(), ["RT_H_META_XML", "RT_H_GRPL_EXTRA"], 3)
    h = simple(coded)
    h.properties.append(box(b"uuid", bytes(range(16)) + b"RT_H_UUID_PROPERTY"))
    h.items[0].props.append((4, False))
    yield Case("heic-uuid-property", h.encode(), ["RT_H_UUID_PROPERTY"], 3)
    h = simple(coded)
    h.properties.append(full(b"udes", 0, 0, b"en\0RT_H_UDES_NAME\0RT_H_UDES_DESC\0tags\0"))
    h.items[0].props.append((4, False))
    yield Case("heic-udes", h.encode(), ["RT_H_UDES_NAME", "RT_H_UDES_DESC"], 3)

    # an auxiliary depth map with its own XMP, and a thumbnail with SEI in its data
    h = simple(coded)
    small = hevc(32, 24, mode="L")
    h.properties += [small.config, small.ispe,
                     full(b"auxC", 0, 0, b"urn:mpeg:hevc:2015:auxid:2\0")]
    h.items.append(Item(2, b"hvc1", small.data, hidden=True, props=[(4, True), (5, False),
                                                                    (6, True)]))
    h.items.append(xmp_item(3, "RT_H_DEPTH_XMP"))
    h.refs += [(b"auxl", 2, [1]), (b"cdsc", 3, [2])]
    yield Case("heic-depth-map-xmp", h.encode(), ["RT_H_DEPTH_XMP"], 3)
    h = simple(coded)
    h.properties += [small.config, small.ispe]
    h.items.append(Item(2, b"hvc1", sei_nal("RT_H_THUMB_SEI") + small.data,
                        props=[(4, True), (5, False)]))
    h.refs.append((b"thmb", 2, [1]))
    yield Case("heic-thumbnail-sei", h.encode(), ["RT_H_THUMB_SEI"], 3)

    yield Case("heic-iphone-like", iphone_like(), ["RT_H_IPHONE_EXIF", "RT_H_IPHONE_XMP",
                                                   "RT_H_IPHONE_GAINMAP", "RT_H_IPHONE_CPRT"], 0)
    yield Case("heic-samsung-sefd", samsung_like(coded),
               ["RT_H_SAMSUNG_EXIF", "RT_H_SAMSUNG_SEF"], 0)
    yield from avif_cases()


def iphone_like() -> bytes:
    """A 2x2 grid of tiles, Display P3 profile, rotation, Exif + XMP, a thumbnail and an HDR
    gain map with its own XMP (what an iPhone writes since iOS 17)."""
    tiles = [hevc(32, 24, seed=s) for s in range(4)]
    thumb, gain = hevc(16, 12, seed=7), hevc(32, 24, seed=9, mode="L")
    ispe_full = full(b"ispe", 0, 0, struct.pack(">II", 64, 48))
    prof = box(b"colr", b"prof" + icc_variant("text-type-cprt", "RT_H_IPHONE_CPRT"))
    props = [tiles[0].config, tiles[0].ispe, ispe_full, prof, box(b"irot", b"\x03"),
             thumb.config, thumb.ispe, gain.config, gain.ispe,
             full(b"auxC", 0, 0, b"urn:com:apple:photo:2020:aux:hdrgainmap\0")]
    items = [Item(1, b"grid", struct.pack(">BBBBHH", 0, 0, 1, 1, 64, 48), in_idat=True,
                  props=[(3, False), (4, True), (5, True)])]
    for n in range(4):
        items.append(Item(2 + n, b"hvc1", tiles[n].data, hidden=True, props=[(1, True), (2, False)]))
    items += [Item(6, b"hvc1", thumb.data, props=[(6, True), (7, False)]),
              exif_item(7, "RT_H_IPHONE_EXIF"), xmp_item(8, "RT_H_IPHONE_XMP"),
              Item(9, b"hvc1", gain.data, hidden=True, props=[(8, True), (9, False), (10, True)]),
              xmp_item(10, "RT_H_IPHONE_GAINMAP")]
    refs = [(b"dimg", 1, [2, 3, 4, 5]), (b"thmb", 6, [1]), (b"cdsc", 7, [1]), (b"cdsc", 8, [1]),
            (b"auxl", 9, [1]), (b"cdsc", 10, [9])]
    return Heif(items, props, refs=refs).encode()


def samsung_like(coded: Coded) -> bytes:
    """One UI 6: the picture, Exif, and 'sefd' (capture time, country code) after mdat."""
    h = simple(coded)
    h.items.append(exif_item(2, "RT_H_SAMSUNG_EXIF"))
    h.refs.append((b"cdsc", 2, [1]))
    record = struct.pack("<HHI", 0, 0x0A01, 14) + b"Image_UTC_Data" + b"1700000000123"
    record2 = struct.pack("<HHI", 0, 0x0A30, 8) + b"MCC_Data" + b"RT_H_SAMSUNG_SEF"
    directory = struct.pack("<HHII", 0, 0x0A01, len(record) + len(record2), len(record)) \
        + struct.pack("<HHII", 0, 0x0A30, len(record2), len(record2))
    sefh = b"SEFH" + struct.pack("<II", 107, 2) + directory
    h.after.append(box(b"sefd", record + record2 + sefh + struct.pack("<I", len(sefh)) + b"SEFT"))
    return h.encode()


def avif_cases() -> Iterator[Case]:
    try:
        coded = av1()
    except (KeyError, OSError):
        return
    out = io.BytesIO()
    exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x3b\x01\x02\0\x10\0\0\0\x1a\0\0\0\0\0\0\0RT_A_ARTIST_TAG\0"
    picture().save(out, "AVIF", quality=90, exif=exif, xmp=b"<x:xmpmeta>RT_A_PILLOW_XMP</x:xmpmeta>")
    yield Case("avif-pillow-exif-xmp", out.getvalue(), ["RT_A_ARTIST_TAG", "RT_A_PILLOW_XMP"], 0)
    h = simple(coded)
    h.items[0].data = obu_after_sequence_header(coded.data, metadata_obu("RT_A_ITEM_T35"))
    yield Case("avif-metadata-obu", h.encode(), ["RT_A_ITEM_T35"], 2)
    cfg = box(b"av1C", coded.config[8:12] + metadata_obu("RT_A_AV1C_T35"))
    h = simple(coded, properties=[cfg, coded.ispe,
                                  box(b"colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))])
    yield Case("avif-av1c-config-obu", h.encode(), ["RT_A_AV1C_T35"], 2)
    h = simple(coded)
    pad = bytes([(15 << 3) | 0x02, 16]) + b"RT_A_PADDING_OBU"
    h.items[0].data = obu_after_sequence_header(coded.data, pad)
    yield Case("avif-padding-obu", h.encode(), ["RT_A_PADDING_OBU"], 2)
