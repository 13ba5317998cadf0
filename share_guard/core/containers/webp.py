"""WebP (still and animated): a bounded RIFF chunk walker, findings and a lossless cleaner.

Kept (see :mod:`webp_clean`): VP8X, ANIM and the ANMF frame headers written from their
fields, a neutral ICC profile, the alpha and image bitstreams with the bytes no decoder
reads zeroed (see :mod:`webp_bitstream`). Dropped: EXIF, XMP, unknown chunks (also inside
ANMF frames), second copies and anything after the RIFF end; the RIFF size is written
afresh. :mod:`webp_account` proves every byte of a clean copy.

Orientation: viewers that rotate WebP read the EXIF chunk's Orientation tag
(Pillow also falls back to XMP tiff:Orientation). When that would not be 1,
the clean copy carries a fresh EXIF chunk holding only the Orientation tag.
A simple (non-VP8X) WebP cannot carry EXIF; decoders ignore stray chunks
there, so its displayed orientation is always 1.

Written here rather than with Pillow because Pillow (libwebp) decodes and
re-muxes; we need to keep the coded frames as they are.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers._orientation import display_orientation
from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.containers.webp_account import account_webp
from share_guard.core.containers.webp_clean import (
    FLAG_ALPHA,
    FLAG_ANIM,
    FLAG_EXIF,
    FLAG_ICC,
    CleanImage,
    Pictures,
    anim_body,
    clean_image,
    frame_chunk,
    image_of,
    neutral_icc,
    orientation_exif,
    payload,
    pictures,
    riff_bytes,
    vp8x_body,
)
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.icc import icc_findings
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

MAX_CHUNKS = 100_000
#: unread bytes after a coded image from this many on are reported as hidden data (encoders
#: leave a byte or two of their own; a message needs more)
HIDDEN_NOTABLE = 8

IMAGE = frozenset({b"VP8 ", b"VP8L"})
#: top-level chunks copied to the clean file
KEEP = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH"}) | IMAGE
#: chunks allowed inside an ANMF frame and kept
FRAME_KEEP = frozenset({b"ALPH"}) | IMAGE


@dataclass
class RiffChunk:
    fourcc: bytes
    offset: int  # offset of the fourcc
    size: int  # payload size (without padding)
    #: for ANMF: the frame's own sub-chunks
    children: list[RiffChunk] = field(default_factory=list)

    @property
    def data_start(self) -> int:
        return self.offset + 8

    @property
    def name(self) -> str:
        return self.fourcc.decode("latin-1").strip()


@dataclass
class WebpLayout:
    riff_end: int
    chunks: list[RiffChunk] = field(default_factory=list)

    def first(self, fourcc: bytes) -> RiffChunk | None:
        return next((c for c in self.chunks if c.fourcc == fourcc), None)


def _walk(data: bytes, start: int, end: int, budget: list[int]) -> list[RiffChunk]:
    chunks: list[RiffChunk] = []
    pos = start
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise LimitExceeded(message(N_("WebP has more than {MAX_CHUNKS} chunks"), MAX_CHUNKS=MAX_CHUNKS))
        if pos + 8 > end:
            raise CorruptFile(message(N_("WebP is damaged: a chunk header is cut off at byte {pos}"),
                                      pos=pos))
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if pos + 8 + size > end:
            raise CorruptFile(
                message(N_("WebP is truncated: chunk {fourcc} runs past its end"),
                        fourcc=f"{fourcc.decode('latin-1')!r}")
            )
        chunks.append(RiffChunk(fourcc, pos, size))
        # a missing pad byte after the very last chunk is tolerated
        pos = min(pos + 8 + size + (size & 1), end)
    return chunks


def walk_riff(data: bytes) -> WebpLayout:
    """Walk the RIFF/WEBP chunks, including the sub-chunks of animation frames (bounded)."""
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CorruptFile(N_("not a WebP file (bad RIFF header)"))
    (riff_size,) = struct.unpack("<I", data[4:8])
    riff_end = 8 + riff_size
    if riff_end > len(data):
        raise CorruptFile(N_("WebP is truncated: the file is shorter than its RIFF header says"))
    budget = [MAX_CHUNKS]
    layout = WebpLayout(riff_end=riff_end, chunks=_walk(data, 12, riff_end, budget))
    for chunk in layout.chunks:
        if chunk.fourcc == b"ANMF":
            if chunk.size < 16:
                raise CorruptFile(N_("WebP is damaged: an animation frame header is too short"))
            chunk.children = _walk(data, chunk.data_start + 16, chunk.data_start + chunk.size,
                                   budget)
    _check(data, layout)
    return layout


def _check(data: bytes, layout: WebpLayout) -> None:
    if not layout.chunks:
        raise CorruptFile(N_("WebP holds no chunks"))
    first = layout.chunks[0]
    if first.fourcc == b"VP8X":
        if first.size < 10:
            raise CorruptFile(N_("WebP is damaged: the VP8X header is too short"))
        frames = [c for c in layout.chunks if c.fourcc == b"ANMF"]
        stills = [c for c in layout.chunks if c.fourcc in IMAGE]
        if not frames and not stills:
            raise CorruptFile(N_("WebP has no image data"))
        for frame in frames:
            if not any(c.fourcc in IMAGE for c in frame.children):
                raise CorruptFile(N_("WebP is damaged: an animation frame has no image data"))
    elif first.fourcc not in IMAGE:
        raise CorruptFile(message(N_("WebP starts with an unexpected chunk {name}"), name=f"{first.name!r}"))


def _dimensions(data: bytes, layout: WebpLayout) -> tuple[int, int] | None:
    first = layout.chunks[0]
    p = first.data_start
    if first.fourcc == b"VP8X":
        w = int.from_bytes(data[p + 4 : p + 7], "little") + 1
        h = int.from_bytes(data[p + 7 : p + 10], "little") + 1
        return w, h
    if first.fourcc == b"VP8 " and first.size >= 10 and data[p + 3 : p + 6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[p + 6 : p + 10])
        return w & 0x3FFF, h & 0x3FFF
    if first.fourcc == b"VP8L" and first.size >= 5 and data[p] == 0x2F:
        bits = int.from_bytes(data[p + 1 : p + 5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


class WebpHandler(FormatHandler):
    name = "webp"
    kind = "image"
    mime = "image/webp"
    extensions = (".webp",)
    priority = 20
    accounts = True

    def sniff(self, head: bytes) -> bool:
        return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"

    def _parse(self, src: Source) -> tuple[bytes, WebpLayout]:
        return src.parsed("webp", walk_riff)

    def inspect(self, src: Source) -> Inspection:
        data, layout = self._parse(src)
        result = Inspection()
        dims = _dimensions(data, layout)
        if dims is not None:
            result.properties.update(width=dims[0], height=dims[1])
        frames = sum(1 for c in layout.chunks if c.fourcc == b"ANMF")
        result.properties["frames"] = frames or 1
        for chunk in layout.chunks:
            body = data[chunk.data_start : chunk.data_start + chunk.size]
            where = f"WebP {chunk.name}"
            if chunk.fourcc == b"EXIF":
                result.findings.extend(exif_findings(body, where=where).findings)
            elif chunk.fourcc == b"XMP ":
                result.findings.extend(xmp_findings(body, where=where))
            elif chunk.fourcc == b"ICCP":
                result.findings.extend(icc_findings(body, where))
            elif chunk.fourcc not in KEEP:
                result.findings.append(_unknown(where, chunk))
            for child in chunk.children:
                if child.fourcc not in FRAME_KEEP:
                    result.findings.append(_unknown(f"WebP ANMF {child.name}", child))
        result.properties["orientation"] = _orientation(data, layout)
        self._picture_findings(src, data, layout, result)
        trailer = len(data) - layout.riff_end
        if trailer > 0:
            result.findings.append(describe_trailer(data[layout.riff_end:], layout.riff_end))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._parse(src)
        result = StripResult()
        orientation = _orientation(data, layout)
        pics = pictures(data, layout.chunks)
        chunks: list[tuple[bytes, bytes]] = []
        images = self._cleaned(src, data, pics)
        if pics.simple:
            chunks.extend(images[0].chunks)
        else:
            icc = neutral_icc(payload(data, pics.icc)) if pics.icc is not None else None
            if pics.icc is not None and icc is None:
                result.removed.append(N_("colour profile (not a valid profile)"))
            flags = (pics.flags & FLAG_ALPHA) | (FLAG_ICC if icc is not None else 0) \
                | (FLAG_EXIF if orientation != 1 else 0) | (FLAG_ANIM if pics.frames else 0)
            chunks.append((b"VP8X", vp8x_body(flags, *pics.canvas)))
            if icc is not None:
                chunks.append((b"ICCP", icc))
                result.kept.append(N_("colour profile (its text made neutral)"))
            if pics.anim is not None:
                chunks.append((b"ANIM", anim_body(payload(data, pics.anim))))
                for (frame, _a, _i), image in zip(pics.frames, images, strict=True):
                    chunks.append(frame_chunk(payload(data, frame)[:16], image))
            else:
                chunks.extend(images[0].chunks)
            if orientation != 1:
                chunks.append(orientation_exif(orientation))
                result.kept.append(message(N_("orientation ({orientation})"), orientation=orientation))
        out.write(riff_bytes(chunks))
        if pics.exif is not None:
            result.removed.append(N_("EXIF chunk"))
        for chunk in pics.unused:
            result.removed.append(message(N_("{name} chunk"), name=chunk.name or "unnamed"))
        for image in images:
            result.removed.extend(n for n in image.notes if n not in result.removed)
        hidden = sum(image.hidden for image in images)
        if hidden:
            result.removed.append(message(
                N_("{n} byte after the end of the coded image data (zeroed)") if hidden == 1 else
                N_("{n} bytes after the end of the coded image data (zeroed)"), n=hidden))
        trailer = len(data) - layout.riff_end
        if trailer > 0:
            result.removed.append(message(N_("{count} bytes after the end of the image"), count=trailer))
        return result

    def account(self, src: Source) -> Ledger:
        return account_webp(src.read_all())

    def _picture_findings(self, src: Source, data: bytes, layout: WebpLayout,
                          result: Inspection) -> None:
        """Data hidden after the coded pictures, and chunks no decoder reads."""
        try:
            pics = pictures(data, layout.chunks)
            images = self._cleaned(src, data, pics)
        except CorruptFile as exc:
            result.problems.append(str(exc))
            return
        hidden = sum(image.hidden for image in images)
        if hidden >= HIDDEN_NOTABLE:
            result.findings.append(Finding(
                Category.HIDDEN, "WebP image data", N_("Data after the coded image"),
                f"{hidden} bytes", N_("bytes no decoder reads, a place to hide data; "
                "zeroed (pixels unchanged)")))
        elif hidden:
            result.findings.append(Finding(
                Category.OTHER, "WebP image data", N_("Unused bytes after the coded image"),
                f"{hidden} bytes", N_("encoder leftovers no decoder reads; zeroed (pixels "
                "unchanged)"), identifying=False))
        result.findings.extend(_field_findings(data, pics))
        for chunk in pics.unused:
            if chunk.fourcc in KEEP:
                result.findings.append(Finding(
                    Category.HIDDEN, f"WebP {chunk.name}", message(N_("Unused {name} chunk"),
                                                                   name=chunk.name),
                    f"{chunk.size} bytes", N_("a chunk no decoder reads (a second copy, or out "
                    "of place), a place to hide data; removed")))

    @staticmethod
    def _cleaned(src: Source, data: bytes, pics: Pictures) -> list[CleanImage]:
        """Every picture as the clean copy holds it (cached: inspect reports what it found)."""
        def build() -> list[CleanImage]:
            if pics.frames:
                return [clean_image(image_of(data, a, i)) for _f, a, i in pics.frames]
            assert pics.still is not None
            return [clean_image(image_of(data, *pics.still))]

        return src.cached("webp-images", build)


def _orientation(data: bytes, layout: WebpLayout) -> int:
    if layout.chunks[0].fourcc != b"VP8X":
        return 1

    def body(fourcc: bytes) -> bytes | None:
        chunk = layout.first(fourcc)
        return None if chunk is None else data[chunk.data_start : chunk.data_start + chunk.size]

    return display_orientation(body(b"EXIF"), body(b"XMP "))


def _field_findings(data: bytes, pics: Pictures) -> list[Finding]:
    """Header chunks that hold more than their fields (rewritten from the fields)."""
    found = []
    extra = [(c, c.size - n) for c, n in ((pics.vp8x, 10), (pics.anim, 6)) if c is not None
             and c.size > n]
    if pics.vp8x is not None:
        head = payload(data, pics.vp8x)
        if head[0] & 0xC1 or any(head[1:4]):
            extra.append((pics.vp8x, 0))
    for frame, _a, _i in pics.frames:
        if data[frame.data_start + 15] & 0xFC:
            extra.append((frame, 0))
    for chunk, n in extra:
        found.append(Finding(Category.HIDDEN, f"WebP {chunk.name}",
                             message(N_("Data in the {name} header"), name=chunk.name),
                             f"{n} extra bytes" if n else "reserved bits set",
                             N_("bits no decoder reads, a place to hide data; rewritten")))
    return found


def _unknown(where: str, chunk: RiffChunk) -> Finding:
    return Finding(Category.UNKNOWN, where, message(N_("Unknown chunk {name}"), name=f"{chunk.name!r}"),
                   f"{chunk.size} bytes", N_("data we cannot interpret; removed"))


HANDLERS = [WebpHandler()]
