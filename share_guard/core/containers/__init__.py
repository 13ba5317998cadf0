"""Container formats: sniffing by magic bytes and the handler registry.

Each module here defines ``HANDLERS``; they are collected in priority order.
The extension of a file is never trusted: only its bytes decide. Sniffing asks the
static table of :mod:`.magic`, so finding the handler of a file imports only its module.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from share_guard.core.containers.base import FormatHandler, Source
from share_guard.core.containers.magic import BY_NAME, sniff
from share_guard.core.errors import UnsupportedFormat
from share_guard.core.i18n import N_, message

__all__ = ["FormatHandler", "Source", "all_handlers", "detect", "handler_by_name"]


@lru_cache(maxsize=1)
def all_handlers() -> tuple[FormatHandler, ...]:
    """Every handler, in priority order (imports every handler module)."""
    import pkgutil

    found: list[FormatHandler] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        found.extend(getattr(module, "HANDLERS", ()))
    return tuple(sorted(found, key=lambda h: (h.priority, h.name)))


def handler_by_name(name: str) -> FormatHandler:
    """The handler called ``name`` ("jpeg"), importing only its module; KeyError when there
    is none."""
    magic = BY_NAME[name]
    module = importlib.import_module(f"{__name__}.{magic.module}")
    for handler in getattr(module, "HANDLERS", ()):
        if handler.name == name:
            found: FormatHandler = handler
            return found
    raise KeyError(name)


def detect(head: bytes) -> FormatHandler:
    """Pick the handler for a file from its first bytes, or explain why none fits."""
    if not head:
        raise UnsupportedFormat(N_("the file is empty"))
    magic = sniff(head)
    if magic is None:
        raise UnsupportedFormat(describe_unsupported(head))
    return handler_by_name(magic.name)


_KNOWN_OTHER = [
    (b"%PDF", N_("a PDF document")),
    (b"PK\x03\x04", N_("a ZIP archive or office document")),
    (b"BM", N_("a BMP image (not supported yet)")),
    (b"8BPS", N_("a Photoshop document (not supported)")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"ID3", N_("an MP3 audio file (not supported)")),
    (b"fLaC", N_("a FLAC audio file (not supported)")),
    (b"OggS", N_("an Ogg file (not supported)")),
    (b"\x00\x00\x01\xba", N_("an MPEG program stream (not supported)")),
    (b"\x30\x26\xb2\x75", N_("a Windows Media file (not supported)")),
]


def describe_unsupported(head: bytes) -> str:
    for magic, what in _KNOWN_OTHER:
        if head.startswith(magic):
            return message(N_("not a supported photo or video: it is {what}"), what=what)
    sample = head[:512]
    try:
        text = sample.decode("utf-8")
        if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
            return N_("not a photo or video: it looks like a text file")
    except UnicodeDecodeError:
        pass
    return N_("not a supported photo or video format (unrecognised content)")
