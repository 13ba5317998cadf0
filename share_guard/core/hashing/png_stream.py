"""A large PNG decoded band by band, so hashing it never holds the whole picture.

Pillow decodes a PNG only whole: a 12,000 x 12,000 RGBA picture is 576 MB
before any conversion. Here the IDAT stream is inflated incrementally and cut
into bands of rows; Pillow itself undoes the row filters and unpacks the
pixels of each band, from two small PNGs made for it: one that carries the
filtered rows behind the previous band's last row (re-declared as 8-bit
samples with the same bytes per pixel, so the filters see the same bytes and
the output *is* the raw row bytes), and one that carries those raw rows,
unfiltered, under the picture's own header, palette and transparency, so the
pixels are exactly what Pillow gives for the whole file. Memory: a few bands.

Handled: non-interlaced PNGs whose filter unit is 1 to 4 bytes (every colour
type at 1-8 bits, 16-bit grey and grey+alpha). Interlaced and 16-bit
RGB/RGBA pictures are decoded whole by the caller.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from share_guard.core.containers.base import open_regular
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: colour type declaring 8-bit samples with a given filter unit (bytes per pixel)
_RAW_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
#: chunks Pillow reads orientation from (EXIF, raw EXIF profile text, XMP)
_INFO_CHUNKS = (b"eXIf", b"tEXt", b"zTXt", b"iTXt")
BAND_BYTES = 8 << 20


@dataclass
class PngLayout:
    width: int
    height: int
    depth: int
    colour: int
    ihdr: bytes
    palette: list[bytes] = field(default_factory=list)  # PLTE, tRNS chunks as written
    info: list[bytes] = field(default_factory=list)  # chunks that may carry orientation
    idat: list[tuple[int, int]] = field(default_factory=list)  # (offset, length)

    @property
    def unit(self) -> int:
        """Bytes per pixel as the row filters see them."""
        return max(1, CHANNELS[self.colour] * self.depth // 8)

    @property
    def row_bytes(self) -> int:
        return (self.width * CHANNELS[self.colour] * self.depth + 7) // 8


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _idat(parts: list[bytes]) -> bytes:
    """One IDAT chunk holding ``parts`` as a stored (uncompressed) zlib stream.

    Written by hand: ``zlib.compress(level=0)`` copies the data through deflate,
    and Pillow does not check an IDAT chunk's CRC (it reads the pixels as a
    stream), so the CRC field is left zero instead of hashing megabytes.
    """
    data = memoryview(b"".join(parts))
    step = 0xFFFF
    pieces: list[bytes | memoryview] = [b"", b"IDAT\x78\x01"]
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        last = 1 if start + step >= len(data) else 0
        pieces += [struct.pack("<BHH", last, len(piece), len(piece) ^ 0xFFFF), piece]
    pieces += [struct.pack(">I", zlib.adler32(data)), b"\x00\x00\x00\x00"]
    size = sum(len(p) for p in pieces) - 8 - 4  # the chunk body: between type and CRC
    pieces[0] = struct.pack(">I", size)
    return b"".join(pieces)


def read_layout(path: str | os.PathLike[str]) -> PngLayout | None:
    """Where the image data is, when the file is a PNG this module can stream; else None."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if fh.read(8) != SIGNATURE:
            return None
        layout: PngLayout | None = None
        pos = 8
        while pos + 8 <= size:
            fh.seek(pos)
            length, kind = struct.unpack(">I4s", fh.read(8))
            if pos + 12 + length > size:
                raise CorruptFile(N_("a PNG chunk runs past the end of the file"))
            if kind == b"IHDR":
                data = fh.read(length)
                if length != 13:
                    raise CorruptFile(N_("the PNG header has the wrong size"))
                w, h, depth, colour, _comp, _filt, interlace = struct.unpack(">IIBBBBB", data)
                if interlace or colour not in CHANNELS or depth not in (1, 2, 4, 8, 16):
                    return None
                layout = PngLayout(w, h, depth, colour, data)
                if layout.unit not in _RAW_TYPE:
                    return None  # 16-bit RGB(A): no 8-bit type has 6 or 8 bytes per pixel
            elif layout is None:
                raise CorruptFile(N_("the PNG does not start with its header"))
            elif kind == b"IDAT":
                if layout.idat and layout.idat[-1][0] + layout.idat[-1][1] + 12 != pos + 8:
                    raise CorruptFile(N_("the PNG image data is split by other chunks"))
                layout.idat.append((pos + 8, length))
            elif kind in (b"PLTE", b"tRNS") and not layout.idat:
                layout.palette.append(_chunk(kind, fh.read(length)))
            elif kind in _INFO_CHUNKS:
                layout.info.append(_chunk(kind, fh.read(length)))
            elif kind == b"IEND":
                break
            pos += 12 + length
    if layout is None or not layout.idat:
        raise CorruptFile(N_("the PNG has no image data"))
    return layout


