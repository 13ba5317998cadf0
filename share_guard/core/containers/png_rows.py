"""The padding bits at the end of each scanline of a PNG of 1, 2 or 4 bits a pixel.

A row of such a picture ends inside its last byte when its width times the bit depth is
not a multiple of 8: the bits after the last pixel are decoded by nobody, so a 1-pixel-wide
1-bit picture can carry seven bits of text a row (a red team hid a UTF-16 text in one). The
rows are filtered (each byte predicted from its neighbours), so the bits are found by
undoing the filters (:func:`padding`); a copy whose rows have any set is written again
with those bits cleared (:func:`cleared`: every row unfiltered, filter type 0, compressed
anew), which leaves every pixel as it was. Pictures of 8 or 16 bits a sample have no such
bits and are never inflated here.
"""

from __future__ import annotations

import zlib

import numpy as np

from share_guard.core.containers.png_fields import Header


def has_padding(h: Header, width: int, height: int) -> bool:
    """True when some row of the picture ends inside a byte (1-, 2- or 4-bit grey or
    palette pictures whose width does not fill whole bytes)."""
    if h.depth >= 8 or h.colour not in (0, 3):
        return False
    return any(w * h.depth % 8 for w, _ht in h.passes(width, height))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfiltered(scanlines: bytes, h: Header, width: int, height: int) -> list[np.ndarray]:
    """Each sub-image's rows with the filters undone (one byte a pixel group: bpp 1)."""
    out = []
    pos = 0
    for w, ht in h.passes(width, height):
        n = (w * h.depth + 7) // 8
        rows = np.zeros((ht, n), np.uint8)
        prev = np.zeros(n, np.uint8)
        for r in range(ht):
            kind, line = scanlines[pos], np.frombuffer(scanlines, np.uint8, n, pos + 1).copy()
            pos += 1 + n
            if kind == 1:
                line = np.cumsum(line, dtype=np.uint8)  # (wraps at 256, as the filter does)
            elif kind == 2:
                line += prev
            elif kind in (3, 4):
                up = prev.tolist()
                vals = line.tolist()
                for i in range(n):
                    left = vals[i - 1] if i else 0
                    pred = (left + up[i]) >> 1 if kind == 3 else \
                        _paeth(left, up[i], up[i - 1] if i else 0)
                    vals[i] = (vals[i] + pred) & 0xFF
                line = np.asarray(vals, np.uint8)
            elif kind != 0:
                raise ValueError("unknown PNG filter type")
            rows[r] = line
            prev = line
        out.append(rows)
    return out


def _masks(h: Header, width: int, height: int) -> list[int]:
    """The mask of the padding bits in the last byte of a row of each sub-image (0: none)."""
    return [(1 << (8 - w * h.depth % 8)) - 1 if w * h.depth % 8 else 0
            for w, _ht in h.passes(width, height)]


def padding(scanlines: bytes, h: Header, width: int, height: int) -> int:
    """How many rows have a padding bit set (raises ValueError on an unknown filter)."""
    return sum(int(np.count_nonzero(rows[:, -1] & mask)) for rows, mask in
               zip(_unfiltered(scanlines, h, width, height), _masks(h, width, height),
                   strict=True) if mask)


def inflated(stream: bytes, expected: int) -> bytes:
    """The scanlines of a stream :mod:`.png_stream` found to hold exactly ``expected``."""
    return zlib.decompressobj().decompress(stream, expected)


def padded_rows(stream: bytes, expected: int, h: Header, width: int, height: int) -> int:
    """Rows of a clean stream's picture with a padding bit set (0 when it has no padding;
    raises ValueError on an unknown filter type)."""
    if not has_padding(h, width, height):
        return 0
    return padding(inflated(stream, expected), h, width, height)


def cleared(scanlines: bytes, h: Header, width: int, height: int, level: int) -> bytes:
    """A zlib stream of the same pixels with every padding bit 0 (filter type 0 rows)."""
    out = bytearray()
    for rows, mask in zip(_unfiltered(scanlines, h, width, height), _masks(h, width, height),
                          strict=True):
        rows[:, -1] &= 0xFF ^ mask
        framed = np.zeros((rows.shape[0], rows.shape[1] + 1), np.uint8)
        framed[:, 1:] = rows
        out += framed.tobytes()
    return zlib.compress(bytes(out), level)
