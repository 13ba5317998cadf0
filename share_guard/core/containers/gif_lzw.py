"""Walking a GIF frame's LZW code stream without building its pixels.

A decoder stops a frame at its end-of-information code, or once the frame's pixels are
complete; whatever follows inside the data sub-blocks is never read (a place to hide data).
:func:`walk` follows the codes exactly as a decoder does (code widths, the 4096-entry
table, clear codes), counting pixels through each table entry's string length, and notes
which colour indices the frame uses: every string is made of literal codes emitted
earlier, so the literals seen are exactly the indices that appear in the picture.
:func:`rebuild` writes the stream again up to where the picture is complete, ends it with
the end-of-information code and zero padding bits.

Written here because no library reports where a GIF frame's stream ends or which palette
entries it uses; Pillow's decoder only hands out pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_CODE = 4096
#: streams up to this many bytes are walked code by code (numpy's set-up costs more there)
SMALL = 2048


@dataclass
class Lzw:
    """Where a frame's code stream ends and what it uses."""

    stop_bit: int  # where the end code belongs: after the last code the picture needs
    width: int  # code width a decoder reads the next code with
    eoi: int  # the end-of-information code
    pixels: int  # pixels the kept codes give
    used: bytearray  # used[i] == 1 when colour index i appears
    ended_at_stop: bool  # an end code follows exactly at stop_bit
    end_bits: int  # bits up to the end of that end code (or stop_bit when there is none)
    problem: str = ""


def _width(j: int | np.ndarray, clear: int, min_size: int) -> np.ndarray:
    """Code width a decoder reads the ``j``-th code after a clear code with: the table then
    holds clear + 1 + j entries (clear + 2 for the first two codes), and codes widen when
    the table outgrows them, up to 12 bits."""
    import numpy as np

    j = np.asarray(j, dtype=np.int64)
    nxt = np.where(j <= 1, clear + 2, np.minimum(clear + 1 + j, MAX_CODE))
    bits = np.floor(np.log2(nxt)).astype(np.int64) + 1
    return np.maximum(min_size + 1, np.minimum(12, bits))


def walk(data: bytes, min_size: int, want: int) -> Lzw:
    """Follow the codes in ``data`` (the frame's sub-block payload joined) until the end code
    or until ``want`` pixels are complete.

    Vectorised: between two clear codes every code's width is fixed by its position, so a
    batch of codes is cut out at once, and the length of each code's string (pixels) is
    the depth of its entry in the table, found by pointer jumping."""
    import numpy as np  # lazily: the app starts without it

    if not 2 <= min_size <= 11:
        return Lzw(0, 0, 0, 0, bytearray(), False, 0, "an image with an impossible code size")
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    used = bytearray(clear)
    if len(data) <= SMALL:
        return _walk_small(data, min_size, want)
    buf = np.frombuffer(data + bytes(4), dtype=np.uint8).astype(np.int64)
    seen = np.zeros(clear, dtype=np.uint8)
    total = 8 * len(data)
    bit = pixels = j0 = 0
    earlier = np.zeros(0, dtype=np.int64)  # string lengths of the segment's first codes
    while True:
        widths = _width(np.arange(j0, j0 + MAX_CODE), clear, min_size)
        starts = bit + np.concatenate(([0], np.cumsum(widths)[:-1]))
        fits = starts + widths <= total
        starts, widths = starts[fits], widths[fits]
        byte = starts >> 3
        word = buf[byte] | buf[byte + 1] << 8 | buf[byte + 2] << 16
        every = (word >> (starts & 7)) & ((1 << widths) - 1)
        special = np.flatnonzero((every == clear) | (every == eoi))
        cut = int(special[0]) if len(special) else len(every)
        codes = every[:cut]
        j = np.arange(j0, j0 + cut)
        literal = codes < clear
        bad = ~literal & ((codes < clear + 2) | (j == 0)
                          | (codes > np.minimum(clear + 1 + j, MAX_CODE)) | (codes >= MAX_CODE))
        first_bad = int(np.argmax(bad)) if bad.any() else -1
        if first_bad >= 0:  # codes after a damaged one are never read
            codes, literal, cut = codes[:first_bad], literal[:first_bad], first_bad
        lens = _string_lengths(codes, literal, earlier, clear)
        run = pixels + np.cumsum(lens)
        done = np.flatnonzero(run >= want)
        if first_bad >= 0 and not len(done):
            at = int(starts[first_bad])
            return Lzw(at, 0, eoi, pixels, used, False, at,
                       "an image whose compressed data is damaged")
        k = int(done[0]) + 1 if len(done) else cut  # codes the picture needs from this batch
        seen[codes[:k][literal[:k]]] = 1
        used[:] = seen.tobytes()
        pixels = int(run[k - 1]) if k else pixels
        if len(done):  # the picture is complete with code k - 1
            stop = int(starts[k - 1] + widths[k - 1])
            width = int(_width(j0 + k, clear, min_size))
            if pixels > want:
                return Lzw(stop, width, eoi, pixels, used, False, stop, "an image whose "
                           "compressed data holds more pixels than it shows")
            follows = _peek(data, stop, width)
            return Lzw(stop, width, eoi, pixels, used, follows == eoi,
                       stop + width if follows == eoi else stop)
        if cut < len(every):  # a clear or end code
            at, width = int(starts[cut]), int(widths[cut])
            if int(every[cut]) == eoi:
                return Lzw(at, width, eoi, pixels, used, True, at + width)
            bit, j0, earlier = at + width, 0, np.zeros(0, dtype=np.int64)
            continue
        if not fits.all():  # the data runs out: the picture stays as far as it got
            stop = int(starts[-1] + widths[-1]) if cut else bit
            return Lzw(stop, int(_width(j0 + cut, clear, min_size)), eoi, pixels, used,
                       False, stop)
        bit, j0 = int(starts[-1] + widths[-1]), j0 + cut
        if len(earlier) < MAX_CODE:  # later codes only point at the table's first entries
            earlier = np.concatenate((earlier, lens))[:MAX_CODE]


