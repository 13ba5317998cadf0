"""Hashes of a still image, with the preprocessing that decides whether edits still match.

Measured on the takedown issue: applying the EXIF orientation first matters
(132 bits apart without it); a copy with uniform borders trimmed defeats
letterboxing and padding; ``Image.draft()`` decodes a 12 MP JPEG ~20x faster
for about 2 bits of distance (see docs/takedown.md for the distribution).
Query hashes cover the 8 rotations/flips by hashing the actually transformed
pixels (PDQ's DCT-domain dihedral shortcut is an approximation that misses a
tenth to a fifth of rotated copies); :func:`.pdq.pdq_dihedral` computes the
eight exact hashes together. Decoding is bounded in memory (:mod:`.decode`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from share_guard.core.hashing.decode import MAX_PIXELS, fitted_size, load_fitted
from share_guard.core.hashing.pdq import luma_from_rgb, pdq_dihedral, pdq_from_luma
from share_guard.core.hashing.resample import OrientedBoxFit
from share_guard.core.hashing.values import PDQHash, PHash
from share_guard.core.progress import ProgressFn, no_progress

#: Longest side of the working image. The reference photo hasher scales anything
#: larger to 512 before hashing; PDQ itself works on a 64x64 downsample.
WORK_SIDE = 512
__all__ = ["MAX_PIXELS", "VARIANTS", "WORK_SIDE", "ImageHashes", "dihedral", "fit", "hash_array",
           "hash_image", "load_rgb", "pdq_hash", "phash_hash", "trim_borders"]
#: A trimmed copy is queried when borders take at least this fraction of a side.
MIN_BORDER_FRACTION = 0.02

#: Names of the 8 dihedral variants, in the order :func:`dihedral` yields them.
VARIANTS = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip-horizontal",
    "flip-vertical",
    "transpose",
    "transverse",
)


@dataclass(frozen=True)
class ImageHashes:
    """What the takedown list stores for an image, and what a check queries with."""

    pdq: PDQHash | None  # upright image; None when too flat or tiny to hash
    phash: PHash | None
    #: PDQ of a copy with uniform borders trimmed (None when there are none)
    pdq_trimmed: PDQHash | None
    #: (variant name, PDQ) for the 8 dihedral variants of the image and, when
    #: borders were found, of the trimmed copy ("trimmed+rotate90"...)
    queries: tuple[tuple[str, PDQHash], ...] = field(default=())
    phash_queries: tuple[tuple[str, PHash], ...] = field(default=())


def load_rgb(path: str | os.PathLike[str], work_side: int = WORK_SIDE,
             progress: ProgressFn = no_progress, *, draft: bool = True) -> np.ndarray:
    """Decode an image upright (EXIF orientation applied), as RGB, fitted to ``work_side``.

    Pixel for pixel ``fit(np.asarray(exif_transpose(im).convert("RGB")))``, in
    bounded memory whatever the picture's size (see :mod:`.decode`); a JPEG is
    decoded at reduced size unless ``draft`` is False.
    """
    return load_fitted(path, work_side, progress, draft=draft)


def fit(rgb: np.ndarray, work_side: int = WORK_SIDE) -> np.ndarray:
    """Downscale so the longest side is at most ``work_side``: Pillow's BOX resize, exactly."""
    h, w = rgb.shape[:2]
    if max(h, w) <= work_side:
        return rgb
    size = fitted_size(w, h, work_side)
    if rgb.ndim != 3 or rgb.shape[2] != 3:  # not RGB: Pillow's own resize for that mode
        from PIL import Image

        return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    fitter = OrientedBoxFit((w, h), 1, size)
    fitter.feed(np.ascontiguousarray(rgb, dtype=np.uint8))
    return fitter.result()


def trim_borders(rgb: np.ndarray, tolerance: int = 16) -> np.ndarray | None:
    """The image without uniform bars on its edges, or None when there are none.

    A row/column belongs to a border while at most 2% of its pixels differ by
    more than ``tolerance`` (luma) from the colour of the outermost line, so
    JPEG noise in black or white bars does not stop the trim.
    """
    luma = luma_from_rgb(rgb)
    h, w = luma.shape

    def run(lines: np.ndarray) -> int:
        ref = float(np.median(lines[0]))
        off = np.mean(np.abs(lines - ref) > tolerance, axis=1)
        bad = np.flatnonzero(off > 0.02)
        return int(bad[0]) if bad.size else len(lines)

    top = run(luma)
    if top >= h:
        return None  # a blank image: nothing to trim to
    bottom = run(luma[::-1])
    left = run(luma.T)
    right = run(luma.T[::-1])
    if max(top, bottom) < MIN_BORDER_FRACTION * h and max(left, right) < MIN_BORDER_FRACTION * w:
        return None
    y0, y1, x0, x1 = top, h - bottom, left, w - right
    if y1 - y0 < 0.2 * h or x1 - x0 < 0.2 * w:
        return None  # mostly uniform: trimming would hash a sliver
    return rgb[y0:y1, x0:x1]


