"""Metadata floods built in code: small files that hold a huge number of findings.

Each generator returns the bytes of a valid-looking file whose metadata repeats one
identifying tag many thousands of times (the issue 19 reproducer: a 40 KB PNG with six
zTXt "Raw profile type exif" chunks of 64 IFDs x 1,024 Artist tags gave 393,594 findings
and 125 MB of JSON). ``CANARY`` is the planted value: it must never reach an output copy.
"""

from __future__ import annotations

import io
import struct
import zlib

from jpeg_fixtures import insert_after_soi, pixels, plain_jpeg, segment

CANARY = "CanaryFloodValue"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def plain_png(width: int = 32, height: int = 24) -> bytes:
    buf = io.BytesIO()
    pixels(width, height).save(buf, "PNG")
    return buf.getvalue()


def png_with_chunks(*chunks: bytes) -> bytes:
    """A small PNG with ``chunks`` (already framed) put before its first IDAT."""
    data = plain_png()
    at = data.find(b"IDAT") - 4
    return data[:at] + b"".join(chunks) + data[at:]


def artist_ifds(n_ifds: int = 64, per_ifd: int = 1024, value: bytes = b"Ann") -> bytes:
    """A big-endian TIFF block: a chain of ``n_ifds`` IFDs of ``per_ifd`` Artist tags each
    (values of up to 4 bytes sit inside the entry: the block is 12 bytes per tag)."""
    assert len(value) <= 3
    inline = value.ljust(4, b"\x00")
    size = 2 + 12 * per_ifd + 4
    out = [b"MM\x00\x2a\x00\x00\x00\x08"]
    for i in range(n_ifds):
        nxt = 8 + (i + 1) * size if i < n_ifds - 1 else 0
        entry = struct.pack(">HHI", 0x013B, 2, len(value) + 1) + inline
        out.append(struct.pack(">H", per_ifd) + entry * per_ifd + struct.pack(">I", nxt))
    return b"".join(out)


def raw_profile(kind: str, data: bytes) -> str:
    """ImageMagick's text layout of an embedded profile: "\\nNAME\\n   LENGTH\\nHEX..."."""
    hexed = data.hex()
    lines = [hexed[i : i + 72] for i in range(0, len(hexed), 72)]
    return f"\n{kind}\n{len(data):8d}\n" + "\n".join(lines) + "\n"


def ztxt_exif_flood(chunks: int = 6, n_ifds: int = 64, per_ifd: int = 1024) -> bytes:
    """The issue 19 reproducer (about 40 KB)."""
    body = raw_profile("exif", artist_ifds(n_ifds, per_ifd)).encode("latin-1")
    payload = b"Raw profile type exif\x00\x00" + zlib.compress(body, 9)
    return png_with_chunks(*[_png_chunk(b"zTXt", payload)] * chunks)


