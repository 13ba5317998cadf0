"""GIF (still and animated): a bounded block walker, findings and a lossless cleaner.

Kept, written from parsed fields (see :mod:`gif_clean`): header, logical screen
descriptor, colour tables (entries no pixel uses cleared), graphic control extensions,
image descriptors with their LZW data cut where the picture is complete, the
NETSCAPE2.0/ANIMEXTS1.0 loop count and the ICCRGBG1 colour profile made neutral. Dropped:
comments, XMP and every other application extension, plain-text extensions and anything
after the trailer. Every graphic control extension before an image stays, also one that
preceded a dropped plain-text block: browsers and Pillow skip plain text and let its
control block act on the next frame, so keeping it keeps frames, timing and transparency
exactly as they were. :mod:`gif_account` proves every byte of a clean copy.

Orientation: GIF has none. Pillow reads XMP tiff:Orientation from a GIF, but
no browser or image viewer does, and keeping XMP would keep metadata; the
XMP block is dropped with everything in it.

Written here rather than with Pillow's GifImagePlugin because Pillow decodes
frames; we need the coded blocks as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.gif_account import account_gif
from share_guard.core.containers.gif_clean import (
    ICC_APP,
    Analysis,
    analyse,
    clean_gif,
    cleared,
    frame_used,
    gce,
    joined,
)
from share_guard.core.containers.ledger import Ledger
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import icc_findings
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

MAX_BLOCKS = 200_000
#: frames one animation may hold: each is decoded and rewritten in Python (50,000 one-pixel
#: frames, 1 MB, took 11 s to clean); 25,000 is over four minutes at 10 ms a frame
MAX_FRAMES = 25_000
MAX_COMMENT_FINDINGS = 50

EXTENSION, IMAGE, TRAILER = 0x21, 0x2C, 0x3B
GCE, COMMENT, PLAIN_TEXT, APPLICATION = 0xF9, 0xFE, 0x01, 0xFF

LOOP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
XMP_APP = b"XMP DataXMP"


@dataclass
class Block:
    kind: str  # "gce" "comment" "text" "app" "ext" "image"
    start: int
    end: int
    label: int = 0
    app_id: bytes = b""
    #: offset just after the fixed part (where the data sub-blocks begin)
    data_start: int = 0


@dataclass
class GifLayout:
    header_end: int  # end of header + logical screen descriptor + global colour table
    blocks: list[Block] = field(default_factory=list)
    trailer_end: int = 0  # just after the 0x3B trailer byte (or the end, see missing_trailer)
    missing_trailer: bool = False
    width: int = 0
    height: int = 0


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Offset just after the zero-length terminator of a sub-block chain."""
    size = len(data)
    while True:
        if pos >= size:
            raise CorruptFile(N_("GIF is truncated inside a data block"))
        length = data[pos]
        pos += 1
        if length == 0:
            return pos
        pos += length


def _table_size(flags: int) -> int:
    return 3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0


def walk_blocks(data: bytes) -> GifLayout:
    """Walk every block from the header to the trailer (bounded)."""
    if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        raise CorruptFile(N_("not a GIF file (bad header)"))
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    pos = 13 + _table_size(data[10])
    if pos > len(data):
        raise CorruptFile(N_("GIF is truncated inside its colour table"))
    layout = GifLayout(header_end=pos, width=width, height=height)
    size = len(data)
    frames = 0
    while True:
        if len(layout.blocks) >= MAX_BLOCKS:
            raise LimitExceeded(message(N_("GIF has more than {MAX_BLOCKS} blocks"), MAX_BLOCKS=MAX_BLOCKS))
        if pos >= size:
            if not any(b.kind == "image" for b in layout.blocks):
                raise CorruptFile(N_("GIF is truncated: it holds no complete image"))
            layout.missing_trailer = True
            layout.trailer_end = pos
            return layout
        intro = data[pos]
        if intro == TRAILER:
            layout.trailer_end = pos + 1
            if not any(b.kind == "image" for b in layout.blocks):
                raise CorruptFile(N_("GIF has no image"))
            return layout
        if intro == IMAGE:
            if pos + 11 > size:
                raise CorruptFile(N_("GIF is truncated inside an image descriptor"))
            fixed = pos + 10 + _table_size(data[pos + 9]) + 1  # + LZW minimum code size
            if fixed > size:
                raise CorruptFile(N_("GIF is truncated inside a local colour table"))
            end = _skip_sub_blocks(data, fixed)
            layout.blocks.append(Block("image", pos, end, data_start=fixed))
            frames += 1
            if frames > MAX_FRAMES:
                raise LimitExceeded(message(N_("GIF has more than {MAX_FRAMES} frames"),
                                            MAX_FRAMES=f"{MAX_FRAMES:,}"))
        elif intro == EXTENSION:
            if pos + 2 > size:
                raise CorruptFile(N_("GIF is truncated inside an extension"))
            label = data[pos + 1]
            layout.blocks.append(_extension(data, pos, label))
        else:
            raise CorruptFile(message(N_("GIF is damaged: unexpected byte 0x{intro} at {pos}"),
                                      intro=f"{intro:02x}", pos=pos))
        pos = layout.blocks[-1].end


