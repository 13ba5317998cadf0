"""Untrusted still images -> pixels as displayed, for the detectors and redaction.

Decoding goes through :mod:`share_guard.core.media.images` (Pillow under its
decompression-bomb limit; never ``cv2.imread``); this module applies the EXIF
orientation, turns decoder failures into one-line errors and hands numpy
arrays to OpenCV.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from share_guard.core.errors import CorruptFile, LimitExceeded, UnsupportedFormat
from share_guard.core.i18n import N_, message

if TYPE_CHECKING:
    from PIL import Image as PILImage


def open_image(src: str | os.PathLike[str] | BinaryIO) -> PILImage.Image:
    """Open (lazily) a still image of a format we handle."""
    from PIL import Image, UnidentifiedImageError

    from share_guard.core.media.images import open_image as _open

    try:
        return _open(src)
    except UnidentifiedImageError:
        raise UnsupportedFormat(N_("not an image we can decode"))
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(message(N_("image is too large to decode safely: {exc}"), exc=exc))
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptFile(message(N_("image cannot be decoded: {exc}"), exc=exc))


def displayed(img: PILImage.Image) -> PILImage.Image:
    """Decode ``img`` fully and turn it by its EXIF orientation, in place (first frame only:
    no second copy of a 48 MP image)."""
    from PIL import Image, ImageOps

    try:
        img.load()
        ImageOps.exif_transpose(img, in_place=True)
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(message(N_("image is too large to decode safely: {exc}"), exc=exc))
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptFile(message(N_("image cannot be decoded: {exc}"), exc=exc))
    return img


def to_rgb_array(img: PILImage.Image) -> np.ndarray:
    """HxWx3 uint8 RGB; transparent areas are composited over white."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8)


def load_rgb(src: str | os.PathLike[str] | BinaryIO) -> np.ndarray:
    """The image at ``src`` as displayed: HxWx3 uint8 RGB."""
    with open_image(src) as img:
        return to_rgb_array(displayed(img))
