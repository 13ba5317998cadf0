"""GIF (still and animated): a bounded block walker, findings and a lossless cleaner.

Kept, byte for byte: header, logical screen descriptor, global colour table,
graphic control extensions, image descriptors with their colour tables and
LZW data, the NETSCAPE2.0/ANIMEXTS1.0 loop extension and the ICCRGBG1 colour
profile. Dropped: comments, XMP and every other application extension,
plain-text extensions and anything after the trailer. Every graphic control
extension stays, also one that preceded a dropped plain-text block: browsers
and Pillow skip plain text and let its control block act on the next frame,
so keeping it keeps frames, timing and transparency exactly as they were.

Orientation: GIF has none. Pillow reads XMP tiff:Orientation from a GIF, but
no browser or image viewer does, and keeping XMP would keep metadata; the
XMP block is dropped with everything in it.

Written here rather than with Pillow's GifImagePlugin because Pillow decodes
frames; we need the coded blocks untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.containers.trailer import describe_trailer
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.metadata.xmp import xmp_findings
from share_guard.core.report import Category, Finding

MAX_BLOCKS = 200_000
MAX_COMMENT_FINDINGS = 50

EXTENSION, IMAGE, TRAILER = 0x21, 0x2C, 0x3B
GCE, COMMENT, PLAIN_TEXT, APPLICATION = 0xF9, 0xFE, 0x01, 0xFF

LOOP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
ICC_APP = b"ICCRGBG1"  # followed by the authentication code "012"
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
            raise CorruptFile("GIF is truncated inside a data block")
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
        raise CorruptFile("not a GIF file (bad header)")
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    pos = 13 + _table_size(data[10])
    if pos > len(data):
        raise CorruptFile("GIF is truncated inside its colour table")
    layout = GifLayout(header_end=pos, width=width, height=height)
    size = len(data)
    while True:
        if len(layout.blocks) >= MAX_BLOCKS:
            raise LimitExceeded(f"GIF has more than {MAX_BLOCKS} blocks")
        if pos >= size:
            if not any(b.kind == "image" for b in layout.blocks):
                raise CorruptFile("GIF is truncated: it holds no complete image")
            layout.missing_trailer = True
            layout.trailer_end = pos
            return layout
        intro = data[pos]
        if intro == TRAILER:
            layout.trailer_end = pos + 1
            if not any(b.kind == "image" for b in layout.blocks):
                raise CorruptFile("GIF has no image")
            return layout
        if intro == IMAGE:
            if pos + 11 > size:
                raise CorruptFile("GIF is truncated inside an image descriptor")
            fixed = pos + 10 + _table_size(data[pos + 9]) + 1  # + LZW minimum code size
            if fixed > size:
                raise CorruptFile("GIF is truncated inside a local colour table")
            end = _skip_sub_blocks(data, fixed)
            layout.blocks.append(Block("image", pos, end, data_start=fixed))
        elif intro == EXTENSION:
            if pos + 2 > size:
                raise CorruptFile("GIF is truncated inside an extension")
            label = data[pos + 1]
            layout.blocks.append(_extension(data, pos, label))
        else:
            raise CorruptFile(f"GIF is damaged: unexpected byte 0x{intro:02x} at {pos}")
        pos = layout.blocks[-1].end


def _extension(data: bytes, pos: int, label: int) -> Block:
    start = pos + 2
    if label == APPLICATION:
        if start + 12 > len(data) or data[start] != 11:
            raise CorruptFile("GIF is damaged: malformed application extension")
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


def _is_kept(block: Block) -> bool:
    if block.kind in ("image", "gce"):
        return True
    return block.kind == "app" and (block.app_id in LOOP_APPS or block.app_id[:8] == ICC_APP)


class GifHandler(FormatHandler):
    name = "gif"
    kind = "image"
    mime = "image/gif"
    extensions = (".gif",)
    priority = 20

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
                Category.HIDDEN, "GIF comment", "More comments",
                f"{comments - MAX_COMMENT_FINDINGS} more", "more hidden text; all removed"))
        trailer = len(data) - layout.trailer_end
        if trailer > 0:
            result.findings.append(describe_trailer(data[layout.trailer_end:], layout.trailer_end))
        return result

    @staticmethod
    def _finding(data: bytes, block: Block) -> Finding | list[Finding] | None:
        if block.kind == "comment":
            text = sub_block_data(data, block.data_start, block.end, limit=4096)
            return Finding(Category.HIDDEN, "GIF comment", "Comment",
                           text.decode("latin-1"), "free text hidden in the file")
        if block.kind == "text":
            text = sub_block_data(data, block.data_start + 13, block.end, limit=4096)
            return Finding(Category.OTHER, "GIF plain text", "Plain text overlay",
                           text.decode("latin-1"), "text stored beside the picture; removed")
        if block.kind == "ext":
            return Finding(Category.UNKNOWN, "GIF extension",
                           f"Unknown extension 0x{block.label:02x}",
                           f"{block.end - block.start} bytes", "data we cannot interpret; removed")
        if block.kind != "app":
            return None
        app = block.app_id.decode("latin-1")
        if block.app_id in LOOP_APPS:
            return Finding(Category.KEPT, "GIF application extension", "Animation loop", app,
                           "how often the animation repeats; kept",
                           identifying=False, removable=False)
        if block.app_id[:8] == ICC_APP:
            return Finding(Category.KEPT, "GIF application extension", "Colour profile",
                           f"{block.end - block.start} bytes",
                           "needed to show colours correctly; kept",
                           identifying=False, removable=False)
        if block.app_id == XMP_APP:
            return xmp_findings(xmp_packet(data, block), where="GIF XMP")
        return Finding(Category.UNKNOWN, "GIF application extension",
                       f"Application data {app!r}", f"{block.end - block.start} bytes",
                       "data an application stored in the file; removed")

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        data, layout = self._parse(src)
        result = StripResult()
        removed: dict[str, int] = {}
        out.write(data[: layout.header_end])
        blocks = layout.blocks
        for block in blocks:
            if _is_kept(block):
                out.write(data[block.start : block.end])
            else:
                label = {"comment": "comment", "text": "plain-text extension",
                         "ext": "unknown extension"}.get(block.kind)
                if label is None:
                    app = block.app_id.decode("latin-1")
                    label = "XMP block" if block.app_id == XMP_APP else f"{app} extension"
                removed[label] = removed.get(label, 0) + 1
        out.write(bytes([TRAILER]))
        result.removed.extend(f"{n} x {name}" if n > 1 else name for name, n in removed.items())
        trailer = len(data) - layout.trailer_end
        if trailer > 0:
            result.removed.append(f"{trailer} bytes after the end of the image")
        if any(b.app_id in LOOP_APPS for b in blocks):
            result.kept.append("animation loop setting")
        if any(b.app_id[:8] == ICC_APP for b in blocks):
            result.kept.append("colour profile")
        return result


HANDLERS = [GifHandler()]
