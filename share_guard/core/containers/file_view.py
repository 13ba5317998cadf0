"""A file's bytes by index and slice, read where asked: headers cheaply, payloads never.

The in-place video cleaners walk element headers, block headers and the first bytes of
each coded unit; what lies between (the picture data, nearly all of a movie) is neither
read nor copied. Short reads come from a few cached blocks (a cluster's block headers and
the NAL length fields after them sit close together and are touched more than once: the
cluster's children are listed, then each block is walked; a movie's sample headers and
the NAL length fields in them); long slices are one ``pread``. The Matroska walkers and the
MP4/HEIF ones (``bmff_boxes.mapped``) read files through it.
"""

from __future__ import annotations

import os
from typing import BinaryIO, overload

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

#: the read function (a test counts the bytes read through it)
pread = os.pread


class FileView:
    """Random access to the ``size`` bytes of ``fh`` (offsets are file offsets)."""

    BLOCK = 4096
    #: cached blocks; dropped all at once when full (a cluster's headers fit)
    KEEP = 64
    #: slices up to this long come from the cached blocks
    SHORT = 256

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh, self.size = fh, size
        try:
            self.fd: int | None = fh.fileno()
        except (OSError, AttributeError, ValueError):  # an in-memory file (tests)
            self.fd = None
        self._blocks: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self.size

    def _read(self, start: int, n: int) -> bytes:
        if self.fd is not None:
            return pread(self.fd, n, start)
        self.fh.seek(start)
        return self.fh.read(n)

    def _block(self, at: int) -> bytes:
        block = self._blocks.get(at)
        if block is None:
            if len(self._blocks) >= self.KEEP:
                self._blocks.clear()
            block = self._blocks[at] = self._read(at, min(self.BLOCK, self.size - at))
        return block

    def _short(self, start: int, stop: int) -> bytes:
        at = start - start % self.BLOCK
        if stop <= at + self.BLOCK:
            return self._block(at)[start - at : stop - at]
        return self._block(at)[start - at :] + self._block(at + self.BLOCK)[: stop - at - self.BLOCK]

    @overload
    def __getitem__(self, key: int) -> int: ...

    @overload
    def __getitem__(self, key: slice) -> bytes: ...

    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, slice):
            start, stop = key.start, key.stop
            if (key.step is not None or start is None or stop is None or start < 0
                    or stop > self.size):
                start, stop, step = key.indices(self.size)
                if step != 1:
                    raise ValueError("a file view is read in order")
            if stop <= start:
                return b""
            if stop - start <= self.SHORT:
                at = start - start % self.BLOCK
                block = self._blocks.get(at)
                data = (block[start - at : stop - at] if block is not None and stop - at <= len(block)
                        else self._short(start, stop))
            else:
                data = self._read(start, stop - start)
            if len(data) != stop - start:
                raise CorruptFile(N_("the file was cut short while being read"))
            return data
        if not 0 <= key < self.size:
            raise IndexError("offset outside the file")
        at = key - key % self.BLOCK
        block = self._block(at)
        if key - at >= len(block):
            raise CorruptFile(N_("the file was cut short while being read"))
        return block[key - at]


#: bytes in memory, or a file read on demand
View = FileView | bytes | bytearray | memoryview
