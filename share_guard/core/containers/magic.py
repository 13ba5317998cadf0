"""Which handler a file's first bytes belong to, without importing any handler.

:func:`~share_guard.core.containers.detect` picks a handler from the first bytes of a
file. Importing every handler module to ask each one costs a few tenths of a second, more
than checking one small photo, so this table names each handler (its name, its priority
and the module that defines it) with a test of the first bytes that answers exactly as
the handler's own ``sniff``; only the module of the handler that matches is imported. The
tests check the table against the handlers themselves (``tests/test_magic.py``): a new
handler module needs a line here.

Imports nothing of ours but what every file needs anyway.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

#: major brands of an ISO-BMFF file that is a HEIF/AVIF picture
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2",
               b"avif", b"avis", b"avio", b"MiHE", b"MiHB")
#: brands that belong to other handlers or formats that merely share the box layout
NOT_MOVIE_BRANDS = {*HEIF_BRANDS, b"jpgs", b"crx ", b"jp2 ", b"jpx ", b"jpm ", b"mjp2"}
#: first box types of a QuickTime movie written without 'ftyp'
QT_FIRST_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
#: the major brands each movie handler claims (prefixes; b"" claims every movie brand)
MOVIE_BRANDS: dict[str, tuple[bytes, ...]] = {
    "mov": (b"qt  ",),
    "3gp": (b"3gp", b"3g2", b"3ge", b"3gg", b"3gs", b"3gr"),
    "m4v": (b"M4V",),
    "mp4": (b"",),
}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def movie_brand(head: bytes) -> bytes | None:
    """The major brand of an 'ftyp' movie, b'qt  ' for ftyp-less QuickTime, else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        major = head[8:12]
        return None if major in NOT_MOVIE_BRANDS else major
    if len(head) >= 8 and head[4:8] in QT_FIRST_BOXES and head[:4] != b"\x00\x00\x00\x00":
        return b"qt  "
    return None


def is_heif(head: bytes) -> bool:
    """True for the 'ftyp' of a HEIF/AVIF picture."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = min(struct.unpack(">I", head[:4])[0], len(head))
    brands = [head[i : i + 4] for i in range(8, size - 3, 4) if i != 12]
    if not brands:
        return False
    if brands[0] in HEIF_BRANDS:
        return True
    return b"mif1" in brands and brands[0] not in (b"qt  ", b"isom", b"mp41", b"mp42")


def _movie(name: str) -> Callable[[bytes], bool]:
    brands = MOVIE_BRANDS[name]

    def sniff(head: bytes) -> bool:
        brand = movie_brand(head)
        return brand is not None and brand.startswith(brands)

    return sniff


def _ebml_doctype(head: bytes) -> str | None:
    if not head.startswith(EBML_MAGIC):
        return None
    # an EBML file is read by the Matroska module anyway: its header reader decides
    from share_guard.core.containers.matroska import doctype_of

    return doctype_of(head)


class Magic(NamedTuple):
    """One handler as the sniffer sees it."""

    name: str  # the handler's ``name``
    priority: int  # the handler's ``priority`` (lower is asked first)
    module: str  # the module under share_guard.core.containers that defines it
    sniff: Callable[[bytes], bool]  # answers as the handler's ``sniff``


#: every handler, in the order :func:`~share_guard.core.containers.detect` asks them
TABLE: tuple[Magic, ...] = tuple(sorted((
    Magic("jpeg", 10, "jpeg", lambda h: h[:3] == b"\xff\xd8\xff"),
    Magic("gif", 20, "gif", lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    Magic("heif", 20, "heif", is_heif),
    Magic("png", 20, "png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    Magic("webp", 20, "webp", lambda h: len(h) >= 12 and h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    Magic("tiff", 30, "tiff", lambda h: h[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")),
    Magic("webm", 39, "matroska", lambda h: _ebml_doctype(h) == "webm"),
    Magic("mkv", 40, "matroska", lambda h: h.startswith(EBML_MAGIC) and _ebml_doctype(h) != "webm"),
    Magic("avi", 40, "avi", lambda h: h[:4] == b"RIFF" and h[8:12] == b"AVI "),
    Magic("mov", 40, "mp4", _movie("mov")),
    Magic("3gp", 40, "mp4", _movie("3gp")),
    Magic("m4v", 40, "mp4", _movie("m4v")),
    Magic("mp4", 45, "mp4", _movie("mp4")),
), key=lambda m: (m.priority, m.name)))

BY_NAME = {m.name: m for m in TABLE}


def sniff(head: bytes) -> Magic | None:
    """The first handler (in priority order) whose first bytes ``head`` are, or None."""
    for magic in TABLE:
        if magic.sniff(head):
            return magic
    return None
