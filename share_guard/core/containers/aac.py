"""AAC raw data blocks: the fill element libavcodec opens its first frame with.

An AAC frame may carry fill elements (ID_FIL) whose extension payload decoders skip;
libavcodec writes its name and version there ("Lavc62.28.102"), other encoders theirs. A
fill element that opens a frame (before any channel data) is found from the first bytes
alone and rewritten as plain fill (extension type EXT_FILL, bytes 0xA5) of the same bit
length. Finding fill elements after the channel data would need a full AAC parse: they
are not reached.
"""

from __future__ import annotations

import re


def fill_span(frame: bytes) -> tuple[int, int] | None:
    """(first bit, bit count) of the payload of a fill element that opens an AAC raw data
    block (where libavcodec writes its name), or None when the block starts otherwise."""
    if len(frame) < 2 or frame[0] >> 5 != 6:  # ID_FIL
        return None
    count = (frame[0] >> 1) & 0xF
    start = 7
    if count == 15:
        count += (((frame[0] & 1) << 7) | (frame[1] >> 1)) - 1
        start = 15
    if count <= 0 or (start + 8 * count + 7) // 8 > len(frame):
        return None
    return start, 8 * count


#: fill text a decoder acts on: libavcodec skips libfaac's 1024 priming samples when the
#: first frame names it, so that banner is coded data (removing it changes the sound)
_DECODER_FILL = re.compile(rb"libfaac \d+\.\d+")


def decoder_reads(frame: bytes, span: tuple[int, int]) -> bool:
    return bool(_DECODER_FILL.search(frame[: (span[0] + span[1] + 7) // 8]))


def neutral_fill(bits: int) -> int:
    """An EXT_FILL extension payload of ``bits`` bits: type 0000, nibble 0000, then 0xA5."""
    value = 0
    for _ in range(bits // 8 - 1):
        value = (value << 8) | 0xA5
    return value


def splice(frame: bytes, start: int, bits: int, value: int) -> bytes:
    whole = int.from_bytes(frame, "big")
    total = len(frame) * 8
    shift = total - start - bits
    mask = ((1 << bits) - 1) << shift
    return ((whole & ~mask) | (value << shift)).to_bytes(len(frame), "big")
