"""The bytes that were checked are the bytes that are exported.

A report records what it saw: the file's SHA-256 (hashed as it is inspected, streaming, in
the worker that reads it) and its identity (device, inode, size, modification and change
times). Consent is asked about that report; by the time the copy is written the file may
have been replaced by other content of the same size with its modification time put back.
:func:`check_unchanged` refuses the export then: "the file changed after it was checked;
check it again".

Hashing again at export would read a 2 GB video a second time. It is not needed where the
file system keeps a change time (Linux, macOS): that time moves on every write, rename over
and ``utime`` and no program can set it back, so a file whose identity is the report's has
not changed. Only where it differs (a ``chmod``, a copy put back) or cannot be trusted
(Windows reports the creation time instead) is the file hashed again and compared.

Large files are not hashed at all where the change time is kept (:func:`hashed`): a 1 GB
video's hash cost a second, a third of its whole clean. Their identity alone decides, so
one whose change time moved since it was checked (even a ``chmod``) is refused with "check
it again" instead of being read again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from share_guard.core.containers.base import open_regular
from share_guard.core.errors import ExportRefused
from share_guard.core.progress import CancelToken, ProgressFn, no_progress
from share_guard.core.report import Report

CHANGED = "the file changed after it was checked; check it again"
#: Windows' st_ctime is the creation time: it does not move when the file is written
CHANGE_TIME_KEPT = os.name != "nt"
CHUNK = 4 * 1024 * 1024
ALGORITHM = "sha256"
#: files larger than this are fingerprinted by their identity only (see the module's notes)
HASH_UP_TO = 64 * 1024 * 1024


@dataclass(frozen=True)
class Identity:
    """Which file, and when it last changed in any way."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return self.device, self.inode, self.size, self.mtime_ns, self.ctime_ns


def identity(path: str | os.PathLike[str]) -> Identity:
    return Identity.of(os.stat(path))


def hashed(size: int) -> bool:
    """True when a file of ``size`` bytes is hashed when checked (small files, or where the
    change time cannot be trusted)."""
    return size <= HASH_UP_TO or not CHANGE_TIME_KEPT


def digest(path: str | os.PathLike[str], progress: ProgressFn = no_progress,
           cancel: CancelToken | None = None) -> str:
    """``sha256:HEX`` of the file's bytes, read in chunks (hashlib releases the GIL)."""
    h = hashlib.new(ALGORITHM)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    done = 0
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        while True:
            n = fh.readinto(buf)  # type: ignore[attr-defined]
            if not n:
                break
            h.update(view[:n])
            done += n
            if cancel is not None:
                cancel.check()
            progress(min(done / max(size, 1), 1.0), "reading")
    return f"{ALGORITHM}:{h.hexdigest()}"


class BackgroundDigest:
    """:func:`digest` on a thread, so the hash overlaps the parse and the content checks
    (hashlib and file reads release the GIL): on 2 GB of video the hash costs about 1.5 s
    alone, which the face search hides. :meth:`result` waits for it, reporting progress."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.done = 0
        self.value: str | None = None
        self.error: BaseException | None = None
        self._stop = CancelToken()
        self._thread = threading.Thread(target=self._run, name="sg-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.value = digest(self.path, self._count, self._stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self.error = exc

    def _count(self, fraction: float, _text: str) -> None:
        self.done = int(fraction * 1000)

    def stop(self) -> None:
        self._stop.cancel()
        self._thread.join()

    def result(self, progress: ProgressFn = no_progress,
               cancel: CancelToken | None = None) -> str | None:
        """The digest, or None when the file could not be read to the end."""
        try:
            while self._thread.is_alive():
                self._thread.join(0.25)
                progress(self.done / 1000, "reading the file")
                if cancel is not None:
                    cancel.check()
        finally:
            self.stop()
        return self.value if self.error is None else None


def check_unchanged(report: Report, *, cancel: CancelToken | None = None,
                    progress: ProgressFn = no_progress) -> Identity | None:
    """Refuse (:class:`ExportRefused`) when the file at ``report.path`` is not the one the
    report describes; returns its identity now, for the check after writing
    (:func:`check_same`). None for a report that recorded nothing (made by hand in tests)."""
    if report.digest is None and report.mtime_ns is None:
        return None
    now = identity(report.path)
    if report.digest is None:
        if report.identity is not None:  # a large file: its identity alone decides
            if now.as_tuple() != report.identity:
                raise ExportRefused(CHANGED)
        elif (now.size, now.mtime_ns) != (report.size, report.mtime_ns):
            raise ExportRefused(CHANGED)  # made without a fingerprint: size and time hold
        return now
    if CHANGE_TIME_KEPT and report.identity is not None and now.as_tuple() == report.identity:
        return now  # not written, renamed over or re-timed since: no need to read it again
    if now.size != report.size or digest(report.path, progress, cancel) != report.digest:
        raise ExportRefused(CHANGED)
    return now


def check_same(path: str | os.PathLike[str], before: Identity, recorded_digest: str | None,
               cancel: CancelToken | None = None) -> None:
    """After the copy was written, before it is published: the file read is still the one
    checked (nothing wrote to it, renamed another over it or put its time back meanwhile)."""
    now = identity(path)
    if now != before:
        raise ExportRefused(CHANGED)
    if not CHANGE_TIME_KEPT and recorded_digest is not None:
        if digest(path, cancel=cancel) != recorded_digest:
            raise ExportRefused(CHANGED)
