"""The contract every container module fulfils (one module per container).

A handler reads a :class:`Source` (read-only, size-bounded) and either
*inspects* it (findings, problems, properties) or *strips* it into a binary
stream opened by the export pipeline. Stripping removes segments, chunks,
boxes or items; it never re-encodes pixels, audio or video.

Handlers are discovered automatically: any module in this package that
defines ``HANDLERS = [SomeHandler(), ...]`` is registered (see ``__init__``).
"""

from __future__ import annotations

import errno
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, TypeVar

from share_guard.core.containers.ledger import Ledger
from share_guard.core.errors import CorruptFile, LimitExceeded
from share_guard.core.i18n import N_, message
from share_guard.core.report import Finding

#: Largest still image we read into memory whole (bytes).
MAX_IMAGE_BYTES = 512 * 1024 * 1024

T = TypeVar("T")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading; refuses what is not a regular file (a FIFO would block
    forever, a device never end)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, N_("not a regular file (a pipe, device or socket)"))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Source:
    """A read-only view of an input file. The original is never opened for writing."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        with self.open() as fh:
            st = os.fstat(fh.fileno())
            self.size = st.st_size
            #: when the file was last changed, as read now (export compares it with the report's)
            self.mtime_ns = st.st_mtime_ns
            #: every later open must find this same file (another renamed over it is refused)
            self._inode = (st.st_dev, st.st_ino)
            self.head = fh.read(4096)
        self._data: bytes | None = None
        #: scratch space where a handler may cache its parse between inspect and strip
        self.cache: dict[str, Any] = {}
        #: False skips costly extra checks that only add detail (e.g. decoding a
        #: thumbnail to compare it with the photo); findings that decide what is
        #: removed are always produced
        self.thorough = True

    def open(self) -> BinaryIO:
        """Open for reading; refuses what is not a regular file (a FIFO would block forever),
        and a file that is not the one this Source first opened (swapped by a rename)."""
        fh = open_regular(self.path)
        if hasattr(self, "_inode"):
            st = os.fstat(fh.fileno())
            if (st.st_dev, st.st_ino) != self._inode:
                fh.close()
                raise CorruptFile(N_("the file changed while it was read; check it again"))
        return fh

    def read_all(self, limit: int = MAX_IMAGE_BYTES) -> bytes:
        """The whole file, refusing anything larger than ``limit`` bytes."""
        if self._data is None:
            if self.size > limit:
                raise LimitExceeded(
                    message(N_("file is {size} MB, more than the {limit} MB allowed for this format"),
                            size=f"{self.size / 1e6:.0f}", limit=f"{limit / 1e6:.0f}")
                )
            with self.open() as fh:
                self._data = fh.read(limit + 1)
            if len(self._data) > limit:
                raise LimitExceeded(N_("file grew while being read"))
        return self._data

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """The parse a handler keeps under ``key``, built on first use (inspect and strip share it)."""
        if key not in self.cache:
            self.cache[key] = build()
        result: T = self.cache[key]
        return result

    def parsed(self, key: str, parse: Callable[[bytes], T]) -> tuple[bytes, T]:
        """The whole file (see :meth:`read_all`) and its parse by ``parse``, cached under ``key``."""
        data = self.read_all()
        return data, self.cached(key, lambda: parse(data))


@dataclass
class Inspection:
    """What a handler found in a container."""

    findings: list[Finding] = field(default_factory=list)
    #: reasons a clean export would not be confident (fail closed)
    problems: list[str] = field(default_factory=list)
    #: width, height, orientation (EXIF 1-8), duration, frames, codecs...
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class StripResult:
    """What the cleaner removed and what it kept on purpose (plain words)."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class FormatHandler(ABC):
    """One container format."""

    name: ClassVar[str]  # "jpeg"
    kind: ClassVar[str]  # "image" | "video"
    mime: ClassVar[str]  # "image/jpeg"
    extensions: ClassVar[tuple[str, ...]]  # (".jpg", ".jpeg") first is preferred
    #: lower runs first when sniffing; specific brands before generic ones
    priority: ClassVar[int] = 50
    #: True when `strip` can produce a lossless clean copy of this container
    can_strip: ClassVar[bool] = True
    #: True when :meth:`account` proves clean copies byte by byte (verification runs it)
    accounts: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, head: bytes) -> bool:
        """True when the first bytes (up to 4096) are this container."""

    @abstractmethod
    def inspect(self, src: Source) -> Inspection:
        """Parse ``src`` (bounded) and return what it gives away.

        Raise :class:`~share_guard.core.errors.CorruptFile` (one-line message)
        when the file cannot be parsed at all.
        """

    @abstractmethod
    def strip(self, src: Source, out: BinaryIO) -> StripResult:
        """Write a copy of ``src`` without identifying metadata to ``out``.

        Must refuse (raise CorruptFile/ExportRefused) rather than write
        anything it does not understand.
        """

    def account(self, src: Source) -> Ledger:
        """Walk a clean copy written by :meth:`strip` and file every byte range of it in a
        :class:`~share_guard.core.containers.ledger.Ledger` (written from parsed fields,
        scrubbed payload that an index references, or blank filler), independently of the
        code that wrote it. The export pipeline closes the ledger before publishing."""
        raise CorruptFile(message(N_("clean {name} copies cannot be accounted for byte by byte"),
                                  name=self.name))
