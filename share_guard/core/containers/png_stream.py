"""The zlib streams of PNG image data (IDAT, and each APNG frame's fdAT chunks).

A decoder inflates a stream until the picture's scanlines are complete and stops there:
bytes after the end of the zlib stream, and scanlines inflated beyond the picture's size,
are never shown, so they are a place to hide data. :func:`examine` inflates a stream
(counting, not keeping, the bytes) and says where it really ends; :func:`clean_stream`
cuts what follows the end, or, when the stream itself holds more than the picture
(or never ends), compresses the picture's own scanlines again, which leaves every
pixel as it was.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from share_guard.core.containers.content_memo import ContentMemo
from share_guard.core.errors import ExportRefused, LimitExceeded
from share_guard.core.i18n import N_, message

_STEP = 1 << 22  # inflate in slices of this many bytes (bounded memory)
#: largest picture whose scanlines are compressed again (when its stream holds extra data)
MAX_RECOMPRESS = 512 * 1024 * 1024
#: zlib level used when a stream has to be compressed again
LEVEL = 6
#: most scanline bytes one file's image data may inflate to (bounded time for a zlib bomb)
MAX_INFLATED = 1536 * 1024 * 1024



@dataclass(frozen=True)
class StreamInfo:
    end: int  # offset just after the zlib stream (len(stream) when it never ends)
    ended: bool  # the stream reached its end (and its checksum matched)
    inflated: int  # scanline bytes it gives, counted up to expected + 1
    problem: str = ""

    def clean(self, size: int, expected: int) -> bool:
        """True when the stream gives exactly ``expected`` bytes and ends at ``size``."""
        return not self.problem and self.ended and self.end == size and self.inflated == expected

    def describe(self, size: int, expected: int) -> str:
        """Plain words for what is wrong ("" when clean)."""
        if self.problem:
            return self.problem
        if self.inflated > expected:
            return "more scanlines than the picture has"
        if not self.ended:
            return "a compressed stream without an end"
        if self.end < size:
            return f"{size - self.end} bytes after the end of the compressed data"
        return ""


#: what each stream was found to be, by content: the walks of one file (its findings, its
#: clean, then the copy's findings and byte proof) inflate the same image data once
_EXAMINED: ContentMemo[StreamInfo] = ContentMemo(64, ())


def examine(stream: bytes | memoryview, expected: int) -> StreamInfo:
    """Inflate ``stream`` (bounded) and say where it ends and how much it gives."""
    return _EXAMINED.get(bytes(stream), expected, _examine)


def _examine(stream: bytes, expected: int) -> StreamInfo:
    if len(stream) < 2 or stream[0] & 15 != 8 or stream[0] >> 4 > 7 or stream[1] & 0x20 \
            or (stream[0] << 8 | stream[1]) % 31:
        return StreamInfo(0, False, 0, "image data that is not a zlib stream")
    inflater = zlib.decompressobj()
    rest: bytes | memoryview = stream
    total = 0
    try:
        while rest and not inflater.eof and total <= expected:
            total += len(inflater.decompress(rest, min(_STEP, expected + 1 - total)))
            rest = inflater.unconsumed_tail
        while not inflater.eof and total <= expected:
            out = inflater.decompress(b"", min(_STEP, expected + 1 - total))
            if not out:
                break
            total += len(out)
    except zlib.error:
        return StreamInfo(0, False, total, "damaged compressed image data")
    if total < expected:
        return StreamInfo(0, False, total, "image data that is cut short")
    if inflater.eof:
        return StreamInfo(len(stream) - len(inflater.unused_data), True, total)
    return StreamInfo(len(stream), False, total)


def clean_stream(stream: bytes, expected: int, info: StreamInfo | None = None) -> bytes:
    """The stream as a clean copy holds it: exactly the picture's scanlines, nothing after."""
    info = info or examine(stream, expected)
    if info.problem:
        raise ExportRefused(message(N_("cannot clean this PNG with confidence: {problem}"),
                                    problem=info.problem))
    if info.clean(len(stream), expected):
        return stream
    if info.ended and info.inflated == expected:
        return stream[: info.end]
    if expected > MAX_RECOMPRESS:
        raise LimitExceeded(N_("the PNG's image data holds extra data and is too large to "
                            "compress again"))
    raw = zlib.decompressobj().decompress(stream, expected)
    return zlib.compress(raw[:expected], LEVEL)
