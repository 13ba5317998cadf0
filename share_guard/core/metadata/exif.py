"""EXIF (TIFF-structured) metadata -> findings in plain words.

Used by every container that can carry EXIF: JPEG APP1, PNG eXIf, WebP EXIF,
HEIC Exif items and TIFF files themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from share_guard.core.budget import Collector, exhausted, spend, unread
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.tiff_ifd import Entry, Ifd, TiffData, parse_tiff
from share_guard.core.report import Category, Finding

#: tags that describe the pixels or how to decode them (not identifying)
STRUCTURAL_TAGS = frozenset({
    0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0107, 0x0108, 0x0109, 0x010A,
    0x0111, 0x0115, 0x0116, 0x0117, 0x011A, 0x011B, 0x011C, 0x0122, 0x0123, 0x0128, 0x012D,
    0x013D, 0x013E, 0x013F, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x0152, 0x0153, 0x015B,
    0x0211, 0x0212, 0x0213, 0x0214, 0x8769, 0x8825, 0xA005, 0x014A,
    0x9000, 0xA000, 0xA001, 0xA002, 0xA003, 0x9101, 0x0001, 0x0002,
})
ORIENTATION = 0x0112
ICC_PROFILE = 0x8773
THUMB_OFFSET, THUMB_LENGTH = 0x0201, 0x0202
MAKERNOTE = 0x927C

# tag -> (category, name, why it matters)
_NOTABLE: dict[int, tuple[Category, str, str]] = {
    0x013B: (Category.IDENTITY, N_("Artist"), N_("names the person who took or owns the photo")),
    0x8298: (Category.IDENTITY, N_("Copyright"), N_("names the owner of the photo")),
    0xA430: (Category.IDENTITY, N_("Camera owner"), N_("names the owner of the camera")),
    0x9C9D: (Category.IDENTITY, N_("Author (Windows)"), N_("names the author")),
    0xA420: (Category.IDENTITY, N_("Unique image ID"), N_("can link this copy to the original file")),
    0x010F: (Category.DEVICE, N_("Camera make"), N_("tells which brand of device took it")),
    0x0110: (Category.DEVICE, N_("Camera model"), N_("tells which device took it")),
    0x0131: (Category.DEVICE, N_("Software"), N_("names the software or firmware version used")),
    0x013C: (Category.DEVICE, N_("Host computer"), N_("names the computer that processed it")),
    0xA431: (Category.DEVICE, N_("Camera serial number"), N_("identifies the exact camera")),
    0xA435: (Category.DEVICE, N_("Lens serial number"), N_("identifies the exact lens")),
    0xA433: (Category.DEVICE, N_("Lens make"), N_("tells which lens was used")),
    0xA434: (Category.DEVICE, N_("Lens model"), N_("tells which lens was used")),
    0xC62F: (Category.DEVICE, N_("Camera serial number (DNG)"), N_("identifies the exact camera")),
    0x0132: (Category.TIME, N_("Date modified"), N_("tells when the file was last changed")),
    0x9003: (Category.TIME, N_("Date taken"), N_("tells when the photo was taken")),
    0x9004: (Category.TIME, N_("Date digitized"), N_("tells when the photo was taken")),
    0x9010: (Category.TIME, N_("Time zone"), N_("hints at where the photo was taken")),
    0x9011: (Category.TIME, N_("Time zone (taken)"), N_("hints at where the photo was taken")),
    0x9012: (Category.TIME, N_("Time zone (digitized)"), N_("hints at where the photo was taken")),
    0x9286: (Category.HIDDEN, N_("User comment"), N_("free text hidden in the file")),
    0x9C9C: (Category.HIDDEN, N_("Comment (Windows)"), N_("free text hidden in the file")),
    0x010E: (Category.OTHER, N_("Description"), N_("free text that may name people or places")),
    0x9C9B: (Category.OTHER, N_("Title (Windows)"), N_("free text that may name people or places")),
    0x9C9E: (Category.OTHER, N_("Keywords (Windows)"), N_("free text that may name people or places")),
    0x9C9F: (Category.OTHER, N_("Subject (Windows)"), N_("free text that may name people or places")),
    0x02BC: (Category.HIDDEN, N_("Embedded XMP"), N_("more metadata, possibly edit history")),
    0x83BB: (Category.OTHER, N_("Embedded IPTC"), N_("captions, names and places")),
    0x8649: (Category.HIDDEN, N_("Photoshop data"), N_("editing data, sometimes a preview")),
}


@dataclass
class ExifInfo:
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    orientation: int = 1
    thumbnail: bytes | None = None
    tiff: TiffData | None = None


def strip_exif_header(block: bytes) -> bytes:
    """Accept an APP1 payload ("Exif\\0\\0" + TIFF) or a bare TIFF block."""
    if block.startswith(b"Exif\x00\x00") or block.startswith(b"Exif\x00\xff"):
        return block[6:]
    return block


def exif_findings(block: bytes, where: str = "EXIF") -> ExifInfo:
    """Read an EXIF/TIFF block and describe what it gives away.

    Never raises for malformed data: an unreadable block becomes one
    UNKNOWN finding (it is removed by the cleaner either way).
    """
    info = ExifInfo()
    if exhausted():  # the file has had its share: this block goes unread (and is removed)
        info.findings.append(unread("EXIF"))
        return info
    try:
        tiff = parse_tiff(strip_exif_header(block))
    except CorruptFile as exc:
        info.findings.append(
            Finding(Category.UNKNOWN, where, N_("Unreadable EXIF block"), f"{len(block)} bytes",
                    message(N_("metadata we could not read ({exc}); it is removed"), exc=exc))
        )
        return info
    info.tiff = tiff
    spend(sum(len(ifd.entries) for ifd in tiff.ifds))
    found = Collector()  # 64 IFDs of 1,024 Artist tags are one finding, not 65,536
    for ifd in tiff.ifds:
        if ifd.name == "GPS":
            found.extend(_gps_findings(ifd, where))
            continue
        rest = 0
        for entry in ifd.entries:
            if not _entry_finding(ifd, entry, where, info, found):
                if entry.tag not in STRUCTURAL_TAGS and entry.tag != ORIENTATION:
                    rest += 1
        if ifd.name.startswith("IFD") and ifd.name != "IFD0" and ifd.entries:
            found.add_finding(_thumbnail_finding(ifd, where, info, tiff))
        if rest:
            found.add(Category.OTHER, f"{where} {ifd.name}", N_("Other EXIF tags"), f"{rest} tags",
                      N_("camera settings and other details; removed"))
    if tiff.problems:
        found.add(Category.UNKNOWN, where, N_("Malformed EXIF"), "; ".join(tiff.problems[:3]),
                  N_("parts of the EXIF block could not be read; the whole block is removed"))
    info.findings = found.findings()
    return info


def _entry_finding(ifd: Ifd, entry: Entry, where: str, info: ExifInfo,
                   found: Collector) -> bool:
    """Add what ``entry`` gives away to ``found``; False when it is not a tag we name."""
    loc = f"{where} {ifd.name}"
    if entry.tag == ORIENTATION and ifd.name == "IFD0":
        value = entry.first_int() or 1
        info.orientation = value if 1 <= value <= 8 else 1
        found.add(Category.KEPT, loc, N_("Orientation"), ORIENTATION_NAMES.get(value, str(value)),
                  N_("how the image is turned for display; kept"), identifying=False)
        return True
    if entry.tag == ICC_PROFILE:
        found.add(Category.KEPT, loc, N_("Colour profile"), f"{len(entry.raw)} bytes",
                  N_("needed to show colours correctly; kept"), identifying=False)
        return True
    if entry.tag == MAKERNOTE:
        found.add(Category.DEVICE, loc, N_("Maker notes"), f"{len(entry.raw)} bytes",
                  N_("the camera maker's private data; often holds serial numbers and settings"))
        return True
    notable = _NOTABLE.get(entry.tag)
    if notable is None:
        return False
    category, name, why = notable
    text = _windows_text(entry) if 0x9C9B <= entry.tag <= 0x9C9F else entry.text()
    if entry.tag == 0x9286:
        text = _user_comment(entry.raw)
    if not text.strip(" \x00"):
        return False
    found.add(category, loc, name, text, message(N_("{name}: {why}"), name=name, why=why))
    return True


def _thumbnail_finding(ifd: Ifd, where: str, info: ExifInfo, tiff: TiffData) -> Finding:
    off, length = ifd.get(THUMB_OFFSET), ifd.get(THUMB_LENGTH)
    detail = "embedded preview image"
    if off is not None and length is not None:
        o, n = off.first_int() or 0, length.first_int() or 0
        info.thumbnail = None
        if n:
            detail = f"{n / 1024:.1f} KB JPEG"
            info.thumbnail = _slice_thumbnail(tiff, o, n)
    return Finding(Category.HIDDEN, f"{where} {ifd.name}", N_("Embedded thumbnail"), detail,
                   N_("a small copy of the picture that can show what editing removed"))


def _slice_thumbnail(tiff: TiffData, offset: int, length: int) -> bytes | None:
    if offset <= 0 or offset + length > len(tiff.data):
        return None
    return tiff.data[offset : offset + length]


def _windows_text(entry: Entry) -> str:
    raw = entry.raw if isinstance(entry.value, bytes) else bytes(
        v & 0xFF for v in (entry.value or ()) if isinstance(v, int))
    return raw.decode("utf-16-le", "replace").rstrip("\x00")


def _user_comment(raw: bytes) -> str:
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        text = body.decode("utf-16-be" if body[:1] == b"\x00" else "utf-16-le", "replace")
    else:
        text = body.decode("utf-8", "replace")
    return text.strip(" \x00")


def _gps_findings(ifd: Ifd, where: str) -> list[Finding]:
    loc = f"{where} GPS"
    found: list[Finding] = []
    lat = _dms(ifd.get(0x0002), ifd.get(0x0001), "S")
    lon = _dms(ifd.get(0x0004), ifd.get(0x0003), "W")
    if lat is not None and lon is not None:
        found.append(Finding(
            Category.LOCATION, loc, N_("GPS position"), f"{lat:.5f}, {lon:.5f}",
            message(N_("GPS position {lat}, {lon}: shows where the photo was taken"),
                    lat=f"{lat:.3f}", lon=f"{lon:.3f}"),
            detail={"latitude": round(lat, 6), "longitude": round(lon, 6)},
        ))
    alt = ifd.get(0x0006)
    if alt is not None and isinstance(alt.value, tuple) and alt.value:
        found.append(Finding(Category.LOCATION, loc, N_("GPS altitude"), f"{float(alt.value[0]):.0f} m",
                             N_("altitude where the photo was taken")))
    date, clock = ifd.get(0x001D), ifd.get(0x0007)
    if date is not None or clock is not None:
        stamp = " ".join(x for x in (date.text() if date else "", _hms(clock)) if x)
        found.append(Finding(Category.TIME, loc, N_("GPS timestamp"), stamp,
                             N_("satellite time of the photo (UTC)")))
    rest = [e for e in ifd.entries if e.tag not in (0, 1, 2, 3, 4, 6, 7, 0x1D)]
    if rest:
        names = ", ".join(GPS_NAMES.get(e.tag, f"0x{e.tag:04x}").removeprefix("GPS ")
                          for e in rest[:5])
        found.append(Finding(Category.LOCATION, loc, N_("Other GPS details"),
                             f"{len(rest)} ({names})", N_("direction, speed, accuracy and the like")))
    if not found and ifd.entries:
        found.append(Finding(Category.LOCATION, loc, N_("GPS block"), f"{len(ifd.entries)} tags",
                             N_("a GPS record (may be empty or partial); removed")))
    return found


def _hms(entry: Entry | None) -> str:
    if entry is None or not isinstance(entry.value, tuple) or len(entry.value) < 3:
        return ""
    h, m, sec = (float(x) for x in entry.value[:3])
    if not all(math.isfinite(v) for v in (h, m, sec)):  # FLOAT/DOUBLE tags can hold inf/nan
        return ", ".join(_fmt(v) for v in (h, m, sec))
    return f"{int(h):02d}:{int(m):02d}:{sec:05.2f}"


def _fmt(v: float) -> str:
    return f"{v:g}"


def _dms(value: Entry | None, ref: Entry | None, negative: str) -> float | None:
    if value is None or not isinstance(value.value, tuple) or len(value.value) < 3:
        return None
    d, m, s = (float(x) for x in value.value[:3])
    deg = d + m / 60 + s / 3600
    if not math.isfinite(deg):
        return None
    if ref is not None and ref.text().upper().startswith(negative):
        deg = -deg
    return deg


ORIENTATION_NAMES = {
    1: "normal", 2: "mirrored", 3: "upside down", 4: "mirrored, upside down",
    5: "mirrored, turned 90° left", 6: "turned 90° right", 7: "mirrored, turned 90° right",
    8: "turned 90° left",
}

GPS_NAMES = {
    0x0005: "GPS altitude reference", 0x0006: "GPS altitude", 0x0007: "GPS time",
    0x0008: "GPS satellites", 0x000B: "GPS precision", 0x000C: "GPS speed unit",
    0x000D: "GPS speed", 0x0010: "GPS direction reference", 0x0011: "GPS image direction",
    0x0012: "GPS map datum", 0x0017: "GPS destination bearing reference",
    0x0018: "GPS destination bearing", 0x001B: "GPS processing method",
    0x001C: "GPS area information", 0x001D: "GPS date", 0x001F: "GPS horizontal error",
}
