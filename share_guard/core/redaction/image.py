"""Redact a still image file: decode once, burn the regions in, re-encode once.

The output is in displayed orientation (EXIF orientation applied) and carries
no metadata at all: no EXIF, XMP, comments or thumbnails; only the colour
profile is kept so the picture looks as it did. The export pipeline runs the
lossless metadata cleaner over it afterwards as well.

Quality: JPEG reuses the original quantisation tables and chroma subsampling
(what Pillow's ``quality="keep"`` does; spelled out here because the pixels
come from a new, rotated image); PNG, TIFF and lossless WebP stay lossless;
lossy WebP, HEIC and AVIF are written once at quality 95 (HEIC/AVIF with full
4:4:4 chroma).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from share_guard.core.errors import CorruptFile, UnsupportedFormat
from share_guard.core.i18n import N_, message
from share_guard.core.media.pixels import displayed, open_image
from share_guard.core.redaction.regions import RedactionPlan, Style, redact_array
from share_guard.core.report import Region

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: source format -> (output format, extension)
_OUTPUT = {
    "JPEG": ("JPEG", ".jpg"),
    "MPO": ("JPEG", ".jpg"),
    "PNG": ("PNG", ".png"),
    "WEBP": ("WEBP", ".webp"),
    "TIFF": ("TIFF", ".tif"),
    "GIF": ("PNG", ".png"),
    "BMP": ("PNG", ".png"),
    "HEIF": ("HEIF", ".heic"),
    "AVIF": ("AVIF", ".avif"),
}


@dataclass(frozen=True)
class RedactionResult:
    format: str  # Pillow name of what was written: "JPEG", "PNG", "WEBP", "TIFF"
    extension: str  # ".jpg"...
    width: int
    height: int
    regions: tuple[Region, ...]  # as burnt in: enlarged and clipped
    notes: tuple[str, ...]  # plain words on how it was re-encoded


def redact_image_file(
    src_path: str | os.PathLike[str],
    regions: Sequence[Region],
    style: Style | str = Style.SOLID,
    out: BinaryIO | None = None,
    *,
    outside: Region | None = None,
    plan: RedactionPlan | None = None,
    rng: np.random.Generator | None = None,
) -> RedactionResult:
    """Write a redacted copy of ``src_path`` (never modified) to ``out``.

    ``regions`` are in pixels of the image as displayed; detected ones are
    enlarged 1.3x, ``label="manual"`` ones are used as drawn.
    """
    if out is None:
        raise ValueError("redact_image_file needs an output stream")
    plan = plan or RedactionPlan(tuple(regions), Style(style), outside)
    with open_image(src_path) as src:
        fmt = (src.format or "").upper()
        if fmt not in _OUTPUT:
            raise UnsupportedFormat(message(N_("cannot redact {value} images"), value=fmt or 'this'))
        if getattr(src, "n_frames", 1) > 1 and fmt not in ("MPO",):
            raise UnsupportedFormat(
                message(N_("cannot redact animated or multi-page {fmt} images; export one frame first"),
                        fmt=fmt)
            )
        params, notes = _encoder_params(src, fmt)
        shown = displayed(src)
        img, alpha = _workable(shown, fmt)
        arr = np.array(img, dtype=np.uint8)
    applied = redact_array(arr, plan, rng=rng, alpha=alpha)
    out_fmt, ext = _OUTPUT[fmt]
    result = _from_array(arr, img.mode)
    if out_fmt == "JPEG" and result.mode not in ("L", "RGB", "CMYK"):
        result = result.convert("RGB")
    elif out_fmt in ("HEIF", "AVIF") and result.mode != "RGB":
        result = result.convert("RGB")
    try:
        result.save(out, out_fmt, **params)
    except (OSError, ValueError) as exc:
        raise CorruptFile(message(N_("redacted image could not be encoded: {exc}"), exc=exc))
    return RedactionResult(
        out_fmt, ext, result.width, result.height, tuple(applied), tuple(notes)
    )


def _from_array(arr: np.ndarray, mode: str) -> PILImage.Image:
    from PIL import Image

    # A fresh image: nothing of the source's info (comments, EXIF, XMP) comes along.
    if mode == "L":
        return Image.fromarray(arr[..., 0] if arr.ndim == 3 else arr, "L")
    return Image.fromarray(arr, mode)


def _workable(img: PILImage.Image, fmt: str) -> tuple[PILImage.Image, bool]:
    """Convert to a mode we redact in: L, RGB, LA or RGBA (alpha kept for PNG/WebP/TIFF)."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    if fmt in ("JPEG", "MPO", "HEIF", "AVIF"):
        has_alpha = False
    if img.mode == "L" or img.mode == "RGB":
        return img, False
    if img.mode == "LA" and has_alpha:
        return img, True
    if has_alpha:
        return img.convert("RGBA"), True
    if img.mode in ("1", "I;16", "I", "F") or img.mode.startswith("I;"):
        return img.convert("L"), False
    return img.convert("RGB"), False


def _encoder_params(src: PILImage.Image, fmt: str) -> tuple[dict[str, Any], list[str]]:
    from PIL import JpegImagePlugin

    icc = src.info.get("icc_profile")
    params: dict[str, Any] = {"icc_profile": icc} if icc else {}
    notes: list[str] = []
    if fmt in ("JPEG", "MPO"):
        tables = getattr(src, "quantization", None)
        if tables and src.mode in ("L", "RGB", "YCbCr"):
            params["qtables"] = [tables[k] for k in sorted(tables)]
            params["subsampling"] = JpegImagePlugin.get_sampling(src)
            notes.append("re-encoded once with the original JPEG quantisation tables")
        else:
            params.update(quality=95, subsampling=0)
            notes.append("re-encoded once as JPEG at quality 95")
        params["optimize"] = True
        if src.info.get("progressive"):
            params["progressive"] = True
    elif fmt == "WEBP":
        if _webp_lossless(src):
            params.update(lossless=True, quality=100, exact=True)
            notes.append("re-encoded losslessly (the source was lossless WebP)")
        else:
            params.update(quality=95, method=4)
            notes.append("re-encoded once as WebP at quality 95")
    elif fmt == "HEIF":
        params.update(quality=95, chroma=444)
        notes.append("re-encoded once as HEIC at quality 95 (4:4:4)")
    elif fmt == "AVIF":
        params.update(quality=95, subsampling="4:4:4")
        notes.append("re-encoded once as AVIF at quality 95 (4:4:4)")
    elif fmt == "TIFF":
        params["compression"] = "tiff_deflate"
        notes.append("re-encoded losslessly (TIFF, deflate)")
    else:
        params["optimize"] = False
        notes.append("re-encoded losslessly as PNG")
    return params, notes


def _webp_lossless(src: PILImage.Image) -> bool:
    """True when the WebP stream holds a VP8L (lossless) bitstream: walk the RIFF chunks."""
    fp = getattr(src, "fp", None)
    if fp is None:
        return False
    pos = fp.tell()
    try:
        fp.seek(12)
        for _ in range(64):  # bounded: real files have a handful of chunks
            head = fp.read(8)
            if len(head) < 8:
                return False
            tag, size = head[:4], int.from_bytes(head[4:], "little")
            if tag == b"VP8L":
                return True
            if tag == b"VP8 ":
                return False
            fp.seek(size + (size & 1), 1)
        return False
    finally:
        fp.seek(pos)
