"""Crash-safe output: temp files in the destination folder, synced, then published by name.

A failed, cancelled or killed export leaves no partial file under a final name. Temp files
carry the writer's PID in their name, and while a writer has any, a marker in the data
folder names the folders they are in, so the next start removes any a crash left.

Copies written together are published together (:class:`Staging`): each is written to its
temp file and verified; then all are synced at once (their ``fsync`` calls run side by
side, so the file system commits them in one go instead of one journal commit per file),
published by a hard link (never over another file) and each folder synced once. A
crash at any moment leaves either a temp file or a complete copy; :func:`atomic_output`
is a batch of one.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from share_guard.core.errors import ExportRefused, OutputError
from share_guard.core.i18n import N_, message

TEMP_PREFIX = ".sg-"
TEMP_SUFFIX = ".tmp"
#: files synced side by side when a batch is published
SYNC_THREADS = 8
#: a copy of at least this much data is synced while it is written and verified (a 1 GB
#: movie takes about as long to reach the disk as to copy: side by side, the two overlap);
#: smaller copies are synced with the rest of their batch, in one journal commit
EARLY_SYNC_BYTES = 64 << 20
#: seconds between two syncs of a large copy while it is written
EARLY_SYNC_EVERY = 0.05


def _pending_dir(data_dir: Path | None) -> Path | None:
    if data_dir is None:
        return None
    path = data_dir / "pending-temp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def check_destination(dest: Path, *, overwrite: bool) -> None:
    """Raise :class:`OutputError` when ``dest`` cannot be written safely."""
    folder = dest.parent
    if not folder.exists():
        raise OutputError(message(N_("output folder does not exist: {folder}"), folder=folder))
    if not folder.is_dir():
        raise OutputError(message(N_("output folder is not a folder: {folder}"), folder=folder))
    if os.path.islink(dest):
        raise OutputError(message(N_("refusing to write through a symbolic link: {name}"), name=dest.name))
    if dest.exists():
        if not overwrite:
            raise OutputError(message(N_("{name} already exists (use overwrite to replace it)"),
                                      name=dest.name))
        if not stat.S_ISREG(os.stat(dest, follow_symlinks=False).st_mode):
            raise OutputError(message(N_("{name} exists and is not a regular file"), name=dest.name))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(message(N_("output folder is not writable: {folder}"), folder=folder))


class _Counted(io.FileIO):
    """A file that tells ``written(n)`` of the bytes written to it."""

    def __init__(self, fd: int, written: Callable[[int], None] | None) -> None:
        super().__init__(fd, "r+", closefd=True)
        self._written = written

    def write(self, data: Any, /) -> int:
        n = super().write(data)
        if n and self._written is not None:
            self._written(n)
        return n


class _EarlySync:
    """A large copy synced as it is written: a thread writes back what has been written so
    far (``fdatasync`` every :data:`EARLY_SYNC_EVERY` seconds) until :meth:`wait`, then
    ``fsync`` once more. It works on a duplicate of the descriptor, which it closes."""

    def __init__(self, fd: int) -> None:
        import threading

        self.error: OSError | None = None
        self._fd = os.dup(fd)
        self._written = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sg-early-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        partial = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have no fdatasync
        try:
            while not self._written.wait(EARLY_SYNC_EVERY):
                partial(self._fd)
            os.fsync(self._fd)
        except OSError as exc:
            self.error = exc
        finally:
            os.close(self._fd)

    def written(self) -> None:
        """The copy is complete: the next sync is the last."""
        self._written.set()

    def wait(self) -> None:
        """Wait for the last sync; raise what a sync raised."""
        self.written()
        self._thread.join()
        if self.error is not None:
            raise self.error


@dataclass
class _Staged:
    fd: int
    temp: Path
    dest: Path
    overwrite: bool
    early: _EarlySync | None = None


class Staging:
    """Temp files of one batch of copies: scratch files (always removed) and outputs, which
    :meth:`publish` makes appear under their names. One marker for the whole batch."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self._marker: Path | None = None
        self._folders: set[Path] = set()
        self._staged: list[_Staged] = []

    # -- the marker: which folders this process may leave temp files in
    def _note(self, folder: Path) -> None:
        if folder in self._folders:
            return
        pending = _pending_dir(self.data_dir)
        if pending is not None:
            if self._marker is None:
                self._marker = pending / f"{os.getpid()}-{secrets.token_hex(6)}"
            with open(self._marker, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(os.fspath(folder)) + "\n")  # escaped: one line each
        self._folders.add(folder)

    @contextlib.contextmanager
    def _temp(self, folder: Path) -> Iterator[tuple[int, Path]]:
        """A new private temp file in ``folder`` (never through a link): (fd, path)."""
        self._note(folder)
        temp = folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{TEMP_SUFFIX}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
            | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(temp, flags, 0o600)
        except OSError as exc:
            raise OutputError(message(N_("cannot write in {folder}: {strerror}"),
                                      folder=folder, strerror=exc.strerror)) from exc
        yield fd, temp

    @contextlib.contextmanager
    def scratch(self, folder: Path, written: Callable[[int], None] | None = None,
                ) -> Iterator[tuple[BinaryIO, Path]]:
        """A private intermediate file in ``folder``, always deleted afterwards;
        ``written(n)`` hears of every ``n`` bytes that reach it."""
        with self._temp(folder) as (fd, temp):
            try:
                with io.BufferedRandom(_Counted(fd, written)) as fh:
                    yield fh, temp
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)

    @contextlib.contextmanager
    def output(self, dest: Path, *, overwrite: bool = False,
               verify: Callable[[Path], None] | None = None, size: int = 0,
               ) -> Iterator[BinaryIO]:
        """A binary file that :meth:`publish` makes appear at ``dest``. ``verify(temp)``
        runs on the complete temp file; raising there (or in the ``with`` body) discards it.
        ``size``: about how large the copy will be (a large one is synced as it is written)."""
        dest = Path(dest)
        check_destination(dest, overwrite=overwrite)
        with self._temp(dest.parent) as (fd, temp):
            staged = False
            early: _EarlySync | None = None
            try:
                if size >= EARLY_SYNC_BYTES:
                    early = _EarlySync(fd)
                with os.fdopen(os.dup(fd), "wb") as fh:
                    yield fh
                if early is not None:
                    early.written()
                if verify is not None:
                    verify(temp)
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temp, 0o666 & ~umask)
                self._staged.append(_Staged(fd, temp, dest, overwrite, early))
                staged = True
            finally:
                if not staged:
                    if early is not None:
                        with contextlib.suppress(OSError):
                            early.wait()
                    os.close(fd)
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(temp)

    @property
    def staged(self) -> list[Path]:
        """Destinations written and verified, waiting for :meth:`publish`."""
        return [s.dest for s in self._staged]

    def publish(self) -> list[OutputError | None]:
        """Sync every staged copy, then give each its name; one entry per staged copy, in
        order: None when it was published, else why not (its temp file is removed)."""
        staged, self._staged = self._staged, []
        problems: list[OutputError | None] = list(_sync_all(staged))
        for i, s in enumerate(staged):
            if problems[i] is None:
                try:
                    _publish(s.temp, s.dest, s.overwrite)
                except OutputError as exc:
                    problems[i] = exc
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.temp)
        for folder in dict.fromkeys(s.dest.parent for s in staged):
            _fsync_dir(folder)
        return problems

    def discard(self) -> None:
        """Remove the staged copies without publishing them."""
        staged, self._staged = self._staged, []
        for s in staged:
            os.close(s.fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.temp)

    def close(self) -> None:
        """Discard what was not published and remove the marker."""
        self.discard()
        if self._marker is not None:
            self._marker.unlink(missing_ok=True)
            self._marker = None
        self._folders.clear()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sync_all(staged: list[_Staged]) -> Iterator[OutputError | None]:
    """fsync each staged file (side by side when there are several) and close it."""
    def sync(s: _Staged) -> OutputError | None:
        try:
            if s.early is not None:
                s.early.wait()
            else:
                os.fsync(s.fd)
            return None
        except OSError as exc:  # e.g. the disk filled up while the data was written back
            return OutputError(message(N_("cannot write {name}: {strerror}"),
                                       name=s.dest.name, strerror=exc.strerror))
        finally:
            os.close(s.fd)

    if len(staged) <= 1:
        yield from map(sync, staged)
        return
    from concurrent.futures import ThreadPoolExecutor  # (loads logging: not at start-up)

    with ThreadPoolExecutor(min(SYNC_THREADS, len(staged)), thread_name_prefix="sg-sync") as ex:
        yield from ex.map(sync, staged)


