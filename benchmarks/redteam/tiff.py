"""TIFF: the kept tags' values, colour maps, every codec's strip data, JPEG inside strips,
extra pages and directories."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, TiffImagePlugin

from . import Case, case, icc_marker, icc_variant, picture

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEF = 1, 2, 3, 4, 5, 7
SIZE = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEF: 1, 13: 4}
OFFSETS, COUNTS, TILE_OFFSETS, TILE_COUNTS = 273, 279, 324, 325


@dataclass
class Page:
    tags: dict[int, tuple[int, object]] = field(default_factory=dict)
    blocks: list[bytes] = field(default_factory=list)
    #: directories hung off a tag (EXIF 34665, GPS 34853, SubIFDs 330): tag -> pages
    subs: dict[int, list[Page]] = field(default_factory=dict)
    #: bytes added to each block's count (data nothing decodes), by block index
    slack: dict[int, bytes] = field(default_factory=dict)

    @property
    def tiled(self) -> bool:
        return TILE_OFFSETS in self.tags


def _values(typ: int, raw: bytes, count: int) -> object:
    if typ in (ASCII, UNDEF, BYTE) and typ != BYTE:
        return raw
    if typ == BYTE:
        return list(raw)
    if typ == SHORT:
        return list(struct.unpack(f"<{count}H", raw))
    if typ in (LONG, 13):
        return list(struct.unpack(f"<{count}I", raw))
    if typ == RATIONAL:
        v = struct.unpack(f"<{2 * count}I", raw)
        return list(zip(v[::2], v[1::2], strict=True))
    return raw


def read(data: bytes) -> list[Page]:
    """The main IFD chain of a little-endian TIFF, with each page's strips or tiles."""
    assert data[:4] == b"II*\0"
    pages, at = [], struct.unpack_from("<I", data, 4)[0]
    while at:
        n = struct.unpack_from("<H", data, at)[0]
        page = Page()
        for i in range(n):
            tag, typ, count, value = struct.unpack_from("<HHI4s", data, at + 2 + 12 * i)
            size = SIZE.get(typ, 1) * count
            raw = value[:size] if size <= 4 else data[struct.unpack("<I", value)[0]:][:size]
            page.tags[tag] = (typ, _values(typ, raw, count))
        off_tag, cnt_tag = (TILE_OFFSETS, TILE_COUNTS) if TILE_OFFSETS in page.tags \
            else (OFFSETS, COUNTS)
        offs, cnts = page.tags[off_tag][1], page.tags[cnt_tag][1]
        page.blocks = [data[o : o + c] for o, c in zip(offs, cnts, strict=True)]  # type: ignore
        pages.append(page)
        at = struct.unpack_from("<I", data, at + 2 + 12 * n)[0]
    return pages


def _encode(typ: int, value: object) -> tuple[int, bytes]:
    if isinstance(value, bytes):
        return len(value), value
    vals = list(value)  # type: ignore[call-overload]
    if typ == RATIONAL:
        return len(vals), b"".join(struct.pack("<II", *v) for v in vals)
    code = {BYTE: "B", SHORT: "H", LONG: "I", 13: "I"}[typ]
    return len(vals), struct.pack(f"<{len(vals)}{code}", *vals)


