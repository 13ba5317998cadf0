"""AAC raw data blocks: the fill and data-stream elements before the channel data.

An AAC frame may carry fill elements (ID_FIL), whose extension payload decoders skip, and
data-stream elements (ID_DSE), whose bytes decoders skip; libavcodec writes its name and
version in a fill element opening its first frame ("Lavc62.28.102"), other encoders and
tools whatever they like. Every such element before the channel data is found from the
first bytes alone (:func:`leading`) and rewritten at the same bit length: fill as plain
fill (extension type EXT_FILL, bytes 0xA5), data-stream bytes as zeros. Finding elements
after the channel data would need a full AAC parse (Huffman-coded spectra): they are not
reached.
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


# -- every element before the channel data ----------------------------------------------------

ID_DSE, ID_FIL = 4, 6
#: elements walked at the start of a frame (a frame of nothing but fill is bounded too)
MAX_LEADING = 16


def _bits(frame: bytes, pos: int, n: int) -> int:
    """``n`` bits of ``frame`` from bit ``pos`` (most significant first)."""
    first, last = pos // 8, (pos + n + 7) // 8
    value = int.from_bytes(frame[first:last], "big")
    return (value >> (8 * (last - first) - (pos - 8 * first) - n)) & ((1 << n) - 1)


def leading(frame: bytes) -> list[tuple[int, int, int]]:
    """(element ID, first bit of its data, data bits) of each fill (ID_FIL) and data-stream
    (ID_DSE) element that comes before the channel data of an AAC raw data block. Decoders
    skip both by their counts; encoders write their name in them (libavcodec "Lavc..."),
    anyone can write anything."""
    out: list[tuple[int, int, int]] = []
    pos, total = 0, 8 * len(frame)
    while len(out) < MAX_LEADING and pos + 7 <= total:
        eid = _bits(frame, pos, 3)
        if eid == ID_FIL:
            count, p = _bits(frame, pos + 3, 4), pos + 7
            if count == 15:
                if p + 8 > total:
                    break
                count, p = count + _bits(frame, p, 8) - 1, p + 8
        elif eid == ID_DSE:
            if pos + 16 > total:
                break
            align, count, p = _bits(frame, pos + 7, 1), _bits(frame, pos + 8, 8), pos + 16
            if count == 255:
                if p + 8 > total:
                    break
                count, p = count + _bits(frame, p, 8), p + 8
            if align:
                p = -(-p // 8) * 8  # byte_alignment() counts from the start of the block
        else:
            break
        if p + 8 * count > total:
            break
        out.append((eid, p, 8 * count))
        pos = p + 8 * count
    return out


def neutral(frame: bytes) -> bytes:
    """``frame`` with the data of its leading fill elements made plain fill (0xA5 bytes) and
    of its leading data-stream elements zeroed, same size (libfaac's banner, which decoders
    act on, kept)."""
    out = frame
    for eid, start, bits in leading(frame):
        if not bits:
            continue
        if eid == ID_FIL:
            if decoder_reads(frame, (start, bits)):
                continue
            out = splice(out, start, bits, neutral_fill(bits))
        else:
            out = splice(out, start, bits, 0)
    return out


def may_hold_data(first: int) -> bool:
    """Whether a frame starting with byte ``first`` opens with a fill or data element."""
    return first >> 5 in (ID_DSE, ID_FIL)


# -- the decoder configuration (AudioSpecificConfig) ---------------------------------------------

#: object types whose configuration is a GASpecificConfig (AAC main, LC, SSR, LTP, scalable,
#: TwinVQ, ER AAC...)
_GA = frozenset({1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23})
#: error-resilient object types: an epConfig follows
_ER = frozenset({17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39})


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.total = data, 0, 8 * len(data)

    def take(self, n: int) -> int:
        if self.pos + n > self.total:
            raise ValueError("cut short")
        value = _bits(self.data, self.pos, n)
        self.pos += n
        return value

    def peek(self, n: int) -> int:
        return _bits(self.data, self.pos, n) if self.pos + n <= self.total else -1

    def object_type(self) -> int:
        aot = self.take(5)
        return 32 + self.take(6) if aot == 31 else aot

    def frequency(self) -> None:
        if self.take(4) == 15:
            self.take(24)


def config_length(asc: bytes) -> int | None:
    """Bytes of an AudioSpecificConfig a decoder reads (ISO/IEC 14496-3 1.6.2.1, with the
    backward-compatible SBR/PS signalling after it), or None when it holds something this
    does not walk (a program config element, error protection): then it is kept whole.
    What follows the length is read by no decoder (FFmpeg looks for the 0x2B7 sync word
    there, which zeros never spell)."""
    r = _Bits(asc)
    try:
        aot = r.object_type()
        r.frequency()
        channels = r.take(4)
        if aot in (5, 29):
            r.frequency()
            aot = r.object_type()
            if aot == 22:
                channels = r.take(4)
        if aot not in _GA or channels == 0:
            return None
        r.take(1)  # frame length flag
        if r.take(1):  # depends on core coder
            r.take(14)
        extension = r.take(1)
        if aot in (6, 20):
            r.take(3)
        if extension:
            if aot == 22:
                r.take(16)
            if aot in (17, 19, 20, 23):
                r.take(3)
            r.take(1)
        if aot in _ER and r.take(2) in (2, 3):
            return None
        if r.total - r.pos >= 16 and r.peek(11) == 0x2B7:
            r.take(11)
            ext = r.object_type()
            if ext == 5 and r.take(1):
                r.frequency()
                if r.total - r.pos >= 12 and r.peek(11) == 0x548:
                    r.take(12)
            elif ext == 22 and r.take(1):
                r.frequency()
                r.take(4)
    except ValueError:
        return None
    return -(-r.pos // 8)
