"""Fixture builders for PNG, WebP, GIF and TIFF tests: small images with planted metadata.

Everything is generated in code (Pillow for pixels and codecs, piexif only to
*write* EXIF, and small chunk/block writers of our own for what Pillow cannot
plant). Planted values are unique strings so a test can grep any reader's
output for them.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import piexif
from PIL import Image, ImageOps
from witness import Witness

from share_guard.core.containers import Source, detect
from share_guard.core.containers.base import StripResult
from share_guard.core.inspect import inspect
from share_guard.core.report import Report

# Planted values (unique, so their absence in a reader's output means something)
ARTIST = "Alice Plantedname"
SERIAL = "SN-PLANTED-73519"
DATE = "2019:07:14 10:11:12"
COMMENT = "secret planted comment"
SOFTWARE = "PlantedCam Firmware 9.9"
GPS_LAT, GPS_LON = 43.467, 11.885
XMP_CREATOR = "Bob Xmpcreator"


def gradient(size: tuple[int, int] = (48, 32), mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A non-symmetric picture, so any rotation or flip is detectable."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    g = (y * 255 // max(h - 1, 1)).astype(np.uint8)
    b = ((x * 7 + y * 13 + seed * 40) % 256).astype(np.uint8)
    arr = np.stack([r, g, b], axis=-1)
    arr[: h // 4, : w // 4] = (255, 255, 255)  # a marker in one corner
    im = Image.fromarray(arr, "RGB")
    if mode == "RGBA":
        im.putalpha(Image.fromarray(((x + y) % 256).astype(np.uint8), "L"))
    elif mode != "RGB":
        im = im.convert(mode)
    return im


def _rational(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    deg = int(value)
    minutes_f = (value - deg) * 60
    minutes = int(minutes_f)
    seconds = round((minutes_f - minutes) * 60 * 100)
    return ((deg, 1), (minutes, 1), (seconds, 100))


def exif_tiff(orientation: int | None = None, gps: bool = True, thumbnail: bool = False) -> bytes:
    """A bare TIFF-structured EXIF block (no "Exif\\0\\0" header) with planted values."""
    zeroth: dict[int, object] = {
        piexif.ImageIFD.Artist: ARTIST.encode(),
        piexif.ImageIFD.Software: SOFTWARE.encode(),
        piexif.ImageIFD.DateTime: DATE.encode(),
    }
    if orientation is not None:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    exif = {
        piexif.ExifIFD.DateTimeOriginal: DATE.encode(),
        piexif.ExifIFD.BodySerialNumber: SERIAL.encode(),
    }
    data: dict[str, object] = {"0th": zeroth, "Exif": exif}
    if gps:
        data["GPS"] = {
            piexif.GPSIFD.GPSLatitudeRef: b"N",
            piexif.GPSIFD.GPSLatitude: _rational(GPS_LAT),
            piexif.GPSIFD.GPSLongitudeRef: b"E",
            piexif.GPSIFD.GPSLongitude: _rational(GPS_LON),
        }
    if thumbnail:
        buf = io.BytesIO()
        gradient((16, 12)).save(buf, "JPEG")
        data["1st"] = {piexif.ImageIFD.Compression: 6}
        data["thumbnail"] = buf.getvalue()
    block = piexif.dump(data)
    assert block.startswith(b"Exif\x00\x00")
    return block[6:]


def xmp_packet(orientation: int | None = None, gps: bool = True) -> bytes:
    extra = f' tiff:Orientation="{orientation}"' if orientation is not None else ""
    gps_attrs = ' exif:GPSLatitude="43,28.02N" exif:GPSLongitude="11,53.1E"' if gps else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2019-07-14T10:11:12"'
        f"{gps_attrs}{extra}>"
        f"<dc:creator><rdf:Seq><rdf:li>{XMP_CREATOR}</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


# ----------------------------------------------------------------------------- PNG


def png_chunk(ctype: bytes, body: bytes, crc: int | None = None) -> bytes:
    value = zlib.crc32(ctype + body) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", value)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a well-formed PNG (test helper, not bounded)."""
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
        if out[-1][0] == b"IEND":
            break
    return out


def png_bytes(im: Image.Image | None = None, **save: object) -> bytes:
    buf = io.BytesIO()
    (im or gradient()).save(buf, "PNG", **save)
    return buf.getvalue()