def _ifd(out: bytearray, tags: dict[int, tuple[int, object]]) -> int:
    """Write ``tags`` (values first, then the directory); returns the directory's offset."""
    entries = []
    for tag in sorted(tags):
        typ, value = tags[tag]
        count, raw = _encode(typ, value)
        if len(raw) <= 4:
            entries.append(struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\0"))
        else:
            if len(out) % 2:
                out += b"\0"
            entries.append(struct.pack("<HHII", tag, typ, count, len(out)))
            out += raw
    if len(out) % 2:
        out += b"\0"
    at = len(out)
    out += struct.pack("<H", len(entries)) + b"".join(entries) + b"\0\0\0\0"
    return at


def _page(out: bytearray, page: Page) -> int:
    tags = dict(page.tags)
    offsets, counts = [], []
    for i, block in enumerate(page.blocks):
        if len(out) % 2:
            out += b"\0"
        offsets.append(len(out))
        out += block + page.slack.get(i, b"")
        counts.append(len(block) + len(page.slack.get(i, b"")))
    off_tag, cnt_tag = (TILE_OFFSETS, TILE_COUNTS) if page.tiled else (OFFSETS, COUNTS)
    tags[off_tag], tags[cnt_tag] = (LONG, offsets), (LONG, counts)
    for tag, subs in page.subs.items():
        tags[tag] = (LONG, [_page(out, sub) if sub.blocks else _ifd(out, sub.tags)
                            for sub in subs])
    return _ifd(out, tags)


def write(pages: list[Page], after: bytes = b"") -> bytes:
    out = bytearray(b"II*\0\0\0\0\0")
    link = 4
    for page in pages:
        at = _page(out, page)
        struct.pack_into("<I", out, link, at)
        link = at + 2 + 12 * struct.unpack_from("<H", out, at)[0]
    return bytes(out) + after


def pillow(im: Image.Image | None = None, **kw: object) -> bytes:
    out = io.BytesIO()
    (im or picture()).save(out, "TIFF", **kw)
    return out.getvalue()


def page_of(im: Image.Image | None = None, **kw: object) -> Page:
    return read(pillow(im, **kw))[0]


def ascii_(text: str) -> tuple[int, bytes]:
    return ASCII, text.encode() + b"\0"


def with_segment(strip: bytes, segment: bytes, before: bytes | None = None) -> bytes:
    """``segment`` inserted after SOI (or before the first ``before`` marker)."""
    at = 2 if before is None else strip.index(before)
    return strip[:at] + segment + strip[at:]


def seg(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def bilevel(w: int = 64, h: int = 48) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    return Image.fromarray(((x // 5 + y // 7) % 2 * 255).astype(np.uint8)).convert("1")


@case
def tiff_cases() -> Iterator[Case]:
    for place in ("mab-gap", "header-illuminant", "xyz-extra-values"):
        marker = f"RT_TICC_{place.upper().replace('-', '_')}"
        yield Case(f"tiff-icc-{place}", pillow(icc_profile=icc_variant(place, marker)),
                   [icc_marker(place, marker)], 1)

    # a palette picture: colour-map entries no pixel uses
    pal = picture().quantize(16)
    page = page_of(pal)
    cmap = list(page.tags[320][1])  # type: ignore[arg-type]
    text = struct.unpack("<12H", b"RT_T_COLORMAP_UNUSED____")
    cmap[40 : 40 + len(text)] = text  # red entries 40.. (no pixel uses them)
    page.tags[320] = (SHORT, cmap)
    yield Case("tiff-colormap-unused", write([page]), ["RT_T_COLORMAP_UNUSED"], 6)

    # CCITT Group 4 and Group 3 strips with text after the coded rows
    g4 = page_of(bilevel(), compression="group4")
    g4.slack = {0: b"RT_T_G4_AFTER_RTC"}
    yield Case("tiff-g4-strip-tail", write([g4]), ["RT_T_G4_AFTER_RTC"], 4)
    g3 = page_of(bilevel(), compression="group3")
    g3.slack = {0: b"RT_T_G3_AFTER_EOL"}
    yield Case("tiff-g3-strip-tail", write([g3]), ["RT_T_G3_AFTER_EOL"], 4)

    # JPEG-compressed strips: an APP1 EXIF, a spare table, bytes after the scan, COM in tables
    jp = page_of(compression="jpeg", quality=90)
    exif = seg(0xE1, b"Exif\0\0MM\0*\0\0\0\x08\0\0RT_T_JPEGSTRIP_EXIF")
    jp.blocks = [with_segment(b, exif) for b in jp.blocks]
    yield Case("tiff-jpeg-strip-app1", write([jp]), ["RT_T_JPEGSTRIP_EXIF"], 2)
    jp = page_of(compression="jpeg", quality=90)
    spare = seg(0xDB, bytes([0x03]) + b"RT_T_STRIP_SPARE_DQT".ljust(64, b"_"))
    jp.blocks = [with_segment(b, spare, b"\xff\xda") for b in jp.blocks]
    yield Case("tiff-jpeg-strip-spare-dqt", write([jp]), ["RT_T_STRIP_SPARE_DQT"], 6)
    jp = page_of(compression="jpeg", quality=90)
    jp.blocks = [b[:-2] + b"RT_T_STRIP_SCAN_TAIL" + b[-2:] for b in jp.blocks]
    yield Case("tiff-jpeg-strip-scan-tail", write([jp]), ["RT_T_STRIP_SCAN_TAIL"], 6)
    jp = page_of(compression="jpeg", quality=90)
    jp.slack = {0: b"RT_T_STRIP_AFTER_EOI"}
    yield Case("tiff-jpeg-strip-after-eoi", write([jp]), ["RT_T_STRIP_AFTER_EOI"], 4)
    jp = page_of(compression="jpeg", quality=90)
    tables = jp.tags[347][1]
    assert isinstance(tables, bytes)
    jp.tags[347] = (UNDEF, tables[:2] + seg(0xFE, b"RT_T_JPEGTABLES_COM") + tables[2:])
    yield Case("tiff-jpegtables-com", write([jp]), ["RT_T_JPEGTABLES_COM"], 5)
    jp = page_of(compression="jpeg", quality=90)
    tables = jp.tags[347][1]
    assert isinstance(tables, bytes)
    spare = seg(0xC4, bytes([0x13]) + bytes(7) + bytes([20]) + bytes(8) + b"RT_T_TABLES_SPAREDHT")
    jp.tags[347] = (UNDEF, tables[:-2] + spare + tables[-2:])
    yield Case("tiff-jpegtables-spare-dht", write([jp]), ["RT_T_TABLES_SPAREDHT"], 6)

    # tags of a kept kind with the wrong type or too many values
    page = page_of()
    page.tags[274] = (ASCII, b"RT_T_ORIENT_ASCII\0")
    yield Case("tiff-orientation-as-text", write([page]), ["RT_T_ORIENT_ASCII"], 5)
    page = page_of()
    page.tags[296] = (SHORT, list(struct.unpack("<10H", b"\x02\0RT_T_RESUNIT_MANY_")))
    yield Case("tiff-resunit-many-values", write([page]), ["RT_T_RESUNIT_MANY"], 5)
    def spell(text: bytes) -> list[tuple[int, int]]:
        return [(int.from_bytes(text[i : i + 4], "little"), int.from_bytes(text[i + 4 : i + 8],
                                                                           "little"))
                for i in range(0, len(text), 8)]

    page = page_of()
    page.tags[282] = (RATIONAL, spell(b"RT_TXRES"))
    yield Case("tiff-xresolution-text", write([page]), ["RT_TXRES"], 6)
    page = page_of()
    page.tags[318] = (RATIONAL, spell(b"RT_WHITEPOINT___"))
    yield Case("tiff-whitepoint-text", write([page]), ["RT_WHITEPOINT"], 6)

    # directories and pages a viewer does not show
    page = page_of()
    thumb = page_of(picture(16, 12), tiffinfo={270: "RT_T_SUBIFD_THUMB"})
    page.subs[330] = [thumb]
    yield Case("tiff-subifd-thumbnail", write([page]), ["RT_T_SUBIFD_THUMB"], 3)
    reduced = page_of(picture(32, 24))
    reduced.tags[254] = (LONG, [1])
    reduced.blocks = [b"RT_T_REDUCED_PAGE".ljust(len(reduced.blocks[0]), b"_")]
    yield Case("tiff-reduced-page", write([page_of(), reduced]), ["RT_T_REDUCED_PAGE"], 3)
    hidden = page_of(picture(32, 24))
    hidden.blocks = [b"RT_T_HIDDEN_PAGE".ljust(len(hidden.blocks[0]), b"_")]
    yield Case("tiff-hidden-second-page", write([page_of(), hidden]), ["RT_T_HIDDEN_PAGE"], 6)
    page = page_of()
    page.subs[34665] = [Page({0xA431: ascii_("RT_T_EXIF_SERIAL"), 0x9003: ascii_("2024:01:01")})]
    page.subs[34853] = [Page({1: ascii_("N"), 0x1B: (UNDEF, b"ASCII\0\0\0RT_T_GPS_METHOD")})]
    yield Case("tiff-exif-gps-ifds", write([page]), ["RT_T_EXIF_SERIAL", "RT_T_GPS_METHOD"], 3)
    page = page_of()
    page.tags[34377] = (BYTE, list(b"8BIM\x04\x04\0\0\0\0\0\x14\x1c\x02\x50\0\x10RT_T_PS_BYLINE__"))
    page.tags[33723] = (UNDEF, b"\x1c\x02\x74\0\x0fRT_T_IPTC_COPYR")
    yield Case("tiff-photoshop-iptc", write([page]), ["RT_T_PS_BYLINE", "RT_T_IPTC_COPYR"], 3)
    page = page_of()
    page.tags[34737] = ascii_("WGS 84|RT_T_GEOTIFF_CITATION|")
    page.tags[33922] = (RATIONAL, [(0, 1)] * 3 + [(1, 1), (48, 1), (0, 1)])
    page.tags[34735] = (SHORT, [1, 1, 0, 1, 1026, 34737, 29, 0])
    yield Case("tiff-geotiff", write([page]), ["RT_T_GEOTIFF_CITATION"], 3)
    page = page_of()
    page.tags[270] = ascii_("RT_T_DESCRIPTION")
    page.tags[285] = ascii_("RT_T_PAGENAME")
    page.tags[316] = ascii_("RT_T_HOSTCOMPUTER")
    page.tags[65432] = (UNDEF, b"RT_T_PRIVATE_BLOB")
    yield Case("tiff-text-and-private-tags", write([page]),
               ["RT_T_DESCRIPTION", "RT_T_PAGENAME", "RT_T_HOSTCOMPUTER", "RT_T_PRIVATE_BLOB"], 3)

    # strip data after what decoding reads, for every codec
    for comp, marker in (("raw", "RT_T_RAW_STRIP_TAIL"), ("tiff_lzw", "RT_T_LZW_STRIP_TAIL"),
                         ("tiff_adobe_deflate", "RT_T_ZIP_STRIP_TAIL"),
                         ("packbits", "RT_T_PACKBITS_TAIL")):
        page = page_of(compression=comp)
        page.slack = {len(page.blocks) - 1: marker.encode()}
        yield Case(f"tiff-{comp.split('_')[-1]}-strip-tail", write([page]), [marker], 4)
    page = page_of(compression="tiff_adobe_deflate")
    rows = zlib.decompress(page.blocks[0])
    page.blocks = [zlib.compress(rows + b"RT_T_ZIP_EXTRA_ROWS" * 3)]
    yield Case("tiff-deflate-extra-rows", write([page]), ["RT_T_ZIP_EXTRA_ROWS"], 4)
    tiled = page_of(picture(64, 64), tiffinfo={322: 32, 323: 32})
    if tiled.tiled:
        tiled.slack = {1: b"RT_T_TILE_TAIL"}
        yield Case("tiff-tile-tail", write([tiled]), ["RT_T_TILE_TAIL"], 4)
    yield Case("tiff-after-last-ifd", write([page_of()], after=b"RT_T_AFTER_IFD"),
               ["RT_T_AFTER_IFD"], 4)

    # padding bits of the rows of a 1-bit picture one pixel wide: seven free bits per row
    text = b"RT_T_ROW_PADDING"
    rows = Page({256: (LONG, [1]), 257: (LONG, [len(text)]), 258: (SHORT, [1]),
                 259: (SHORT, [1]), 262: (SHORT, [0]), 277: (SHORT, [1]),
                 278: (LONG, [len(text)])}, [bytes(b & 0x7F for b in text)])
    yield Case("tiff-row-padding-bits", write([rows]), ["RT_T_ROW_PADDING"], 6)

    # ordinary files: a multi-page fax, a scanner's JPEG/YCbCr page with its EXIF
    fax = [page_of(bilevel(), compression="group4") for _ in range(3)]
    for i, p in enumerate(fax):
        p.tags[285] = ascii_(f"RT_T_FAX_PAGE_{i}")
    yield Case("tiff-multipage-fax", write(fax), ["RT_T_FAX_PAGE_0"], 0)
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[271], info[272], info[305] = "RT_T_SCANNER_MAKE", "Scanner X", "RT_T_SCAN_SOFTWARE"
    yield Case("tiff-scanner-jpeg", pillow(compression="jpeg", quality=85, tiffinfo=info),
               ["RT_T_SCANNER_MAKE", "RT_T_SCAN_SOFTWARE"], 0)
