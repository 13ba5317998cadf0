"""Crash-safe output: temp file in the destination folder, fsync, atomic rename.

A failed, cancelled or killed export leaves no partial file under the final
name. Temp files carry the writer's PID in their name and are listed in the
data folder while they exist, so the next start removes any a crash left.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from share_guard.core.errors import OutputError

TEMP_PREFIX = ".sg-"
TEMP_SUFFIX = ".tmp"


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
        raise OutputError(f"output folder does not exist: {folder}")
    if not folder.is_dir():
        raise OutputError(f"output folder is not a folder: {folder}")
    if os.path.islink(dest):
        raise OutputError(f"refusing to write through a symbolic link: {dest.name}")
    if dest.exists():
        if not overwrite:
            raise OutputError(f"{dest.name} already exists (use overwrite to replace it)")
        if not stat.S_ISREG(os.stat(dest, follow_symlinks=False).st_mode):
            raise OutputError(f"{dest.name} exists and is not a regular file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {folder}")


@contextlib.contextmanager
def atomic_output(dest: Path, *, overwrite: bool = False, data_dir: Path | None = None,
                  verify: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it appears at ``dest`` atomically, else nowhere.

    ``verify(temp_path)`` runs on the complete, synced temp file before it is
    published; raising there discards it.
    """
    dest = Path(dest)
    check_destination(dest, overwrite=overwrite)
    with _temp_file(dest.parent, data_dir, "wb") as (fh, temp):
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        if verify is not None:
            verify(temp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        _publish(temp, dest, overwrite)
        _fsync_dir(dest.parent)


@contextlib.contextmanager
def _temp_file(folder: Path, data_dir: Path | None, mode: str) -> Iterator[tuple[BinaryIO, Path]]:
    """A new private temp file in ``folder`` (never through a link), listed in the data
    folder while it exists, and removed on the way out unless it was renamed away."""
    token = secrets.token_hex(6)
    temp = folder / f"{TEMP_PREFIX}{os.getpid()}-{token}{TEMP_SUFFIX}"
    pending = _pending_dir(data_dir)
    marker = pending / f"{os.getpid()}-{token}" if pending else None
    if marker is not None:
        marker.write_text(str(temp), encoding="utf-8")
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temp, flags, 0o600)
    except OSError as exc:
        if marker is not None:
            marker.unlink(missing_ok=True)
        raise OutputError(f"cannot write in {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh, temp  # type: ignore[misc]
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        if marker is not None:
            marker.unlink(missing_ok=True)


def _publish(temp: Path, dest: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, dest)
        return
    # Hard link refuses to clobber an existing name atomically; fall back where
    # the file system has no hard links (FAT, some network shares).
    try:
        os.link(temp, dest)
    except FileExistsError:
        raise OutputError(f"{dest.name} appeared while writing; not overwritten") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise OutputError(f"cannot write {dest.name}: {exc.strerror}") from exc
        if dest.exists():
            raise OutputError(f"{dest.name} appeared while writing; not overwritten") from None
        os.replace(temp, dest)
        return
    os.unlink(temp)


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


def remove_stale_temps(data_dir: Path | None = None, folders: list[Path] | None = None) -> int:
    """Delete temp files left by writers that are no longer running. Returns the count."""
    removed = 0
    candidates: list[Path] = []
    pending = _pending_dir(data_dir)
    if pending is not None:
        for marker in pending.iterdir():
            owner = marker.name.split("-", 1)[0]
            if owner.isdigit() and _pid_alive(int(owner)):
                continue
            with contextlib.suppress(OSError):
                candidates.append(Path(marker.read_text(encoding="utf-8").strip()))
            marker.unlink(missing_ok=True)
    for folder in folders or []:
        with contextlib.suppress(OSError):
            candidates.extend(p for p in folder.iterdir() if _temp_pid(p.name) is not None)
    for temp in candidates:
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
    with _temp_file(folder, data_dir, "w+b") as pair:
        yield pair