def png_insert(data: bytes, before_idat: Iterable[bytes] = (), after_idat: Iterable[bytes] = (),
               trailer: bytes = b"") -> bytes:
    """Put ready-made chunks before the first IDAT / after the last IDAT of a PNG."""
    chunks = png_chunks(data)
    first = next(i for i, (t, _) in enumerate(chunks) if t == b"IDAT")
    out = bytearray(data[:8])
    for i, (ctype, body) in enumerate(chunks):
        if i == first:
            out += b"".join(before_idat)
        if ctype == b"IEND":
            out += b"".join(after_idat)
        out += png_chunk(ctype, body)
    return bytes(out) + trailer


def text_chunk(keyword: str, text: str) -> bytes:
    return png_chunk(b"tEXt", keyword.encode("latin-1") + b"\x00" + text.encode("latin-1"))


def ztxt_chunk(keyword: str, text: bytes) -> bytes:
    return png_chunk(b"zTXt", keyword.encode("latin-1") + b"\x00\x00" + zlib.compress(text))


def itxt_chunk(keyword: str, text: bytes, compressed: bool = False) -> bytes:
    body = zlib.compress(text) if compressed else text
    head = keyword.encode("latin-1") + b"\x00" + bytes([int(compressed), 0]) + b"\x00\x00"
    return png_chunk(b"iTXt", head + body)


def raw_profile_text(kind: str, blob: bytes) -> str:
    hexed = blob.hex()
    lines = [hexed[i : i + 72] for i in range(0, len(hexed), 72)]
    return f"\n{kind}\n{len(blob):8d}\n" + "\n".join(lines) + "\n"


def time_chunk() -> bytes:
    return png_chunk(b"tIME", struct.pack(">HBBBBB", 2019, 7, 14, 10, 11, 12))


def apng_bytes(frames: int = 3) -> bytes:
    ims = [gradient(seed=i) for i in range(frames)]
    buf = io.BytesIO()
    ims[0].save(buf, "PNG", save_all=True, append_images=ims[1:], duration=100, loop=0)
    return buf.getvalue()


# ----------------------------------------------------------------------------- WebP


