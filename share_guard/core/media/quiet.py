"""Decoders say nothing on our streams: stderr holds only share_guard's own lines.

libtiff (inside Pillow) prints every error and warning about a damaged TIFF straight to
the process's stderr ("tempfile.tif: Using code not yet in table."), with no file name of
ours and no prefix, in the middle of a batch's output; Pillow logs some refusals with the
``logging`` module, which Python prints to stderr when nothing is configured. What they
say is not lost to the person: the decode fails and its one-line error reaches the report
("image cannot be decoded: ..."). PyAV keeps FFmpeg's log off by default (level None) and
libheif does not print.

No library offers this switch: Pillow does not expose libtiff's handlers, so they are
cleared through ctypes in the libtiff Pillow loaded (Linux and macOS wheels ship it as a
shared library; where it is linked in statically, as on Windows, nothing is found and
nothing changes).
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading

_lock = threading.Lock()
_done = False

#: loggers of the decoding libraries: their messages are the decode error's business
LOGGERS = ("PIL", "libav", "pillow_heif")


def quiet_decoders() -> None:
    """Silence the decoders' own messages in this process (idempotent, cheap after once)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(logging.NullHandler())
            logger.propagate = False
        for path in _loaded_libtiffs():
            _clear_handlers(path)
        _done = True


def _loaded_libtiffs() -> list[str]:
    """Paths of the libtiff copies mapped into this process (after Pillow's core loads)."""
    try:
        from PIL import _imaging  # noqa: F401 - loads Pillow's libtiff
    except ImportError:
        return []
    if sys.platform == "darwin":
        return _darwin_images()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        path = line.split(maxsplit=5)[5] if len(line.split(maxsplit=5)) == 6 else ""
        name = path.rsplit("/", 1)[-1]
        if name.startswith("libtiff") and ".so" in name and path not in found:
            found.append(path)
    return found


def _darwin_images() -> list[str]:
    try:
        dyld = ctypes.CDLL(None)
        count = dyld._dyld_image_count()
        dyld._dyld_get_image_name.restype = ctypes.c_char_p
        names = [dyld._dyld_get_image_name(i) for i in range(count)]
    except (OSError, AttributeError):
        return []
    return [n.decode() for n in names if n and b"libtiff" in n.rsplit(b"/", 1)[-1]]


def _clear_handlers(path: str) -> None:
    """libtiff calls no handler when none is set: its messages go nowhere."""
    try:
        lib = ctypes.CDLL(path)  # the copy already loaded: the same library, not a new one
        for setter in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
            fn = getattr(lib, setter)
            fn.restype = ctypes.c_void_p
            fn.argtypes = [ctypes.c_void_p]
            fn(None)
    except (OSError, AttributeError):
        return
