"""Laying out a box field by field: the segments both the cleaner and the accounting use.

A layout walks a box front to back with :class:`L` and files each stretch as ``W``
(written: a field kept as read, or one that must hold a wanted value), ``Z`` (blank: must
be zero), ``P`` (payload: coded data) or ``ICC`` (a colour profile); whatever follows the
specified fields is the box's slack, blank. :func:`plan_segments` makes an input box
conform (in place: zero, write wanted values, neutralise profiles) and
:func:`account_segments` proves an output box does. The layouts themselves are in
:mod:`bmff_layout` (movies), :mod:`bmff_entries` (sample descriptions) and
:mod:`heif_layout` (HEIF items and properties).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from share_guard.core.containers.bmff_boxes import Box, Buffer
from share_guard.core.containers.inplace import Plan
from share_guard.core.containers.ledger import Ledger
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata import icc

W, Z, P, ICC = "written", "zeroed", "payload", "icc"
MAX_ENTRIES = 50_000_000


class Seg(NamedTuple):
    """A stretch of a box and what its bytes are (a tuple: a HEIC's boxes make ~500 of
    them per walk, a frozen dataclass took three times as long to make)."""

    start: int
    end: int
    cls: str
    want: bytes | None = None


class L:
    """Builds the segments of one box, front to back; every read is bounded by the box."""

    def __init__(self, buf: Buffer, box: Box, ctx: dict[str, int] | None = None) -> None:
        self.buf, self.box, self.ctx = buf, box, ctx or {}
        self.pos = box.start
        self.segs: list[Seg] = []
        self.header()

    # -- primitives ------------------------------------------------------------------
    def _take(self, n: int, cls: str, want: bytes | None = None) -> int:
        if n < 0 or self.pos + n > self.box.end:
            raise CorruptFile(message(N_("box '{name}' is shorter than its fields"), name=self.box.name))
        start = self.pos
        if n:
            self.segs.append(Seg(start, start + n, cls, want))
        self.pos += n
        return start

    def header(self) -> None:
        self._take(self.box.header, W)

    def w(self, n: int) -> int:
        """``n`` bytes kept as they are; returns their offset."""
        return self._take(n, W)

    def z(self, n: int) -> None:
        self._take(n, Z)

    def p(self, n: int) -> None:
        self._take(n, P)

    def want(self, value: bytes) -> None:
        self._take(len(value), W, value)

    def icc(self, n: int) -> None:
        self._take(n, ICC)

    def uint(self, n: int) -> int:
        value = self.buf.uint(self.pos, n)
        self.w(n)
        return value

    def vf(self, versions: tuple[int, ...] = (0,), mask: int = 0) -> tuple[int, int]:
        """Version (one of ``versions``) and the flags that mean something (``mask``)."""
        version, flags = self.buf.version_flags(self.box)
        if version not in versions:
            raise CorruptFile(message(N_("box '{name}' has an unsupported version {version}"),
                                      name=self.box.name, version=version))
        self.want(bytes([version]) + (flags & mask).to_bytes(3, "big"))
        return version, flags & mask

    def entries(self, count: int, entry: int) -> bytes:
        """The bytes of a table of ``count`` entries at the current position, to check
        before it is laid out (raises CorruptFile when the box cannot hold it)."""
        if count > MAX_ENTRIES or count * entry > self.left:
            raise CorruptFile(message(N_("the table in box '{name}' is larger than the box"),
                                      name=self.box.name))
        return self.buf.get(self.pos, count * entry)

    def table(self, count: int, entry: int) -> None:
        self.entries(count, entry)
        self.w(count * entry)

    def rewind(self, at: int) -> None:
        """Forget the segments from ``at`` on (to lay that stretch out differently)."""
        self.segs = [s for s in self.segs if s.start < at]
        self.pos = at

    @property
    def left(self) -> int:
        return self.box.end - self.pos

    def rest(self, cls: str = Z) -> list[Seg]:
        """The slack after the specified content (blank) and the finished segments."""
        self._take(self.left, cls)
        return self.segs


Layout = Callable[[L], None]


def segments(buf: Buffer, box: Box, layout: Layout, ctx: dict[str, int] | None = None,
             ) -> list[Seg]:
    b = L(buf, box, ctx)
    layout(b)
    return b.rest()


# -- applying a layout --------------------------------------------------------------------

def plan_segments(buf: Buffer, segs: list[Seg], plan: Plan) -> list[Seg]:
    """Edit ``plan`` so the bytes of ``segs`` become what their layout allows; returns the
    segments that changed. Raises IccError for a profile that cannot be kept."""
    changed: list[Seg] = []
    for s in segs:
        if s.cls == Z:
            if any(buf.get(s.start, s.end - s.start)):
                plan.zero_range(s.start, s.end)
                changed.append(s)
        elif s.want is not None:
            if buf.get(s.start, s.end - s.start) != s.want:
                plan.patch(s.start, s.want)
                changed.append(s)
        elif s.cls == ICC:
            data = buf.get(s.start, s.end - s.start)
            clean = icc.neutral_profile(data)
            if clean != data:
                plan.patch(s.start, clean)
                changed.append(s)
    return changed


def account_segments(buf: Buffer, segs: list[Seg], ledger: Ledger, what: str) -> None:
    """File ``segs`` of a clean copy in ``ledger``, checking blanks and wanted values."""
    for s in segs:
        if s.cls == Z:
            ledger.zeroed(buf.data, s.start, s.end, what, base=buf.base)
        elif s.cls == ICC:
            icc.account_icc(buf.get(s.start, s.end - s.start), ledger, s.start, what)
        elif s.want is not None and buf.get(s.start, s.end - s.start) != s.want:
            ledger.refuse(s.start, s.end, what, N_("a field that is not neutral"))
        elif s.cls == P:
            ledger.payload(s.start, s.end, what)
        else:
            ledger.written(s.start, s.end, what)


