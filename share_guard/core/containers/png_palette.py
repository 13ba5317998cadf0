"""Palette entries of an indexed PNG that no pixel uses (a place to hide data).

Which colour indices the picture (and each APNG frame) uses is found by decoding each
image-data stream on its own, as a small indexed PNG, through Pillow under the usual
limits; the histogram of its indices says which entries are used. Entries nothing uses
(and that are not the background index) are set to black in PLTE and to 0 in tRNS:
every decoded pixel stays the same.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import TYPE_CHECKING

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_

if TYPE_CHECKING:
    from share_guard.core.containers.png_clean import Run
    from share_guard.core.containers.png_fields import Header


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body \
        + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def used_indices(h: Header, runs: list[Run]) -> set[int]:
    """Colour indices the picture and its frames use (raises CorruptFile when one of them
    does not decode)."""
    from PIL import Image

    from share_guard.core.media.images import open_image

    used: set[int] = set()
    grey = bytes(i // 3 for i in range(3 * min(256, 1 << h.depth)))
    for run in runs:
        head = struct.pack(">IIBBBBB", run.width, run.height, h.depth, 3, 0, 0, h.interlace)
        png = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", head) + _chunk(b"PLTE", grey)
               + _chunk(b"IDAT", run.stream()) + _chunk(b"IEND", b""))
        try:
            with open_image(io.BytesIO(png), formats=["PNG"]) as img:
                img.load()
                counts = img.histogram()
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
            raise CorruptFile(N_("PNG image data that does not decode")) from None
        used.update(i for i, n in enumerate(counts[:256]) if n)
    return used


def cleared(table: bytes, width: int, used: set[int], keep: set[int], fill: int = 0) -> bytes:
    """``table`` of ``width``-byte entries with every entry not in ``used | keep`` set to
    ``fill`` bytes."""
    out = bytearray(table)
    for i in range(len(table) // width):
        if i not in used and i not in keep:
            out[i * width : (i + 1) * width] = bytes([fill]) * width
    return bytes(out)


def kept_indices(chunks: list[tuple[bytes, bytes]]) -> set[int]:
    """Indices kept whatever the pixels use: the background colour (viewers paint it)."""
    return {body[0] for ctype, body in chunks if ctype == b"bKGD" and len(body) >= 1}
