"""WebP (still and animated): a bounded RIFF chunk walker, findings and a lossless cleaner.

Kept: VP8X (flags fixed), ICCP, ANIM, ANMF frames, ALPH, VP8 and VP8L, byte
for byte. Dropped: EXIF, XMP, unknown chunks (also inside ANMF frames) and
anything after the RIFF end. The RIFF size and the VP8X EXIF/XMP flags are
rewritten to match.

Orientation: viewers that rotate WebP read the EXIF chunk's Orientation tag
(Pillow also falls back to XMP tiff:Orientation). When that would not be 1,
the clean copy carries a fresh EXIF chunk holding only the Orientation tag.
A simple (non-VP8X) WebP cannot carry EXIF; decoders ignore stray chunks
there, so its displayed orientation is always 1.

Written here rather than with Pillow because Pillow (libwebp) decodes and
re-muxes; we need to copy the coded frames verbatim.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers._orientation import display_orientation
from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile, ExportRefused, LimitExceeded
from share_guard.core.metadata.exif import exif_findings
from share_guard.core.metadata.tiff_ifd import minimal_orientation_exif
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

MAX_CHUNKS = 100_000

IMAGE = frozenset({b"VP8 ", b"VP8L"})
#: top-level chunks copied to the clean file
KEEP = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH"}) | IMAGE
#: chunks allowed inside an ANMF frame and kept
FRAME_KEEP = frozenset({b"ALPH"}) | IMAGE

FLAG_ICC, FLAG_ALPHA, FLAG_EXIF, FLAG_XMP, FLAG_ANIM = 0x20, 0x10, 0x08, 0x04, 0x02


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
            raise LimitExceeded(f"WebP has more than {MAX_CHUNKS} chunks")
        if pos + 8 > end:
            raise CorruptFile(f"WebP is damaged: a chunk header is cut off at byte {pos}")
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if pos + 8 + size > end:
            raise CorruptFile(
                f"WebP is truncated: chunk {fourcc.decode('latin-1')!r} runs past its end"
            )
        chunks.append(RiffChunk(fourcc, pos, size))
        # a missing pad byte after the very last chunk is tolerated
        pos = min(pos + 8 + size + (size & 1), end)
    return chunks


def walk_riff(data: bytes) -> WebpLayout:
    """Walk the RIFF/WEBP chunks, including the sub-chunks of animation frames (bounded)."""
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CorruptFile("not a WebP file (bad RIFF header)")
    (riff_size,) = struct.unpack("<I", data[4:8])
    riff_end = 8 + riff_size
    if riff_end > len(data):
        raise CorruptFile("WebP is truncated: the file is shorter than its RIFF header says")
    budget = [MAX_CHUNKS]
    layout = WebpLayout(riff_end=riff_end, chunks=_walk(data, 12, riff_end, budget))
    for chunk in layout.chunks:
        if chunk.fourcc == b"ANMF":
            if chunk.size < 16:
                raise CorruptFile("WebP is damaged: an animation frame header is too short")
            chunk.children = _walk(data, chunk.data_start + 16, chunk.data_start + chunk.size,
                                   budget)
    _check(data, layout)
    return layout


def _check(data: bytes, layout: WebpLayout) -> None:
    if not layout.chunks:
        raise CorruptFile("WebP holds no chunks")
    first = layout.chunks[0]
    if first.fourcc == b"VP8X":
        if first.size < 10:
            raise CorruptFile("WebP is damaged: the VP8X header is too short")
        frames = [c for c in layout.chunks if c.fourcc == b"ANMF"]
        stills = [c for c in layout.chunks if c.fourcc in IMAGE]
        if not frames and not stills:
            raise CorruptFile("WebP has no image data")
        for frame in frames:
            if not any(c.fourcc in IMAGE for c in frame.children):
                raise CorruptFile("WebP is damaged: an animation frame has no image data")
    elif first.fourcc not in IMAGE:
        raise CorruptFile(f"WebP starts with an unexpected chunk {first.name!r}")


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
                result.findings.append(Finding(
                    Category.KEPT, where, "Colour profile", f"{chunk.size} bytes",
                    "needed to show colours correctly; kept", identifying=False, removable=False,
                ))
            elif chunk.fourcc not in KEEP:
                result.findings.append(_unknown(where, chunk))
            for child in chunk.children:
                if child.fourcc not in FRAME_KEEP:
                    result.findings.append(_unknown(f"WebP ANMF {child.name}", child))
        result.properties["orientation"] = _orientation(data, layout)
        trailer = len(data) - layout.riff_end
        if trailer > 0:
            result.findings.append(describe_trailer(data[layout.riff_end:], layout.riff_end))
        return result

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._parse(src)
        result = StripResult()
        orientation = _orientation(data, layout)
        body = bytearray()
        for chunk in layout.chunks:
            if chunk.fourcc == b"VP8X":
                payload = bytearray(data[chunk.data_start : chunk.data_start + chunk.size])
                payload[0] &= ~(FLAG_EXIF | FLAG_XMP) & 0xFF
                if orientation != 1:
                    payload[0] |= FLAG_EXIF
                body += _chunk(b"VP8X", bytes(payload))
            elif chunk.fourcc == b"ANMF":
                body += _frame(data, chunk, result)
            elif chunk.fourcc in KEEP:
                body += _copy(data, chunk)
            else:
                result.removed.append(f"{chunk.name or 'unnamed'} chunk")
        if orientation != 1:
            body += _chunk(b"EXIF", minimal_orientation_exif(orientation))
            result.kept.append(f"orientation ({orientation})")
        if len(body) + 4 > 0xFFFFFFFF:
            raise ExportRefused("the cleaned WebP would be too large for a RIFF file")
        out.write(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP")
        out.write(body)
        trailer = len(data) - layout.riff_end
        if trailer > 0:
            result.removed.append(f"{trailer} bytes after the end of the image")
        if layout.first(b"ICCP") is not None:
            result.kept.append("colour profile (ICCP)")
        return result


def _orientation(data: bytes, layout: WebpLayout) -> int:
    if layout.chunks[0].fourcc != b"VP8X":
        return 1

    def body(fourcc: bytes) -> bytes | None:
        chunk = layout.first(fourcc)
        return None if chunk is None else data[chunk.data_start : chunk.data_start + chunk.size]

    return display_orientation(body(b"EXIF"), body(b"XMP "))


def _unknown(where: str, chunk: RiffChunk) -> Finding:
    return Finding(Category.UNKNOWN, where, f"Unknown chunk {chunk.name!r}",
                   f"{chunk.size} bytes", "data we cannot interpret; removed")


def _chunk(fourcc: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) & 1 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def _copy(data: bytes, chunk: RiffChunk) -> bytes:
    return _chunk(chunk.fourcc, data[chunk.data_start : chunk.data_start + chunk.size])


def _frame(data: bytes, chunk: RiffChunk, result: StripResult) -> bytes:
    """An ANMF frame without unknown sub-chunks (coded data copied verbatim)."""
    if all(c.fourcc in FRAME_KEEP for c in chunk.children):
        return _copy(data, chunk)
    payload = bytearray(data[chunk.data_start : chunk.data_start + 16])
    for child in chunk.children:
        if child.fourcc in FRAME_KEEP:
            payload += _copy(data, child)
        else:
            result.removed.append(f"{child.name or 'unnamed'} chunk inside an animation frame")
    return _chunk(b"ANMF", bytes(payload))


HANDLERS = [WebpHandler()]
