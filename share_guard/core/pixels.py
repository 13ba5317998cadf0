"""Decode untrusted still images to pixels as displayed, under Pillow's limits.

Never ``cv2.imread`` (no decompression-bomb guard): Pillow opens the file,
refuses anything above ``Image.MAX_IMAGE_PIXELS``, applies the EXIF
orientation, and hands a numpy array to OpenCV.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat

if TYPE_CHECKING:
    from PIL import Image as PILImage

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
        _heif_registered = True


@contextmanager
def _limits() -> Iterator[None]:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise LimitExceeded(f"image is too large to decode safely: {exc}")


def open_image(src: str | os.PathLike[str] | BinaryIO) -> PILImage.Image:
    """Open (lazily) a still image with Pillow, refusing decompression bombs."""
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    with _limits():
        try:
            return Image.open(src)
        except UnidentifiedImageError:
            raise UnsupportedFormat("not an image Pillow can decode")
        except (OSError, ValueError, SyntaxError) as exc:
            raise CorruptFile(f"image cannot be decoded: {exc}")


def displayed(img: PILImage.Image) -> PILImage.Image:
    """Decode ``img`` fully and apply its EXIF orientation (first frame only)."""
    from PIL import ImageOps

    with _limits():
        try:
            img.load()
            out = ImageOps.exif_transpose(img)
        except (OSError, ValueError, SyntaxError) as exc:
            raise CorruptFile(f"image cannot be decoded: {exc}")
    return out if out is not None else img


def to_rgb_array(img: PILImage.Image) -> np.ndarray:
    """HxWx3 uint8 RGB (alpha composited over white, 16-bit scaled down)."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8)


def load_rgb(src: str | os.PathLike[str] | BinaryIO) -> np.ndarray:
    """The image at ``src`` as displayed: HxWx3 uint8 RGB."""
    with open_image(src) as img:
        return to_rgb_array(displayed(img))
