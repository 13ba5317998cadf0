"""Sort free-form video tags (Matroska SimpleTags, AVI INFO, ffmpeg keys) by what they say."""

from __future__ import annotations

import re

from share_guard.core.i18n import N_
from share_guard.core.report import Category

# ISO 6709 ("+48.8584+002.2945/", "+48.85+002.29+035.0/") and "lat, lon" pairs
_ISO6709 = re.compile(r"^[+-]\d{1,2}(\.\d+)?[+-]\d{1,3}(\.\d+)?([+-]\d+(\.\d+)?)?(CRS[^/]*)?/?$")
_LATLON = re.compile(r"^\s*-?\d{1,2}\.\d{3,}\s*[,; ]\s*-?\d{1,3}\.\d{3,}\s*$")
_DATE = re.compile(r"^\s*(19|20)\d\d[-:/](0[1-9]|1[0-2])([-:/]([0-2]\d|3[01]))?([ T]\d\d:\d\d.*)?$")

_LOCATION_WORDS = ("LOCATION", "GPS", "LATITUDE", "LONGITUDE", "ISO6709", "COORDINATE", "PLACE")
_TIME_WORDS = ("DATE", "CREATION_TIME", "TIMESTAMP", "RECORDED", "YEAR")
_DEVICE_WORDS = (
    "ENCODER", "MAKE", "MODEL", "SOFTWARE", "MANUFACTURER", "WRITING_APP", "CAMERA", "DEVICE",
    "FIRMWARE", "SERIAL", "LENS", "ENCODED_BY", "HANDLER_NAME",
)
_IDENTITY_WORDS = (
    "ARTIST", "AUTHOR", "COMPOSER", "COPYRIGHT", "PRODUCER", "DIRECTOR", "ACTOR", "PERFORMER",
    "PUBLISHER", "OWNER", "EMAIL", "PHONE", "ACCOUNT", "USER", "CONTACT", "URL", "CREATOR",
    "WRITTEN_BY", "LYRICIST", "CONDUCTOR", "ARRANGER", "ENGINEER", "PRODUCTION",
)
#: technical tags that say nothing about who, where or when (still removed by the cleaner)
_TECHNICAL = {
    "DURATION", "BPS", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "_STATISTICS_TAGS",
    "MAJOR_BRAND", "MINOR_VERSION", "COMPATIBLE_BRANDS", "VENDOR_ID", "LANGUAGE",
    "ROTATE", "STEREO_MODE", "ALPHA_MODE",
}


def looks_like_place(value: str) -> bool:
    return bool(_ISO6709.match(value.strip()) or _LATLON.match(value))


def looks_like_date(value: str) -> bool:
    return bool(_DATE.match(value))


def classify_tag(name: str, value: str) -> tuple[Category, bool, str]:
    """(category, identifying, explanation) for one named tag value."""
    key = name.strip().upper().replace("-", "_").replace(".", "_").replace(" ", "_")
    if looks_like_place(value) or any(w in key for w in _LOCATION_WORDS):
        return Category.LOCATION, True, N_("a place: where the video was recorded")
    if key == "DURATION" or key.startswith("DURATION_"):
        return Category.OTHER, False, N_("technical: the length of a track")
    if any(w in key for w in _IDENTITY_WORDS):
        return Category.IDENTITY, True, N_("names a person or an account")
    if any(w in key for w in _DEVICE_WORDS):
        return Category.DEVICE, True, N_("names the device or software that made the file")
    if any(w in key for w in _TIME_WORDS) or looks_like_date(value):
        return Category.TIME, True, N_("a date: when the video was recorded or edited")
    if key in _TECHNICAL or key.startswith("_STATISTICS"):
        return Category.OTHER, False, N_("technical detail about the file")
    return Category.OTHER, True, N_("a descriptive tag that may say more than intended")


_RUN = re.compile(rb"[\x20-\x7e]{12,}")


def leftover_text(data: bytes) -> str:
    """Readable text (runs of 12+ printable ASCII characters) left in padding, or ''."""
    return " ".join(m.group().decode("ascii") for m in _RUN.finditer(data[:1_000_000]))[:200]
