"""The one in-place patch engine: copy a file to a stream with a few byte ranges rewritten.

Containers cleaned "in place" (ISO-BMFF ``free`` boxes, Matroska ``Void``, AVI ``JUNK``,
filler NAL units inside video samples) keep every byte offset, so a clean copy is the
input with edits applied: ranges zeroed, short byte strings written over the input, and
possibly an earlier end (a trailer cut off). A :class:`Plan` lists those edits;
:func:`write_plan` streams the copy in one sequential pass, letting the kernel copy
(``copy_file_range``: no round trip through Python, a reflink on filesystems that have
them) the long stretches no edit touches. A 1 GB movie is never held in memory, and a
clean copy costs about what copying the file costs.

Edits may overlap: zeroed ranges are applied first, then byte patches in offset order.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

COPY_CHUNK = 4 * 1024 * 1024
#: untouched stretches shorter than this are copied through Python with their neighbours
#: (one copy_file_range call per small gap would cost more than it saves)
KERNEL_MIN = 1024 * 1024


@dataclass(frozen=True)
class Patch:
    """Replace ``length`` bytes at ``offset`` by ``head`` followed by zero bytes."""

    offset: int
    length: int
    head: bytes = b""

    def __post_init__(self) -> None:
        if len(self.head) > self.length or self.offset < 0:
            raise ValueError("patch head longer than the patch")


@dataclass
class Plan:
    """How to turn the input into the clean output: zeroed ranges, byte patches, new end."""

    end: int
    zero: list[tuple[int, int]] = field(default_factory=list)
    patches: list[tuple[int, bytes]] = field(default_factory=list)

    def zero_range(self, start: int, stop: int) -> None:
        if stop > start:
            self.zero.append((start, stop))

    def patch(self, offset: int, data: bytes) -> None:
        if data:
            self.patches.append((offset, bytes(data)))

    def replace(self, p: Patch) -> None:
        """Apply a :class:`Patch` (its head, then zeros to its length)."""
        self.patch(p.offset, p.head)
        self.zero_range(p.offset + len(p.head), p.offset + p.length)

    def touches(self, start: int, stop: int) -> bool:
        """True when some edit already changes a byte of ``[start, stop)``."""
        return any(a < stop and start < b for a, b in self.zero) or any(
            o < stop and start < o + len(d) for o, d in self.patches)


def merged(ranges: Iterable[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    """Sorted, disjoint ranges covering ``ranges`` (joining those less than ``gap`` apart)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if b <= a:
            continue
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def write_plan(fh: BinaryIO, out: BinaryIO, plan: Plan, chunk: int = COPY_CHUNK) -> int:
    """Stream ``fh[0:plan.end]`` to ``out`` with ``plan`` applied; returns bytes written."""
    end = plan.end
    zeros = merged((a, min(b, end)) for a, b in plan.zero if a < end)
    patches = sorted(((o, d) for o, d in plan.patches if o < end), key=lambda p: (p[0], p[1]))
    dirty = merged([*zeros, *((o, min(o + len(d), end)) for o, d in patches)], KERNEL_MIN)
    editor = _Editor(zeros, patches)
    pos = 0
    for a, b in [*dirty, (end, end)]:
        _copy_range(fh, out, pos, a - pos, chunk)
        while a < b:
            n = min(chunk, b - a)
            out.write(editor.bytes_for(fh, a, a + n))
            a += n
        pos = b
    return end


class _Editor:
    """Produces the output bytes of an edited stretch, reading the input only when needed."""

    def __init__(self, zeros: list[tuple[int, int]], patches: list[tuple[int, bytes]]) -> None:
        self.zeros = zeros
        self.zero_ends = [b for _, b in zeros]
        self.patches = patches
        self.patch_starts = [o for o, _ in patches]
        self.longest = max((len(d) for _, d in patches), default=0)

    def bytes_for(self, fh: BinaryIO, lo: int, hi: int) -> bytes | bytearray:
        j = bisect_right(self.zero_ends, lo)
        k0 = bisect_right(self.patch_starts, lo - self.longest)
        k1 = bisect_left(self.patch_starts, hi)
        if (j < len(self.zeros) and self.zeros[j][0] <= lo and self.zeros[j][1] >= hi
                and not any(o + len(d) > lo for o, d in self.patches[k0:k1])):
            return bytes(hi - lo)  # a blank stretch: nothing to read
        fh.seek(lo)
        buf = bytearray(fh.read(hi - lo))
        if len(buf) != hi - lo:
            raise CorruptFile(N_("the file was cut short while being copied"))
        while j < len(self.zeros) and self.zeros[j][0] < hi:
            a, b = max(self.zeros[j][0], lo), min(self.zeros[j][1], hi)
            buf[a - lo : b - lo] = bytes(b - a)
            j += 1
        for off, data in self.patches[k0:k1]:
            a, b = max(off, lo), min(off + len(data), hi)
            if b > a:
                buf[a - lo : b - lo] = data[a - off : b - off]
        return buf


# -- fixed-length patches (Matroska Void, AVI JUNK) ---------------------------------------

def check_patches(patches: Sequence[Patch], size: int) -> list[Patch]:
    """Sorted patches; overlapping or out-of-file patches are a programming error."""
    ordered = sorted(patches, key=lambda p: p.offset)
    end = 0
    for p in ordered:
        if p.offset < end or p.offset + p.length > size:
            raise ValueError("overlapping or out-of-file patches")
        end = p.offset + p.length
    return ordered


def copy_with_patches(src: BinaryIO, size: int, out: BinaryIO, patches: Sequence[Patch]) -> None:
    """Write ``size`` bytes of ``src`` to ``out`` with ``patches`` applied."""
    plan = Plan(end=size)
    for p in check_patches(patches, size):
        plan.replace(p)
    write_plan(src, out, plan)


# -- copying untouched stretches ---------------------------------------------------------

def _copy_range(src: BinaryIO, out: BinaryIO, offset: int, count: int, chunk: int) -> None:
    if count <= 0:
        return
    if count >= KERNEL_MIN and _kernel_copy(src, out, offset, count, chunk):
        return
    src.seek(offset)
    _copy_plain(src, out, count, chunk)


def _kernel_copy(src: BinaryIO, out: BinaryIO, offset: int, count: int, chunk: int) -> bool:
    """Let the kernel copy (copy_file_range) where it can; False when it cannot start."""
    if not hasattr(os, "copy_file_range"):
        return False
    try:
        sfd, ofd = src.fileno(), out.fileno()
        out.flush()
        start = out.tell()
    except (AttributeError, OSError, ValueError):
        return False
    done = 0
    try:
        while done < count:
            n = os.copy_file_range(sfd, ofd, count - done, offset + done, start + done)
            if n == 0:
                raise OSError("the file shrank while being copied")
            done += n
    except OSError:
        if not done:
            out.seek(start)
            return False
        # continue the rest the ordinary way from where the kernel stopped
        out.seek(start + done)
        src.seek(offset + done)
        _copy_plain(src, out, count - done, chunk)
        return True
    out.seek(start + done)
    return True


def _copy_plain(src: BinaryIO, out: BinaryIO, count: int, chunk: int) -> None:
    buf = bytearray(min(chunk, max(count, 1)))
    view = memoryview(buf)
    while count > 0:
        n = src.readinto(view[: min(count, len(buf))])  # type: ignore[attr-defined]
        if not n:
            raise CorruptFile(N_("the file was cut short while being copied"))
        out.write(view[:n])
        count -= n
