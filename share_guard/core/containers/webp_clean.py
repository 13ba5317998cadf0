"""The clean WebP, written chunk by chunk from parsed fields.

Kept: the VP8X header (flags set from what the copy holds, reserved bits zero), a neutral
ICC profile, ANIM (background colour and loop count, 6 bytes), each ANMF frame's header
(reserved bits zero) with its alpha and image data, the still image with its alpha data,
and a fresh EXIF holding only Orientation. In every VP8, VP8L and compressed ALPH
bitstream the bytes no decoder reads (after what the picture needs, see
:mod:`webp_bitstream`) are zeroed; raw alpha is cut to the picture's size. Unknown chunks,
second copies and anything after the RIFF end are left out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from share_guard.core.containers.webp_bitstream import (
    Part,
    needed,
    riff,
    vp8_parts,
    vp8_size,
    vp8l_size,
)
from share_guard.core.errors import CorruptFile, ExportRefused
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError, neutral_profile
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif

if TYPE_CHECKING:
    from share_guard.core.containers.webp import RiffChunk

FLAG_ICC, FLAG_ALPHA, FLAG_EXIF, FLAG_XMP, FLAG_ANIM = 0x20, 0x10, 0x08, 0x04, 0x02
IMAGE = frozenset({b"VP8 ", b"VP8L"})

Chunk = tuple[bytes, bytes]  # (fourcc, payload)


def vp8x_body(flags: int, width: int, height: int) -> bytes:
    return bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")


def anmf_header(raw: bytes) -> bytes:
    """An animation frame's 16-byte header from its fields (the reserved bits zeroed)."""
    return raw[:15] + bytes([raw[15] & 0x03])


def alpha_fields(header: int) -> tuple[int, int, int]:
    """(compression, filter, pre-processing) of an ALPH header byte; raises CorruptFile for
    a header libwebp refuses (reserved bits set, unknown method)."""
    method, filt, pre = header & 3, (header >> 2) & 3, (header >> 4) & 3
    if header >> 6 or method > 1 or pre > 1:
        raise CorruptFile(N_("WebP alpha data with a damaged header"))
    return method, filt, pre


@dataclass
class Image:
    """One coded picture: its optional alpha chunk and its VP8/VP8L chunk."""

    fourcc: bytes
    body: bytes
    alpha: bytes | None = None

    def size(self) -> tuple[int, int]:
        return vp8_size(self.body) if self.fourcc == b"VP8 " else vp8l_size(self.body)

    def parts(self) -> list[Part]:
        """The stretches of the image chunk a decoder reads only as far as it needs."""
        if self.fourcc == b"VP8L":
            return [Part(0, len(self.body), lambda b: riff((b"VP8L", b)), low=5)]
        return vp8_parts(self.body, lambda b: riff((b"VP8 ", b)))

    def alpha_part(self, vp8: bytes) -> Part | None:
        """The compressed alpha stream (None for raw alpha or none), checked against ``vp8``."""
        alpha = self.alpha
        if alpha is None or self.fourcc != b"VP8 " or not alpha or alpha[0] & 3 != 1:
            return None
        w, h = vp8_size(vp8)
        head = (b"VP8X", vp8x_body(FLAG_ALPHA, w, h))
        return Part(1, len(alpha), lambda a: riff(head, (b"ALPH", a), (b"VP8 ", vp8)))


def zero_after(body: bytes, parts: list[tuple[Part, int]]) -> bytes:
    out = bytearray(body)
    for part, keep in parts:
        out[part.start + keep : part.end] = bytes(part.end - part.start - keep)
    return bytes(out)


@dataclass
class CleanImage:
    chunks: list[Chunk] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hidden: int = 0  # non-zero bytes no decoder reads


def clean_image(img: Image) -> CleanImage:
    """The image's chunks as a clean copy holds them."""
    res = CleanImage()
    parts = img.parts()
    reference = parts[0].shown(img.body)
    if reference is None:
        raise CorruptFile(N_("WebP holds image data that does not decode"))
    cut = [(p, needed(p, img.body, reference)) for p in parts]
    body = zero_after(img.body, cut)
    res.hidden += sum(_nonzero(img.body[p.start + k : p.end]) for p, k in cut)
    if img.alpha is not None and img.fourcc == b"VP8L":
        res.notes.append("alpha chunk a lossless image does not use")
    elif img.alpha is not None:
        if not img.alpha:
            raise CorruptFile(N_("WebP alpha chunk is empty"))
        method, _f, _p = alpha_fields(img.alpha[0])
        w, h = vp8_size(img.body)
        alpha = img.alpha
        if method == 0:
            if len(alpha) < 1 + w * h:
                raise CorruptFile(N_("WebP raw alpha data is cut short"))
            res.hidden += _nonzero(alpha[1 + w * h :])
            alpha = alpha[: 1 + w * h]
        else:
            part = img.alpha_part(body)
            assert part is not None
            shown = part.shown(alpha)
            if shown is None:
                raise CorruptFile(N_("WebP holds alpha data that does not decode"))
            keep = needed(part, alpha, shown)
            res.hidden += _nonzero(alpha[part.start + keep :])
            alpha = zero_after(alpha, [(part, keep)])
        res.chunks.append((b"ALPH", alpha))
    res.chunks.append((img.fourcc, body))
    return res


