"""Photoshop image resource blocks (JPEG APP13) and the IPTC records inside them."""

from __future__ import annotations

import struct

from share_guard.core.budget import Collector, exhausted, spend, unread
from share_guard.core.i18n import N_, message
from share_guard.core.report import Category, Finding

# record 2 dataset -> (category, name)
_IPTC: dict[int, tuple[Category, str]] = {
    5: (Category.OTHER, N_("Object name")), 25: (Category.OTHER, N_("Keywords")),
    55: (Category.TIME, N_("Date created")), 60: (Category.TIME, N_("Time created")),
    62: (Category.TIME, N_("Digital creation date")), 63: (Category.TIME, N_("Digital creation time")),
    65: (Category.DEVICE, N_("Originating program")), 70: (Category.DEVICE, N_("Program version")),
    80: (Category.IDENTITY, N_("By-line (author)")), 85: (Category.IDENTITY, N_("By-line title")),
    90: (Category.LOCATION, N_("City")), 92: (Category.LOCATION, N_("Sub-location")),
    95: (Category.LOCATION, N_("Province/state")), 100: (Category.LOCATION, N_("Country code")),
    101: (Category.LOCATION, N_("Country")), 105: (Category.OTHER, N_("Headline")),
    110: (Category.IDENTITY, N_("Credit")), 115: (Category.IDENTITY, N_("Source")),
    116: (Category.IDENTITY, N_("Copyright notice")), 118: (Category.IDENTITY, N_("Contact")),
    120: (Category.OTHER, N_("Caption")), 122: (Category.IDENTITY, N_("Caption writer")),
}

_RESOURCES = {
    0x0404: "IPTC record", 0x040C: "Thumbnail", 0x0409: "Thumbnail (old)",
    0x0422: "EXIF data", 0x0423: "EXIF data", 0x0424: "XMP", 0x040F: "ICC profile",
    0x0425: "Caption digest", 0x041C: "Print scale", 0x0428: "Print flags",
    0x0BB7: "Clipping path name", 0x03ED: "Resolution info", 0x0426: "Print info",
}


def irb_findings(payload: bytes, where: str = "Photoshop IRB") -> list[Finding]:
    """Describe a Photoshop resource block (the bytes after "Photoshop 3.0\\0")."""
    if exhausted():
        return [unread("Photoshop block")]
    found = Collector()
    other = 0
    resources = iter_resources(payload)
    spend(len(resources))
    for rid, data in resources:
        if rid == 0x0404:
            found.extend(iptc_findings(data, where="IPTC"))
        elif rid in (0x040C, 0x0409):
            found.add(Category.HIDDEN, where, N_("Photoshop thumbnail"), f"{len(data) / 1024:.1f} KB",
                      N_("a preview image that may show the unedited picture"))
        elif rid in (0x0422, 0x0423):
            found.add(Category.HIDDEN, where, N_("EXIF copy"), f"{len(data)} bytes",
                      N_("a second copy of camera metadata"))
        elif rid == 0x0424:
            found.add(Category.HIDDEN, where, N_("XMP copy"), f"{len(data)} bytes",
                      N_("a second copy of XMP metadata"))
        else:
            other += 1
    if other:
        found.add(Category.OTHER, where, N_("Photoshop resources"), f"{other}",
                  N_("editing settings written by Photoshop; removed"))
    if not len(found):
        found.add(Category.OTHER, where, N_("Photoshop block"), f"{len(payload)} bytes",
                  N_("editing data; removed"))
    return found.findings()


def iter_resources(payload: bytes, limit: int = 4096) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 12 <= len(payload) and len(out) < limit:
        if payload[pos : pos + 4] not in (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR"):
            break
        rid = struct.unpack(">H", payload[pos + 4 : pos + 6])[0]
        name_len = payload[pos + 6]
        name_total = 1 + name_len
        name_total += name_total & 1
        size_at = pos + 6 + name_total
        if size_at + 4 > len(payload):
            break
        size = struct.unpack(">I", payload[size_at : size_at + 4])[0]
        start = size_at + 4
        if start + size > len(payload):
            break
        out.append((rid, payload[start : start + size]))
        pos = start + size + (size & 1)
    return out


def iptc_findings(data: bytes, where: str = "IPTC") -> list[Finding]:
    if exhausted():
        return [unread("IPTC")]
    found = Collector()  # 10,000 By-line datasets are one finding with a count
    rest = 0
    pos = 0
    count = 0
    while pos + 5 <= len(data) and count < 10_000:
        if data[pos] != 0x1C:
            break
        record, dataset = data[pos + 1], data[pos + 2]
        size = struct.unpack(">H", data[pos + 3 : pos + 5])[0]
        pos += 5
        if size & 0x8000:  # extended dataset: length given in the next (size & 0x7fff) bytes
            n = size & 0x7FFF
            if n > 4 or pos + n > len(data):
                break
            size = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        value = data[pos : pos + size]
        pos += size
        count += 1
        if record != 2 or dataset == 0:
            continue
        known = _IPTC.get(dataset)
        if known is None:
            rest += 1
            continue
        category, name = known
        found.add(category, where, name, value.decode("utf-8", "replace"),
                  message(N_("IPTC {name}"), name=name))
    spend(count)
    if rest:
        found.add(Category.OTHER, where, N_("Other IPTC fields"), str(rest),
                  N_("captions and newsroom fields; removed"))
    return found.findings()
