"""PDQ, Meta's 256-bit perceptual hash, in numpy.

Why our own implementation: the only PyPI bindings (``pdqhash``) ship as an
sdist that needs a C++ compiler at install time, which a desktop user on
Windows or macOS usually lacks. This module follows the reference C++
(facebook/ThreatExchange ``pdq/cpp/hashing/pdqhashing.cpp`` and
``downscaling.cpp``) step by step *in float32 with the same order of
operations*, so it produces the same bits as the reference: the tests compare
it with ``pdqhash`` bit for bit when that package is installed, and pin hash
values for generated inputs so a change cannot silently invalidate stored lists.

Pipeline (reference): luma (0.299 R + 0.587 G + 0.114 B) -> two X/Y passes of
a box filter (a tent filter, Jarosz) -> decimate to 64x64 -> quality from the
64x64 gradients -> 16x16 corner of the DCT -> one bit per coefficient: above
the median or not. Bit ``16*i + j`` is DCT row ``i``, column ``j``; the hex form
is the 256-bit integer, most significant digit first (the reference's
``Hash256::format``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

#: Images smaller than this in either dimension get the all-zero hash, quality 0.
MIN_HASHABLE_DIM = 5
_F32 = np.float32


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """16x64 DCT-II rows 1..16, as the reference builds them (float32 storage)."""
    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    out = np.empty((16, 64), dtype=_F32)
    for i in range(16):
        for j in range(64):
            out[i, j] = scale * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1))
    return out


def luma_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxW float32 luma, computed like the ``pdqhash`` bindings."""
    if rgb.ndim == 2:
        return rgb.astype(_F32)
    r = rgb[:, :, 0].astype(np.float64)
    g = rgb[:, :, 1].astype(np.float64)
    b = rgb[:, :, 2].astype(np.float64)
    return (r * 0.299 + g * 0.587 + b * 0.114).astype(_F32)


def window_size(dimension: int) -> int:
    """Box window per pass: half of one 64th of the dimension, rounded up."""
    return (dimension + 2 * 64 - 1) // (2 * 64)


def _centres(n: int) -> list[int]:
    """The 64 sample positions of the reference's decimation (cell centres)."""
    return [int(((i + 0.5) * n) / 64) for i in range(64)]


def _transposed(*parts: np.ndarray) -> np.ndarray:
    """The parts (each k x n) stacked and transposed, as one C-ordered n x sum(k) array.

    Sixteen rows at a time: numpy's copy of a whole transposed view reads the memory
    with a long stride and took half of the filtering's time (7x slower, measured).
    """
    n = parts[0].shape[1]
    out = np.empty((n, sum(p.shape[0] for p in parts)), dtype=_F32)
    at = 0
    for part in parts:
        for i in range(0, part.shape[0], 16):
            block = part[i : i + 16]
            out[:, at : at + block.shape[0]] = block.T
            at += block.shape[0]
    return out


def _downsample64(luma: np.ndarray) -> np.ndarray:
    """Tent filter (two X/Y box passes) then decimate to 64x64.

    Each pass runs along the rows of a C-ordered array (the columns of the
    picture, its rows, then the columns and rows again). The last two passes
    only compute the outputs the decimation keeps: every output still sees the
    same float32 running sum.
    """
    rows, cols = luma.shape
    w_x, w_y = window_size(cols), window_size(rows)
    keep_r, keep_c = _centres(rows), _centres(cols)
    buf = _box_rows(_transposed(luma), w_x)  # (cols, rows): along each row of the picture
    buf = _box_rows(_transposed(buf), w_y)  # (rows, cols)
    buf = _box_rows(_transposed(buf), w_x, keep_c)  # (64, rows)
    return _box_rows(_transposed(buf), w_y, keep_r)  # (64, 64)


