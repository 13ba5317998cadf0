"""Untrusted still images -> pixels as displayed, for the detectors and redaction.

Decoding goes through :mod:`share_guard.core.media.images` (Pillow under its
decompression-bomb limit; never ``cv2.imread``); this module applies the EXIF
orientation, turns decoder failures into one-line errors and hands numpy
arrays on. :class:`Picture` decodes a file once for all the analyzers of one
check, and a large JPEG's reduced look at that size.
"""

from __future__ import annotations

import math
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
    """The image at ``src`` as displayed: HxWx3 uint8 RGB (a phone's HEIC decoded by
    FFmpeg: :mod:`.heic_tiles`)."""
    with open_image(src) as img:
        if img.format == "HEIF" and isinstance(src, (str, os.PathLike)):
            from share_guard.core.media.heic_tiles import rgb_image

            fast = rgb_image(src)
            if fast is not None:
                return np.asarray(fast)
        return to_rgb_array(displayed(img))


def resized(rgb: np.ndarray, scale: float) -> np.ndarray:
    """``rgb`` scaled by ``scale`` (area averaging when reducing, cubic when enlarging)."""
    if scale == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    return resize_to(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))


def resize_to(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pillow's resize (box averaging when reducing, bicubic when enlarging): OpenCV is not a
    runtime dependency (it is 120 MB for two calls)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    method = Image.Resampling.BOX if size[0] * size[1] < w * h else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, method))


#: a JPEG looked at this size or less is decoded at 1/2, 1/4 or 1/8 of its size
#: by libjpeg itself (``Image.draft``: the DCT coefficients scaled, ~4x less work than a
#: full decode and a resize for a 12 MP photo at half size)
DRAFT_BELOW = 0.5
#: a draft at most this much larger (in pixels) than asked for is used as it is
DRAFT_SLACK = 1.2


class Picture:
    """A still image as displayed, decoded when asked: :meth:`full` once, and
    :meth:`reduced` straight at about that size for a JPEG (the face detector's look at a
    large photo), so a photo whose faces need no full-size look is never decoded at full
    size for them. Errors are those of :func:`load_rgb`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from PIL import ExifTags

        self.path = path
        self._full: np.ndarray | None = None
        self._shown: PILImage.Image | None = None  # decoded for :meth:`area`, until full()
        with open_image(path) as img:
            self.format = img.format
            w, h = img.size
            try:
                turned = img.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
            except (OSError, ValueError, SyntaxError) as exc:
                raise CorruptFile(message(N_("image cannot be decoded: {exc}"), exc=exc))
        self._size = (h, w) if turned else (w, h)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) as displayed."""
        return self._size

    def full(self) -> np.ndarray:
        """HxWx3 uint8 RGB at full size (decoded on first use, then kept)."""
        if self._full is None:
            if self._shown is not None:
                self._full, self._shown = to_rgb_array(self._shown), None
            else:
                self._full = load_rgb(self.path)
        return self._full

    def area(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """HxWx3 uint8 RGB of the part from (x0, y0) to (x1, y1), at full size. Decoded whole
        but made an array only there (the face search's full-size looks around small faces:
        a 12 MP photo's array is a 36 MB copy, a tenth of a second)."""
        if self._full is not None:
            return self._full[y0:y1, x0:x1]
        if self._shown is None:
            with open_image(self.path) as img:
                self._shown = displayed(img)  # loaded: the file is not read again
        return to_rgb_array(self._shown.crop((x0, y0, x1, y1)))

    def gray(self) -> np.ndarray:
        """HxW uint8 luma at full size (for the code reader). A JPEG's is its own luma
        channel, decoded alone: libjpeg skips the chroma and the colour conversion, a
        fifth of a full decode of a 12 MP photo, and no RGB copy to convert. Other
        formats (and CMYK JPEGs) give the luma of :meth:`full`."""
        if self.format == "JPEG":
            with open_image(self.path) as img:
                if img.mode in ("RGB", "YCbCr", "L"):
                    img.draft("L", img.size)  # the size as stored: the draft is asked before turning
                    shown = displayed(img)
                    if shown.mode == "L":
                        return np.asarray(shown, dtype=np.uint8)
        if self.format == "HEIF" and self._full is None:  # its luma plane, decoded alone
            from share_guard.core.media.heic_tiles import luma_image

            luma = luma_image(self.path)
            if luma is not None:
                return np.asarray(luma)
        from PIL import Image

        return np.asarray(Image.fromarray(self.full()).convert("L"))

    def reduced(self, scale: float) -> np.ndarray:
        """The picture at about ``scale`` times its size: never smaller, at most DRAFT_SLACK
        times as many pixels (box-averaged when not decoded at that size)."""
        w, h = self._size
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
        if self.format != "JPEG" or scale > DRAFT_BELOW:
            return resized(self.full(), scale)
        # decoded again even when the full size is at hand (another check asked first):
        # cheaper than reducing it, and the faces found never depend on the checks' order
        with open_image(self.path) as img:
            sw, sh = img.size  # as stored: the draft is asked before turning
            img.draft("RGB", (math.ceil(sw * scale), math.ceil(sh * scale)))
            rgb = to_rgb_array(displayed(img))
        if rgb.shape[0] * rgb.shape[1] > DRAFT_SLACK * target[0] * target[1]:
            return resized(rgb, target[0] / rgb.shape[1])
        return rgb
