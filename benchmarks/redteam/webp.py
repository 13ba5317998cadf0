"""WebP: the extended format's headers, animation frames, alpha, colour profiles."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from . import Case, case, icc_marker, icc_variant, picture

Chunk = tuple[bytes, bytes]


def riff(chunks: list[Chunk]) -> bytes:
    body = b"".join(k + struct.pack("<I", len(d)) + d + (b"\0" if len(d) % 2 else b"")
                    for k, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def parse(data: bytes, start: int = 12, end: int | None = None) -> list[Chunk]:
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append((kind, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def webp(lossless: bool = False, alpha: bool = False, frames: int = 1, **kw: object) -> bytes:
    out = io.BytesIO()
    ims = [picture(seed=31 * i, mode="RGBA" if alpha else "RGB") for i in range(frames)]
    if alpha:
        for im in ims:
            im.putalpha(im.getchannel("R"))
    ims[0].save(out, "WEBP", lossless=lossless, quality=80, save_all=frames > 1,
                append_images=ims[1:], duration=100, **kw)
    return out.getvalue()


@case
def webp_cases() -> Iterator[Case]:
    for place in ("chad-extra", "mab-gap", "header-illuminant"):
        marker = f"RT_WICC_{place.upper().replace('-', '_')}"
        data = webp(lossless=True, icc_profile=icc_variant(place, marker))
        yield Case(f"webp-icc-{place}", data, [icc_marker(place, marker)], 1)

    anim = parse(webp(frames=3))  # VP8X, ANIM, ANMF...
    # ANIM with bytes after its 6 bytes of fields
    grown = [(k, d + b"RT_W_ANIM_EXTRA" if k == b"ANIM" else d) for k, d in anim]
    yield Case("webp-anim-extra", riff(grown), ["RT_W_ANIM_EXTRA"], 5)
    # an unknown chunk and an XMP chunk inside an animation frame
    i = next(i for i, (k, _d) in enumerate(anim) if k == b"ANMF")
    k, d = anim[i]
    inner = d + b"ZZZZ" + struct.pack("<I", 16) + b"RT_W_IN_FRAME___"
    yield Case("webp-frame-unknown-chunk", riff(anim[:i] + [(k, inner)] + anim[i + 1 :]),
               ["RT_W_IN_FRAME"], 3)
    # text after a lossy frame's VP8 data, inside its ANMF
    j = [i for i, (k, _d) in enumerate(anim) if k == b"ANMF"][1]
    k, d = anim[j]
    children = parse(d, 16)
    vp8 = [(c, b + b"RT_W_FRAME2_VP8_TAIL" if c == b"VP8 " else b) for c, b in children]
    body = d[:16] + b"".join(c + struct.pack("<I", len(b)) + b + (b"\0" if len(b) % 2 else b"")
                             for c, b in vp8)
    yield Case("webp-frame-vp8-tail", riff(anim[:j] + [(k, body)] + anim[j + 1 :]),
               ["RT_W_FRAME2_VP8_TAIL"], 6)
    # XMP and EXIF after the frames of an animation (with their VP8X flags)
    flags = bytearray(anim[0][1])
    flags[0] |= 0x08 | 0x04
    meta = [(b"VP8X", bytes(flags)), *anim[1:], (b"EXIF", b"II*\0\x08\0\0\0RT_W_ANIM_EXIF"),
            (b"XMP ", b"<x:xmpmeta>RT_W_ANIM_XMP</x:xmpmeta>")]
    yield Case("webp-anim-exif-xmp", riff(meta), ["RT_W_ANIM_EXIF", "RT_W_ANIM_XMP"], 3)
    # the ANMF header: reserved bits and bytes beyond the 16-byte header... and duration
    k, d = anim[i]
    odd = d[:15] + bytes([d[15] | 0xFC]) + d[16:]
    yield Case("webp-anmf-reserved-bits", riff(anim[:i] + [(k, odd)] + anim[i + 1 :]), [], 6)

    # lossy with alpha: compressed ALPH with text after its stream; raw ALPH with a tail
    still = parse(webp(alpha=True))
    grown = [(k, d + b"RT_W_ALPH_TAIL" if k == b"ALPH" else d) for k, d in still]
    yield Case("webp-alph-tail", riff(grown), ["RT_W_ALPH_TAIL"], 6)
    raw_alpha = bytes([0]) + bytes(picture(mode="L").tobytes()) + b"RT_W_RAW_ALPH_TAIL"
    grown = [(k, raw_alpha if k == b"ALPH" else d) for k, d in still]
    yield Case("webp-alph-raw-tail", riff(grown), ["RT_W_RAW_ALPH_TAIL"], 4)

    img = [(k, d) for k, d in parse(webp(lossless=True)) if k in (b"VP8L", b"VP8 ")]
    # an ICC chunk after the image (decoders ignore it there), a second VP8L after the first
    late = riff([(b"VP8X", bytes([0x20, 0, 0, 0]) + (63).to_bytes(3, "little")
                  + (47).to_bytes(3, "little")), *img,
                 (b"ICCP", icc_variant("dmnd-dmdd", "RT_W_LATE_ICC"))])
    yield Case("webp-icc-after-image", late, ["RT_W_LATE_ICC"], 3)
    second = riff([*img, (b"VP8L", img[0][1][:5] + b"RT_W_SECOND_IMAGE" + img[0][1][22:])])
    yield Case("webp-second-image-chunk", second, ["RT_W_SECOND_IMAGE"], 3)
    # a lossy still from a phone's share sheet: EXIF (GPS) + XMP + ICC, cleaned
    phone = webp(exif=b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x3b\0\x02\0\0\0\x16\0\0\0\x1a\0\0\0\0"
                 b"RT_W_PHONE_ARTIST\0\0\0\0\0", xmp=b"<x:xmpmeta>RT_W_PHONE_XMP</x:xmpmeta>",
                 icc_profile=icc_variant("text-type-cprt", "RT_W_PHONE_CPRT"))
    yield Case("webp-phone-share", phone, ["RT_W_PHONE_ARTIST", "RT_W_PHONE_XMP",
                                           "RT_W_PHONE_CPRT"], 0)
    # an odd-sized chunk whose padding byte is not zero
    odd = riff([(b"VP8X", bytes([0x04, 0, 0, 0]) + (63).to_bytes(3, "little")
                 + (47).to_bytes(3, "little")), *img, (b"XMP ", b"<x>RT_W_ODD_XMP</x>!")])
    yield Case("webp-odd-chunk", odd, ["RT_W_ODD_XMP"], 3)
