"""The own witness for videos (see :mod:`witness`): MP4/MOV boxes, Matroska elements and AVI
chunks walked at the struct level from the specifications, sharing nothing with share_guard."""

from __future__ import annotations

import math
import struct
from datetime import datetime, timedelta
from typing import Any

Tags = dict[str, Any]


def media(tags: Tags) -> list[tuple[int, int]]:
    """Where the coded pictures and sound are (``witness.Found.media``): not metadata."""
    found: list[tuple[int, int]] = getattr(tags, "media", [])
    return found

# -- MP4 / MOV (ISO BMFF, QuickTime) -------------------------------------------------------------

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"mvex",
              b"moof", b"traf", b"ilst", b"meta"}
ITEM_NAMES = {b"\xa9too": "Encoder", b"\xa9nam": "Title", b"\xa9day": "ContentCreateDate",
              b"\xa9xyz": "GPSCoordinates", b"\xa9mak": "Make", b"\xa9mod": "Model",
              b"\xa9swr": "SoftwareVersion", b"\xa9ART": "Artist", b"\xa9cmt": "Comment"}
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes between ``start`` and ``end``."""
    out, i = [], start
    while i + 8 <= end and len(out) < 10_000:
        size, kind = struct.unpack_from(">I4s", data, i)
        head = 8
        if size == 1 and i + 16 <= end:
            (size,) = struct.unpack_from(">Q", data, i + 8)
            head = 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            break
        out.append((kind, i + head, i + size))
        i += size
    return out


def mp4_tags(data: bytes, tags: Tags) -> None:
    _mp4_walk(data, 0, len(data), tags, {"handler": b"", "tkhd": None, "keys": []}, depth=0)


def _mp4_walk(data: bytes, start: int, end: int, tags: Tags, track: dict[str, Any],
              depth: int) -> None:
    for kind, s, e in _boxes(data, start, end):
        body = data[s:e]
        if kind == b"mdat":
            media(tags).append((s, e))
        elif kind == b"trak":
            sub = {"handler": b"", "tkhd": None, "keys": track["keys"]}
            _mp4_walk(data, s, e, tags, sub, depth + 1)
            if sub["handler"] == b"vide" and sub["tkhd"] is not None:
                tags.setdefault("Composite:Rotation", _rotation(sub["tkhd"]))
        elif kind == b"meta":
            # ISO 'meta' is a full box (4 bytes of version and flags); QuickTime's is not
            skip = 4 if body[4:8] not in (b"hdlr", b"keys", b"ilst") else 0
            _mp4_walk(data, s + skip, e, tags, track, depth + 1)
            if depth == 0:
                _heif_items(data, s + skip, e, tags)
        elif kind == b"ilst":
            _items(data, s, e, tags, track["keys"])
        elif kind in CONTAINERS and depth < 12:
            _mp4_walk(data, s, e, tags, track, depth + 1)
        else:
            _leaf(kind, body, tags, track, in_udta=False)


def _leaf(kind: bytes, body: bytes, tags: Tags, track: dict[str, Any], in_udta: bool) -> None:
    if kind in (b"mvhd", b"mdhd", b"tkhd") and len(body) > 20:
        if kind == b"tkhd":
            track["tkhd"] = body
        fmt = ">QQ" if body[0] == 1 else ">II"
        created, modified = struct.unpack_from(fmt, body, 4)
        group = {b"mvhd": "", b"mdhd": "Media", b"tkhd": "Track"}[kind]
        tags[f"QuickTime:{group}CreateDate"] = _qt_date(created)
        tags[f"QuickTime:{group}ModifyDate"] = _qt_date(modified)
    elif kind == b"hdlr" and len(body) >= 24:
        # the media handler comes first in a track (QuickTime puts a data handler in 'minf')
        track["handler"] = track["handler"] or body[8:12]
        name = body[24:].split(b"\x00", 1)[0].lstrip(bytes([len(body) - 25]))
        tags["QuickTime:HandlerDescription"] = name.decode("latin-1").strip()
    elif kind == b"stsd" and len(body) >= 16:
        for _entry, s, e in _boxes(body, 8, len(body)):
            _sample_entry(body[s:e], tags, track["handler"])
    elif kind == b"keys" and len(body) >= 8:
        track["keys"].clear()
        for _k, s, e in _boxes(body, 8, len(body)):
            track["keys"].append(body[s:e].decode("latin-1"))
    elif kind == b"uuid":
        name = "XMP:XMP" if body[:16] == XMP_UUID else "QuickTime:UUID"
        tags[name] = body[16:].decode("utf-8", "replace")
    elif kind.startswith(b"\xa9") and len(body) >= 4:  # QuickTime text: size, language, text
        (size,) = struct.unpack_from(">H", body)
        name = ITEM_NAMES.get(kind, kind.decode("latin-1"))
        tags[f"UserData:{name}"] = body[4 : 4 + size].decode("utf-8", "replace")
    elif kind not in (b"mdat", b"free", b"skip", b"wide", b"ftyp", b"stts", b"stsc", b"stsz",
                      b"stco", b"co64", b"stss", b"ctts", b"sdtp", b"elst", b"dref", b"vmhd",
                      b"smhd", b"mehd", b"trex", b"mfhd", b"tfhd", b"tfdt", b"trun", b"sgpd",
                      b"sbgp", b"btrt", b"pasp", b"colr"):
        printable = bytes(b for b in body if 32 <= b < 127)
        if printable:
            tags[f"QuickTime:{kind.decode('latin-1')}"] = printable.decode("latin-1")


def _qt_date(seconds: int) -> str:
    """Seconds since 1904 as exiftool shows them (0: no date)."""
    if not seconds:
        return "0000:00:00 00:00:00"
    when = datetime(1904, 1, 1) + timedelta(seconds=seconds)
    return when.strftime("%Y:%m:%d %H:%M:%S")


def _sample_entry(entry: bytes, tags: Tags, handler: bytes) -> None:
    if len(entry) < 24:
        return
    vendor = entry[12:16]
    if vendor.strip(b"\x00"):
        tags["QuickTime:VendorID"] = vendor.decode("latin-1")
    if handler == b"vide" and len(entry) >= 74:
        length = min(entry[42], 31)
        tags["QuickTime:CompressorName"] = entry[43 : 43 + length].decode("latin-1")


def _items(data: bytes, start: int, end: int, tags: Tags, keys: list[str]) -> None:
    for kind, s, e in _boxes(data, start, end):
        value = b"".join(data[ds + 8 : de] for dk, ds, de in _boxes(data, s, e) if dk == b"data")
        index = struct.unpack(">I", kind)[0]
        if keys and 1 <= index <= len(keys):
            name = f"Keys:{keys[index - 1].split('.')[-1]}"
        else:
            name = f"ItemList:{ITEM_NAMES.get(kind, kind.decode('latin-1'))}"
        tags[name] = value.decode("utf-8", "replace")


def _rotation(tkhd: bytes) -> int:
    at = 4 + (32 if tkhd[0] == 1 else 20) + 16  # version/flags, times and ids, reserved...
    if len(tkhd) < at + 36:
        return 0
    a, b = struct.unpack_from(">ii", tkhd, at)
    return int(round(math.degrees(math.atan2(b, a)))) % 360


def _heif_items(data: bytes, start: int, end: int, tags: Tags) -> None:
    """HEIF/AVIF: the Exif and XMP items, found through 'iinf' and located through 'iloc'."""
    from witness import tiff_tags

    children = {kind: (s, e) for kind, s, e in _boxes(data, start, end)}
    if b"iinf" not in children or b"iloc" not in children:
        return
    kinds: dict[int, tuple[bytes, bytes]] = {}
    s, e = children[b"iinf"]
    first = 4 + (2 if data[s] == 0 else 4)
    for _infe, bs, be in _boxes(data, s + first, e):
        version = data[bs]
        if version < 2:
            continue
        at = bs + 4
        item = struct.unpack_from(">H" if version == 2 else ">I", data, at)[0]
        at += (2 if version == 2 else 4) + 2
        item_type = data[at : at + 4]
        rest = data[at + 4 : be].split(b"\x00")
        kinds[item] = (item_type, rest[1] if item_type == b"mime" and len(rest) > 1 else b"")
    idat = children.get(b"idat")
    for item, payload in _iloc(data, *children[b"iloc"], idat):
        item_type, content = kinds.get(item, (b"", b""))
        if item_type == b"Exif" and len(payload) > 4:
            (skip,) = struct.unpack_from(">I", payload)
            tiff_tags(payload[4 + skip :], tags)
        elif item_type == b"mime" and b"xml" in content:
            tags["XMP:XMP"] = payload.decode("utf-8", "replace")


def _iloc(data: bytes, start: int, end: int,
          idat: tuple[int, int] | None) -> list[tuple[int, bytes]]:
    version = data[start]
    sizes, more = data[start + 4], data[start + 5]
    offset_size, length_size, base_size = sizes >> 4, sizes & 15, more >> 4
    index_size = more & 15 if version in (1, 2) else 0
    at = start + 6

    def read(n: int) -> int:
        nonlocal at
        value = int.from_bytes(data[at : at + n], "big") if n else 0
        at += n
        return value

    out = []
    for _ in range(read(2 if version < 2 else 4)):
        item = read(2 if version < 2 else 4)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_size)
        chunks = []
        for _ in range(read(2)):
            read(index_size)
            offset, length = read(offset_size), read(length_size)
            origin = idat[0] if method == 1 and idat is not None else 0
            chunks.append(data[origin + base + offset : origin + base + offset + length])
        if at > end:
            break
        out.append((item, b"".join(chunks)))
    return out


# -- Matroska / WebM (EBML) ----------------------------------------------------------------------

MASTERS = {0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0x1254C367, 0x7373, 0x67C8, 0x1941A469,
           0x61A7, 0x1043A770, 0x45B9, 0xB6, 0x80}
EBML_NAMES = {0x4D80: "MuxingApp", 0x5741: "WritingApp", 0x7BA9: "Title",
              0x4461: "DateTimeOriginal", 0x536E: "TrackName", 0x466E: "AttachedFileName",
              0x467E: "AttachedFileDescription", 0x4660: "AttachedFileMIMEType",
              0x465C: "AttachedFileData", 0x85: "ChapterString"}


def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int]:
    first = data[i]
    length = 9 - first.bit_length() if first else 9
    if length > 8 or i + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[i + 1 : i + length]:
        value = value << 8 | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = -1  # unknown size
    return value, length


def matroska_tags(data: bytes, tags: Tags) -> None:
    _ebml_walk(data, 0, len(data), tags, None, 0)


def _ebml_walk(data: bytes, start: int, end: int, tags: Tags, simple: list[str] | None,
               depth: int) -> None:
    i = start
    while i < end and depth < 10:
        try:
            ident, n = _vint(data, i, keep_marker=True)
            size, m = _vint(data, i + n, keep_marker=False)
        except (ValueError, IndexError):
            return
        s = i + n + m
        e = end if size < 0 else min(end, s + size)
        if ident == 0x1F43B675:  # a cluster: pictures and sound, no metadata
            media(tags).append((s, e))
            if size < 0:
                return
        elif ident == 0x67C8:  # SimpleTag: its name and its string
            pair: list[str] = ["", ""]
            _ebml_walk(data, s, e, tags, pair, depth + 1)
            if pair[0]:
                tags[f"Matroska:{pair[0].title().replace('_', '')}"] = pair[1]
        elif ident in MASTERS:
            _ebml_walk(data, s, e, tags, simple, depth + 1)
        elif simple is not None and ident in (0x45A3, 0x4487):
            simple[0 if ident == 0x45A3 else 1] = data[s:e].decode("utf-8", "replace")
        elif ident in EBML_NAMES:
            raw = data[s:e]
            value: Any = int.from_bytes(raw, "big") if ident == 0x4461 else \
                raw.decode("utf-8", "replace").rstrip("\x00")
            tags[f"Matroska:{EBML_NAMES[ident]}"] = value
        i = e


# -- AVI (RIFF) ---------------------------------------------------------------------------------

INFO_NAMES = {b"ISFT": "Software", b"ICRD": "DateCreated", b"IART": "Artist", b"INAM": "Title",
              b"ICMT": "Comment", b"ICOP": "Copyright", b"IENG": "Engineer"}


def avi_tags(data: bytes, tags: Tags) -> None:
    i = 0
    while i + 12 <= len(data) and data[i : i + 4] == b"RIFF":  # RIFF AVI, then RIFF AVIX...
        (size,) = struct.unpack_from("<I", data, i + 4)
        _riff_walk(data, i + 12, min(len(data), i + 8 + size), tags, 0)
        i += 8 + size + (size & 1)


def _riff_walk(data: bytes, start: int, end: int, tags: Tags, depth: int) -> None:
    i = start
    while i + 8 <= end and depth < 8:
        kind, size = struct.unpack_from("<4sI", data, i)
        body = data[i + 8 : min(end, i + 8 + size)]
        i += 8 + size + (size & 1)
        if kind == b"LIST" and body[:4] == b"movi":
            media(tags).append((i - size - (size & 1) + 8, i))
        elif kind == b"LIST":
            _riff_walk(data, i - size - (size & 1) + 4, i - (size & 1), tags, depth + 1)
        elif kind == b"IDIT":
            tags["RIFF:DateTimeOriginal"] = body.decode("latin-1").strip("\x00")
        elif kind == b"strn":
            tags["RIFF:StreamName"] = body.decode("latin-1").strip("\x00")
        elif kind == b"strd":
            tags["RIFF:StreamData"] = body.decode("latin-1")
        elif kind == b"_PMX":
            tags["XMP:XMP"] = body.decode("utf-8", "replace")
        elif kind[:1] == b"I" and kind.isalnum():
            name = INFO_NAMES.get(kind, kind.decode("latin-1"))
            tags[f"RIFF:{name}"] = body.decode("latin-1").strip("\x00")
        elif kind not in (b"JUNK", b"idx1", b"avih", b"strh", b"strf", b"indx", b"dmlh",
                          b"vprp", b"LIST"):
            printable = bytes(b for b in body[:4096] if 32 <= b < 127)
            if printable:
                tags[f"RIFF:{kind.decode('latin-1')}"] = printable.decode("latin-1")
