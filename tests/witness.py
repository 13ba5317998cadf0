"""The independent witness the round-trip tests ask: exiftool when installed, else our own reader.

The own reader shares no code with share_guard's walkers: a struct-level walk of each
container written here from the format specifications, zlib inflation of compressed text
chunks, and the file's raw bytes (in Latin-1, UTF-8 and UTF-16) for "is this planted value
still anywhere". Its tag names follow exiftool's ``-G1`` names where the tests look at them
("IFD0:Orientation", "GPS:...", "XMP:...", "Composite:Rotation", "Matroska:MuxingApp"...).
Photos are read here; videos in :mod:`witness_video`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

Tags = dict[str, Any]


class Found(dict[str, Any]):
    """The tags read, and the byte ranges holding coded pictures and sound (not metadata:
    a video's bitstream may carry its encoder's name, which cleaning keeps byte for byte)."""

    def __init__(self) -> None:
        super().__init__()
        self.media: list[tuple[int, int]] = []

TIFF_NAMES = {
    256: "ImageWidth", 257: "ImageHeight", 258: "BitsPerSample", 259: "Compression",
    262: "PhotometricInterpretation", 270: "ImageDescription", 271: "Make", 272: "Model",
    273: "StripOffsets", 274: "Orientation", 277: "SamplesPerPixel", 278: "RowsPerStrip",
    279: "StripByteCounts", 282: "XResolution", 283: "YResolution", 284: "PlanarConfiguration",
    296: "ResolutionUnit", 305: "Software", 306: "ModifyDate", 315: "Artist", 317: "Predictor",
    320: "ColorMap", 322: "TileWidth", 323: "TileLength", 324: "TileOffsets",
    325: "TileByteCounts", 338: "ExtraSamples", 339: "SampleFormat", 513: "ThumbnailOffset",
    514: "ThumbnailLength", 531: "YCbCrPositioning", 33432: "Copyright", 36867: "DateTimeOriginal",
    36868: "CreateDate", 37500: "MakerNote", 37510: "UserComment", 42016: "ImageUniqueID",
    42032: "OwnerName", 42033: "SerialNumber", 42036: "LensModel", 1: "GPSLatitudeRef",
    2: "GPSLatitude", 3: "GPSLongitudeRef", 4: "GPSLongitude", 5: "GPSAltitudeRef", 6: "GPSAltitude",
}
#: pointer and block tags: read as their own groups, not listed as values
SUB_IFDS = {34665: "ExifIFD", 34853: "GPS", 40965: "InteropIFD", 330: "SubIFD"}
BLOCKS = {700: "XMP:XMP", 33723: "IPTC:IPTCData", 34377: "Photoshop:PhotoshopData",
          34675: "ICC_Profile:ProfileData"}
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}:\d{2})")
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\x00").decode("utf-8", "replace")


# -- TIFF / EXIF --------------------------------------------------------------------------------

def tiff_tags(data: bytes, tags: Tags, first_group: str = "IFD0", chain: bool = True) -> None:
    """Walk a TIFF structure (a TIFF file, or the EXIF block of a JPEG, PNG or WebP)."""
    if len(data) < 8 or data[:2] not in (b"II", b"MM"):
        return
    e = "<" if data[:2] == b"II" else ">"
    seen: set[int] = set()

    def walk(offset: int, group: str, depth: int) -> int:
        if offset in seen or not 8 <= offset <= len(data) - 2 or depth > 4 or len(seen) > 64:
            return 0
        seen.add(offset)
        (count,) = struct.unpack_from(e + "H", data, offset)
        for i in range(min(count, 1000)):
            at = offset + 2 + 12 * i
            if at + 12 > len(data):
                return 0
            tag, kind, n = struct.unpack_from(e + "HHI", data, at)
            size = TYPE_SIZES.get(kind, 1) * n
            where = at + 8 if size <= 4 else struct.unpack_from(e + "I", data, at + 8)[0]
            raw = data[where : where + size]
            if tag in SUB_IFDS:
                name = SUB_IFDS[tag]
                pointers = struct.unpack_from(e + f"{len(raw) // 4}I", raw) if kind in (4, 13) \
                    else struct.unpack_from(e + f"{len(raw) // 2}H", raw)[:1]
                for j, pointer in enumerate(pointers):
                    walk(pointer, name if j == 0 else f"{name}{j}", depth + 1)
            elif tag in BLOCKS:
                tags[BLOCKS[tag]] = raw.decode("latin-1")
            else:
                value = _value(raw, kind, n, e)
                if group.startswith("GPS") and tag in (2, 4) and isinstance(value, list):
                    value = _dms(value)  # as exiftool shows it: 43 deg 28' 2.00"
                tags[f"{group}:{TIFF_NAMES.get(tag, f'Tag0x{tag:04X}')}"] = value
        end = offset + 2 + 12 * count
        return struct.unpack_from(e + "I", data, end)[0] if end + 4 <= len(data) else 0

    (first,) = struct.unpack_from(e + "I", data, 4)
    nxt, page = walk(first, first_group, 0), 1
    while chain and nxt and page < 64:
        nxt, page = walk(nxt, f"IFD{page}", 0), page + 1


def _value(raw: bytes, kind: int, n: int, e: str) -> Any:
    if kind == 2:
        return _text(raw)
    if kind in (3, 4, 8, 9) and raw:
        fmt = {3: "H", 4: "I", 8: "h", 9: "i"}[kind]
        values = list(struct.unpack_from(e + fmt * (len(raw) // struct.calcsize(fmt)), raw))
        return values[0] if n == 1 else values
    if kind in (5, 10) and len(raw) >= 8:
        pairs = struct.unpack_from(e + ("II" if kind == 5 else "ii") * (len(raw) // 8), raw)
        values = [a / b if b else 0 for a, b in zip(pairs[::2], pairs[1::2], strict=True)]
        return values[0] if n == 1 else values
    return raw.decode("latin-1")


def _dms(values: list[float]) -> str:
    d, m, sec = (values + [0.0, 0.0, 0.0])[:3]
    return f"{d:.0f} deg {m:.0f}' {sec:.2f}\""


def exif_tags(block: bytes, tags: Tags) -> None:
    tiff_tags(block[6:] if block.startswith(b"Exif\x00\x00") else block, tags)


# -- JPEG ---------------------------------------------------------------------------------------

def jpeg_tags(data: bytes, tags: Tags) -> None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
            i += 1 if marker == 0xFF else 2
            continue
        if marker == 0xD9:
            if data[i + 2 :].strip(b"\x00"):
                tags["Trailer:TrailerData"] = data[i + 2 :].decode("latin-1")
            return
        (length,) = struct.unpack_from(">H", data, i + 2)
        seg = data[i + 4 : i + 2 + length]
        _segment(marker, seg, tags)
        i += 2 + length
        if marker == 0xDA:  # entropy-coded data: to the next marker that is not RSTn or stuffing
            while i + 1 < len(data) and not (data[i] == 0xFF and data[i + 1] not in
                                             (0x00, *range(0xD0, 0xD8))):
                i += 1


def _segment(marker: int, seg: bytes, tags: Tags) -> None:
    if marker == 0xE0 and seg.startswith((b"JFIF\x00", b"JFXX\x00")):
        if seg.startswith(b"JFXX") or (len(seg) >= 14 and seg[12] and seg[13]):
            tags["JFIF:ThumbnailImage"] = f"(Binary data {len(seg)} bytes)"
    elif marker == 0xE1 and seg.startswith(b"Exif\x00\x00"):
        exif_tags(seg, tags)
    elif marker == 0xE1 and seg.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
        tags["XMP:XMP"] = seg.decode("utf-8", "replace")
    elif marker == 0xE1 and seg.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
        tags["XMP:ExtendedXMP"] = seg.decode("utf-8", "replace")
    elif marker == 0xE2 and seg.startswith(b"ICC_PROFILE\x00"):
        tags["ICC_Profile:ProfileData"] = f"(Binary data {len(seg)} bytes)"
    elif marker == 0xE2 and seg.startswith(b"MPF\x00"):
        tags["MPF:MPFVersion"] = seg.decode("latin-1")
    elif marker == 0xED:
        tags["Photoshop:PhotoshopData"] = seg.decode("latin-1")
        if b"8BIM\x04\x04" in seg:
            tags["IPTC:IPTCData"] = seg.decode("latin-1")
    elif marker == 0xEE and seg.startswith(b"Adobe"):
        tags["Adobe:DCTEncodeVersion"] = seg[5:7].hex()
    elif 0xE0 <= marker <= 0xEF:
        tags[f"APP{marker - 0xE0}:Data"] = seg.decode("latin-1")
    elif marker == 0xFE:
        tags["File:Comment"] = seg.decode("latin-1")


# -- PNG, WebP, GIF -----------------------------------------------------------------------------

PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"cICP",
            b"tRNS", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT", b"hIST", b"sPLT"}


def png_tags(data: bytes, tags: Tags) -> None:
    i = 8
    while i + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, i)
        body = data[i + 8 : i + 8 + length]
        i += 12 + length
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            keyword, _, rest = body.partition(b"\x00")
            if kind == b"zTXt":
                rest = _inflate(rest[1:])
            elif kind == b"iTXt":
                flag, rest = rest[0], rest[2:]
                rest = rest.split(b"\x00", 2)[-1]
                rest = _inflate(rest) if flag else rest
            _png_text(keyword.decode("latin-1"), rest, tags)
        elif kind == b"eXIf":
            exif_tags(body, tags)
        elif kind == b"iCCP":
            tags["ICC_Profile:ProfileName"] = body.partition(b"\x00")[0].decode("latin-1")
        elif kind == b"tIME":
            tags["PNG:ModifyDate"] = body.hex()
        elif kind not in PNG_KEPT:
            tags[f"PNG:{kind.decode('latin-1')}"] = body.decode("latin-1")
        if kind == b"IEND":
            if data[i:]:
                tags["Trailer:TrailerData"] = data[i:].decode("latin-1")
            return


def _png_text(keyword: str, text: bytes, tags: Tags) -> None:
    if keyword == "XML:com.adobe.xmp":
        tags["XMP:XMP"] = text.decode("utf-8", "replace")
    elif keyword.startswith("Raw profile type"):
        # "\nexif\n   <length>\n<hex lines>": the block as hex digits
        lines = text.decode("latin-1").strip().split("\n")
        block = bytes.fromhex("".join(lines[2:]).replace(" ", "")) if len(lines) > 2 else b""
        (exif_tags if keyword.endswith(("exif", "APP1")) else
         lambda b, t: t.__setitem__(f"PNG:{keyword}", b.decode("latin-1")))(block, tags)
    else:
        tags[f"PNG:{keyword}"] = text.decode("utf-8", "replace")


def _inflate(raw: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(raw, 1 << 24)
    except zlib.error:
        return b""


def webp_tags(data: bytes, tags: Tags) -> None:
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end, i = min(len(data), riff_size + 8), 12
    while i + 8 <= end:
        kind, size = struct.unpack_from("<4sI", data, i)
        body = data[i + 8 : i + 8 + size]
        i += 8 + size + (size & 1)
        if kind == b"EXIF":
            exif_tags(body, tags)
        elif kind == b"XMP ":
            tags["XMP:XMP"] = body.decode("utf-8", "replace")
        elif kind == b"ICCP":
            tags["ICC_Profile:ProfileData"] = f"(Binary data {size} bytes)"
        elif kind not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"):
            tags[f"RIFF:{kind.decode('latin-1')}"] = body.decode("latin-1")
    if data[end:]:
        tags["Trailer:TrailerData"] = data[end:].decode("latin-1")


def gif_tags(data: bytes, tags: Tags) -> None:
    flags = data[10]
    i = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while i < len(data):
        block = data[i]
        if block == 0x3B:
            if data[i + 1 :]:
                tags["Trailer:TrailerData"] = data[i + 1 :].decode("latin-1")
            return
        if block == 0x2C:
            local = data[i + 9]
            i += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
            i, _ = _sub_blocks(data, i)
        elif block == 0x21:
            label = data[i + 1]
            i, payload = _sub_blocks(data, i + 2)
            if label == 0xFE:
                tags["GIF:Comment"] = payload.decode("latin-1")
            elif label == 0xFF and payload[:11] == b"XMP DataXMP":
                tags["XMP:XMP"] = payload[11:].decode("utf-8", "replace")
            elif label == 0xFF and payload[:11] == b"NETSCAPE2.0":
                tags["GIF:AnimationIterations"] = payload[11:].hex()
            elif label == 0xFF:
                tags[f"GIF:App_{payload[:11].decode('latin-1')}"] = payload[11:].decode("latin-1")
            elif label == 0x01:
                tags["GIF:Text"] = payload.decode("latin-1")
        else:
            return


def _sub_blocks(data: bytes, i: int) -> tuple[int, bytes]:
    out = bytearray()
    while i < len(data) and data[i]:
        out += data[i + 1 : i + 1 + data[i]]
        i += 1 + data[i]
    return i + 1, bytes(out)


# -- the witnesses ------------------------------------------------------------------------------

def own_tags(path: Path) -> Found:
    """What our own reader finds in ``path`` (exiftool ``-G1``-style names)."""
    from witness_video import avi_tags, matroska_tags, mp4_tags

    data = Path(path).read_bytes()
    tags = Found()
    readers = [(b"\xff\xd8", jpeg_tags), (b"\x89PNG", png_tags), (b"GIF8", gif_tags),
               (b"II*\x00", tiff_tags), (b"MM\x00*", tiff_tags), (b"\x1a\x45\xdf\xa3", matroska_tags)]
    for magic, read in readers:
        if data.startswith(magic):
            read(data, tags)
            return tags
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        webp_tags(data, tags)
    elif data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        avi_tags(data, tags)
    elif data[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"uuid"):
        mp4_tags(data, tags)
    return tags


class Witness:
    """``tags(path)``: what the witness reads, by group:name; ``text(path)``: all of it as
    one string (for "a planted value is nowhere to be read")."""

    name = "own reader"

    def tags(self, path: Path) -> Tags:
        return own_tags(path)

    def text(self, path: Path) -> str:
        """The tags, and every byte outside the coded pictures and sound, as text."""
        found = own_tags(path)
        data = Path(path).read_bytes()
        for start, end in sorted(found.media, reverse=True):
            data = data[:start] + b"\x00" + data[end:]
        decoded = [data.decode(codec, "ignore") for codec in ("latin-1", "utf-8", "utf-16-le",
                                                              "utf-16-be")]
        read = json.dumps(found, ensure_ascii=False)
        # dates as exiftool shows them too (2024-05-02T08:09 -> 2024:05:02 08:09)
        dates = ISO_DATE.sub(r"\1:\2:\3 \4", read)
        return "\n".join([read, dates, *decoded])


class Exiftool(Witness):
    name = "exiftool"

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def tags(self, path: Path) -> Tags:
        proc = subprocess.run([self.exe, "-j", "-G1", "-a", "-u", "-ee", str(path)],
                              capture_output=True, check=True, timeout=60)
        out: Tags = json.loads(proc.stdout)[0]
        return out

    def text(self, path: Path) -> str:
        return json.dumps(self.tags(path), ensure_ascii=False)


def witness() -> Witness:
    """exiftool when installed (CI installs it), else our own reader: never a skip.
    ``SHARE_GUARD_TEST_WITNESS=own`` asks for our own reader even where exiftool is."""
    exe = shutil.which("exiftool")
    if exe is None or os.environ.get("SHARE_GUARD_TEST_WITNESS") == "own":
        return Witness()
    return Exiftool(exe)
