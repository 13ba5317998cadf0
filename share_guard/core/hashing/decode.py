"""Decode a picture for hashing: upright, RGB, fitted to the working size, in bounded memory.

The hashes are defined on ``exif_transpose(im).convert("RGB").resize(fit, BOX)``
(JPEG decoded with ``draft``, which scales in the DCT domain). That chain holds
several full-size copies at once: a valid 144-megapixel RGBA PNG reached
1.9 GB in a worker capped at 2 GiB and was refused. Here the stored rows are
converted a band at a time and fed to :class:`.resample.OrientedBoxFit`, which
computes the same pixels without turning or copying the picture:

* JPEG: ``draft`` decodes at 1/2-1/8 of the size (never below the working size);
* a large non-interlaced PNG: decoded band by band (:mod:`.png_stream`), so a
  144 MP picture needs a few tens of MB;
* anything else: decoded once by Pillow (at most 4 bytes a pixel), then
  converted and reduced a band at a time, without a second full-size copy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
from PIL import Image

from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.hashing.resample import OrientedBoxFit
from share_guard.core.i18n import N_, message
from share_guard.core.progress import ProgressFn, no_progress

#: Refuse to decode images with more pixels than this (decompression bombs).
MAX_PIXELS = 200_000_000
#: Pictures above this many pixels are streamed (PNG) or converted in bands.
STREAM_PIXELS = 16_000_000
BAND_PIXELS = 4_000_000
_TURNED = (5, 6, 7, 8)


def fitted_size(width: int, height: int, work_side: int) -> tuple[int, int]:
    """(width, height) after fitting the longest side to ``work_side`` (never enlarged)."""
    if max(width, height) <= work_side:
        return width, height
    scale = work_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _bands(im: Image.Image, rows: int) -> Iterator[Image.Image]:
    """RGB (or grey) rows of a loaded Pillow image, ``rows`` at a time (converted per band).

    An RGB or grey picture is fed as it is, a band at a time only above the band size:
    its crops and conversions were copies of every pixel, a tenth of a HEIC's hashing.
    """
    w, h = im.size
    ready = im.mode in ("RGB", "L")
    if h <= rows or (ready and w * h <= STREAM_PIXELS):
        yield im if ready else im.convert("RGB")
        return
    for top in range(0, h, rows):
        with im.crop((0, top, w, min(h, top + rows))) as part:
            yield part if ready else part.convert("RGB")


def load_fitted(path: str | os.PathLike[str], work_side: int,
                progress: ProgressFn = no_progress, *, draft: bool = True) -> np.ndarray:
    """Decode ``path`` (read-only, bounded) upright as RGB, fitted to ``work_side``.

    ``draft=False`` decodes a JPEG at full size (the reference value, for the list);
    with ``draft`` a check decodes it at 1/2-1/8 scale, ~6x faster for 12 MP, and its
    PDQ stays within a few bits of the full decode (docs/takedown.md).
    """
    from PIL import UnidentifiedImageError

    from share_guard.core.hashing import png_stream
    from share_guard.core.media.images import open_image

    try:
        with open_image(path) as im:  # our formats only (no Ghostscript for an EPS), bomb limits
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise LimitExceeded(message(N_("image is {w}x{h} pixels, more than we decode"), w=w, h=h))
            layout = None
            if im.format == "HEIF" and draft:
                from share_guard.core.hashing.heif_luma import fitted_luma

                luma = fitted_luma(path, work_side)  # None: not the plain case
                if luma is not None:
                    return luma
            if im.format == "JPEG" and draft:
                # DCT-domain downscale by 1/2, 1/4 or 1/8, never below work_side.
                im.draft("RGB", (work_side, work_side))
            elif im.format == "PNG" and w * h > STREAM_PIXELS:
                layout = png_stream.read_layout(path)
            if layout is not None:
                orientation = png_stream.orientation(layout)
                bands: Iterator[Image.Image] = png_stream.bands(path, layout)
                size = (w, h)
            else:
                im.load()
                orientation = int(im.getexif().get(0x0112, 1))  # as ImageOps.exif_transpose
                size = im.size
                bands = _bands(im, max(1, BAND_PIXELS // max(1, size[0])))
            upright = (size[1], size[0]) if orientation in _TURNED else size
            fitter = OrientedBoxFit(size, orientation, fitted_size(*upright, work_side))
            for band in bands:
                fitter.feed(band)
                progress(fitter.next_row / size[1], "hashing the picture")
            return fitter.result()
    except Image.DecompressionBombError:
        raise LimitExceeded(N_("the image has more pixels than we decode (decompression bomb?)"))
    except UnidentifiedImageError:
        raise UnsupportedFormat(N_("not an image we can decode"))
    except MemoryError:
        raise LimitExceeded(N_("the image is too large to decode within the memory limit"))
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptFile(message(N_("the image could not be decoded: {exc}"), exc=exc))
