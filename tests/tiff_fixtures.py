"""TIFF files taken apart and put together again, with something hidden in a chosen place.

:func:`pillow_tiff` writes a real TIFF (libtiff codecs through Pillow), :func:`decompose`
reads its pages back as entries and strip data, and :func:`assemble` writes pages again
with whatever a test plants: extra tags, sub-IFDs, strip data with bytes after the
stream, bytes between strips or after the last IFD, non-blank alignment and entry
padding. Nothing here uses share_guard's writer.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageCms

from share_guard.core.metadata import icc
from share_guard.core.metadata.tiff_ifd import parse_tiff

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7
_FMT = {BYTE: "B", SHORT: "H", LONG: "I"}
BLOCK_TAGS = {273: 279, 324: 325}


def value(bo: str, typ: int, values: object) -> tuple[int, int, bytes]:
    """(type, count, raw) of a tag: bytes for ASCII/UNDEFINED/BYTE-as-bytes, ints for
    SHORT/LONG/BYTE, (num, den) pairs for RATIONAL."""
    if isinstance(values, bytes):
        return typ, len(values) // (2 if typ == SHORT else 4 if typ == LONG else 1), values
    vals = list(values)  # type: ignore[call-overload]
    if typ == RATIONAL:
        return typ, len(vals), b"".join(struct.pack(bo + "II", n, d) for n, d in vals)
    return typ, len(vals), struct.pack(f"{bo}{len(vals)}{_FMT[typ]}", *vals)


@dataclass
class PageSpec:
    #: tag -> (type, count, raw value) in the file's byte order, block index tags excluded
    entries: dict[int, tuple[int, int, bytes]]
    blocks: list[bytes]
    #: byte counts written for the blocks (default: their lengths)
    counts: list[int] | None = None
    tiled: bool = False
    #: pointer tag (0x8769 EXIF, 0x8825 GPS, 0x014A SubIFDs) -> the IFD it points to
    subs: dict[int, PageSpec] = field(default_factory=dict)


def picture(size: tuple[int, int] = (64, 40), seed: int = 3) -> Image.Image:
    """A picture with detail (noise over a gradient), so every codec has work to do."""
    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) % 256], -1)
    noise = rng.integers(0, 24, (h, w, 3))
    return Image.fromarray(((base + noise) % 256).astype(np.uint8), "RGB")


def pillow_tiff(compression: str = "raw", size: tuple[int, int] = (64, 40), rows: int = 8,
                mode: str = "RGB") -> bytes:
    """A TIFF written by Pillow/libtiff (``rows`` rows per strip where the codec allows)."""
    im = picture(size)
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    bands = len(im.getbands())
    im.save(buf, "TIFF", compression=compression, strip_size=size[0] * bands * rows)
    return buf.getvalue()


def decompose(data: bytes) -> tuple[str, list[PageSpec]]:
    """Byte order and the pages of the main IFD chain, as entries and block data."""
    tiff = parse_tiff(data)
    bo = tiff.byte_order
    pages = []
    for ifd in tiff.ifds:
        if not ifd.name.startswith("IFD"):
            continue
        entries = {e.tag: (e.type, e.count, e.raw) for e in ifd.entries}
        tiled = 324 in entries
        off_tag = 324 if tiled else 273
        offs = _ints(bo, *entries.pop(off_tag))
        counts = _ints(bo, *entries.pop(BLOCK_TAGS[off_tag]))
        blocks = [data[o : o + n] for o, n in zip(offs, counts, strict=True)]
        pages.append(PageSpec(entries, blocks, tiled=tiled))
    return bo, pages


def _ints(bo: str, typ: int, count: int, raw: bytes) -> list[int]:
    return list(struct.unpack(f"{bo}{count}{_FMT[typ]}", raw))


@dataclass
class Plant:
    """What :func:`assemble` hides around the structures it writes."""

    #: after every block (between strips, unreferenced)
    gap: bytes = b""
    #: after the last structure of the file
    tail: bytes = b""
    #: fill of alignment bytes and of the spare bytes of short in-entry values
    fill: bytes = b"\x00"


def assemble(bo: str, pages: list[PageSpec], plant: Plant | None = None) -> bytes:
    """A TIFF of ``pages`` (blocks first, then each IFD and its values)."""
    plant = plant or Plant()
    out = bytearray((b"II*\x00" if bo == "<" else b"MM\x00*") + bytes(4))
    prev = 4
    for page in pages:
        at, nxt = _write_ifd(out, bo, page, plant)
        struct.pack_into(bo + "I", out, prev, at)
        prev = nxt
    out += plant.tail
    return bytes(out)


def _fill(plant: Plant, n: int) -> bytes:
    return (plant.fill * (n // max(len(plant.fill), 1) + 1))[:n]


def _write_ifd(out: bytearray, bo: str, page: PageSpec, plant: Plant) -> tuple[int, int]:
    entries = dict(page.entries)
    if page.blocks:
        offs = []
        for block in page.blocks:
            offs.append(len(out))
            out += block + plant.gap
        counts = page.counts or [len(b) for b in page.blocks]
        off_tag = 324 if page.tiled else 273
        entries[off_tag] = value(bo, LONG, offs)
        entries[BLOCK_TAGS[off_tag]] = value(bo, LONG, counts)
    for pointer, sub in page.subs.items():
        sub_at, _ = _write_ifd(out, bo, sub, plant)
        entries[pointer] = value(bo, LONG, [sub_at])
    if len(out) % 2:
        out += _fill(plant, 1)
    start = len(out)
    items = sorted(entries.items())
    values_at = start + 2 + 12 * len(items) + 4
    table = bytearray(struct.pack(bo + "H", len(items)))
    blob = bytearray()
    for tag, (typ, count, raw) in items:
        table += struct.pack(bo + "HHI", tag, typ, count)
        if len(raw) <= 4:
            table += raw + _fill(plant, 4 - len(raw))
        else:
            table += struct.pack(bo + "I", values_at + len(blob))
            blob += raw + (_fill(plant, 1) if len(raw) % 2 else b"")
    out += table + bytes(4) + blob
    return start, start + 2 + 12 * len(items)


def profile_with(text: str) -> bytes:
    """An sRGB profile whose description and copyright say ``text``, with a maker header."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    blocks = [(t.sig, base[t.offset : t.offset + t.size]) for t in icc.parse(base)
              if t.sig in icc.COLOUR_TAGS]
    utf16 = text.encode("utf-16-be")
    desc = b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) \
        + utf16
    blocks += [(b"desc", desc), (b"cprt", b"text" + bytes(4) + text.encode() + b"\x00")]
    table = 132 + 12 * len(blocks)
    body, entries = bytearray(), []
    for sig, block in blocks:
        entries.append(struct.pack(">4sII", sig, table + len(body), len(block)))
        body += block + bytes(-len(block) % 4)
    head = bytearray(base[:128])
    head[48:52], head[52:56] = b"APPL", b"MRKR"
    out = head + struct.pack(">I", len(blocks)) + b"".join(entries) + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def with_segments(jpeg: bytes, *segments: bytes, tail: bytes = b"") -> bytes:
    """A JPEG strip with ``segments`` (marker + payload) inserted after SOI, ``tail`` after."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:] + tail


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def packbits_literal(data: bytes, extra: bytes = b"") -> bytes:
    """``data`` as PackBits literal runs; ``extra`` rides in the last run past the picture."""
    out = bytearray()
    chunks = [data[i : i + 100] for i in range(0, len(data), 100)]
    for i, chunk in enumerate(chunks):
        if i == len(chunks) - 1 and len(chunk) + len(extra) <= 128:
            chunk += extra
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out)


def tiff_pages(data: bytes) -> list[np.ndarray]:
    """Every page as Pillow reads it (no orientation applied)."""
    frames = []
    with Image.open(io.BytesIO(data)) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGBA")))
    return frames


def tifffile_pages(data: bytes) -> list[np.ndarray]:
    """Every page of the main chain as tifffile (an independent reader) decodes it."""
    import tifffile

    with tifffile.TiffFile(io.BytesIO(data)) as tf:
        return [page.asarray() for page in tf.pages]  # type: ignore[union-attr]
