"""Byte accounting: proof that every byte of a clean copy is one we can answer for.

Before a clean copy is published, its container's ``account`` walks the *output*
(independently of the code that wrote it) and files every byte range in a
:class:`Ledger` as one of three classes:

* ``written``: a structure share_guard wrote from parsed, validated fields (a PNG
  ``IHDR``, a JPEG quantisation table, an ICC header with its text made neutral);
* ``payload``: coded data that an index or item references and that was scrubbed of
  in-band metadata (JPEG scan data, a video sample, an image item's tiles);
* ``zeroed``: filler whose every byte is the format's neutral fill (zeros, or 0xFF
  fill bytes before a JPEG marker).

:meth:`Ledger.close` then proves the ranges cover the file exactly once. A gap, an
overlap or a filler that is not blank fails the export with the place named, so a
hiding place nobody thought of fails closed instead of leaking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from share_guard.core.errors import ExportRefused
from share_guard.core.i18n import N_, message


class ByteClass(StrEnum):
    WRITTEN = "written"
    PAYLOAD = "payload"
    ZEROED = "zeroed"


#: a file split into more accounted ranges than this is refused (bounded memory)
MAX_SPANS = 4_000_000


class Unaccounted(ExportRefused):
    """The clean copy holds bytes that are not accounted for; the message names where."""


@dataclass
class Accounting:
    """Bytes of a clean copy by class (``--json`` reports it)."""

    size: int
    written: int = 0
    payload: int = 0
    zeroed: int = 0

    def to_json(self) -> dict[str, int]:
        return {"size": self.size, "written": self.written, "payload": self.payload,
                "zeroed": self.zeroed}


@dataclass
class Ledger:
    """Accounted ranges of one file of ``size`` bytes (offsets absolute in that file)."""

    size: int
    #: (start, end, class, what); kept coalesced where consecutive ranges share a class
    spans: list[tuple[int, int, ByteClass, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    # -- filing ranges -----------------------------------------------------------------
    def written(self, start: int, end: int, what: str) -> None:
        self._add(start, end, ByteClass.WRITTEN, what)

    def payload(self, start: int, end: int, what: str) -> None:
        self._add(start, end, ByteClass.PAYLOAD, what)

    def zeroed(self, data: bytes | bytearray | memoryview, start: int, end: int, what: str,
               fill: int = 0, base: int = 0) -> None:
        """File ``data[start-base:end-base]`` as filler after checking every byte is ``fill``
        (``base``: the file offset ``data`` starts at, for a buffer holding part of a file)."""
        chunk = bytes(data[start - base : end - base])
        if len(chunk) != end - start or chunk.count(fill) != len(chunk):
            first = next((i for i, b in enumerate(chunk) if b != fill), 0)
            self.refuse(start + first, end, what, N_("filler that is not blank"))
            return
        self._add(start, end, ByteClass.ZEROED, what)

    def refuse(self, start: int, end: int, what: str, why: str) -> None:
        """Record a range that cannot be accounted for (the export will fail)."""
        if len(self.problems) < 16:
            self.problems.append(message(N_("{why} at bytes {start}-{end} ({what})"),
                                         why=why, start=start, end=end, what=what))

    def _add(self, start: int, end: int, cls: ByteClass, what: str) -> None:
        if not 0 <= start <= end <= self.size:
            self.refuse(start, end, what, N_("a range outside the file"))
            return
        if start == end:
            return
        if self.spans:
            s0, e0, c0, w0 = self.spans[-1]
            if e0 == start and c0 is cls:
                self.spans[-1] = (s0, end, c0, w0)
                return
        if len(self.spans) >= MAX_SPANS:
            self.refuse(start, end, what, N_("too many separate ranges to account for"))
            return
        self.spans.append((start, end, cls, what))

    # -- proving -----------------------------------------------------------------------
    def close(self) -> Accounting:
        """Totals by class, or :class:`Unaccounted` naming the first place that fails."""
        if self.problems:
            raise Unaccounted(message(N_("the clean copy holds bytes share_guard cannot account for: "
                                         "{problems}"),
                                      problems=self.problems[0]))
        self.spans.sort(key=lambda s: (s[0], s[1]))
        totals = Accounting(self.size)
        pos = 0
        previous = "the start of the file"
        for start, end, cls, what in self.spans:
            if start > pos:
                raise Unaccounted(message(N_("the clean copy holds {count} bytes nothing accounts for at "
                                             "bytes {pos}-{start} (after {previous})"),
                                          count=start - pos, pos=pos, start=start, previous=previous))
            if start < pos:
                raise Unaccounted(message(N_("the clean copy has bytes {start}-{min} claimed twice "
                                             "({previous} and {what})"),
                                          start=start, min=min(pos, end), previous=previous, what=what))
            setattr(totals, cls.value, getattr(totals, cls.value) + end - start)
            pos, previous = end, what
        if pos < self.size:
            raise Unaccounted(message(N_("the clean copy holds {count} bytes nothing accounts for at bytes "
                                         "{pos}-{size} (after {previous})"),
                                      count=self.size - pos, pos=pos, size=self.size, previous=previous))
        return totals
