"""Which way up an image is displayed, for containers that carry EXIF and XMP side by side.

PNG and WebP have no orientation field of their own: viewers that rotate
them read the EXIF Orientation tag (PNG eXIf, WebP EXIF chunk). Pillow, and
so ``ImageOps.exif_transpose``, falls back to XMP ``tiff:Orientation`` when
the EXIF block has no Orientation tag. The cleaners drop both blocks, so
they compute the orientation a viewer would have applied and write it back
as a minimal EXIF block holding only that tag (see
:func:`share_guard.core.metadata.tiff_ifd.minimal_orientation_exif`).
"""

from __future__ import annotations

import re

from share_guard.core.metadata.exif import exif_findings

# Same rule as Pillow's Image.getexif(): first tiff:Orientation attribute or element.
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)\s*([0-9])')


def exif_orientation(block: bytes) -> int | None:
    """The IFD0 Orientation (1-8) of an EXIF/TIFF block, or None when it has none."""
    info = exif_findings(block, where="EXIF")
    if info.tiff is None:
        return None
    ifd0 = info.tiff.ifd("IFD0")
    entry = ifd0.get(0x0112) if ifd0 is not None else None
    value = entry.first_int() if entry is not None else None
    return value if value is not None and 1 <= value <= 8 else None


def xmp_orientation(xmp: bytes) -> int | None:
    match = _XMP_ORIENTATION.search(xmp)
    if match is None:
        return None
    value = int(match.group(1))
    return value if 1 <= value <= 8 else None


def display_orientation(exif: bytes | None, xmp: bytes | None) -> int:
    """The orientation a viewer applies: EXIF first, XMP when EXIF has none, else 1."""
    if exif is not None:
        value = exif_orientation(exif)
        if value is not None:
            return value
    if xmp is not None:
        value = xmp_orientation(xmp)
        if value is not None:
            return value
    return 1