def _nonzero(b: bytes) -> int:
    return len(b) - b.count(0)


def neutral_icc(payload: bytes) -> bytes | None:
    try:
        return neutral_profile(payload)
    except IccError:
        return None


def orientation_exif(orientation: int) -> Chunk:
    return (b"EXIF", minimal_orientation_exif(orientation))


def riff_bytes(chunks: list[Chunk]) -> bytes:
    body_len = sum(8 + len(p) + (len(p) & 1) for _f, p in chunks)
    if body_len + 4 > 0xFFFFFFFF:
        raise ExportRefused(N_("the cleaned WebP would be too large for a RIFF file"))
    return riff(*chunks)


def anim_body(payload: bytes) -> bytes:
    if len(payload) < 6:
        raise CorruptFile(N_("WebP animation header is cut short"))
    return payload[:6]


def frame_chunk(header: bytes, image: CleanImage) -> Chunk:
    inner = b"".join(f + struct.pack("<I", len(p)) + p + bytes(len(p) & 1)
                     for f, p in image.chunks)
    return (b"ANMF", anmf_header(header) + inner)


@dataclass
class Pictures:
    """What a WebP shows, gathered from its chunks (offsets kept for the accounting)."""

    simple: bool
    vp8x: RiffChunk | None = None
    flags: int = 0
    canvas: tuple[int, int] = (0, 0)
    icc: RiffChunk | None = None
    anim: RiffChunk | None = None
    exif: RiffChunk | None = None
    #: (ANMF chunk, alpha chunk or None, image chunk) of each frame
    frames: list[tuple[RiffChunk, RiffChunk | None, RiffChunk]] = field(default_factory=list)
    still: tuple[RiffChunk | None, RiffChunk] | None = None
    #: chunks a decoder does not use (unknown, second copies, the other kind of picture)
    unused: list[RiffChunk] = field(default_factory=list)


def pictures(data: bytes, chunks: list[RiffChunk]) -> Pictures:
    first = chunks[0]
    if first.fourcc in IMAGE:
        return Pictures(True, still=(None, first), unused=list(chunks[1:]))
    body = data[first.data_start : first.data_start + first.size]
    w = int.from_bytes(body[4:7], "little") + 1
    h = int.from_bytes(body[7:10], "little") + 1
    pics = Pictures(False, first, body[0], (w, h))
    animated = bool(body[0] & FLAG_ANIM)
    alpha: RiffChunk | None = None
    for c in chunks[1:]:
        if c.fourcc == b"ICCP" and pics.icc is None and not pics.frames and pics.still is None:
            pics.icc = c
        elif c.fourcc == b"ANIM" and animated and pics.anim is None:
            pics.anim = c
        elif c.fourcc == b"ANMF" and animated and pics.anim is not None:
            pics.frames.append(_frame(c, pics.unused))
        elif c.fourcc == b"ALPH" and not animated and pics.still is None and alpha is None:
            alpha = c
        elif c.fourcc in IMAGE and not animated and pics.still is None:
            pics.still = (alpha, c)
        elif c.fourcc == b"EXIF" and pics.exif is None:
            pics.exif = c
        else:
            pics.unused.append(c)
    if alpha is not None and pics.still is None:
        pics.unused.append(alpha)
    if (pics.still is None) == (not pics.frames):
        raise CorruptFile(N_("WebP holds no picture a decoder would show"))
    return pics


def _frame(chunk: RiffChunk, unused: list[RiffChunk]) -> tuple[RiffChunk, RiffChunk | None,
                                                                RiffChunk]:
    alpha: RiffChunk | None = None
    image: RiffChunk | None = None
    for c in chunk.children:
        if c.fourcc == b"ALPH" and alpha is None and image is None:
            alpha = c
        elif c.fourcc in IMAGE and image is None:
            image = c
        else:
            unused.append(c)
    if image is None:
        raise CorruptFile(N_("WebP is damaged: an animation frame has no image data"))
    return chunk, alpha, image


def payload(data: bytes, chunk: RiffChunk) -> bytes:
    return data[chunk.data_start : chunk.data_start + chunk.size]


def image_of(data: bytes, alpha: RiffChunk | None, image: RiffChunk) -> Image:
    return Image(image.fourcc, payload(data, image),
                 None if alpha is None else payload(data, alpha))
