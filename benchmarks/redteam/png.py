"""PNG / APNG: numbers of allow-listed chunks that spell text, palettes, animation frames,
and what a phone's screenshot looks like."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import numpy as np
from PIL import Image

from . import Case, case, icc_marker, icc_variant, picture


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(png):
        n = int.from_bytes(png[pos : pos + 4], "big")
        out.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def rebuild(parts: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunk(k, d) for k, d in parts)


def insert(png: bytes, kind: bytes, body: bytes, before: bytes = b"IDAT") -> bytes:
    parts = chunks(png)
    at = next(i for i, (k, _d) in enumerate(parts) if k == before)
    return rebuild(parts[:at] + [(kind, body)] + parts[at:])


def png(im: Image.Image | None = None, **kw: object) -> bytes:
    out = io.BytesIO()
    (im or picture()).save(out, "PNG", **kw)
    return out.getvalue()


def apng(frames: int = 3) -> bytes:
    out = io.BytesIO()
    ims = [picture(seed=17 * i) for i in range(frames)]
    ims[0].save(out, "PNG", save_all=True, append_images=ims[1:], duration=100, loop=0)
    return out.getvalue()


def words(text: str, size: int) -> list[int]:
    """``text`` read as big-endian numbers of ``size`` bytes."""
    raw = text.encode()
    raw += b"_" * (-len(raw) % size)
    return [int.from_bytes(raw[i : i + size], "big") for i in range(0, len(raw), size)]


@case
def png_cases() -> Iterator[Case]:
    for place in ("xyz-values", "header-signatures", "between-tags", "mab-gap"):
        marker = f"RT_PICC_{place.upper().replace('-', '_')}"
        body = b"ICC profile\0\0" + zlib.compress(icc_variant(place, marker))
        yield Case(f"png-icc-{place}", insert(png(), b"iCCP", body), [icc_marker(place, marker)], 1)

    # the numbers of allow-listed chunks spelling text
    chrm = struct.pack(">8I", *words("RT_P_CHRM_NUMBERS_0123456789ab", 4)[:8])
    yield Case("png-chrm-numbers", insert(png(), b"cHRM", chrm), ["RT_P_CHRM_NUMBERS"], 6)
    mdcv = struct.pack(">8H", *words("RT_P_MDCV_PRIMARIES", 2)[:8]) + struct.pack(">II", 10000000, 50)
    yield Case("png-mdcv-numbers", insert(png(), b"mDCv", mdcv), ["RT_P_MDCV_PRIMAR"], 6)
    yield Case("png-clli-numbers", insert(png(), b"cLLi", b"RT_PCLLI"), ["RT_PCLLI"], 6)
    yield Case("png-phys-numbers", insert(png(), b"pHYs", b"RT_PPHYS\x01"), ["RT_PPHYS"], 6)

    # allow-listed chunks with bytes after their fields
    yield Case("png-srgb-extra", insert(png(), b"sRGB", b"\x00RT_P_SRGB_EXTRA"),
               ["RT_P_SRGB_EXTRA"], 5)
    yield Case("png-chrm-extra", insert(png(), b"cHRM", struct.pack(">8I", 31270, 32900, 64000,
                                                                    33000, 30000, 60000, 15000,
                                                                    6000) + b"RT_P_CHRM_EXTRA"),
               ["RT_P_CHRM_EXTRA"], 5)
    yield Case("png-sbit-extra", insert(png(), b"sBIT", b"\x08\x08\x08RT_P_SBIT_EXTRA"),
               ["RT_P_SBIT_EXTRA"], 5)
    yield Case("png-bkgd-extra", insert(png(), b"bKGD", b"\0\1\0\2\0\3RT_P_BKGD_EXTRA"),
               ["RT_P_BKGD_EXTRA"], 5)
    yield Case("png-iend-body", rebuild(chunks(png())[:-1] + [(b"IEND", b"RT_P_IEND_BODY")]),
               ["RT_P_IEND_BODY"], 4)

    # an indexed picture: palette entries no pixel uses, tRNS entries beyond the palette
    ind = picture().quantize(16)
    parts = chunks(png(ind, bits=8))
    pal = next(d for k, d in parts if k == b"PLTE")
    pal = pal.ljust(16 * 3, b"\0") + b"RT_P_PLTE_UNUSED".ljust(48 * 3, b"_")
    parts = [(k, pal if k == b"PLTE" else d) for k, d in parts]
    yield Case("png-palette-unused", rebuild(parts), ["RT_P_PLTE_UNUSED"], 6)
    trns = bytes(range(255, 239, -1)) + b"RT_P_TRNS_BEYOND"
    yield Case("png-trns-beyond-palette", insert(png(ind), b"tRNS", trns), ["RT_P_TRNS_BEYOND"], 6)

    # text chunks in the places readers look less: after IDAT, iTXt compressed, XMP
    itxt = b"XML:com.adobe.xmp\0\1\0\0\0" + zlib.compress(b"<x:xmpmeta>RT_P_ITXT_XMP</x:xmpmeta>")
    yield Case("png-itxt-compressed-xmp", insert(png(), b"iTXt", itxt, before=b"IEND"),
               ["RT_P_ITXT_XMP"], 3)
    raw = b"\nexif\n      40\n" + b"RT_P_RAWPROFILE".hex().encode() + b"\n"
    yield Case("png-ztxt-raw-profile", insert(png(), b"zTXt", b"Raw profile type exif\0\0"
                                              + zlib.compress(raw)), ["RT_P_RAWPROFILE"], 3)
    yield Case("png-c2pa-cabx", insert(png(), b"caBX", b"\0\0\0\x20jumbRT_P_C2PA_MANIFEST"),
               ["RT_P_C2PA_MANIFEST"], 3)

    # image data: a zlib stream that goes on past the picture, extra scanlines
    parts = chunks(png())
    data = zlib.decompress(b"".join(d for k, d in parts if k == b"IDAT"))
    first = next(i for i, (k, _d) in enumerate(parts) if k == b"IDAT")
    rest = [p for p in parts if p[0] != b"IDAT"]
    more = zlib.compress(data + b"\0RT_P_EXTRA_SCANLINE" * 4)
    yield Case("png-extra-scanlines", rebuild(rest[:first] + [(b"IDAT", more)] + rest[first:]),
               ["RT_P_EXTRA_SCANLINE"], 4)
    # the stream stored (not compressed), text after its end inside the same chunk
    stored = zlib.compress(data, 0) + b"RT_P_STORED_TAIL"
    yield Case("png-stored-stream-tail", rebuild(rest[:first] + [(b"IDAT", stored)] + rest[first:]),
               ["RT_P_STORED_TAIL"], 4)

    # APNG: text after a frame's stream, a frame control with extra bytes, a second acTL
    anim = chunks(apng())
    i = next(i for i, (k, _d) in enumerate(anim) if k == b"fdAT")
    anim_tail = anim[:i] + [(b"fdAT", anim[i][1] + b"RT_P_FDAT_TAIL")] + anim[i + 1 :]
    yield Case("png-apng-fdat-tail", rebuild(anim_tail), ["RT_P_FDAT_TAIL"], 4)
    j = next(i for i, (k, _d) in enumerate(anim) if k == b"fcTL")
    fctl = anim[:j] + [(b"fcTL", anim[j][1] + b"RT_P_FCTL_EXTRA")] + anim[j + 1 :]
    yield Case("png-apng-fctl-extra", rebuild(fctl), ["RT_P_FCTL_EXTRA"], 5)
    actl = anim[:2] + [(b"acTL", anim[1][1][:4] + b"\0\0\0\0" + b"RT_P_ACTL_EXTRA")] + anim[2:]
    actl = [p for k, p in enumerate(actl) if not (k != 2 and p[0] == b"acTL")]
    yield Case("png-apng-actl-extra", rebuild(actl), ["RT_P_ACTL_EXTRA"], 5)
    k = next(i for i, (t, _d) in enumerate(anim) if t == b"fdAT")
    yield Case("png-apng-text-between-frames",
               rebuild(anim[:k] + [(b"tEXt", b"Comment\0RT_P_BETWEEN_FRAMES")] + anim[k:]),
               ["RT_P_BETWEEN_FRAMES"], 3)

    # an iPhone screenshot: eXIf (user comment, date), XMP naming it a screenshot, iDOT,
    # pHYs at 144 dpi and a Display P3 profile: cleaned, not refused
    shot = png(picture(96, 64), dpi=(144, 144))
    exif = Image.Exif()
    exif[0x9286] = "Screenshot RT_P_SCREENSHOT_EXIF"
    exif[0x0132] = "2024:05:01 10:00:00"
    shot = insert(shot, b"eXIf", exif.tobytes()[6:] if exif.tobytes().startswith(b"Exif")
                  else exif.tobytes())
    shot = insert(shot, b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta><exif:UserComment>"
                  b"Screenshot RT_P_SCREENSHOT_XMP</exif:UserComment></x:xmpmeta>")
    shot = insert(shot, b"iDOT", struct.pack(">7I", 2, 0, 32, 32, 32, 0x40, 0))
    p3 = icc_variant("text-type-cprt", "RT_P_SCREENSHOT_CPRT")
    shot = insert(shot, b"iCCP", b"ICC Profile\0\0" + zlib.compress(p3))
    yield Case("png-iphone-screenshot", shot,
               ["RT_P_SCREENSHOT_EXIF", "RT_P_SCREENSHOT_XMP", "RT_P_SCREENSHOT_CPRT"], 0)

    # a 16-bit greyscale picture with alpha and an interlaced palette picture (ordinary files)
    grey = Image.fromarray(np.asarray(picture().convert("L")).astype(np.uint16) * 257)
    yield Case("png-16bit-grey-text", insert(png(grey), b"tEXt", b"Author\0RT_P_16BIT_AUTHOR"),
               ["RT_P_16BIT_AUTHOR"], 3)
    yield Case("png-palette-time", insert(png(ind), b"tIME",
                                                     b"\x07\xe8\x05\x01\x0a\x00\x00"), [], 0)
