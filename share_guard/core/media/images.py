"""Decode untrusted images with Pillow under limits (the only way pixels enter the core).

OpenCV never decodes untrusted files (cv2.imread has no size guard): callers
decode here and hand numpy arrays on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import IO, Any

from PIL import Image, ImageOps

from share_guard.core.media.quiet import quiet_decoders

#: Pillow warns above this many pixels and refuses above twice as many.
MAX_PIXELS = 150_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "HEIF", "AVIF")
#: Pillow's plugin for each format Image.preinit() does not load (JPEG, PNG and GIF it does)
_PLUGINS = {"WEBP": "WebPImagePlugin", "TIFF": "TiffImagePlugin", "AVIF": "AvifImagePlugin"}


def _load_plugins(formats: Sequence[str]) -> None:
    """Register Pillow's readers for ``formats`` only: Image.init() imports all forty of its
    plugins (a few hundredths of a second at every start of a worker)."""
    import importlib

    Image.preinit()
    for name in formats:
        if name in _PLUGINS and name not in Image.OPEN:
            try:
                importlib.import_module(f"PIL.{_PLUGINS[name]}")
            except ImportError:  # an older Pillow without native AVIF: pillow-heif reads it
                pass


_heif_lock = threading.Lock()
_heif_ready = False


def ensure_heif() -> None:
    """Register pillow-heif's HEIC/AVIF opener once (lazily: it loads libheif)."""
    global _heif_ready
    with _heif_lock:
        if not _heif_ready:
            import pillow_heif

            pillow_heif.register_heif_opener()
            if hasattr(pillow_heif, "register_avif_opener"):
                try:
                    pillow_heif.register_avif_opener()
                except Exception:  # noqa: BLE001,S110 - newer Pillow decodes AVIF itself
                    pass
            _heif_ready = True


def open_image(fp: str | IO[bytes] | Any, formats: Sequence[str] | None = None) -> Image.Image:
    """``Image.open`` restricted to the formats we handle, bomb limits on.

    pillow-heif (libheif: ~0.13 s to load) is registered only when a file is not one of
    the other formats: a process that checks JPEGs and PNGs never loads it.
    """
    from PIL import UnidentifiedImageError

    wanted = tuple(formats or ALLOWED_FORMATS)
    quiet_decoders()  # libtiff and Pillow's logging print to stderr otherwise
    _load_plugins(wanted)
    heif = [f for f in wanted if f in ("HEIF", "AVIF")]
    if heif and not _heif_ready:
        others = [f for f in wanted if f not in heif and f in Image.OPEN]
        rewinds = isinstance(fp, (str, os.PathLike)) or (hasattr(fp, "seekable") and fp.seekable())
        if others and rewinds:
            try:
                return Image.open(fp, formats=others)
            except UnidentifiedImageError:
                pass  # perhaps HEIF or AVIF: asked again below (Image.open rewinds ``fp``)
        ensure_heif()
    return Image.open(fp, formats=[f for f in wanted if f in Image.OPEN])


def load_displayed(fp: str | IO[bytes] | Any, mode: str = "RGB",
                   draft: tuple[int, int] | None = None) -> Image.Image:
    """Decode fully, apply EXIF orientation, convert to ``mode``. Raises on bad data.

    A phone's HEIC is decoded by FFmpeg (:mod:`.heic_tiles`: about half the time).
    """
    with open_image(fp) as img:
        if img.format == "HEIF" and mode in ("RGB", "L") and isinstance(fp, (str, os.PathLike)):
            from share_guard.core.media import heic_tiles

            fast = heic_tiles.rgb_image(fp) if mode == "RGB" else heic_tiles.luma_image(fp)
            if fast is not None:
                return fast
        if draft is not None and img.format == "JPEG":
            img.draft(mode if mode in ("RGB", "L") else "RGB", draft)
        img.load()
        shown = ImageOps.exif_transpose(img)
        return shown.convert(mode) if shown.mode != mode else shown.copy()