def xmp_packet(properties: int = 100_000, value: str = CANARY) -> bytes:
    """An XMP packet with ``properties`` dc:creator list items and as many custom properties."""
    items = "".join(f"<rdf:li>{value}{i % 7}</rdf:li>" for i in range(properties // 2))
    custom = "".join(f"<x:p{i}>{value}</x:p{i}>" for i in range(properties - properties // 2))
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<rdf:Description rdf:about="" xmlns:x="adobe:ns:meta/">'
        f"<dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator>{custom}"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


def xmp_flood_png(properties: int = 100_000) -> bytes:
    text = zlib.compress(xmp_packet(properties), 9)
    payload = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + text
    return png_with_chunks(_png_chunk(b"iTXt", payload))


def xmp_flood_jpeg(properties: int = 100_000) -> bytes:
    """Standard XMP holds at most 64 KB per segment: the flood goes in extended-XMP-free
    form as many APP1 segments of the same short packet (each one read on its own)."""
    packet = xmp_packet(properties)
    ns = b"http://ns.adobe.com/xap/1.0/\x00"
    room = 65533 - len(ns)
    segments = [segment(0xE1, ns + packet[:room])] if len(packet) <= room else []
    if not segments:  # one packet of 1,000 properties (about 40 KB), repeated
        small = xmp_packet(min(properties, 1_000))
        segments = [segment(0xE1, ns + small)] * max(1, properties // 1_000)
    return insert_after_soi(plain_jpeg(pixels(32, 24)), *segments)


def iptc_records(count: int, value: bytes = CANARY.encode()) -> bytes:
    """``count`` IPTC By-line (2:80) datasets, then as many City (2:90) ones."""
    one = b"\x1c\x02\x50" + struct.pack(">H", len(value)) + value
    two = b"\x1c\x02\x5a" + struct.pack(">H", len(value)) + value
    return (one + two) * (count // 2)


def irb(resources: list[tuple[int, bytes]]) -> bytes:
    out = b""
    for rid, data in resources:
        out += b"8BIM" + struct.pack(">H", rid) + b"\x00\x00" + struct.pack(">I", len(data)) + data
        if len(data) & 1:
            out += b"\x00"
    return out


def iptc_flood_jpeg(segments: int = 40, per_segment: int = 10_000) -> bytes:
    """Many APP13 segments, each holding one IPTC record of ``per_segment`` datasets (about
    64 KB, the most one segment can carry)."""
    value = b"Cn"
    data = iptc_records(per_segment, value)[: 65000 - 40]
    payload = b"Photoshop 3.0\x00" + irb([(0x0404, data)])
    return insert_after_soi(plain_jpeg(pixels(32, 24)), *[segment(0xED, payload)] * segments)


def iptc_flood_png(count: int = 300_000) -> bytes:
    body = raw_profile("iptc", iptc_records(count, b"Cn")).encode("latin-1")
    payload = b"Raw profile type iptc\x00\x00" + zlib.compress(body, 9)
    return png_with_chunks(_png_chunk(b"zTXt", payload))


def icc_profile(tags: int = 10_000, *, overlapping: bool = True, text: str = CANARY) -> bytes:
    """An ICC profile with ``tags`` tag-table entries, all pointing at one 'desc' record
    (overlapping: allowed by the spec for shared data) or each at its own record."""
    desc = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text) + 1) + text.encode() + b"\x00"
    desc += b"\x00" * (-len(desc) % 4)
    table_at = 128
    data_at = table_at + 4 + 12 * tags
    entries = b""
    blobs = b""
    for i in range(tags):
        sig = b"desc" if i == 0 else b"cprt" if i == 1 else struct.pack(">I", 0x41000000 + i)
        if overlapping:
            entries += sig + struct.pack(">II", data_at, len(desc))
        else:
            entries += sig + struct.pack(">II", data_at + len(blobs), len(desc))
            blobs += desc
    body = struct.pack(">I", tags) + entries + (desc if overlapping else blobs)
    size = 128 + len(body)
    header = struct.pack(">I", size) + b"lcms" + b"\x02\x10\x00\x00" + b"mntrRGB XYZ "
    header += b"\x07\xe5\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00" + b"acsp" + b"APPL"
    header = header.ljust(128, b"\x00")
    return header + body


def icc_flood_jpeg(tags: int = 10_000, overlapping: bool = True) -> bytes:
    """A JPEG whose ICC profile spans as many APP2 segments as it needs."""
    profile = icc_profile(tags, overlapping=overlapping)
    step = 65519 - 14
    parts = [profile[i : i + step] for i in range(0, len(profile), step)]
    segs = [segment(0xE2, b"ICC_PROFILE\x00" + bytes([i + 1, len(parts)]) + part)
            for i, part in enumerate(parts)]
    return insert_after_soi(plain_jpeg(pixels(32, 24)), *segs)


def icc_flood_png(tags: int = 10_000, overlapping: bool = True) -> bytes:
    profile = icc_profile(tags, overlapping=overlapping)
    return png_with_chunks(_png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(profile, 9)))


# -- video containers -------------------------------------------------------------------------

def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def ilst_flood(mp4: bytes, items: int = 200_000) -> bytes:
    """``mp4`` with a moov/udta/meta/ilst of ``items`` ©ART entries (the moov grows, the
    chunk offsets are shifted by appending the new udta after the old moov's end: the moov
    is moved to the end of the file, where its stco still points at the same mdat)."""
    data_atom = _box(b"data", struct.pack(">II", 1, 0) + CANARY.encode())
    entry = _box(b"\xa9ART", data_atom)
    ilst = _box(b"ilst", entry * items)
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"mdirappl" + b"\x00" * 9)
    meta = _box(b"meta", b"\x00\x00\x00\x00" + hdlr + ilst)
    return _append_to_moov(mp4, _box(b"udta", meta))


def _append_to_moov(mp4: bytes, extra: bytes) -> bytes:
    pos = 0
    while pos + 8 <= len(mp4):
        size, kind = struct.unpack(">I4s", mp4[pos : pos + 8])
        if kind == b"moov":
            moov = mp4[pos : pos + size]
            grown = struct.pack(">I", size + len(extra)) + b"moov" + moov[8:] + extra
            if pos + size == len(mp4):  # moov last: offsets before it stay valid
                return mp4[:pos] + grown
            # moov first (faststart): move it to the end, replacing it with a free box
            return mp4[:pos] + _box(b"free", b"\x00" * (size - 8)) + mp4[pos + size :] + grown
        if size < 8:
            break
        pos += size
    raise ValueError("no moov box")


def _vint_size(n: int) -> bytes:
    return bytes([0x01]) + n.to_bytes(7, "big")


def ebml(eid: int, payload: bytes) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + _vint_size(len(payload)) + payload


def matroska_tags_flood(mkv: bytes, tags: int = 100_000) -> bytes:
    """``mkv`` with a Tags element of ``tags`` SimpleTag ARTIST entries appended to the end
    of its Segment (an 8-byte size field is rewritten to cover it)."""
    simple = ebml(0x67C8, ebml(0x45A3, b"ARTIST") + ebml(0x4487, CANARY.encode()))
    tag = ebml(0x7373, ebml(0x63C0, b"") + simple * 50)
    extra = ebml(0x1254C367, tag * max(1, tags // 50))
    seg = mkv.find(b"\x18\x53\x80\x67")
    size_byte = mkv[seg + 4]
    length = 8 - (size_byte.bit_length() - 1) if size_byte else 8
    old = int.from_bytes(mkv[seg + 4 : seg + 4 + length], "big") & ((1 << (7 * length)) - 1)
    end = seg + 4 + length + old
    if end != len(mkv):
        raise ValueError("segment is not last")
    return mkv[:seg + 4] + _vint_size(old + len(extra)) + mkv[seg + 4 + length :] + extra