def webp_bytes(exif: bytes | None = None, xmp: bytes | None = None, frames: int = 1,
               lossless: bool = True, mode: str = "RGB") -> bytes:
    ims = [gradient(mode=mode, seed=i) for i in range(frames)]
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"lossless": lossless}
    if exif is not None:
        kwargs["exif"] = b"Exif\x00\x00" + exif
    if xmp is not None:
        kwargs["xmp"] = xmp
    if frames > 1:
        kwargs.update(save_all=True, append_images=ims[1:], duration=100, loop=0)
    ims[0].save(buf, "WEBP", **kwargs)
    return buf.getvalue()


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, end, out = 12, 8 + struct.unpack("<I", data[4:8])[0], []
    while pos + 8 <= end:
        fourcc, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append((fourcc, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def webp_append(data: bytes, *chunks: bytes, trailer: bytes = b"") -> bytes:
    body = data[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body + trailer


# ----------------------------------------------------------------------------- GIF


def gif_bytes(frames: int = 1, comment: bytes | None = None) -> bytes:
    ims = [gradient(seed=i).convert("P", palette=Image.Palette.ADAPTIVE) for i in range(frames)]
    buf = io.BytesIO()
    kwargs: dict[str, object] = {}
    if comment is not None:
        kwargs["comment"] = comment
    if frames > 1:
        kwargs.update(save_all=True, append_images=ims[1:], duration=100, loop=0)
    ims[0].save(buf, "GIF", **kwargs)
    return buf.getvalue()


def gif_sub_blocks(payload: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(payload), 255):
        part = payload[i : i + 255]
        out += bytes([len(part)]) + part
    return bytes(out) + b"\x00"


def gif_app_ext(app_id: bytes, payload: bytes) -> bytes:
    assert len(app_id) == 11
    return b"\x21\xff\x0b" + app_id + gif_sub_blocks(payload)


def gif_xmp_ext(packet: bytes) -> bytes:
    """XMP as Adobe stores it: raw bytes, then the 258-byte "magic trailer"."""
    magic = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    return b"\x21\xff\x0b" + b"XMP DataXMP" + packet + magic


def gif_comment_ext(text: bytes) -> bytes:
    return b"\x21\xfe" + gif_sub_blocks(text)


def gif_plain_text_ext(text: bytes) -> bytes:
    return b"\x21\x01\x0c" + bytes(12) + gif_sub_blocks(text)


def gif_header_end(data: bytes) -> int:
    flags = data[10]
    return 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)


def gif_insert(data: bytes, *blocks: bytes, trailer: bytes = b"") -> bytes:
    """Insert blocks right after the global colour table (before the first frame)."""
    at = gif_header_end(data)
    assert data.endswith(b";")
    return data[:at] + b"".join(blocks) + data[at:] + trailer


# ----------------------------------------------------------------------------- TIFF

ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 2, 3, 4, 5, 7
_FMT = {SHORT: "H", LONG: "I"}


class TiffBuilder:
    """A tiny TIFF writer: pages of uncompressed RGB strips with arbitrary extra tags.

    ``tags`` values are (type, values) where values is bytes for ASCII/UNDEFINED,
    a list of ints for SHORT/LONG, or a list of (num, den) for RATIONAL. Sub-IFDs
    (Exif, GPS) are given as {pointer_tag: {tag: (type, values)}}.
    """

    def __init__(self, byte_order: str = "<") -> None:
        self.bo = byte_order
        self.pages: list[tuple[Image.Image, dict[int, tuple[int, object]], dict[int, dict], int]] = []

    def add_page(self, im: Image.Image, tags: dict[int, tuple[int, object]] | None = None,
                 sub_ifds: dict[int, dict[int, tuple[int, object]]] | None = None,
                 tile: int = 0) -> TiffBuilder:
        """Add a page; ``tile`` > 0 stores it as square tiles of that size instead of strips."""
        self.pages.append((im.convert("RGB"), dict(tags or {}), dict(sub_ifds or {}), tile))
        return self

    @staticmethod
    def _tiles(im: Image.Image, size: int) -> list[bytes]:
        out = []
        for top in range(0, im.height, size):
            for left in range(0, im.width, size):
                tile = Image.new("RGB", (size, size))
                tile.paste(im.crop((left, top, left + size, top + size)))
                out.append(tile.tobytes())
        return out

    def _value(self, typ: int, values: object) -> tuple[int, bytes]:
        if typ in (ASCII, UNDEFINED):
            raw = bytes(values)  # type: ignore[arg-type]
            return len(raw), raw
        if typ == RATIONAL:
            vals = list(values)  # type: ignore[call-overload]
            return len(vals), b"".join(struct.pack(self.bo + "II", n, d) for n, d in vals)
        vals = list(values)  # type: ignore[call-overload]
        return len(vals), struct.pack(f"{self.bo}{len(vals)}{_FMT[typ]}", *vals)

    def _ifd(self, out: bytearray, tags: dict[int, tuple[int, object]]) -> tuple[int, int]:
        """Append an IFD (values after it); return (ifd offset, offset of next pointer)."""
        while len(out) % 2:
            out.append(0)
        start = len(out)
        items = sorted(tags.items())
        values_at = start + 2 + 12 * len(items) + 4
        table = bytearray(struct.pack(self.bo + "H", len(items)))
        blob = bytearray()
        for tag, (typ, values) in items:
            count, raw = self._value(typ, values)
            table += struct.pack(self.bo + "HHI", tag, typ, count)
            if len(raw) <= 4:
                table += raw.ljust(4, b"\x00")
            else:
                table += struct.pack(self.bo + "I", values_at + len(blob))
                blob += raw + (b"\x00" if len(raw) % 2 else b"")
        out += table + b"\x00\x00\x00\x00" + blob
        return start, start + 2 + 12 * len(items)

    def build(self) -> bytes:
        out = bytearray((b"II*\x00" if self.bo == "<" else b"MM\x00*") + b"\x00\x00\x00\x00")
        prev_next = 4
        for im, tags, subs, tile in self.pages:
            rows = 4
            raw = im.tobytes()
            stride = im.width * 3
            if tile:
                strips = self._tiles(im, tile)
            else:
                strips = [raw[i : i + stride * rows] for i in range(0, len(raw), stride * rows)]
            offsets = []
            for strip in strips:
                offsets.append(len(out))
                out += strip
            all_tags: dict[int, tuple[int, object]] = {
                256: (SHORT, [im.width]), 257: (SHORT, [im.height]),
                258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [3]), 284: (SHORT, [1]),
            }
            if tile:
                all_tags.update({322: (SHORT, [tile]), 323: (SHORT, [tile]),
                                 324: (LONG, offsets), 325: (LONG, [len(s) for s in strips])})
            else:
                all_tags.update({273: (LONG, offsets), 278: (SHORT, [rows]),
                                 279: (LONG, [len(s) for s in strips])})
            all_tags.update(tags)
            for pointer, sub_tags in subs.items():
                sub_at, _ = self._ifd(out, sub_tags)
                all_tags[pointer] = (LONG, [sub_at])
            start, next_at = self._ifd(out, all_tags)
            struct.pack_into(self.bo + "I", out, prev_next, start)
            prev_next = next_at
        return bytes(out)


# ----------------------------------------------------------------------------- checks


def displayed(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        shown = ImageOps.exif_transpose(im)
        return np.asarray(shown.convert("RGBA"))


def raw_frames(data: bytes) -> list[np.ndarray]:
    """Every frame as stored (no orientation), as RGBA arrays."""
    out = []
    with Image.open(io.BytesIO(data)) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGBA")))
    return out


def identifying(report: Report) -> list[str]:
    return [f"{f.category.value}:{f.where}:{f.name}" for f in report.identifying()]


def strip_bytes(tmp: Path, name: str, data: bytes) -> tuple[bytes, StripResult]:
    """Strip ``data`` through the handler its bytes select; the original must stay intact."""
    path = tmp / name
    path.write_bytes(data)
    src = Source(path)
    handler = detect(src.head)
    buf = io.BytesIO()
    result = handler.strip(src, buf)
    assert path.read_bytes() == data, "the original was modified"
    return buf.getvalue(), result


def check_round_trip(tmp: Path, name: str, data: bytes, witness: Witness,
                     planted: Sequence[str],
                     keep_frames: Sequence[int] | None = None) -> tuple[bytes, Report]:
    """Strip, re-inspect, ask the witness, compare pixels and orientation; return the clean bytes.

    ``keep_frames``: which input frames (pages) the clean copy holds, when the
    cleaner drops some on purpose (TIFF thumbnails); default all of them.
    """
    out, _ = strip_bytes(tmp, name, data)
    clean_path = tmp / f"clean-{name}"
    clean_path.write_bytes(out)
    after = inspect(clean_path)
    assert after.error is None, after.error
    assert after.problems == []
    assert identifying(after) == []
    meta = witness.tags(clean_path)
    assert values_absent(witness.text(clean_path), planted) == []
    assert not [k for k in meta if "GPS" in k or k.startswith(("XMP", "IPTC", "ExifIFD"))]
    before_frames, after_frames = raw_frames(data), raw_frames(out)
    if keep_frames is not None:
        before_frames = [before_frames[i] for i in keep_frames]
    assert len(before_frames) == len(after_frames)
    for a, b in zip(before_frames, after_frames, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(displayed(data), displayed(out))
    return out, after


def inspect_bytes(tmp: Path, name: str, data: bytes) -> Report:
    path = tmp / name
    path.write_bytes(data)
    return inspect(path)


def values_absent(text: str, planted: Sequence[str]) -> list[str]:
    """Planted strings that still show up anywhere in what the witness read."""
    return [p for p in planted if p in text]


def mutation_failures(tmp: Path, data: bytes, rounds: int = 150, seed: int = 1) -> list[str]:
    """Damage ``data`` in random (seeded) ways; list every way the handler misbehaved.

    Allowed: a ShareGuardError (one line) from inspect or strip. Not allowed: any
    other exception, or a clean copy that does not re-inspect as sound and clean.
    """
    import random

    from share_guard.core.errors import ShareGuardError

    rng = random.Random(seed)
    failures: list[str] = []
    path, clean = tmp / "mutant", tmp / "mutant-clean"
    for i in range(rounds):
        mutant = bytearray(data)
        if rng.random() < 0.3:
            mutant = mutant[: rng.randrange(len(mutant))]
        else:
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(mutant))
                if rng.random() < 0.5:
                    mutant[at] = rng.randrange(256)
                else:
                    mutant[at : at + 4] = rng.choice(
                        [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x00\x00\x08"])
        path.write_bytes(bytes(mutant))
        try:
            src = Source(path)
            handler = detect(src.head)
            handler.inspect(src)
            buf = io.BytesIO()
            handler.strip(src, buf)
        except ShareGuardError as exc:
            if "\n" in str(exc):
                failures.append(f"{i}: multi-line error")
            continue
        except Exception as exc:  # noqa: BLE001 - that is what this check looks for
            failures.append(f"{i}: {type(exc).__name__}: {exc}")
            continue
        clean.write_bytes(buf.getvalue())
        after = inspect(clean)
        if after.error or after.problems or after.leaks():
            failures.append(f"{i}: clean copy not sound: {after.error or after.problems}")
    return failures
