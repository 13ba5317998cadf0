"""The clean GIF, written block by block from parsed fields.

Kept: the header; the logical screen descriptor (sort bit cleared, no background index
without a global table); colour tables with every entry no pixel or the global background
index uses set to black (a transparent index no pixel uses names a colour never drawn: a
row of control blocks naming entries that held a text kept it; a grey-ramp table, which
says nothing, stays as it is: Pillow reads such a table as greyscale); the one graphic
control extension that precedes an image, exactly 4 bytes with their reserved bits cleared
(two before one image, or an image outside the logical screen, are refused: decoders
disagree on them); image descriptors (reserved and
sort bits cleared) with their LZW data cut at the end of the picture and ended with the
end-of-information code, in full 255-byte sub-blocks; the first NETSCAPE2.0/ANIMEXTS1.0
loop count (exactly 3 bytes) and the first ICCRGBG1 colour profile, made neutral. All
other extensions, and anything after the trailer, are left out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from share_guard.core.containers.gif_lzw import Lzw, rebuild, sub_blocks, walk
from share_guard.core.errors import ExportRefused, LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.icc import IccError, neutral_profile

if TYPE_CHECKING:
    from share_guard.core.containers.gif import Block, GifLayout

LOOP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
ICC_APP = b"ICCRGBG1012"
#: most LZW data one file may hold (the walk checks it code by code: bounded time)
MAX_STREAM = 128 * 1024 * 1024


def table_size(flags: int) -> int:
    return 3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0


def joined(data: bytes, start: int, end: int) -> bytes:
    """The payload of the sub-blocks in data[start:end] (stops at the terminator)."""
    out = bytearray()
    pos = start
    while pos < end and data[pos]:
        out += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
        if len(out) > MAX_STREAM:
            raise LimitExceeded(N_("the GIF holds too much image data to check"))
    return bytes(out)


@dataclass
class Frame:
    block: Block
    descriptor: bytes  # the 9 bytes after 0x2C
    table: bytes  # local colour table ("" for none)
    min_size: int
    stream: bytes
    lzw: Lzw

    @property
    def size(self) -> tuple[int, int]:
        return struct.unpack("<HH", self.descriptor[4:8])


@dataclass
class Analysis:
    frames: dict[int, Frame] = field(default_factory=dict)  # block index -> frame
    #: global colour table indices no entry may be cleared for (the background)
    protected: set[int] = field(default_factory=set)
    #: graphic control blocks that act on a frame (the one before it); those after the last
    #: frame are dropped. Two before one frame are a problem: the format allows one, and
    #: decoders disagree (Pillow takes the transparency of the first, browsers the last's)
    governing: set[int] = field(default_factory=set)
    global_used: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def analyse(data: bytes, layout: GifLayout) -> Analysis:
    result = Analysis()
    if data[10] & 0x80:
        result.protected.add(data[11])
    total = 0
    pending: list[int] = []  # graphic control blocks since the last frame
    for i, block in enumerate(layout.blocks):
        if block.kind == "gce":
            # (one before a plain-text block stays: decoders that skip the text, as the copy
            # will, apply it to the next frame)
            pending.append(i)
        if block.kind != "image":
            continue
        descriptor = data[block.start + 1 : block.start + 10]
        table = data[block.start + 10 : block.data_start - 1]
        left, top, w, h = struct.unpack("<HHHH", descriptor[:8])
        if left + w > layout.width or top + h > layout.height:
            result.problems.append(N_("GIF has a frame outside the picture's area (viewers "
                                      "disagree on whether it is shown)"))
        if len(pending) > 1:
            result.problems.append(N_("GIF has two control blocks for one frame (viewers "
                                      "disagree on which applies)"))
        result.governing.update(pending)
        pending = []
        stream = joined(data, block.data_start, block.end)
        total += len(stream)
        if total > MAX_STREAM:
            raise LimitExceeded(N_("the GIF holds too much image data to check"))
        lzw = walk(stream, data[block.data_start - 1], w * h)
        if lzw.problem:
            result.problems.append(message(N_("GIF has {problem}"), problem=lzw.problem))
        frame = Frame(block, descriptor, table, data[block.data_start - 1], stream, lzw)
        result.frames[i] = frame
        if not table:
            result.global_used.update(k for k, u in enumerate(lzw.used) if u)
    return result


def is_grey_ramp(table: bytes) -> bool:
    return all(table[k] == table[k + 1] == table[k + 2] == k // 3 for k in range(0, len(table), 3))


def cleared(table: bytes, used: set[int], protected: set[int]) -> bytes:
    """``table`` with every entry nothing uses set to black."""
    if is_grey_ramp(table):
        return table
    out = bytearray(table)
    for k in range(len(table) // 3):
        if k not in used and k not in protected:
            out[3 * k : 3 * k + 3] = b"\x00\x00\x00"
    return bytes(out)


def frame_used(frame: Frame) -> set[int]:
    return {k for k, u in enumerate(frame.lzw.used) if u}


def screen(data: bytes) -> bytes:
    """Header and logical screen descriptor from their fields."""
    flags = data[10] & 0xF7
    background = data[11] if flags & 0x80 else 0
    return data[:10] + bytes([flags, background, data[12]])


def gce(body: bytes) -> bytes:
    """A graphic control extension from the first 4 bytes of its data."""
    packed = body[0] & 0x1F
    transparent = body[3] if packed & 1 else 0
    return b"\x21\xf9\x04" + bytes([packed]) + body[1:3] + bytes([transparent, 0])


def image(frame: Frame, table: bytes) -> bytes:
    d = frame.descriptor
    head = b"\x2c" + d[:8] + bytes([d[8] & 0xC7]) + table + bytes([frame.min_size])
    return head + sub_blocks(rebuild(frame.stream, frame.lzw))


def loop(app_id: bytes, body: bytes) -> bytes | None:
    if len(body) < 3 or body[0] != 1:
        return None
    return b"\x21\xff\x0b" + app_id + b"\x03\x01" + body[1:3] + b"\x00"


def icc(profile: bytes) -> bytes:
    return b"\x21\xff\x0b" + ICC_APP + sub_blocks(profile)


@dataclass
class Cleaned:
    out: bytearray = field(default_factory=bytearray)
    removed: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    def drop(self, label: str) -> None:
        self.removed[label] = self.removed.get(label, 0) + 1


def clean_gif(data: bytes, layout: GifLayout, analysis: Analysis) -> Cleaned:
    if analysis.problems:
        raise ExportRefused(message(N_("cannot clean this GIF with confidence: {problems}"),
                                    problems=analysis.problems[0]))
    res = Cleaned(bytearray(screen(data)))
    res.out += cleared(data[13 : layout.header_end], analysis.global_used, analysis.protected)
    last_image = max(analysis.frames)
    seen_loop = seen_icc = False
    for i, block in enumerate(layout.blocks):
        sub = data[block.data_start : block.end]
        if block.kind == "image":
            frame = analysis.frames[i]
            table = cleared(frame.table, frame_used(frame), set())
            res.out += image(frame, table)
        elif block.kind == "gce":
            if i not in analysis.governing or not sub or sub[0] < 4:
                res.drop("graphic control block no image follows" if i > last_image
                         else "malformed graphic control block")
                continue
            res.out += gce(sub[1:5])
        elif block.kind == "app" and block.app_id in LOOP_APPS and not seen_loop:
            kept = loop(block.app_id, joined(data, block.data_start, block.end))
            if kept is None:
                res.drop("malformed animation loop block")
                continue
            seen_loop = True
            res.out += kept
            res.kept.append(N_("animation loop setting"))
        elif block.kind == "app" and block.app_id == ICC_APP and not seen_icc:
            seen_icc = True
            try:
                res.out += icc(neutral_profile(joined(data, block.data_start, block.end)))
                res.kept.append(N_("colour profile (its text made neutral)"))
            except IccError as exc:
                res.drop(f"colour profile ({exc})")
        else:
            res.drop(_label(block))
    res.out += b"\x3b"
    return res


def _label(block: Block) -> str:
    if block.kind == "app":
        if block.app_id == b"XMP DataXMP":
            return "XMP block"
        return f"{block.app_id.decode('latin-1')} extension"
    return {"comment": "comment", "text": "plain-text extension"}.get(
        block.kind, "unknown extension")
