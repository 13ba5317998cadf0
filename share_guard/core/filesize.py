"""How many bytes of a file hold data: the size budgets follow, not the size a file claims.

A sparse file can claim 20 GB while 4 KB of it are on disk; the rest are holes that read as
zeros. Time and output allowed for a file follow the bytes that hold data (found with
``SEEK_DATA``/``SEEK_HOLE`` where the system has them), so such a file gets the time its
few real bytes need, and a clean copy may not fill a disk with the zeros of its holes.
"""

from __future__ import annotations

import errno
import os

#: data regions looked at before counting the rest of the file as data (bounded time)
MAX_REGIONS = 4096


def allocated_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of ``path`` the disk holds (its blocks, at most its size), without opening it:
    what the parent sizes a worker's budget by (only the sandbox opens a file to be
    checked; the worker counts :func:`data_bytes` itself). 0 if it cannot be found."""
    try:
        st = os.stat(path)
    except OSError:
        return 0
    blocks = getattr(st, "st_blocks", None)
    return st.st_size if blocks is None else min(st.st_size, blocks * 512)


def data_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of ``path`` outside holes (its size where holes cannot be told; 0 if unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return 0
    try:
        return fd_data_bytes(fd)
    finally:
        os.close(fd)


def fd_data_bytes(fd: int) -> int:
    """As :func:`data_bytes`, for an open file (its offset moves)."""
    try:
        size = os.fstat(fd).st_size
    except OSError:
        return 0
    seek_data, seek_hole = getattr(os, "SEEK_DATA", None), getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None or size == 0:
        return size
    total, pos = 0, 0
    try:
        for _ in range(MAX_REGIONS):
            try:
                start = os.lseek(fd, pos, seek_data)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # nothing but a hole from here to the end
                    return total
                raise
            end = os.lseek(fd, start, seek_hole)
            total += end - start
            pos = end
            if pos >= size:
                return min(total, size)
    except OSError:  # no hole support on this file system (or a pipe): all data
        return size
    return min(total + size - pos, size)  # too many regions: the rest counts as data
