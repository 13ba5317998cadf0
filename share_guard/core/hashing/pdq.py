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


@lru_cache(maxsize=64)
def _box_plan(n: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reference's running-sum box filter as a sequence of signed reads.

    The C++ keeps one float32 running sum: it adds the right edge, subtracts
    the left edge and writes ``sum / count``. Replaying exactly those additions
    with a float32 cumulative sum reproduces its rounding bit for bit (numpy's
    accumulate is sequential). Returns (read index, sign, write positions in
    the cumulative sum, divisor per output).
    """
    h = (w + 2) // 2
    idx: list[int] = list(range(w))  # phases 1-2: adds only
    sign: list[float] = [1.0] * w
    pos: list[int] = [h - 1 + t for t in range(w - h + 1)]
    div: list[float] = [float(h + t) for t in range(w - h + 1)]
    for t in range(n - w):  # phase 3: add right, subtract left
        idx += [w + t, t]
        sign += [1.0, -1.0]
        pos.append(len(idx) - 1)
        div.append(float(w))
    for t in range(h - 1):  # phase 4: subtract only
        idx.append(n - w + t)
        sign.append(-1.0)
        pos.append(len(idx) - 1)
        div.append(float(w - 1 - t))
    return (
        np.asarray(idx, dtype=np.intp),
        np.asarray(sign, dtype=_F32),
        np.asarray(pos, dtype=np.intp),
        np.asarray(div, dtype=_F32),
    )


def _box_last_axis(a: np.ndarray, w: int, keep: list[int] | None = None) -> np.ndarray:
    """Box-filter each row of ``a``; ``keep`` limits the outputs computed (not the sums)."""
    n = a.shape[-1]
    idx, sign, pos, div = _box_plan(n, w)
    ops = np.take(a, idx, axis=-1)
    ops *= sign
    sums = np.cumsum(ops, axis=-1, dtype=_F32)
    if keep is not None:
        pos, div = pos[keep], div[keep]
    out: np.ndarray = np.take(sums, pos, axis=-1) / div
    return out


def _centres(n: int) -> list[int]:
    """The 64 sample positions of the reference's decimation (cell centres)."""
    return [int(((i + 0.5) * n) / 64) for i in range(64)]


def _downsample64(luma: np.ndarray) -> np.ndarray:
    """Tent filter (two X/Y box passes) then decimate to 64x64.

    Each pass works along the last axis of a contiguous array (rows, then the
    transposed columns). The last two passes only compute the outputs the
    decimation keeps: every output still sees the same float32 running sum.
    """
    rows, cols = luma.shape
    w_rows, w_cols = window_size(cols), window_size(rows)
    keep_r, keep_c = _centres(rows), _centres(cols)
    buf = _box_last_axis(luma, w_rows)
    buf = _box_last_axis(np.ascontiguousarray(buf.T), w_cols)  # cols x rows
    buf = _box_last_axis(np.ascontiguousarray(buf.T), w_rows, keep_c)  # rows x 64
    buf = _box_last_axis(np.ascontiguousarray(buf.T), w_cols, keep_r)  # 64 x 64 (cols, rows)
    return np.ascontiguousarray(buf.T)


def quality_metric(b64: np.ndarray) -> int:
    """Count of significant gradients in the 64x64 downsample, 0..100 (reference heuristic)."""
    hundred, scale = _F32(100), _F32(255)
    dv = (((b64[:-1, :] - b64[1:, :]) * hundred) / scale).astype(np.int32)
    dh = (((b64[:, :-1] - b64[:, 1:]) * hundred) / scale).astype(np.int32)
    total = int(np.abs(dv).sum()) + int(np.abs(dh).sum())
    return min(total // 90, 100)


def _dct64_to_16(a: np.ndarray) -> np.ndarray:
    """B = D A D^T with float32 sums accumulated in the reference's order."""
    d = _dct_matrix()
    t = np.zeros((16, 64), dtype=_F32)
    for k in range(64):
        t += d[:, k : k + 1] * a[k : k + 1, :]
    b = np.zeros((16, 16), dtype=_F32)
    for k in range(64):
        b += t[:, k : k + 1] * d[:, k][None, :]
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

    The same float32 running sum as :func:`_box_last_axis` (add the right
    edge, subtract the left, divide by the count), one step per row over whole
    rows at once: numpy adds the rows element-wise in the reference's order, so
    the bits are the same, and many images stacked side by side cost one loop.
    """
    n = a.shape[0]
    h = (w + 2) // 2
    # divisor of each output position, in the order the running sum produces them
    divisors = list(range(h, w + 1)) + [w] * (n - w) + list(range(w - 1, w - h, -1))
    wanted = list(range(n)) if keep is None else sorted(set(keep))
    slot = [-1] * n
    for i, pos in enumerate(wanted):
        slot[pos] = i
    out = np.empty((len(wanted), a.shape[1]), dtype=_F32)
    acc = np.zeros(a.shape[1], dtype=_F32)
    f32 = [_F32(d) for d in divisors]
    t = 0
    for i in range(w):  # adds only; outputs start once half a window is in
        acc += a[i]
        if i >= h - 1:
            if slot[t] >= 0:
                np.divide(acc, f32[t], out=out[slot[t]])
            t += 1
    for i in range(n - w):  # add the right edge, subtract the left
        acc += a[w + i]
        acc -= a[i]
        if slot[t] >= 0:
            np.divide(acc, f32[t], out=out[slot[t]])
        t += 1
    for i in range(h - 1):  # subtract only
        acc -= a[n - w + i]
        if slot[t] >= 0:
            np.divide(acc, f32[t], out=out[slot[t]])
        t += 1
    if keep is not None and len(keep) != len(wanted):  # small images: centres repeat
        return out[[slot[pos] for pos in keep]]
    return out


def _downsample_flips(base: np.ndarray) -> list[np.ndarray]:
    """64x64 downsamples of ``base``, ``base[::-1]``, ``base[:, ::-1]``, ``base[::-1, ::-1]``.

    Equal, bit for bit, to :func:`_downsample64` of each flipped copy: the four
    filter chains run side by side, sharing the first pass where it is the same.
    """
    rows, cols = base.shape
    w_x, w_y = window_size(cols), window_size(rows)
    if rows == 64 and cols == 64:
        return [np.ascontiguousarray(v) for v in (base, base[::-1], base[:, ::-1], base[::-1, ::-1])]
    c = np.ascontiguousarray(base.T)  # sequence along base's columns
    x = _box_rows(np.concatenate([c, c[::-1]], axis=1), w_x)  # (cols, 2 rows): plain, mirrored
    x0, x1 = x[:, :rows].T, x[:, rows:].T  # (rows, cols) each
    y = _box_rows(np.concatenate([x0, x0[::-1], x1, x1[::-1]], axis=1), w_y)  # (rows, 4 cols)
    parts = [y[:, k * cols : (k + 1) * cols] for k in range(4)]
    x2 = _box_rows(np.concatenate([p.T for p in parts], axis=1), w_x, _centres(cols))  # (64, 4 rows)
    y2 = _box_rows(np.concatenate([x2[:, k * rows : (k + 1) * rows].T for k in range(4)], axis=1),
                   w_y, _centres(rows))  # (64, 4 * 64)
    # order of the chains: (rows kept, cols kept), (flipped, kept), (kept, flipped), (both)
    return [np.ascontiguousarray(y2[:, k * 64 : (k + 1) * 64]) for k in range(4)]


def pdq_dihedral(luma: np.ndarray) -> list[tuple[int, int]]:
    """PDQ of the 8 rotations/flips of a luma plane, in :data:`..image.VARIANTS` order.

    Each value equals :func:`pdq_from_luma` of the transformed pixels (tested), at
    a fraction of the cost of eight separate hashes.
    """
    luma = np.ascontiguousarray(luma, dtype=_F32)
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return [(0, 0)] * 8
    plain, flip_v, flip_h, both = _downsample_flips(luma)
    t_plain, t_flip_v, t_flip_h, t_both = _downsample_flips(np.ascontiguousarray(luma.T))
    # original, rotate90 (= a[::-1].T), rotate180, rotate270 (= a[:, ::-1].T),
    # flip-horizontal, flip-vertical, transpose, transverse (= a[::-1, ::-1].T)
    ordered = (plain, t_flip_h, both, t_flip_v, flip_h, flip_v, t_plain, t_both)
    return [(bits_from_dct(_dct64_to_16(b)), quality_metric(b)) for b in ordered]


def pdq_from_rgb(rgb: np.ndarray) -> tuple[int, int]:
    """PDQ of an HxWx3 uint8 RGB array (or HxW grey): (256-bit integer, quality)."""
    return pdq_from_luma(luma_from_rgb(rgb))