def _extension(data: bytes, pos: int, label: int) -> Block:
    start = pos + 2
    if label == APPLICATION:
        if start + 12 > len(data) or data[start] != 11:
            raise CorruptFile(N_("GIF is damaged: malformed application extension"))
        app_id = data[start + 1 : start + 12]
        data_start = start + 12
        return Block("app", pos, _skip_sub_blocks(data, data_start), label, app_id, data_start)
    kind = {GCE: "gce", COMMENT: "comment", PLAIN_TEXT: "text"}.get(label, "ext")
    return Block(kind, pos, _skip_sub_blocks(data, start), label, data_start=start)


def sub_block_data(data: bytes, start: int, end: int, limit: int = 1 << 20) -> bytes:
    """Concatenated payload of the sub-blocks in data[start:end] (at most ``limit`` bytes)."""
    out = bytearray()
    pos = start
    while pos < end and len(out) < limit:
        length = data[pos]
        if length == 0:
            break
        out += data[pos + 1 : pos + 1 + length]
        pos += 1 + length
    return bytes(out[:limit])


def xmp_packet(data: bytes, block: Block) -> bytes:
    """The XMP packet of an "XMP DataXMP" extension.

    XMP is stored raw (not in sub-blocks) and followed by a 258-byte "magic
    trailer" that makes sub-block readers skip it; cut it off at the packet end.
    """
    raw = data[block.data_start : block.end]
    for marker in (b"<?xpacket end", b"</x:xmpmeta>"):
        idx = raw.rfind(marker)
        if idx >= 0:
            close = raw.find(b">", idx)
            return raw[: close + 1] if close >= 0 else raw
    return raw[: max(0, len(raw) - 258)]


