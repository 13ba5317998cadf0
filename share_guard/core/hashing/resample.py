"""Pillow's BOX resize of an upright picture, bit for bit, fed with rows of the stored picture.

Hashes are defined on ``exif_transpose(image).convert("RGB").resize(size, BOX)``
(see :func:`.image.fit`). Doing that on a 144-megapixel picture holds several
full-size copies (the 1.9 GB MemoryError of the takedown issue). This module
computes the same pixels while the stored rows stream in, in memory bounded by
the output plus one row per output column: the orientation is folded into
the index arithmetic instead of turning the picture.

Why our own: Pillow can only resize a whole decoded image. The arithmetic is
Pillow's (``libImaging/Resample.c``): a box filter samples pixel centres, so
each output sums a contiguous run of inputs with one fixed-point weight
``round(2**22 / count)``; the horizontal pass rounds to 8 bits before the
vertical pass. Tests compare the result with Pillow's on every orientation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

PRECISION = 22
_HALF = 1 << (PRECISION - 1)


@lru_cache(maxsize=32)
def box_windows(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output pixel: first and end input index with weight 1, and the fixed-point weight.

    ``precompute_coeffs`` + ``normalize_coeffs_8bpc`` for the BOX filter, in the
    same double-precision operations.
    """
    scale = float(in_size) / out_size
    filterscale = max(scale, 1.0)
    support = 0.5 * filterscale
    ss = 1.0 / filterscale
    lo = np.empty(out_size, np.int64)
    hi = np.empty(out_size, np.int64)
    kk = np.empty(out_size, np.int64)
    for xx in range(out_size):
        center = 0.0 + (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        inside = [x for x in range(xmax) if -0.5 < (x + xmin - center + 0.5) * ss <= 0.5]
        if not inside:  # only when enlarging, which fitting never does
            lo[xx] = hi[xx] = xmin
            kk[xx] = 0
            continue
        if inside != list(range(inside[0], inside[-1] + 1)):
            raise AssertionError("box filter weights are not contiguous")
        lo[xx], hi[xx] = xmin + inside[0], xmin + inside[-1] + 1
        kk[xx] = int(0.5 + (1.0 / float(len(inside))) * (1 << PRECISION))
    return lo, hi, kk


def _round(sums: np.ndarray, kk: np.ndarray) -> np.ndarray:
    """clip8((2**21 + kk * sum) >> 22), with ``kk`` broadcast against ``sums``."""
    out: np.ndarray = np.clip((_HALF + kk * sums.astype(np.int64)) >> PRECISION, 0, 255)
    return out.astype(np.uint8)


def _within(band: Image.Image, windows: tuple[np.ndarray, np.ndarray, np.ndarray],
            mirrored: bool) -> np.ndarray:
    """The pass along the rows of a band (mirrored: stored column i is n - 1 - i).

    Pillow's own horizontal pass (a resize that keeps the height does only that
    pass, row by row): its arithmetic by construction, in C. Returns (k, n_out, c).
    """
    from PIL import Image

    if mirrored:
        band = band.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    n_out = len(windows[0])
    if n_out != band.size[0]:
        band = band.resize((n_out, band.size[1]), Image.Resampling.BOX)
    out = np.asarray(band)
    return out if out.ndim == 3 else out[:, :, None]


def _image(rows: np.ndarray) -> Image.Image:
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(rows if rows.shape[2] == 3 else rows[:, :, 0]))


class OrientedBoxFit:
    """Feed the stored rows, top to bottom; get the fitted upright RGB picture.

    Equal to ``exif_transpose(im).convert("RGB").resize(size, BOX)`` with Pillow
    13's arithmetic, including its choice of pass order (the vertical pass first
    when the height shrinks more than twice as much as the width). ``orientation``
    is the EXIF value (1-8); ``size`` is the (width, height) of the result. Rows
    come as Pillow images (mode "RGB", or "L" for grey pictures: its channels are
    equal, so it is reduced once and repeated) or as (k, width, 3) uint8 arrays.
    """

    def __init__(self, stored: tuple[int, int], orientation: int, size: tuple[int, int]) -> None:
        w, h = stored
        self.w, self.h = w, h
        o = orientation if orientation in range(1, 9) else 1
        self.turned = o in (5, 6, 7, 8)
        out_w, out_h = size
        up_w, up_h = (h, w) if self.turned else (w, h)
        horizontal_first = not (up_h - out_h > 0 and up_h - out_h > 2 * (up_w - out_w))
        hx, vy = box_windows(up_w, out_w), box_windows(up_h, out_h)
        # Upright rows are stored rows unless turned; mirrored axes per Pillow's transposes.
        if self.turned:  # horizontal: across stored rows; vertical: along them
            self.within, self.within_mirror = vy, o in (7, 8)
            self.across, across_mirror = hx, o in (6, 7)
        else:
            self.within, self.within_mirror = hx, o in (2, 3)
            self.across, across_mirror = vy, o in (3, 4)
        self.within_first = horizontal_first != self.turned
        self.acc: np.ndarray | None = None
        self.owners: list[list[int]] = [[] for _ in range(h)]
        for out, (a, b) in enumerate(zip(*(x.tolist() for x in self.across[:2]), strict=True)):
            for i in range(a, b):
                self.owners[h - 1 - i if across_mirror else i].append(out)
        self.next_row = 0

    def feed(self, band: Image.Image | np.ndarray) -> None:
        """The next stored rows."""
        if isinstance(band, np.ndarray):
            band = _image(band)
        width, k = band.size
        start, self.next_row = self.next_row, self.next_row + k
        if self.next_row > self.h or width != self.w or band.mode not in ("RGB", "L"):
            raise ValueError("rows do not fit the picture")
        if self.within_first:
            rows = _within(band, self.within, self.within_mirror)
        else:
            rows = np.asarray(band)
            rows = rows if rows.ndim == 3 else rows[:, :, None]
        if self.acc is None:
            # sums of at most a window of bytes: int32 holds them for any picture we decode
            self.acc = np.zeros((len(self.across[0]), rows.shape[1], rows.shape[2]), np.int32)
        elif self.acc.shape[1:] != rows.shape[1:]:
            raise ValueError("rows do not fit the picture")
        # consecutive rows usually share one output: add them up in one step
        i = 0
        while i < k:
            owners = self.owners[start + i]
            j = i + 1
            while j < k and self.owners[start + j] == owners:
                j += 1
            if owners:
                total = rows[i:j].sum(axis=0, dtype=np.int64)
                for out in owners:
                    self.acc[out] += total
            i = j

    def result(self) -> np.ndarray:
        """The fitted upright picture, (out_h, out_w, 3) uint8."""
        if self.next_row != self.h or self.acc is None:
            raise ValueError("the picture ended early")
        out = _round(self.acc, self.across[2][:, None, None])
        if not self.within_first:
            out = _within(_image(out), self.within, self.within_mirror)
        if out.shape[2] == 1:
            out = np.repeat(out, 3, axis=2)
        # rows of ``out`` follow the across axis: upright rows, or upright columns when turned
        return np.ascontiguousarray(out.transpose(1, 0, 2) if self.turned else out)
