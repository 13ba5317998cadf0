"""Malformed variants of valid files: generic damage plus structure-aware attacks per family.

Every variant is deterministic (seeded). Families are recognised from the
bytes, not from the handler, so a new handler for a known family (another
ISO-BMFF brand, another RIFF form) gets the structural attacks for free.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator

Variant = tuple[str, bytes]  # (label, bytes)


def family(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF":
        return "riff"
    if data[:4] in (b"GIF8",):
        return "gif"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[4:8] == b"ftyp":
        return "bmff"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "ebml"
    return "other"


# --------------------------------------------------------------------------- generic damage


def generic(data: bytes, rng: random.Random, *, flips: int, smashes: int) -> Iterator[Variant]:
    n = len(data)
    yield "empty", b""
    for k in (1, 4, 16, 64):
        yield f"head{k}", data[:k]
    for frac in (0.05, 0.1, 0.2, 0.33, 0.5, 0.66, 0.8, 0.9, 0.97):
        yield f"trunc{int(frac * 100)}", data[: max(1, int(n * frac))]
    yield "trunc-1", data[:-1]
    yield "trunc-2", data[:-2]
    for i in range(flips):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(min(n, 4096) if i % 2 else n)  # half near the headers
            buf[pos] ^= 1 << rng.randrange(8)
        yield f"flip{i}", bytes(buf)
    for i in range(smashes):
        buf = bytearray(data)
        pos = rng.randrange(max(1, n - 4))
        buf[pos : pos + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff",
                                          b"\x80\x00\x00\x00", b"\x00\x00\x00\x01"])
        yield f"smash{i}", bytes(buf)
    yield "doubled", data + data
    yield "garbage-tail", data + bytes(rng.randrange(256) for _ in range(777))
    yield "zero-tail", data + b"\x00" * 4096
    yield "zeroed-middle", data[: n // 3] + b"\x00" * (n // 3) + data[2 * n // 3 :]
    yield "magic-only-random", data[:16] + bytes(rng.randrange(256) for _ in range(512))


# --------------------------------------------------------------------------- family attacks


def _ifd(entries: list[tuple[int, int, int, int]], next_offset: int, bo: str = ">") -> bytes:
    body = struct.pack(bo + "H", len(entries))
    for tag, typ, count, value in entries:
        body += struct.pack(bo + "HHII", tag, typ, count, value)
    return body + struct.pack(bo + "I", next_offset)


def tiff_attacks() -> Iterator[Variant]:
    """Bare TIFF/EXIF structures; used as TIFF files and inside other containers."""
    mm = b"MM\x00\x2a\x00\x00\x00\x08"
    yield "ifd-self-loop", mm + _ifd([(0x010F, 2, 4, 0x41424300)], 8)
    yield "ifd-chain-loop", mm + _ifd([(0x0100, 3, 1, 0x00010000)], 26) + _ifd(
        [(0x0101, 3, 1, 0x00010000)], 8)
    yield "subifd-back", mm + _ifd([(0x8769, 4, 1, 8), (0x8825, 4, 1, 8), (0xA005, 4, 1, 8)], 0)
    yield "huge-count", mm + struct.pack(">H", 0xFFFF) + struct.pack(">HHII", 0x010F, 2, 0xFFFFFFFF, 16) * 50
    yield "value-offset-out", mm + _ifd([(0x013B, 2, 64, 0x7FFFFFF0), (0x0111, 4, 1, 0xFFFFFFF0)], 0)
    yield "subifds-fanout", mm + _ifd([(0x014A, 4, 16, 26)] * 200, 0) + struct.pack(">16I", *([8] * 16))
    yield "first-ifd-out", b"II\x2a\x00\xff\xff\xff\x7f"
    yield "bigtiff-loop", b"II\x2b\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00" + (
        struct.pack("<Q", 0) + struct.pack("<Q", 16)) + b"\x00" * 20  # 52 bytes, next -> itself
    # A strip image that claims 65535 x 65535 pixels and strips past the end.
    yield "strip-bomb", b"II\x2a\x00\x08\x00\x00\x00" + _ifd(
        [(0x0100, 4, 1, 65535), (0x0101, 4, 1, 65535), (0x0102, 3, 1, 8), (0x0103, 3, 1, 1),
         (0x0106, 3, 1, 1), (0x0111, 4, 1, 200), (0x0115, 3, 1, 1), (0x0116, 4, 1, 65535),
         (0x0117, 4, 1, 0xFFFFFFF0)], 0, "<")
    chain = b""
    base = 8
    for i in range(2000):  # a very long (loop-free) IFD chain
        chain += _ifd([(0x010E, 2, 4, 0x41410000)], base + 18 * (i + 1) if i < 1999 else 0)
    yield "ifd-chain-2000", mm + chain


def tiff_file_attacks(data: bytes) -> Iterator[Variant]:
    """Damage the real IFD0 of a TIFF file: loop its next pointer, inflate counts and offsets."""
    bo = "<" if data[:2] == b"II" else ">"
    first = struct.unpack(bo + "I", data[4:8])[0]
    if first + 2 > len(data):
        return
    count = struct.unpack(bo + "H", data[first : first + 2])[0]
    end = first + 2 + 12 * count
    if end + 4 <= len(data):
        yield "ifd0-next-self", data[:end] + struct.pack(bo + "I", first) + data[end + 4 :]
    yield "ifd0-count-ffff", data[:first] + struct.pack(bo + "H", 0xFFFF) + data[first + 2 :]
    for i in range(min(count, 16)):
        pos = first + 2 + 12 * i
        for label, value in (("count", b"\xff\xff\xff\x7f"), ("offset", b"\xf0\xff\xff\x7f")):
            at = pos + 4 if label == "count" else pos + 8
            yield f"entry{i}-{label}", data[:at] + value + data[at + 4 :]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", min(len(payload) + 2, 0xFFFF)) + payload


def _jpeg_segments(data: bytes) -> list[tuple[int, int]]:
    """(offset, length field) of the marker segments before the first scan."""
    out = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        out.append((pos, length))
        if marker == 0xDA:
            break
        pos += 2 + length
    return out


def jpeg_attacks(data: bytes, rng: random.Random) -> Iterator[Variant]:
    for i, (pos, _length) in enumerate(_jpeg_segments(data)[:12]):
        for value in (0, 1, 2, 0xFFFF):
            buf = bytearray(data)
            buf[pos + 2 : pos + 4] = struct.pack(">H", value)
            yield f"seg{i}-len{value}", bytes(buf)
    soi = data[:2]
    body = data[2:]
    for label, tiff in tiff_attacks():
        yield f"exif-{label}", soi + _segment(0xE1, b"Exif\x00\x00" + tiff[:65000]) + body
    big = b"\xff\xd8" + _segment(0xC0, b"\x08\xff\xff\xff\xff\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
    yield "sof-65535-bomb", big + data[2:]
    sof = data.find(b"\xff\xc0")
    sof = sof if sof > 0 else data.find(b"\xff\xc2")
    if sof > 0:  # the real frame header claims 65535 x 65535; truncated so rebuild is offered
        patched = data[: sof + 5] + b"\xff\xff\xff\xff" + data[sof + 9 :]
        yield "sof-65535-truncated", patched[:-2]
        yield "sof-65535", patched
    thumb_bomb = b"\xff\xd8" + _segment(0xC0, b"\x08\xff\xff\xff\xff\x01\x01\x11\x00") + b"\xff\xd9"
    ifd0 = _ifd([(0x010F, 2, 4, 0x41424300)], 26)
    ifd1 = _ifd([(0x0103, 3, 1, 0x00060000), (0x0201, 4, 1, 26 + 42), (0x0202, 4, 1, len(thumb_bomb))], 0)
    yield "thumbnail-bomb", soi + _segment(0xE1, b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + ifd0 + ifd1
                                           + thumb_bomb) + body
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">'
                         % ((98 + i,) + (97 + i,) * 10) for i in range(8))
              + b"]><x:xmpmeta xmlns:x='adobe:ns:meta/'>&i;</x:xmpmeta>")
    yield "xmp-billion-laughs", soi + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + laughs) + body
    deep = b"<a>" * 20000 + b"</a>" * 20000
    yield "xmp-deep-nesting", soi + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + deep[:65000]) + body
    yield "xmp-not-xml", soi + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><<<>>") + body
    irb = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\xff\xff\xff\xff"
    yield "irb-huge-sizes", soi + _segment(0xED, irb) + body
    iptc = b"\x1c\x02\x50\x80\x04\xff\xff\xff\xff" + b"\x1c\x02\x5a\xff\xff"
    yield "iptc-extended-size", soi + _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00"
                                               + struct.pack(">I", len(iptc)) + iptc) + body
    yield "many-app-segments", soi + _segment(0xE5, b"x" * 8) * 20000 + body
    yield "marker-flood", soi + b"\xff\x01" * 100_000 + body
    yield "fill-byte-flood", soi + b"\xff" * 200_000 + body
    yield "nested-soi", soi + _segment(0xE1, data[:60000]) + body
    yield "no-eoi-scan", data[: data.rfind(b"\xff\xd9")] if b"\xff\xd9" in data else data
    yield "motion-photo-trailer", data + struct.pack(">I", 24) + b"ftypmp42" + b"\x00" * 12 + b"\xff" * 100
    yield "second-jpeg-trailer", data + data
    yield "com-64k", soi + _segment(0xFE, bytes(rng.randrange(256) for _ in range(65000))) + body


def _png_chunks(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        out.append((pos, data[pos + 4 : pos + 8]))
        pos += 12 + length
    return out


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_attacks(data: bytes) -> Iterator[Variant]:
    sig = data[:8]
    for i, (pos, kind) in enumerate(_png_chunks(data)[:10]):
        for value in (0, 0x7FFFFFFF, 0xFFFFFFFF):
            buf = bytearray(data)
            buf[pos : pos + 4] = struct.pack(">I", value)
            yield f"chunk{i}-{kind.decode('latin-1')}-len{value:x}", bytes(buf)
        buf = bytearray(data)
        buf[pos + 8] ^= 0xFF if pos + 8 < len(buf) else 0
        yield f"chunk{i}-badcrc", bytes(buf)
    ihdr_huge = _chunk(b"IHDR", struct.pack(">IIBBBBB", 0x7FFFFFFF, 0x7FFFFFFF, 8, 2, 0, 0, 0))
    yield "ihdr-huge", sig + ihdr_huge + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")
    yield "87-byte-2gb-chunk", (sig + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
                                + struct.pack(">I", 0x80000000) + b"tEXt" + b"Comment\x00x" * 3)[:87]
    width = height = 6000  # 36 MB of zeros in ~35 KB: a decompression bomb for decoders
    idat = zlib.compress(b"\x00" * ((width + 1) * height), 9)
    yield "idat-bomb", sig + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + (
        _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    bomb = zlib.compress(b"A" * 64_000_000, 9)
    head = data[: _png_chunks(data)[1][0]] if len(_png_chunks(data)) > 1 else data[:33]
    rest = data[len(head):]
    yield "ztxt-bomb", head + _chunk(b"zTXt", b"Comment\x00\x00" + bomb) + rest
    yield "itxt-bomb", head + _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + bomb) + rest
    yield "iccp-bomb", head + _chunk(b"iCCP", b"icc\x00\x00" + bomb) + rest
    yield "many-chunks", head + _chunk(b"tEXt", b"k\x00v") * 50_000 + rest
    yield "exif-loop", head + _chunk(b"eXIf", dict(tiff_attacks())["ifd-self-loop"]) + rest
    yield "text-100k", head + _chunk(b"tEXt", b"Comment\x00" + "\x1b[31m\u202e".encode() * 20_000) + rest


def _riff_chunks(data: bytes, start: int, end: int, depth: int = 0) -> list[int]:
    """Offsets of chunk headers (recursing into LIST/RIFF) up to a few dozen."""
    out: list[int] = []
    pos = start
    while pos + 8 <= min(end, len(data)) and len(out) < 40:
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append(pos)
        if data[pos : pos + 4] in (b"LIST", b"RIFF") and depth < 4:
            out.extend(_riff_chunks(data, pos + 12, pos + 8 + size, depth + 1))
        pos += 8 + size + (size & 1)
    return out


def riff_attacks(data: bytes) -> Iterator[Variant]:
    form = data[8:12]
    for i, pos in enumerate(_riff_chunks(data, 12, len(data))[:14]):
        for value in (0, 1, 0x7FFFFFFF, 0xFFFFFFFF):
            buf = bytearray(data)
            buf[pos + 4 : pos + 8] = struct.pack("<I", value)
            yield f"chunk{i}-len{value:x}", bytes(buf)
    buf = bytearray(data)
    buf[4:8] = struct.pack("<I", 0xFFFFFFFF)
    yield "riff-size-huge", bytes(buf)
    buf[4:8] = struct.pack("<I", 4)
    yield "riff-size-tiny", bytes(buf)
    nested = b""
    for _ in range(5000):  # LIST inside LIST inside ... (sizes consistent)
        nested = b"LIST" + struct.pack("<I", len(nested) + 4) + b"junk" + nested
    yield "deep-list", b"RIFF" + struct.pack("<I", len(nested) + 4) + form + nested + data[12:]
    yield "many-chunks", data[:12] + (b"JUNK" + struct.pack("<I", 2) + b"xx") * 60_000 + data[12:]
    exif = dict(tiff_attacks())["ifd-self-loop"]
    yield "exif-loop-chunk", data + b"EXIF" + struct.pack("<I", len(exif)) + exif
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x3c\x00\x00\x00" + b"\xff\xff\xff" + b"\xff\xff\xff"
    yield "vp8x-huge-canvas", data[:12] + vp8x + data[12:]


def _bmff_boxes(data: bytes, start: int, end: int, depth: int = 0) -> list[int]:
    containers = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"dinf", b"edts", b"iprp",
                  b"ipco", b"meta", b"ilst", b"mvex", b"moof", b"traf"}
    out: list[int] = []
    pos = start
    while pos + 8 <= min(end, len(data)) and len(out) < 60:
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if size < 8:
            break
        out.append(pos)
        if kind in containers and depth < 6:
            inner = pos + 12 if kind == b"meta" else pos + 8
            out.extend(_bmff_boxes(data, inner, pos + size, depth + 1))
        pos += size
    return out


def bmff_attacks(data: bytes) -> Iterator[Variant]:
    boxes = _bmff_boxes(data, 0, len(data))
    for i, pos in enumerate(boxes[:24]):
        kind = data[pos + 4 : pos + 8].decode("latin-1")
        for value in (0, 1, 7, 0xFFFFFFFF):
            buf = bytearray(data)
            buf[pos : pos + 4] = struct.pack(">I", value)
            yield f"box{i}-{kind}-size{value:x}", bytes(buf)
        buf = bytearray(data)
        buf[pos : pos + 4] = struct.pack(">I", 1)
        large = struct.pack(">Q", 2**63 - 1)
        yield f"box{i}-{kind}-large", bytes(buf[: pos + 8]) + large + bytes(buf[pos + 8 :])
    ftyp_end = struct.unpack(">I", data[:4])[0] if data[4:8] == b"ftyp" else 0
    head, rest = data[:ftyp_end], data[ftyp_end:]
    for kind in (b"moov", b"udta", b"meta", b"trak"):
        nested = b""
        for _ in range(3000):  # deeply nested boxes with consistent sizes
            extra = b"\x00\x00\x00\x00" if kind == b"meta" else b""
            nested = struct.pack(">I", 8 + len(extra) + len(nested)) + kind + extra + nested
        yield f"deep-{kind.decode()}", head + nested + rest
    yield "many-free-boxes", head + (struct.pack(">I", 8) + b"free") * 100_000 + rest
    iloc = (struct.pack(">I", 8 + 4 + 4 + 2 + 12) + b"iloc" + b"\x00\x00\x00\x00" + b"\x44\x00" + b"\x00\x01"
            + struct.pack(">HHH", 1, 0, 1) + struct.pack(">II", 0x7FFFFFF0, 0x7FFFFFFF))
    meta = struct.pack(">I", 12 + len(iloc)) + b"meta\x00\x00\x00\x00" + iloc
    yield "iloc-out-of-file", head + meta + rest
    exif = dict(tiff_attacks())["ifd-self-loop"]
    yield "udta-exif-loop", head + struct.pack(">I", 8 + 8 + len(exif)) + b"udta" + struct.pack(
        ">I", 8 + len(exif)) + b"Exif" + exif + rest


def _vint(value: int, length: int) -> bytes:
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def ebml_attacks(data: bytes, rng: random.Random) -> Iterator[Variant]:
    header_size_at = 4
    for value, label in ((b"\x01\xff\xff\xff\xff\xff\xff\xff", "unknown"),
                         (b"\x01\x00\xff\xff\xff\xff\xff\xff", "huge"),
                         (b"\x80", "zero"), (b"\x00", "invalid-vint")):
        yield f"header-size-{label}", data[:header_size_at] + value + data[header_size_at + 1 :]
    seg = data.find(b"\x18\x53\x80\x67")
    if seg > 0:
        for value, label in ((b"\x01\xff\xff\xff\xff\xff\xff\xff", "unknown"),
                             (b"\x01\x7f\xff\xff\xff\xff\xff\xff", "huge"), (b"\x00", "invalid-vint")):
            width = 8
            yield f"segment-size-{label}", data[: seg + 4] + value + data[seg + 4 + width :]
        nested = b""
        for _ in range(5000):  # SimpleTag inside SimpleTag, the one legal recursion
            nested = b"\x67\xc8" + _vint(len(nested), 4) + nested
        tags = b"\x12\x54\xc3\x67" + _vint(len(nested) + 6, 8) + b"\x73\x73" + _vint(len(nested), 4) + nested
        yield "deep-simpletag", data + tags
        unknown = b"\x1f\x43\xb6\x75\x01\xff\xff\xff\xff\xff\xff\xff" * 2000
        yield "many-unknown-size-clusters", data[: seg + 12] + unknown
        yield "void-flood", data + (b"\xec\x81\x00") * 100_000
    for i in range(20):
        pos = rng.randrange(len(data))
        yield f"vint-smash{i}", data[:pos] + b"\x01\xff\xff\xff\xff\xff\xff\xff" + data[pos + 8 :]


def gif_attacks(data: bytes) -> Iterator[Variant]:
    buf = bytearray(data)
    buf[6:10] = b"\xff\xff\xff\xff"
    yield "screen-65535", bytes(buf)
    body_at = 13 + (3 * (2 << (data[10] & 7)) if data[10] & 0x80 else 0)
    comment = b"\x21\xfe" + b"\xff" + b"c" * 255
    yield "endless-comment", data[:body_at] + comment * 4000 + b"\x00" + data[body_at:]
    yield "comment-no-terminator", data[:body_at] + b"\x21\xfe" + b"\x05hello" * 10
    ext_flood = b"\x21\xf9\x04\x00\x00\x00\x00\x00" * 50_000
    yield "gce-flood", data[:body_at] + ext_flood + data[body_at:]
    huge_frame = b"\x2c\x00\x00\x00\x00\xff\xff\xff\xff\x00\x08" + b"\xff" + b"\x00" * 255 + b"\x00"
    yield "frame-65535", data[:body_at] + huge_frame + data[body_at:]
    bad_lzw = b"\x2c\x00\x00\x00\x00\x10\x00\x10\x00\x00\x0f\x02\xff\xff\x00"
    yield "lzw-min-code-bad", data[:body_at] + bad_lzw + data[body_at:]
    yield "app-ext-xmp-unterminated", data[:body_at] + b"\x21\xffXMP DataXMP" + b"\x7f" * 4000
    yield "no-trailer", data[:-1]


def variants(data: bytes, seed: int, *, flips: int = 24, smashes: int = 12) -> Iterator[Variant]:
    """Generic damage plus the attacks for this file's family."""
    rng = random.Random(seed)
    yield from generic(data, rng, flips=flips, smashes=smashes)
    fam = family(data)
    if fam == "jpeg":
        yield from jpeg_attacks(data, rng)
    elif fam == "png":
        yield from png_attacks(data)
    elif fam == "riff":
        yield from riff_attacks(data)
    elif fam == "gif":
        yield from gif_attacks(data)
    elif fam == "tiff":
        yield from tiff_attacks()
        yield from tiff_file_attacks(data)
    elif fam == "bmff":
        yield from bmff_attacks(data)
    elif fam == "ebml":
        yield from ebml_attacks(data, rng)