def quality_metric(b64: np.ndarray) -> int:
    """Count of significant gradients in the 64x64 downsample, 0..100 (reference heuristic)."""
    hundred, scale = _F32(100), _F32(255)
    dv = (((b64[:-1, :] - b64[1:, :]) * hundred) / scale).astype(np.int32)
    dh = (((b64[:, :-1] - b64[:, 1:]) * hundred) / scale).astype(np.int32)
    total = int(np.abs(dv).sum()) + int(np.abs(dh).sum())
    return min(total // 90, 100)


def _dct64_to_16(a: np.ndarray) -> np.ndarray:
    """B = D A D^T with float32 sums accumulated in the reference's order.

    ``a`` is one 64x64 plane or a stack of them (..., 64, 64): a stack is
    transformed in the same 128 steps, each plane element-wise as on its own.
    """
    d = _dct_matrix()
    lead = a.shape[:-2]
    t = np.zeros((*lead, 16, 64), dtype=_F32)
    for k in range(64):
        t += d[:, k : k + 1] * a[..., k : k + 1, :]
    b = np.zeros((*lead, 16, 16), dtype=_F32)
    for k in range(64):
        b += t[..., :, k : k + 1] * d[:, k][None, :]
    return b


def bits_from_dct(dct16: np.ndarray) -> int:
    """One bit per coefficient: strictly above the median (the 128th smallest)."""
    flat = dct16.reshape(256)
    median = np.partition(flat, 127)[127]
    value = 0
    for k in np.flatnonzero(flat > median):
        value |= 1 << int(k)
    return value


def pdq_from_luma(luma: np.ndarray) -> tuple[int, int]:
    """PDQ of a float32 luma plane: (256-bit integer, quality 0..100)."""
    luma = np.ascontiguousarray(luma, dtype=_F32)
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return 0, 0
    if rows == 64 and cols == 64:
        b64 = luma  # the reference skips filtering for an exact 64x64 input
    else:
        b64 = _downsample64(luma)
    quality = quality_metric(b64)
    return bits_from_dct(_dct64_to_16(b64)), quality


def _box_rows(a: np.ndarray, w: int, keep: list[int] | None = None) -> np.ndarray:
    """The reference box filter along axis 0 of ``a`` (each column on its own).

    The reference keeps one float32 running sum per line: it adds the right
    edge, subtracts the left edge and writes ``sum / count``. Here one step per
    row covers whole rows at once: numpy adds the rows element-wise in the
    reference's order, so the bits are the same, and many images stacked side
    by side cost one loop.
    Each step writes its sum into its own output row (two numpy calls a step);
    the divisions by the counts are one call at the end, the same float32
    quotients.
    """
    n, width = a.shape
    h = (w + 2) // 2
    # divisor of each output position, in the order the running sum produces them
    divisors = np.asarray(list(range(h, w + 1)) + [w] * (n - w) + list(range(w - 1, w - h, -1)),
                          dtype=_F32)
    sums = np.empty((n, width), dtype=_F32)
    rows, out = list(a), list(sums)
    add, sub = np.add, np.subtract
    prev = np.zeros(width, dtype=_F32)
    for i in range(h - 1):  # adds only, before half a window is in
        add(prev, rows[i], out=prev)
    t = 0
    for i in range(h - 1, w):  # adds only; an output per step
        add(prev, rows[i], out=out[t])
        prev = out[t]
        t += 1
    for i in range(n - w):  # add the right edge, subtract the left
        step = out[t]
        add(prev, rows[w + i], out=step)
        sub(step, rows[i], out=step)
        prev = step
        t += 1
    for i in range(h - 1):  # subtract only
        sub(prev, rows[n - w + i], out=out[t])
        prev = out[t]
        t += 1
    if keep is not None:
        return sums[keep] / divisors[keep, None]
    sums /= divisors[:, None]
    return sums


def _dihedral_downsamples(luma: np.ndarray) -> list[np.ndarray]:
    """64x64 downsamples of ``luma`` and of its transpose, each also flipped both ways.

    Equal, bit for bit, to :func:`_downsample64` of each of the 8 turned copies. A
    chain is four passes (along the columns, the rows, the columns keeping the 64
    centres, the rows keeping theirs); the transposed picture's chain passes along
    the other axis first. The flipped copies of a chain run side by side from the
    pass where they differ, and a pass of one chain runs beside the pass of the
    other chain that goes along the same axis with the same window: five loops
    over the picture's lines instead of eight.
    """
    rows, cols = luma.shape
    w_x, w_y = window_size(cols), window_size(rows)
    keep_r, keep_c = _centres(rows), _centres(cols)
    if rows == 64 and cols == 64:
        t = np.ascontiguousarray(luma.T)
        return [np.ascontiguousarray(v) for b in (luma, t)
                for v in (b, b[::-1], b[:, ::-1], b[::-1, ::-1])]

    def split(a: np.ndarray, k: int) -> list[np.ndarray]:
        size = a.shape[1] // k
        return [a[:, j * size : (j + 1) * size] for j in range(k)]

    def mirrored(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a, a[:, ::-1]

    # Transposed chain, pass 1: along luma's rows (the transpose's columns), plain and mirrored.
    ta, tb = split(_box_rows(np.concatenate((luma, luma[::-1]), axis=1), w_y), 2)  # (rows, cols)
    # Plain pass 1 (along the columns) beside the transposed pass 2 (also along the columns).
    both = _box_rows(_transposed(*mirrored(luma), *mirrored(ta), *mirrored(tb)), w_x)
    p1a, p1b, *t2 = split(both, 6)  # (cols, rows) each
    # Plain pass 2 (along the rows, all of them) beside the transposed pass 3 (rows, kept).
    both = _box_rows(_transposed(*mirrored(p1a), *mirrored(p1b), *t2), w_y)
    p2 = split(both[:, : 4 * cols], 4)  # (rows, cols) each
    t3 = split(both[keep_r, 4 * cols :], 4)  # (64, cols) each
    # Plain pass 3 (along the columns, kept) beside the transposed pass 4 (the same).
    both = _box_rows(_transposed(*p2, *t3), w_x, keep_c)
    p3 = split(both[:, : 4 * rows], 4)  # (64, rows) each
    t4 = split(both[:, 4 * rows :], 4)  # (64 cols, 64 rows): the transpose's 64x64
    # Plain pass 4 (along the rows, kept).
    p4 = split(_box_rows(_transposed(*p3), w_y, keep_r), 4)  # (64 rows, 64 cols)
    # order of each chain: (kept, kept), (rows flipped), (columns flipped), (both)
    return [np.ascontiguousarray(v) for v in (*p4, *t4)]


def pdq_dihedral(luma: np.ndarray) -> list[tuple[int, int]]:
    """PDQ of the 8 rotations/flips of a luma plane, in :data:`..image.VARIANTS` order.

    Each value equals :func:`pdq_from_luma` of the transformed pixels (tested), at
    a fraction of the cost of eight separate hashes.
    """
    luma = np.ascontiguousarray(luma, dtype=_F32)
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return [(0, 0)] * 8
    plain, flip_v, flip_h, both, t_plain, t_flip_v, t_flip_h, t_both = _dihedral_downsamples(luma)
    # original, rotate90 (= a[::-1].T), rotate180, rotate270 (= a[:, ::-1].T),
    # flip-horizontal, flip-vertical, transpose, transverse (= a[::-1, ::-1].T)
    ordered = (plain, t_flip_h, both, t_flip_v, flip_h, flip_v, t_plain, t_both)
    dcts = _dct64_to_16(np.stack(ordered))
    return [(bits_from_dct(dct), quality_metric(b)) for dct, b in zip(dcts, ordered, strict=True)]


def pdq_from_rgb(rgb: np.ndarray) -> tuple[int, int]:
    """PDQ of an HxWx3 uint8 RGB array (or HxW grey): (256-bit integer, quality)."""
    return pdq_from_luma(luma_from_rgb(rgb))