def _string_lengths(codes: np.ndarray, literal: np.ndarray, earlier: np.ndarray,
                    clear: int) -> np.ndarray:
    """Pixels each code gives: 1 for a literal, else one more than the code its table entry
    was built from (the code at segment index ``code - clear - 2``)."""
    import numpy as np

    j0, n = len(earlier), len(codes)
    parent = np.where(literal, -1, codes - clear - 2)
    inner = parent >= j0  # entries built from a code of this batch
    outer = (parent >= 0) & ~inner
    base = np.ones(n, dtype=np.int64)
    base[outer] = earlier[parent[outer]] + 1
    anc = np.where(inner, parent - j0, np.arange(n))
    rank = inner.astype(np.int64)
    while True:  # pointer jumping: about log2(4096) rounds
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            return rank + base[anc]
        rank = rank + rank[anc]
        anc = nxt


def _walk_small(data: bytes, min_size: int, want: int) -> Lzw:
    """:func:`walk` for a short stream, one code at a time (same result)."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    used = bytearray(clear)
    entries: list[int] = []  # string length of table entry clear + 2 + i
    width, prev_len = min_size + 1, 0
    acc = nbits = pos = bit = pixels = 0
    n = len(data)
    while True:
        while nbits < width:
            if pos >= n:  # the data runs out: the picture stays as far as it got
                return Lzw(bit, width, eoi, pixels, used, False, bit)
            acc |= data[pos] << nbits
            pos += 1
            nbits += 8
        code = acc & ((1 << width) - 1)
        acc >>= width
        nbits -= width
        start, bit = bit, bit + width
        nxt = clear + 2 + len(entries)
        if code == clear:
            width, prev_len, entries = min_size + 1, 0, []
            continue
        if code == eoi:
            return Lzw(start, width, eoi, pixels, used, True, bit)
        if code < clear:
            used[code] = 1
            length = 1
        elif not prev_len or code > nxt or code < clear + 2 or code >= MAX_CODE:
            return Lzw(start, 0, eoi, pixels, used, False, start,
                       "an image whose compressed data is damaged")
        else:
            length = entries[code - clear - 2] if code < nxt else prev_len + 1
        if prev_len and nxt < MAX_CODE:
            entries.append(prev_len + 1)
            if nxt + 1 == 1 << width and width < 12:
                width += 1
        prev_len = length
        pixels += length
        if pixels >= want:
            if pixels > want:
                return Lzw(bit, width, eoi, pixels, used, False, bit, "an image whose "
                           "compressed data holds more pixels than it shows")
            follows = _peek(data, bit, width)
            return Lzw(bit, width, eoi, pixels, used, follows == eoi,
                       bit + width if follows == eoi else bit)


def _peek(data: bytes, bit: int, width: int) -> int:
    """The ``width``-bit code at ``bit`` (-1 when the data ends first)."""
    if bit + width > 8 * len(data):
        return -1
    first = bit // 8
    chunk = int.from_bytes(data[first : first + 3], "little")
    return (chunk >> (bit % 8)) & ((1 << width) - 1)


def rebuild(data: bytes, lzw: Lzw) -> bytes:
    """The codes up to ``lzw.stop_bit``, an end code, and zero bits to the byte's end."""
    whole, rest = divmod(lzw.stop_bit, 8)
    out = bytearray(data[:whole])
    acc = (data[whole] & ((1 << rest) - 1)) if rest else 0
    acc |= lzw.eoi << rest
    nbits = rest + lzw.width
    while nbits > 0:
        out.append(acc & 0xFF)
        acc >>= 8
        nbits -= 8
    return bytes(out)


def is_rebuilt(data: bytes, lzw: Lzw) -> bool:
    """True when ``data`` ends exactly with the end code after the picture, padded with zeros."""
    return not lzw.problem and lzw.ended_at_stop and (lzw.end_bits + 7) // 8 == len(data) \
        and (lzw.end_bits % 8 == 0 or data[-1] >> (lzw.end_bits % 8) == 0)


def sub_blocks(payload: bytes) -> bytes:
    """``payload`` cut into full 255-byte sub-blocks (the last one shorter), then the
    zero-length terminator."""
    out = bytearray()
    for at in range(0, len(payload), 255):
        piece = payload[at : at + 255]
        out.append(len(piece))
        out += piece
    out.append(0)
    return bytes(out)
