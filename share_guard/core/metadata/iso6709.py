"""ISO 6709 point strings, as QuickTime and phones store locations.

Examples: ``+43.4670+011.8850+100/`` (degrees), ``+4328.02+01153.10/``
(degrees and minutes), ``+432801.2+0115306.0+012.5CRSWGS_84/`` (degrees,
minutes, seconds). Written by hand: the format is a few signed numbers and
no maintained library parses it without pulling in a GIS stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_POINT = re.compile(
    r"^\s*(?P<lat>[+-]\d{2}(?:\d{2}(?:\d{2})?)?(?:\.\d+)?)"
    r"(?P<lon>[+-]\d{3}(?:\d{2}(?:\d{2})?)?(?:\.\d+)?)"
    r"(?P<alt>[+-]\d+(?:\.\d+)?)?"
    r"(?:CRS[A-Za-z0-9_.:-]*)?/?\s*$"
)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    altitude: float | None = None

    def describe(self) -> str:
        text = f"{self.latitude:.5f}, {self.longitude:.5f}"
        if self.altitude is not None:
            text += f", altitude {self.altitude:g} m"
        return text


def _angle(text: str, degree_digits: int) -> float:
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole, _, frac = body.partition(".")
    fraction = float("0." + frac) if frac else 0.0
    deg = int(whole[:degree_digits])
    rest = whole[degree_digits:]
    if not rest:
        value = deg + fraction
    elif len(rest) == 2:
        value = deg + (int(rest) + fraction) / 60.0
    else:
        value = deg + int(rest[:2]) / 60.0 + (int(rest[2:]) + fraction) / 3600.0
    return sign * value


def parse_iso6709(text: str) -> Point | None:
    """The point in ``text``, or None when it is not a valid ISO 6709 string."""
    m = _POINT.match(text)
    if m is None:
        return None
    lat = _angle(m.group("lat"), 2)
    lon = _angle(m.group("lon"), 3)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    alt = float(m.group("alt")) if m.group("alt") else None
    return Point(lat, lon, alt)