def dihedral(a: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """The 8 rotations/flips of an image (first two axes), as views."""
    yield VARIANTS[0], a
    yield VARIANTS[1], np.rot90(a, -1)  # clockwise
    yield VARIANTS[2], np.rot90(a, 2)
    yield VARIANTS[3], np.rot90(a, 1)
    yield VARIANTS[4], a[:, ::-1]
    yield VARIANTS[5], a[::-1]
    yield VARIANTS[6], np.swapaxes(a, 0, 1)
    yield VARIANTS[7], np.swapaxes(a[::-1, ::-1], 0, 1)


def pdq_hash(rgb: np.ndarray) -> PDQHash | None:
    """PDQ of an RGB array, or None when the result is the blank (all-zero) hash."""
    value, quality = pdq_from_luma(luma_from_rgb(rgb))
    return PDQHash(value, quality) if value else None


#: The 8 lowest DCT-II basis rows for 32 samples, unnormalised (scipy.fftpack's ``dct``).
_DCT8 = 2.0 * np.cos(np.pi * np.arange(8)[:, None] * (2 * np.arange(32)[None, :] + 1) / 64)


def phash_hash(rgb: np.ndarray) -> PHash | None:
    """imagehash's 64-bit pHash (``imagehash.phash``), bit for bit, with numpy alone.

    Written here because imagehash computes the DCT with SciPy, and SciPy plus PyWavelets
    (which imagehash also requires) are 150 MB of a 600 MB install. Same steps: greyscale,
    32x32 Lanczos, 2-D DCT-II, the 8x8 lowest frequencies against their median. Rounding
    the coefficients to 6 decimals makes the ties of flat and synthetic pictures exact
    zeros, as SciPy's FFT gives them (a cross-check test compares with imagehash itself).
    """
    from PIL import Image

    small = Image.fromarray(np.ascontiguousarray(rgb)).convert("L").resize(
        (32, 32), Image.Resampling.LANCZOS)
    low = np.round(_DCT8 @ np.asarray(small, dtype=np.float64) @ _DCT8.T, 6)
    bits = (low > np.median(low)).ravel()
    value = int.from_bytes(np.packbits(bits).tobytes(), "big")
    return PHash(value) if value else None


def _pdq_variants(luma: np.ndarray, prefix: str) -> list[tuple[str, PDQHash]]:
    return [(prefix + name, PDQHash(value, quality))
            for name, (value, quality) in zip(VARIANTS, pdq_dihedral(luma), strict=True) if value]


def hash_array(rgb: np.ndarray, *, queries: bool = True, pdq_queries: bool = True,
               phash_queries: bool = True) -> ImageHashes:
    """All image hashes of an upright RGB array (already fitted to the working size).

    ``queries`` adds the variants a check compares; ``pdq_queries`` and
    ``phash_queries`` (both on by default) leave out the variants of a hash
    type the list has no entries of.
    """
    luma = luma_from_rgb(rgb)
    pdq_q: list[tuple[str, PDQHash]] = []
    if queries and pdq_queries:
        pdq_q = _pdq_variants(luma, "")
        pdq = next((h for name, h in pdq_q if name == VARIANTS[0]), None)
    else:
        value, quality = pdq_from_luma(luma)
        pdq = PDQHash(value, quality) if value else None
    trimmed = trim_borders(rgb)
    if trimmed is not None and queries and pdq_queries:
        trimmed_q = _pdq_variants(luma_from_rgb(trimmed), "trimmed+")
        pdq_q += trimmed_q  # its first is the trimmed copy's own PDQ
        pdq_trimmed = next((h for name, h in trimmed_q if name == "trimmed+" + VARIANTS[0]), None)
    else:
        pdq_trimmed = pdq_hash(trimmed) if trimmed is not None else None
    phash = phash_hash(rgb) if not queries or phash_queries else None
    if not queries:
        return ImageHashes(pdq, phash, pdq_trimmed)
    ph_q = []
    for prefix, source in (("", rgb), ("trimmed+", trimmed)):
        if source is None or not phash_queries:
            continue
        for name, view in dihedral(source):
            ph = phash_hash(view)
            if ph is not None:
                ph_q.append((prefix + name, ph))
    return ImageHashes(pdq, phash, pdq_trimmed, tuple(pdq_q), tuple(ph_q))


def hash_image(path: str | os.PathLike[str], *, queries: bool = True, pdq_queries: bool = True,
               phash_queries: bool = True, progress: ProgressFn = no_progress,
               draft: bool = True) -> ImageHashes:
    """Decode ``path`` (read-only, upright, bounded) and hash it (see :func:`hash_array`).

    ``draft=False`` decodes a JPEG at full size: what the list stores, so its values
    are the reference ones other PDQ tools compute; checks use the faster draft.
    """
    return hash_array(load_rgb(path, progress=progress, draft=draft), queries=queries,
                      pdq_queries=pdq_queries, phash_queries=phash_queries)
