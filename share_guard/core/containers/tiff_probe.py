"""Decoding parts of a TIFF page to learn what its bytes really carry.

* CCITT (fax) strips: a decoder stops once the strip's rows are complete; whatever follows
  the codes is never read. Only a decoder knows where that is, so one strip is wrapped in
  a one-strip TIFF and decoded by libtiff (through Pillow, under the usual limits) with its
  bytes from ``n`` on zeroed: the least ``n`` that leaves the rows unchanged is what they
  need (see :mod:`jpeg_scan_end`, which does the same for JPEG scans).
* Palette pages: which colour-map entries the pixels use (the others can carry anything).
* Row padding: the bits after the last pixel of each row of an uncompressed strip whose
  rows do not end on a byte boundary (no decoder reads them).
"""

from __future__ import annotations

import hashlib
import io
import struct
from typing import TYPE_CHECKING

from share_guard.core.containers.jpeg_scan_end import needed, only_needed

if TYPE_CHECKING:
    from share_guard.core.containers.tiff_blocks import Layout


def _digest(tiff: bytes, frame: int = 0) -> bytes | None:
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(tiff), formats=["TIFF"]) as img:
            img.seek(frame)
            img.load()
            return hashlib.sha256(f"{img.mode} {img.size}".encode() + img.tobytes()).digest()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


def _strip_tiff(lay: Layout, rows: int, block: bytes) -> bytes:
    """A little-endian TIFF holding ``block`` as the only strip of a CCITT page."""
    tags = [(256, 4, lay.width), (257, 4, rows), (258, 3, 1), (259, 3, lay.compression),
            (262, 3, lay.photometric), (266, 3, lay.fill_order), (273, 4, 0), (277, 3, 1),
            (278, 4, rows), (279, 4, len(block))]
    if lay.compression in (3, 4):
        tags.append((292 if lay.compression == 3 else 293, 4, lay.options))
    ifd_at = 8
    data_at = ifd_at + 2 + 12 * len(tags) + 4
    entries = b"".join(struct.pack("<HHII", t, typ, 1, data_at if t == 273 else v)
                       if typ == 4 else struct.pack("<HHIHH", t, typ, 1, v, 0)
                       for t, typ, v in tags)
    return (b"II*\0" + struct.pack("<I", ifd_at) + struct.pack("<H", len(tags)) + entries
            + b"\0\0\0\0" + block)


def _rows(lay: Layout, index: int) -> int:
    strip = index % lay.per_plane
    return min(lay.block_length, lay.length - strip * lay.block_length)


def ccitt_needed(block: bytes, lay: Layout, index: int) -> int | None:
    """Bytes of CCITT strip ``index`` its rows need (None: the strip does not decode)."""
    rows = _rows(lay, index)
    reference = _digest(_strip_tiff(lay, rows, block))
    if reference is None:
        return None
    return needed(block, lambda b: _strip_tiff(lay, rows, b), _digest)


def ccitt_only_needed(block: bytes, lay: Layout, index: int) -> bool:
    """True when the strip's last non-zero byte is one its rows need."""
    rows = _rows(lay, index)
    reference = _digest(_strip_tiff(lay, rows, block))
    return reference is not None and only_needed(block, lambda b: _strip_tiff(lay, rows, b),
                                                 _digest)


def palette_used(data: bytes, frame: int) -> set[int] | None:
    """Colour-map indices page ``frame`` of the TIFF ``data`` uses (None: it does not
    decode as a palette picture)."""
    from PIL import Image

    from share_guard.core.media.images import open_image

    try:
        with open_image(io.BytesIO(data), formats=["TIFF"]) as img:
            img.seek(frame)
            img.load()
            if img.mode not in ("P", "PA"):
                return None
            counts = img.getchannel(0).histogram() if img.mode == "PA" else img.histogram()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    return {i for i, n in enumerate(counts[:256]) if n}


def clear_colormap(values: tuple[int, ...], used: set[int]) -> tuple[int, ...]:
    """A ColorMap (all reds, all greens, all blues) with entries no pixel uses set to 0."""
    n = len(values) // 3
    return tuple(0 if i % n not in used else v for i, v in enumerate(values))


def padding_mask(lay: Layout) -> tuple[int, int] | None:
    """(bytes per row, mask of the bits the last byte of a row keeps) of an uncompressed
    strip whose rows end inside a byte; None when rows end on a byte boundary."""
    if lay.subsampling != (1, 1):
        return None
    bits = lay.block_width * lay.bps * (lay.spp if lay.planar == 1 else 1)
    used = bits % 8
    if not used:
        return None
    keep = (0xFF << (8 - used)) & 0xFF if lay.fill_order == 1 else (1 << used) - 1
    return -(-bits // 8), keep


def clear_padding(block: bytes, lay: Layout) -> bytes:
    """``block`` (whole rows) with the padding bits at the end of each row set to 0."""
    found = padding_mask(lay)
    if found is None:
        return block
    row, keep = found
    out = bytearray(block)
    for end in range(row - 1, len(out) - len(out) % row, row):
        out[end] &= keep
    return bytes(out)