def orientation(layout: PngLayout) -> int:
    """The EXIF orientation Pillow would apply, read from a 1x1 copy with the same metadata."""
    tiny = (SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + b"".join(layout.info) + _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + _chunk(b"IEND", b""))
    try:
        with Image.open(io.BytesIO(tiny), formats=["PNG"]) as im:
            im.load()
            return int(im.getexif().get(0x0112, 1))
    except (OSError, ValueError, SyntaxError):
        return 1


def _scanlines(path: str | os.PathLike[str], layout: PngLayout, band: int) -> Iterator[bytes]:
    """The filtered rows (filter byte + row), ``band`` rows at a time, inflated as needed."""
    need = band * (layout.row_bytes + 1)
    total = layout.height * (layout.row_bytes + 1)
    inflater = zlib.decompressobj()
    pending = bytearray()
    produced = 0
    with open_regular(path) as fh:
        for offset, length in layout.idat:
            fh.seek(offset)
            left = length
            while left:
                data = fh.read(min(left, 1 << 20))
                if not data:
                    raise CorruptFile(N_("the PNG ends inside its image data"))
                left -= len(data)
                while data:
                    out = inflater.decompress(data, max(need - len(pending), 1 << 16))
                    data = inflater.unconsumed_tail
                    pending += out
                    while len(pending) >= need and produced < total:
                        take = min(need, total - produced)
                        yield bytes(pending[:take])
                        del pending[:take]
                        produced += take
                    if produced >= total:
                        return
    pending += inflater.flush()
    if produced + len(pending) < total:
        raise CorruptFile(N_("the PNG image data is truncated"))
    while produced < total:
        take = min(need, total - produced)
        yield bytes(pending[:take])
        del pending[:take]
        produced += take


def _decode(png: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(png), formats=["PNG"])
    im.load()
    return im


def bands(path: str | os.PathLike[str], layout: PngLayout) -> Iterator[Image.Image]:
    """The picture's rows, top to bottom, a band at a time, as Pillow images in mode "RGB"
    (or "L" for 8-bit grey), pixel for pixel what ``convert("RGB")`` gives for the file."""
    rb, unit, w = layout.row_bytes, layout.unit, layout.width
    band = max(1, BAND_BYTES // (rb + 1))
    previous = bytes(rb)  # the row above the first is zeros for the filters
    end = _chunk(b"IEND", b"")
    for chunk in _scanlines(path, layout, band):
        k = len(chunk) // (rb + 1)
        # 1. filters: the previous raw row (filter 0) then this band, as 8-bit samples
        ihdr = struct.pack(">IIBBBBB", rb // unit, k + 1, 8, _RAW_TYPE[unit], 0, 0, 0)
        raw_im = _decode(SIGNATURE + _chunk(b"IHDR", ihdr) + _idat([b"\x00", previous, chunk]) + end)
        raw = np.asarray(raw_im).reshape(k + 1, rb)[1:]
        previous = raw[-1].tobytes()
        if layout.depth == 8 and layout.colour != 3:
            # 8-bit grey, grey+alpha, RGB, RGBA: the bytes are the samples; converting to
            # RGB repeats grey and drops alpha, which Pillow's raw unpackers do directly
            if layout.colour in (2, 6):
                yield Image.frombytes("RGB", (w, k), raw.tobytes(), "raw",
                                      "RGB" if layout.colour == 2 else "RGBX")  # X: alpha skipped
            else:
                grey = raw.reshape(k, w, CHANNELS[layout.colour])[:, :, 0]
                yield Image.fromarray(np.ascontiguousarray(grey))
            continue
        # 2. pixels: the raw rows, unfiltered, under the picture's own header and palette
        rows = np.zeros((k, rb + 1), np.uint8)
        rows[:, 1:] = raw
        ihdr = struct.pack(">IIBBBBB", w, k, layout.depth, layout.colour, 0, 0, 0)
        pix = _decode(SIGNATURE + _chunk(b"IHDR", ihdr) + b"".join(layout.palette)
                      + _idat([rows.tobytes()]) + end)
        yield pix.convert("RGB")
