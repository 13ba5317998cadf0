"""HDR mastering-display and light-level numbers, kept only when they describe a display.

A mastering display colour volume (PNG ``mDCv``, ISO-BMFF ``mdcv``, the HEVC/AV1 SEI and
metadata of the same name) holds eight chromaticity numbers, two bytes each, in 0.00002
units: sixteen bytes any text fits in (``RT`` is 0.42). Real files name one of a handful of
standard displays, so a clean copy keeps the numbers only when they are one of those (give
or take rounding) and writes that standard's exact values; anything else is not a display
and is dropped. Luminance numbers are kept when they are in range (the high byte of every
number is then not a letter).
"""

from __future__ import annotations

import struct

#: (red x, y, green x, y, blue x, y, white x, y) in 0.00002 units
_STANDARDS = {
    "BT.709": (0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290),
    "Display P3": (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290),
    "DCI-P3": (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.314, 0.351),
    "BT.2020": (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),
}
UNIT = 0.00002
#: how far a file's numbers may stray from a standard's (0.0005)
SLACK = 25
#: the brightest display the numbers may describe, in 0.0001 cd/m2 (10 000 nits)
MAX_LUMINANCE = 100_000_000


def _units(values: tuple[float, ...]) -> tuple[int, ...]:
    return tuple(round(v / UNIT) for v in values)


STANDARD_UNITS = {name: _units(v) for name, v in _STANDARDS.items()}


def _rgb_to_gbr(values: tuple[int, ...]) -> tuple[int, ...]:
    return values[2:6] + values[0:2] + values[6:8]


def standard_primaries(values: tuple[int, ...] | list[int]) -> tuple[int, ...] | None:
    """The exact numbers of the standard display ``values`` (three primaries, then white;
    x then y; 0.00002 units) describe, in the order they came in (R, G, B as PNG writes
    them, or G, B, R as HEVC, AV1 and ISO-BMFF do), or None when they describe none."""
    values = tuple(values)
    if len(values) != 8:
        return None
    for rgb in STANDARD_UNITS.values():
        for exact in (rgb, _rgb_to_gbr(rgb)):
            if all(abs(v - e) <= SLACK for v, e in zip(values, exact, strict=True)):
                return exact
    return None


def mastering_display(raw: bytes) -> bytes | None:
    """A 24-byte mastering display colour volume (eight 16-bit chromaticities, then the
    largest and least luminance as 32-bit numbers) written with a standard display's exact
    numbers, or None when it describes no display a clean copy can keep."""
    if len(raw) != 24:
        return None
    exact = standard_primaries(struct.unpack(">8H", raw[:16]))
    high, low = struct.unpack(">II", raw[16:24])
    if exact is None or not luminance_ok(high, low) or low > high:
        return None
    return struct.pack(">8HII", *exact, high, low)


def luminance_ok(*values: int) -> bool:
    """Luminance numbers (0.0001 cd/m2) a display can have."""
    return all(0 <= v <= MAX_LUMINANCE for v in values)
