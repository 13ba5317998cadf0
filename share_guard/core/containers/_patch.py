"""Copy a file to a stream while overwriting a few byte ranges (same length).

Containers cleaned "in place" (Matroska Void, AVI JUNK) keep every byte
offset, so cleaning is a plain copy with patches: as fast as copying the file,
and every audio/video byte is untouched by construction.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

from share_guard.core.containers.base import FormatHandler, Inspection, Source, StripResult
from share_guard.core.errors import ExportRefused
from share_guard.core.report import Category, Finding

CHUNK = 8 * 1024 * 1024


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
class PatchPlan:
    """What an in-place parse found, and the patches that clean the file."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    patches: list[Patch] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def find(self, category: Category, where: str, name: str, value: str, why: str,
             identifying: bool = True) -> None:
        self.findings.append(Finding(category, where, name, value, why, identifying=identifying))

    def remove(self, what: str) -> None:
        """Name ``what`` once among what cleaning removes."""
        if what not in self.removed:
            self.removed.append(what)


class PatchingHandler(FormatHandler):
    """A container cleaned by copying it with :class:`PatchPlan` patches applied."""

    kind: ClassVar[str] = "video"
    #: what every clean copy keeps, in plain words
    always_kept: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def plan(self, src: Source) -> PatchPlan:
        """The (cached) parse of ``src``."""

    def kept(self, plan: PatchPlan) -> list[str]:
        return list(self.always_kept)

    def inspect(self, src: Source) -> Inspection:
        p = self.plan(src)
        return Inspection(list(p.findings), list(p.problems), dict(p.properties))

    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        p = self.plan(src)
        if p.problems:
            raise ExportRefused(f"not cleaned with confidence: {p.problems[0]}")
        with src.open() as fh:
            copy_with_patches(fh, src.size, out, p.patches)
        return StripResult(removed=list(p.removed), kept=self.kept(p))


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
    pos = 0
    for p in check_patches(patches, size):
        _copy_range(src, out, pos, p.offset - pos)
        out.write(p.head)
        _write_zeros(out, p.length - len(p.head))
        pos = p.offset + p.length
    _copy_range(src, out, pos, size - pos)


def _write_zeros(out: BinaryIO, count: int) -> None:
    block = bytes(min(count, CHUNK))
    while count > 0:
        n = min(count, len(block))
        out.write(block[:n])
        count -= n


def _copy_range(src: BinaryIO, out: BinaryIO, offset: int, count: int) -> None:
    if count <= 0 or _kernel_copy(src, out, offset, count):
        return
    src.seek(offset)
    _copy_range_plain(src, out, count)


def _kernel_copy(src: BinaryIO, out: BinaryIO, offset: int, count: int) -> bool:
    """Let the kernel copy (copy_file_range: no round trip through Python) where it can."""
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
        if done:
            # continue the rest the ordinary way from where the kernel stopped
            out.seek(start + done)
            src.seek(offset + done)
            _copy_range_plain(src, out, count - done)
            return True
        out.seek(start)
        return False
    out.seek(start + done)
    return True


def _copy_range_plain(src: BinaryIO, out: BinaryIO, count: int) -> None:
    buf = bytearray(min(CHUNK, max(count, 1)))
    view = memoryview(buf)
    while count > 0:
        n = src.readinto(view[: min(count, len(buf))])  # type: ignore[attr-defined]
        if not n:
            raise OSError("the file shrank while being copied")
        out.write(view[:n])
        count -= n
