"""Readable findings for ISO-BMFF metadata: QuickTime ``udta``, ``meta``/``keys``/``ilst``, XMP.

Only reads (bounded, from an already parsed :class:`Box` tree); the
cleaners remove these boxes whole, so nothing here needs to be exact to be
safe: anything not understood still becomes a finding and is removed.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from share_guard.core.budget import Collector, spend, unread
from share_guard.core.containers.bmff_boxes import Box, Buffer, fourcc
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.iso6709 import parse_iso6709
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

#: QuickTime/ISO times count seconds from 1904-01-01 UTC
QT_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
MAX_KEYS = 4096
MAX_TEXT = 4096
MAX_FINDINGS = 400

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")

C = Category
#: udta atoms and iTunes-style ilst items we can name (type -> category, name)
NAMED_ATOMS: dict[bytes, tuple[Category, str]] = {
    b"\xa9xyz": (C.LOCATION, N_("Location")),
    b"\xa9mak": (C.DEVICE, N_("Camera make")),
    b"\xa9mod": (C.DEVICE, N_("Camera model")),
    b"\xa9swr": (C.DEVICE, N_("Software")),
    b"\xa9too": (C.DEVICE, N_("Encoding software")),
    b"\xa9enc": (C.IDENTITY, N_("Encoded by")),
    b"\xa9hst": (C.DEVICE, N_("Host computer")),
    b"\xa9day": (C.TIME, N_("Date")),
    b"\xa9nam": (C.OTHER, N_("Title")),
    b"\xa9des": (C.OTHER, N_("Description")),
    b"\xa9cmt": (C.OTHER, N_("Comment")),
    b"\xa9inf": (C.OTHER, N_("Information")),
    b"\xa9ART": (C.IDENTITY, N_("Artist")),
    b"\xa9aut": (C.IDENTITY, N_("Author")),
    b"\xa9wrt": (C.IDENTITY, N_("Writer")),
    b"\xa9dir": (C.IDENTITY, N_("Director")),
    b"\xa9prd": (C.IDENTITY, N_("Producer")),
    b"\xa9cpy": (C.IDENTITY, N_("Copyright")),
    b"cprt": (C.IDENTITY, N_("Copyright")),
    b"auth": (C.IDENTITY, N_("Author")),
    b"perf": (C.IDENTITY, N_("Performer")),
    b"titl": (C.OTHER, N_("Title")),
    b"dscp": (C.OTHER, N_("Description")),
    b"albm": (C.OTHER, N_("Album")),
    b"gnre": (C.OTHER, N_("Genre")),
    b"kywd": (C.OTHER, N_("Keywords")),
    b"yrrc": (C.TIME, N_("Recording year")),
    b"loci": (C.LOCATION, N_("Location")),
    b"covr": (C.HIDDEN, N_("Cover art")),
    b"aART": (C.IDENTITY, N_("Album artist")),
    b"FIRM": (C.DEVICE, N_("Firmware version")),
    b"LENS": (C.DEVICE, N_("Lens")),
    b"CAME": (C.DEVICE, N_("Camera serial number")),
    b"SDLN": (C.DEVICE, N_("Device name")),
    b"GPMF": (C.HIDDEN, N_("GoPro sensor data")),
    b"XMP_": (C.HIDDEN, N_("XMP metadata")),
    b"name": (C.OTHER, N_("Track name")),
    b"hnti": (C.OTHER, N_("Streaming hint information")),
    b"hinf": (C.OTHER, N_("Streaming hint statistics")),
}
#: atoms holding a bare string
PLAIN_ATOMS = {b"FIRM", b"LENS", b"CAME", b"SDLN", b"name"}

#: Apple/Android 'mdta' keys (lower case) -> category, name
NAMED_KEYS: dict[str, tuple[Category, str]] = {
    "com.apple.quicktime.location.iso6709": (C.LOCATION, N_("Location")),
    "com.apple.quicktime.location.name": (C.LOCATION, N_("Place name")),
    "com.apple.quicktime.location.body": (C.LOCATION, N_("Location body")),
    "com.apple.quicktime.location.note": (C.LOCATION, N_("Location note")),
    "com.apple.quicktime.location.accuracy.horizontal": (C.LOCATION, N_("Location accuracy")),
    "com.apple.quicktime.make": (C.DEVICE, N_("Camera make")),
    "com.apple.quicktime.model": (C.DEVICE, N_("Camera model")),
    "com.apple.quicktime.software": (C.DEVICE, N_("Software")),
    "com.apple.quicktime.creationdate": (C.TIME, N_("Creation date")),
    "com.apple.quicktime.author": (C.IDENTITY, N_("Author")),
    "com.apple.quicktime.artist": (C.IDENTITY, N_("Artist")),
    "com.apple.quicktime.copyright": (C.IDENTITY, N_("Copyright")),
    "com.apple.quicktime.displayname": (C.IDENTITY, N_("Display name")),
    "com.apple.quicktime.content.identifier": (C.OTHER, N_("Content identifier")),
    "com.android.manufacturer": (C.DEVICE, N_("Camera make")),
    "com.android.model": (C.DEVICE, N_("Camera model")),
    "com.android.version": (C.DEVICE, N_("Android version")),
}


def finding(
    category: Category, where: str, name: str, value: str, explanation: str, **kw: object
) -> Finding:
    return Finding(category, where, name, value, explanation, **kw)  # type: ignore[arg-type]


def cap_findings(found: list[Finding], limit: int = MAX_FINDINGS) -> list[Finding]:
    """Repeats collapsed into one finding with a count, and at most ``limit`` kinds: the
    rest is counted in one "More metadata than listed" finding, which refuses the lossless
    copy (a crafted file may hold thousands of tiny metadata items)."""
    collector = Collector(limit)
    collector.extend(found)
    return collector.findings()


def qt_time(seconds: int) -> str:
    try:
        return (QT_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S UTC")
    except OverflowError:
        return f"{seconds} s after 1904"


def explain(category: Category, name: str, media: str = "video") -> str:
    return {
        C.LOCATION: message(N_("shows where the {media} was recorded"), media=media),
        C.DEVICE: N_("names the device or software that made it"),
        C.TIME: message(N_("shows when the {media} was made"), media=media),
        C.IDENTITY: N_("may name a person"),
        C.HIDDEN: N_("hidden content not shown when it plays"),
        C.UNKNOWN: N_("data we cannot interpret; it is removed"),
    }.get(category) or message(N_("{name} stored in the file; removed"), name=name)


def location_finding(text: str, where: str, name: str, media: str = "video") -> Finding:
    point = parse_iso6709(text)
    if point is None:
        return finding(C.LOCATION, where, name, text, message(N_("a place linked to where the {media} was "
                                                                 "recorded"),
                                                              media=media))
    return finding(
        C.LOCATION, where, name, point.describe(),
        message(N_("GPS position {latitude}, {longitude}: shows where the {media} was recorded"),
                latitude=f"{point.latitude:.3f}", longitude=f"{point.longitude:.3f}", media=media),
        detail={"latitude": point.latitude, "longitude": point.longitude},
    )


def _decode_text(raw: bytes) -> str:
    raw = raw[:MAX_TEXT]
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return raw.decode("utf-16", "replace").rstrip("\x00")
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _qt_text(payload: bytes) -> str:
    """QuickTime international text: [u16 length][u16 language][text]..., or plain text."""
    if len(payload) >= 4:
        n = struct.unpack(">H", payload[:2])[0]
        if 0 < n <= len(payload) - 4:
            return _decode_text(payload[4 : 4 + n])
    return _decode_text(payload)


def _three_gpp(typ: bytes, payload: bytes) -> str:
    """3GPP asset boxes: version/flags, language, then a string (or the 'loci' structure)."""
    body = payload[6:]
    if typ == b"yrrc" and len(payload) >= 6:
        return str(struct.unpack(">H", payload[4:6])[0])
    return _decode_text(body)


def _loci(payload: bytes, where: str) -> list[Finding]:
    """3GPP 'loci': version/flags, language, place name, role, 16.16 longitude/latitude/altitude."""
    name, _, rest = payload[6:].partition(b"\x00")
    out: list[Finding] = []
    if name:
        out.append(finding(C.LOCATION, where, N_("Place name"), _decode_text(name),
                           N_("names the place where the video was recorded")))
    if len(rest) >= 13:
        lon, lat, alt = struct.unpack(">iii", rest[1:13])
        iso = f"{lat / 65536:+09.5f}{lon / 65536:+010.5f}{alt / 65536:+.1f}/"
        out.append(location_finding(iso, where, "Location"))
    return out


def _data_value(buf: Buffer, data: Box) -> tuple[int, bytes]:
    """(well-known type, value bytes) of an iTunes/QuickTime 'data' box."""
    if data.payload_size < 8:
        return 0, b""
    kind = buf.u32(data.payload_start) & 0xFFFFFF
    size = min(data.payload_size - 8, MAX_TEXT)
    return kind, buf.get(data.payload_start + 8, size)


def _describe_data(kind: int, value: bytes, full_size: int) -> str:
    if kind in (1, 4):
        return _decode_text(value)
    if kind in (2, 5):
        return value.decode("utf-16-be", "replace").rstrip("\x00")
    if kind in (13, 14, 27):
        return f"{_image_kind(kind)} image, {full_size} bytes"
    if kind in (21, 22) and 1 <= len(value) <= 8:
        return str(int.from_bytes(value, "big", signed=kind == 21))
    if kind == 23 and len(value) == 4:
        return f"{struct.unpack('>f', value)[0]:g}"
    if kind == 24 and len(value) == 8:
        return f"{struct.unpack('>d', value)[0]:g}"
    return f"{full_size} bytes"


def _image_kind(kind: int) -> str:
    return {13: "JPEG", 14: "PNG", 27: "BMP"}.get(kind, "")


def udta_findings(buf: Buffer, udta: Box, where: str) -> list[Finding]:
    out: list[Finding] = []
    for atom in udta.children:
        if atom.type == b"meta":
            out.extend(meta_findings(buf, atom, where))
            continue
        if atom.type in (b"free", b"skip"):
            continue
        payload = buf.get(atom.payload_start, min(atom.payload_size, MAX_TEXT))
        if atom.type == b"XMP_":
            out.extend(xmp_block_findings(buf.payload(atom), f"{where} XMP"))
            continue
        if atom.type == b"uuid":
            out.append(uuid_finding(buf, atom, where))
            continue
        named = NAMED_ATOMS.get(atom.type)
        if named is None:
            out.append(finding(C.UNKNOWN, where, message(N_("Vendor data '{name}'"), name=atom.name),
                               f"{atom.payload_size} bytes",
                               N_("data from the camera or an app that we cannot read; removed")))
            continue
        category, name = named
        if atom.type == b"loci":
            out.extend(_loci(payload, where))
            continue
        if atom.type[0] == 0xA9:
            if payload[4:8] == b"data" and atom.children == []:
                value = _decode_text(payload[16:])
            else:
                value = _qt_text(payload)
        elif atom.type in PLAIN_ATOMS:
            value = _decode_text(payload)
        elif atom.type in (b"GPMF", b"hnti", b"hinf"):
            value = f"{atom.payload_size} bytes"
        else:
            value = _three_gpp(atom.type, payload)
        if category is C.LOCATION:
            out.append(location_finding(value, where, name))
        else:
            out.append(finding(category, where, name, value, explain(category, name)))
    return out


def meta_findings(buf: Buffer, meta: Box, where: str) -> list[Finding]:
    """Findings of a QuickTime/iTunes ``meta`` box (``keys`` + ``ilst``)."""
    out: list[Finding] = []
    hdlr = meta.find(b"hdlr")
    handler = buf.get(hdlr.payload_start + 8, 4) if hdlr and hdlr.payload_size >= 12 else b""
    keys = _read_keys(buf, meta.find(b"keys"))
    where_meta = f"{where} Keys" if handler == b"mdta" else f"{where} ItemList"
    for child in meta.children:
        if child.type in (b"hdlr", b"keys", b"free", b"skip"):
            continue
        if child.type == b"ilst":
            if not spend(len(child.children)):  # more than the file may have read
                out.append(unread("item list"))
                continue
            items = Collector()  # 20,000 ©ART items are one finding with a count
            for item in child.children:
                _ilst_item(buf, item, keys, handler, where_meta, items)
            out.extend(items.findings())
        elif child.type == b"uuid":
            out.append(uuid_finding(buf, child, where))
        elif child.type == b"xml ":
            out.extend(xmp_block_findings(buf.payload(child)[4:], f"{where} XML"))
        else:
            out.append(finding(C.UNKNOWN, where, message(N_("Metadata box '{name}'"), name=child.name),
                               f"{child.payload_size} bytes", explain(C.UNKNOWN, "")))
    return out


def _read_keys(buf: Buffer, keys: Box | None) -> list[str]:
    if keys is None or keys.payload_size < 8:
        return []
    count = min(buf.u32(keys.payload_start + 4), MAX_KEYS)
    pos, end = keys.payload_start + 8, keys.end
    names: list[str] = []
    while len(names) < count and pos + 8 <= end:
        size = buf.u32(pos)
        if size < 8 or pos + size > end:
            break
        names.append(buf.get(pos + 8, size - 8).decode("utf-8", "replace"))
        pos += size
    return names


def _ilst_item(
    buf: Buffer, item: Box, keys: list[str], handler: bytes, where: str, out: Collector
) -> None:
    if handler == b"mdta":
        index = int.from_bytes(item.type, "big")
        key = keys[index - 1] if 1 <= index <= len(keys) else f"key #{index}"
        category, name = NAMED_KEYS.get(key.lower(), (C.OTHER, key))
        if category is C.OTHER and "location" in key.lower():
            category = C.LOCATION
    else:
        key = fourcc(item.type)
        category, name = NAMED_ATOMS.get(item.type, (C.OTHER, message(N_("Tag '{key}'"), key=key)))
        named = item.find(b"name")
        if item.type == b"----" and named is not None:
            name = _decode_text(buf.payload(named)[4:])
    before = out.added
    for data in item.all(b"data"):
        kind, value = _data_value(buf, data)
        text = _describe_data(kind, value, data.payload_size - 8)
        if kind in (13, 14, 27):
            out.add(C.HIDDEN, where, name, text,
                    N_("a picture stored inside the file (cover art or thumbnail)"))
        elif category is C.LOCATION and kind in (1, 4):
            out.add_finding(location_finding(text, where, name))
        else:
            out.add(category, where, name, text, explain(category, name))
    if out.added == before:
        out.add(C.UNKNOWN, where, name, f"{item.payload_size} bytes", explain(C.UNKNOWN, name))


def uuid_finding(buf: Buffer, box: Box, where: str) -> Finding:
    return finding(C.UNKNOWN, where, message(N_("Vendor box uuid {uuid}"), uuid=box.usertype.hex()),
                   f"{box.payload_size} bytes",
                   N_("vendor data we cannot read; removed"))


def xmp_block_findings(data: bytes, where: str) -> list[Finding]:
    """Findings of an XMP packet (the shared XMP reader), never empty: the packet is removed."""
    found = xmp_findings(data, where)
    if not any(f.identifying for f in found):
        found.append(finding(C.OTHER, where, N_("XMP metadata"), f"{len(data)} bytes",
                             N_("an XMP packet (no identifying fields read); removed")))
    return found


def exif_block_findings(data: bytes, where: str) -> list[Finding]:
    """Findings of an EXIF (TIFF) block (the shared EXIF reader), never empty."""
    found = list(exif_findings(data, where).findings)
    if not any(f.identifying for f in found):
        found.append(finding(C.OTHER, where, N_("EXIF metadata"), f"{len(data)} bytes",
                             N_("an EXIF block (no identifying fields read); removed")))
    return found
