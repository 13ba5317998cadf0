"""The explicit "rebuild from pixels" route for files the lossless cleaner refuses.

Decodes the image under limits, applies its orientation, and writes a fresh
file of the same format at the best quality the format allows, carrying over
only the colour profile. The export pipeline then strips and verifies the
result like any other file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from share_guard.core.containers.base import Source
from share_guard.core.errors import CorruptFile, ShareGuardError, UnsupportedFormat
from share_guard.core.export.pipeline import Cover
from share_guard.core.i18n import N_, message
from share_guard.core.progress import CancelToken, ProgressFn
from share_guard.core.report import FileKind, Report


class RebuildTransform:
    """Re-encode an image from its pixels (a Transform for the export pipeline)."""

    name = "rebuild"

    def covers(self, report: Report) -> Cover:
        return Cover()  # new pixels, the same picture: nothing in it is covered

    def apply(self, src: Source, report: Report, out: BinaryIO, progress: ProgressFn,
              cancel: CancelToken | None) -> list[str]:
        if report.kind is not FileKind.IMAGE:
            raise UnsupportedFormat(N_("rebuild from pixels works for images only"))
        progress(0.1, N_("decoding"))
        shown, fmt, icc = _decode(src.path)
        if cancel is not None:
            cancel.check()
        progress(0.6, N_("encoding"))
        _save(shown, out, fmt, icc)
        progress(1.0, N_("rebuilt"))
        return ["rebuilt from pixels (re-encoded at the best quality for the format)"]


def _decode(path: Path) -> tuple[object, str, bytes | None]:
    """The picture as shown (orientation applied), its Pillow format and colour profile.
    Raises a ShareGuardError with a one-line reason when it cannot be rebuilt."""
    from PIL import Image, ImageOps

    from share_guard.core.media.images import open_image

    try:
        with open_image(path) as img:
            img.load()
            icc = img.info.get("icc_profile")
            frames = getattr(img, "n_frames", 1)
            fmt = img.format or "PNG"
            if frames > 1 and fmt in ("GIF", "WEBP", "PNG"):
                raise UnsupportedFormat(N_("rebuild of animated images is not supported"))
            return ImageOps.exif_transpose(img), fmt, icc
    except ShareGuardError:
        raise
    except Image.DecompressionBombError as exc:  # not an OSError: it escaped as a traceback
        raise CorruptFile(N_("the image claims too many pixels to decode safely")) from exc
    except Exception as exc:  # noqa: BLE001 - decoders raise EOFError, struct.error, ... on hostile data
        raise CorruptFile(message(N_("the pixels cannot be decoded: {name__}: {exc}"),
                                  name__=type(exc).__name__, exc=exc)) from exc


def rebuild_problem(path: Path) -> str:
    """Why a rebuild from pixels of the image at ``path`` would fail ("" when it would not):
    the verdict offers the rebuild only where it can succeed (a truncated JPEG cannot)."""
    try:
        _decode(path)
    except ShareGuardError as exc:
        return str(exc)
    return ""


def _save(img: object, out: BinaryIO, fmt: str, icc: bytes | None) -> None:
    from PIL import Image

    assert isinstance(img, Image.Image)
    extra: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt in ("JPEG", "MPO"):
        rgb = img if img.mode in ("RGB", "L", "CMYK") else img.convert("RGB")
        rgb.save(out, "JPEG", quality=100, subsampling=0, optimize=True, **extra)
    elif fmt == "WEBP":
        img.save(out, "WEBP", lossless=True, quality=100, method=4, exact=True, **extra)
    elif fmt == "TIFF":
        img.save(out, "TIFF", compression="tiff_lzw", **extra)
    elif fmt in ("HEIF", "AVIF"):
        img.save(out, fmt, quality=-1, **extra)
    elif fmt == "GIF":
        img.save(out, "GIF")
    else:
        img.save(out, "PNG", optimize=False, **extra)