class GifHandler(FormatHandler):
    name = "gif"
    kind = "image"
    mime = "image/gif"
    extensions = (".gif",)
    priority = 20
    accounts = True

    def sniff(self, head: bytes) -> bool:
        return head[:6] in (b"GIF87a", b"GIF89a")

    def _parse(self, src: Source) -> tuple[bytes, GifLayout]:
        return src.parsed("gif", walk_blocks)

    def inspect(self, src: Source) -> Inspection:
        data, layout = self._parse(src)
        result = Inspection()
        frames = sum(1 for b in layout.blocks if b.kind == "image")
        result.properties.update(width=layout.width, height=layout.height, frames=frames,
                                 orientation=1)
        comments = 0
        for block in layout.blocks:
            finding = self._finding(data, block)
            if finding is None:
                continue
            if block.kind == "comment":
                comments += 1
                if comments > MAX_COMMENT_FINDINGS:
                    continue
            if isinstance(finding, list):
                result.findings.extend(finding)
            else:
                result.findings.append(finding)
        if comments > MAX_COMMENT_FINDINGS:
            result.findings.append(Finding(
                Category.HIDDEN, "GIF comment", N_("More comments"),
                f"{comments - MAX_COMMENT_FINDINGS} more", N_("more hidden text; all removed")))
        analysis = self._analysis(src)
        result.problems.extend(analysis.problems)
        result.findings.extend(_structure_findings(data, layout, analysis))
        trailer = len(data) - layout.trailer_end
        if trailer > 0:
            result.findings.append(describe_trailer(data[layout.trailer_end:], layout.trailer_end))
        return result

    @staticmethod
    def _finding(data: bytes, block: Block) -> Finding | list[Finding] | None:
        if block.kind == "comment":
            text = sub_block_data(data, block.data_start, block.end, limit=4096)
            return Finding(Category.HIDDEN, "GIF comment", N_("Comment"),
                           text.decode("latin-1"), N_("free text hidden in the file"))
        if block.kind == "text":
            text = sub_block_data(data, block.data_start + 13, block.end, limit=4096)
            return Finding(Category.OTHER, "GIF plain text", N_("Plain text overlay"),
                           text.decode("latin-1"), N_("text stored beside the picture; removed"))
        if block.kind == "ext":
            return Finding(Category.UNKNOWN, "GIF extension",
                           message(N_("Unknown extension 0x{label}"), label=f"{block.label:02x}"),
                           f"{block.end - block.start} bytes", N_("data we cannot interpret; removed"))
        if block.kind != "app":
            return None
        app = block.app_id.decode("latin-1")
        if block.app_id in LOOP_APPS:
            return Finding(Category.KEPT, "GIF application extension", N_("Animation loop"), app,
                           N_("how often the animation repeats; kept"),
                           identifying=False, removable=False)
        if block.app_id == ICC_APP:
            return None  # read whole (see _structure_findings)
        if block.app_id == XMP_APP:
            return xmp_findings(xmp_packet(data, block), where="GIF XMP")
        return Finding(Category.UNKNOWN, "GIF application extension",
                       message(N_("Application data {app}"),
                               app=f"{app!r}"), f"{block.end - block.start} bytes",
                       N_("data an application stored in the file; removed"))

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._parse(src)
        cleaned = clean_gif(data, layout, self._analysis(src))
        out.write(cleaned.out)
        result = StripResult(kept=cleaned.kept)
        result.removed.extend(f"{n} x {name}" if n > 1 else name
                              for name, n in cleaned.removed.items())
        hidden = _hidden_in_frames(self._analysis(src))
        if hidden:
            result.removed.append(message(N_("{hidden} bytes after the end of the image data"),
                                          hidden=hidden))
        trailer = len(data) - layout.trailer_end
        if trailer > 0:
            result.removed.append(message(N_("{count} bytes after the end of the image"), count=trailer))
        return result

    def account(self, src: Source) -> Ledger:
        return account_gif(src.read_all())

    def _analysis(self, src: Source) -> Analysis:
        data, layout = self._parse(src)
        return src.cached("gif-analysis", lambda: analyse(data, layout))


def _hidden_in_frames(analysis: Analysis) -> int:
    """Bytes after the end of the frames' compressed data (the end code and its padding)."""
    total = 0
    for frame in analysis.frames.values():
        if not frame.lzw.problem:
            total += len(frame.stream) - (frame.lzw.end_bits + 7) // 8
    return total


def _structure_findings(data: bytes, layout: GifLayout, analysis: Analysis) -> list[Finding]:
    """Data hidden in the coded frames, in control blocks and in unused colour entries."""
    found: list[Finding] = []
    hidden = _hidden_in_frames(analysis)
    if hidden:
        found.append(Finding(Category.HIDDEN, "GIF image data", N_("Data after the image data"),
                             f"{hidden} bytes", N_("bytes after the end of a frame's compressed "
                             "data that no decoder reads, a place to hide data; removed")))
    odd = [b for i, b in enumerate(layout.blocks) if b.kind == "gce" and (
        i not in analysis.governing or
        data[b.start : b.end] != gce(data[b.data_start + 1 : b.data_start + 5])
        if b.end - b.start >= 8 and data[b.data_start] >= 4 else True)]
    if odd:
        found.append(Finding(Category.HIDDEN, "GIF graphic control", N_("Data in control blocks"),
                             f"{len(odd)} blocks", N_("bytes or bits beyond the frame timing and "
                             "transparency fields; rewritten from the fields")))
    tables = [(data[13 : layout.header_end], analysis.global_used, analysis.protected)] + [
        (f.table, frame_used(f), set()) for f in analysis.frames.values() if f.table]
    unused = sum(1 for table, used, protected in tables
                 for k, entry in enumerate(zip(*[iter(cleared(table, used, protected))] * 3,
                                               strict=False))
                 if entry == (0, 0, 0) and table[3 * k : 3 * k + 3] != b"\x00\x00\x00")
    if unused:
        found.append(Finding(Category.OTHER, "GIF colour table", N_("Unused colour-table entries"),
                             f"{unused} entries", N_("colours no pixel uses (they can carry hidden "
                             "data); cleared, pixels unchanged"), identifying=False))
    icc = next((b for b in layout.blocks if b.kind == "app" and b.app_id == ICC_APP), None)
    if icc is not None:
        profile = joined(data, icc.data_start, icc.end)
        found.extend(icc_findings(profile, "GIF ICC profile"))
    return found


HANDLERS = [GifHandler()]