@contextlib.contextmanager
def atomic_output(dest: Path, *, overwrite: bool = False, data_dir: Path | None = None,
                  verify: Callable[[Path], None] | None = None, size: int = 0,
                  ) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it appears at ``dest`` atomically, else nowhere.

    ``verify(temp_path)`` runs on the complete temp file before it is synced and published;
    raising there discards it.
    """
    with Staging(data_dir) as staging:
        with staging.output(dest, overwrite=overwrite, verify=verify, size=size) as fh:
            yield fh
        [problem] = staging.publish()
        if problem is not None:
            raise problem


def _publish(temp: Path, dest: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, dest)
        return
    # Hard link refuses to clobber an existing name atomically; fall back where
    # the file system has no hard links (FAT, some network shares).
    try:
        os.link(temp, dest)
    except FileExistsError:
        raise OutputError(message(N_("{name} appeared while writing; not overwritten"),
                                  name=dest.name)) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise OutputError(message(N_("cannot write {name}: {strerror}"),
                                      name=dest.name, strerror=exc.strerror)) from exc
        if dest.exists():
            raise OutputError(message(N_("{name} appeared while writing; not overwritten"),
                                      name=dest.name)) from None
        os.replace(temp, dest)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _temp_pid(name: str) -> int | None:
    if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
        return None
    head = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _temps_in(folder: Path, pid: int | None = None) -> list[Path]:
    with contextlib.suppress(OSError):
        return [p for p in folder.iterdir() if (found := _temp_pid(p.name)) is not None
                and (pid is None or found == pid)]
    return []


def remove_stale_temps(data_dir: Path | None = None, folders: list[Path] | None = None) -> int:
    """Delete temp files left by writers that are no longer running. Returns the count."""
    candidates: list[Path] = []
    pending = _pending_dir(data_dir)
    if pending is not None:
        for marker in pending.iterdir():
            owner = marker.name.split("-", 1)[0]
            if owner.isdigit() and _pid_alive(int(owner)):
                continue
            with contextlib.suppress(OSError, ValueError):
                for line in marker.read_text(encoding="utf-8").splitlines():
                    if line.startswith('"'):  # a folder the writer had temp files in
                        if owner.isdigit():
                            candidates.extend(_temps_in(Path(json.loads(line)), int(owner)))
                    elif line.strip():  # one temp file (markers of earlier versions)
                        candidates.append(Path(line.strip()))
            marker.unlink(missing_ok=True)
    for folder in folders or []:
        candidates.extend(_temps_in(folder))
    removed = 0
    for temp in dict.fromkeys(candidates):
        pid = _temp_pid(temp.name)
        if pid is None or _pid_alive(pid):
            continue
        try:
            if not temp.is_symlink() and temp.is_file():
                temp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def scratch_file(folder: Path, data_dir: Path | None = None) -> Iterator[tuple[BinaryIO, Path]]:
    """A private intermediate file in ``folder`` that is always deleted afterwards."""
    with Staging(data_dir) as staging, staging.scratch(folder) as pair:
        yield pair


def output_limit(data: int) -> int:
    """The most a clean copy of a file holding ``data`` bytes may take: cleaning removes
    and zeroes, so a copy never needs much more than its original (headers written anew,
    a PNG's scanlines compressed again)."""
    return data + max(data // 8, 1 << 20)


class BoundedOutput:
    """A stream over ``raw`` that refuses to let the file grow past ``limit`` bytes, checked
    at every write and seek (a cleaner that amplifies its input is stopped while writing,
    not after), and tells ``written(n)`` how many bytes went out (progress for the watchdog).
    Kernel copies (``copy_file_range`` on :meth:`fileno`) are counted when the writer seeks
    past them, and :meth:`check` looks at the file's real size at the end."""

    def __init__(self, raw: BinaryIO, limit: int, written: Callable[[int], None] | None = None,
                 ) -> None:
        self._raw, self.limit, self._written = raw, limit, written
        self._end = raw.tell()

    def _grow(self, end: int) -> None:
        if end > self.limit:
            raise ExportRefused(message(N_("the clean copy grew past {limit} bytes, much more than its "
                                           "original holds; refused"),
                                        limit=f"{self.limit:,}"))
        if end > self._end:
            if self._written is not None:
                self._written(end - self._end)
            self._end = end

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._grow(self._raw.tell() + len(data))
        return self._raw.write(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        pos = self._raw.seek(offset, whence)
        self._grow(pos)
        return pos

    def tell(self) -> int:
        return self._raw.tell()

    def flush(self) -> None:
        self._raw.flush()

    def fileno(self) -> int:
        return self._raw.fileno()

    def check(self) -> None:
        """Raise when the file is larger than allowed (whoever wrote it)."""
        self._raw.flush()
        self._grow(os.fstat(self._raw.fileno()).st_size)
