"""Numbers in kept ISO-BMFF boxes that could spell text, written from what they mean.

A box kept for how a picture is shown holds numbers (a display matrix, a pixel aspect
ratio, a bitrate, a mastering display's chromaticities); most bytes of a number that no
real picture has are free to carry anything. Each layout here keeps the fields a player
uses and writes the rest from their meaning: translations in whole pixels, perspective
terms fixed, a mastering display as a standard's exact numbers, aspect ratios and bitrates
only in a range real files use, reserved bytes zero. Used by :mod:`bmff_layout`,
:mod:`bmff_entries` and :mod:`heif_layout`.
"""

from __future__ import annotations

import struct

from share_guard.core.containers.bmff_fields import L, Layout
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_
from share_guard.core.metadata.hdr import mastering_display


def mdcv(b: L) -> None:
    """A mastering display colour volume (sample entries, HEIF properties): a standard
    display's exact numbers, or blank (sixteen bytes of chromaticities can spell anything;
    see :mod:`share_guard.core.metadata.hdr`)."""
    kept = mastering_display(b.buf.get(b.pos, 24) if b.left >= 24 else b"")
    if kept is None:
        b.z(24)
    else:
        b.want(kept)


#: the largest scale a display matrix may apply (beyond it a number spells text sooner
#: than it shapes a picture)
MAX_SCALE = 16 << 16
IDENTITY = (0x10000, 0, 0, 0x10000)


def matrix(b: L) -> None:
    """A display matrix (a, b, u, c, d, v, x, y, w) written from its fields: the rotation
    and scale as they are (identity when out of any real range), the translation in whole
    pixels, the perspective terms 0 and w 1.0 (nothing else is ever written there, and
    their fractional bits can carry text)."""
    a, bb, _u, c, d, _v, x, y, _w = struct.unpack(">9i", b.buf.get(b.pos, 36))
    if any(abs(t) > MAX_SCALE for t in (a, bb, c, d)):
        a, bb, c, d = IDENTITY
    b.want(struct.pack(">9i", a, bb, 0, c, d, 0, x & ~0xFFFF, y & ~0xFFFF, 0x40000000))


def whole_pixels(b: L, count: int) -> None:
    """``count`` 16.16 sizes kept in whole pixels (a fraction of a pixel shows nothing)."""
    values = struct.unpack(f">{count}I", b.buf.get(b.pos, 4 * count))
    b.want(struct.pack(f">{count}I", *(v & 0xFFFF0000 for v in values)))


def dolby_vision(b: L) -> None:
    """Dolby Vision configuration: four bytes of fields, twenty reserved (zero)."""
    b.w(4)
    b.z(20)


def bounded(count: int, top: int) -> Layout:
    """``count`` 32-bit numbers, kept when each is at most ``top`` (pixel aspect ratios,
    bitrates, apertures are small; a number that spells text is not): else blank."""
    def layout(b: L) -> None:
        raw = b.buf.get(b.pos, 4 * count)
        if all(int.from_bytes(raw[i : i + 4], "big") <= top for i in range(0, len(raw), 4)):
            b.w(4 * count)
        else:
            b.z(4 * count)
    return layout



def clap(b: L) -> None:
    """A clean aperture: eight numbers (width, height and offsets as fractions); a real one
    crops a few pixels of a picture of at most 65535 pixels, with positive denominators."""
    values = struct.unpack(">8i", b.buf.get(b.pos, 32))
    if any(abs(v) > 0xFFFF for v in values) or min(values[1::2]) <= 0:
        raise CorruptFile(N_("a clean aperture of an impossible size"))
    b.w(32)
