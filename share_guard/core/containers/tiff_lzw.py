"""Where a TIFF LZW strip ends, and how many bytes it decodes to, without decoding it.

A strip's byte count may claim more than its LZW stream uses, and a stream may go on
after the codes a decoder needs (libtiff stops once the strip is full): both are places
to hide bytes. :func:`scan` walks the codes and the *lengths* of the strings they stand
for (never the strings), finds the code that completes the strip and what follows it.
:func:`canonical` gives the stream cut right there: the codes the picture needs, an
end-of-information code, zero bits up to the next byte. Decoded pixels stay identical.

Written here because no library we ship finds the end of an LZW stream (Pillow decodes
TIFF LZW through libtiff, which reports neither where a stream ends nor what it skipped).
Codes are read a whole table generation at a time with numpy: between two Clear codes the
code widths follow a fixed schedule (TIFF's "early change": 9 bits for the first 254 codes,
then 10, 11 and 12), and string lengths follow from the parent links by pointer jumping.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from share_guard.core.containers.content_memo import ContentMemo
from share_guard.core.i18n import N_, message

if TYPE_CHECKING:
    import numpy as np

CLEAR, EOI, FIRST = 256, 257, 258
#: codes after a Clear before libtiff's table overflows (it has 4096 + 1024 slots)
MAX_RUN = 4862
#: width of code k after a Clear
_PY_WIDTHS = [9] * 254 + [10] * 512 + [11] * 1024 + [12] * (MAX_RUN + 1 - 1790)
#: streams up to this many bytes are walked code by code
SMALL = 256


@functools.cache
def _tables() -> Any:
    """numpy and the code-position tables (numpy is imported on first use only: the app
    starts without it)."""
    import types

    import numpy as np

    widths = np.array(_PY_WIDTHS, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(widths)[:-1]))
    return types.SimpleNamespace(
        np=np, widths=widths, starts=starts, ends=starts + widths,
        limit=np.arange(FIRST, FIRST + MAX_RUN + 1, dtype=np.int64),
        masks=((1 << widths) - 1).astype(np.int32),
        # for a generation starting at bit r (0-7) of a byte: each code's byte and shift
        # within the 24-bit window starting at that byte
        byte=[((r + starts) >> 3) for r in range(8)],
        shift=[(24 - ((r + starts) & 7) - widths).astype(np.int32) for r in range(8)])


class LzwError(ValueError):
    """The bytes are not a TIFF LZW stream a decoder would read to the end of the strip."""


@dataclass(frozen=True)
class LzwScan:
    #: bit just after the code that completes the strip
    done_bit: int
    #: width of the code read next (where the end-of-information code belongs)
    next_width: int
    #: bit just after an end-of-information code that follows at once, else None
    eoi_end_bit: int | None


_MEMO: ContentMemo[LzwScan] = ContentMemo(200_000, (LzwError,))


def _codes(window: np.ndarray, nbits: int, bit: int) -> np.ndarray:
    """The codes of one table generation starting at ``bit`` (up to the end of the data);
    ``window[i]`` holds bytes i, i+1 and i+2 as one 24-bit number."""
    t = _tables()
    n = int(t.np.searchsorted(t.ends, nbits - bit, side="right"))
    r = bit & 7
    found: np.ndarray = (window[(bit >> 3) + t.byte[r][:n]] >> t.shift[r][:n]) & t.masks[:n]
    return found


def _lengths(codes: np.ndarray) -> np.ndarray:
    """Decoded length of each code of one generation (codes already checked).

    Code k stands for one byte (a literal) or for the string of code ``codes[k] - 258``
    plus one byte, so lengths are depths in a forest whose parents come earlier: found by
    pointer jumping, with a sentinel (weight 0, its own parent) under every literal."""
    numpy = _tables().np
    m = len(codes)
    sentinel = m
    ptr = numpy.empty(m + 1, dtype=numpy.int64)
    ptr[:m] = codes - FIRST
    ptr[:m][codes < CLEAR] = sentinel
    ptr[m] = sentinel
    weight = numpy.ones(m + 1, dtype=numpy.int64)
    weight[m] = 0
    while True:
        weight += weight[ptr]
        ptr = ptr[ptr]
        if ptr.min() == sentinel:
            result: np.ndarray = weight[:m]
            return result


def scan(data: bytes | memoryview, expected: int) -> LzwScan:
    """Walk the stream until ``expected`` bytes are decoded (raises :class:`LzwError` when
    it is not a stream libtiff reads that far).

    Results are remembered by content: a clean copy's strips are the original's, and the
    copy is read twice more before it is published (re-inspection and the byte proof)."""
    return _MEMO.get(bytes(data), expected, _scan)


def _scan(raw: bytes, expected: int) -> LzwScan:
    if expected <= 0:
        raise LzwError(N_("an LZW strip for an empty image"))
    if len(raw) < 2 or raw[0] != 0x80 or raw[1] & 0x80:
        # new-style streams open with a 9-bit Clear code; old-style (bit-reversed) ones
        # are read by a compatibility decoder we do not mirror
        raise LzwError(N_("an LZW strip that does not start with a clear code (old-style LZW?)"))
    if len(raw) <= SMALL:
        return _scan_small(raw, expected)
    return _scan_numpy(raw, expected)


def _short(total: int, expected: int) -> LzwError:
    return LzwError(message(N_("an LZW strip that decodes to {total} of its {expected} bytes"),
                            total=total, expected=expected))


def _scan_small(raw: bytes, expected: int) -> LzwScan:
    """:func:`scan` code by code (faster than numpy's set-up for a few hundred codes)."""
    value, nbits = int.from_bytes(raw, "big"), 8 * len(raw)
    bit, total = 9, 0
    while True:
        lengths: list[int] = []  # of the entries made since the last Clear
        previous, k = 0, 0
        while True:
            if k > MAX_RUN:
                raise LzwError(N_("an LZW strip whose code table overflows"))
            width = _PY_WIDTHS[k]
            if bit + width > nbits:
                raise _short(total, expected)
            code = (value >> (nbits - bit - width)) & ((1 << width) - 1)
            bit += width
            if code == CLEAR:
                break
            if code == EOI:
                raise _short(total, expected)
            if k:
                if code >= FIRST + k:
                    raise LzwError(N_("an LZW strip with a code its table does not hold yet"))
                lengths.append(previous + 1)
            elif code >= CLEAR:
                raise LzwError(N_("an LZW strip with a code its table does not hold yet"))
            n = 1 if code < CLEAR else lengths[code - FIRST]
            total += n
            if total >= expected:
                nxt_width = _PY_WIDTHS[min(k + 1, MAX_RUN)]
                eoi = bit + nxt_width <= nbits and \
                    (value >> (nbits - bit - nxt_width)) & ((1 << nxt_width) - 1) == EOI
                return LzwScan(bit, nxt_width, bit + nxt_width if eoi else None)
            previous, k = n, k + 1


def _scan_numpy(raw: bytes, expected: int) -> LzwScan:
    np = _tables().np
    buf = np.frombuffer(raw + b"\x00\x00", dtype=np.uint8)
    window = ((buf[:-2].astype(np.int32) << 16) | (buf[1:-1].astype(np.int32) << 8)
              | buf[2:])
    nbits = 8 * len(raw)
    bit, total = 9, 0
    while True:
        found, bit, total = _generation(window, nbits, bit, total, expected)
        if found is not None:
            return found


def _generation(window: np.ndarray, nbits: int, bit: int, total: int, expected: int,
                ) -> tuple[LzwScan | None, int, int]:
    """One generation of any length: the scan when the strip completes in it, else the bit
    and total after its Clear code (raises when the stream ends or breaks first)."""
    t = _tables()
    codes = _codes(window, nbits, bit)
    ends = t.np.flatnonzero((codes == CLEAR) | (codes == EOI))
    stop = int(ends[0]) if ends.size else codes.size
    run = codes[:stop]
    if run.size and (run[0] >= CLEAR or (run[1:] >= t.limit[1 : run.size]).any()):
        raise LzwError(N_("an LZW strip with a code its table does not hold yet"))
    if run.size:
        made = t.np.cumsum(_lengths(run))
        if total + int(made[-1]) >= expected:
            k = int(t.np.searchsorted(made, expected - total))
            done = bit + int(t.ends[k])
            width = _PY_WIDTHS[min(k + 1, MAX_RUN)]
            eoi = k + 1 < codes.size and codes[k + 1] == EOI
            return LzwScan(done, width, done + width if eoi else None), bit, total
        total += int(made[-1])
    if stop == codes.size:
        if codes.size > MAX_RUN:
            raise LzwError(N_("an LZW strip whose code table overflows"))
        raise _short(total, expected)
    if codes[stop] == EOI:
        raise _short(total, expected)
    return None, bit + int(t.ends[stop]), total  # past the Clear code


def _tail_is_canonical(raw: bytes, end_bit: int) -> bool:
    nbytes = (end_bit + 7) // 8
    if nbytes != len(raw):
        return False
    spare = nbytes * 8 - end_bit
    return spare == 0 or raw[-1] & ((1 << spare) - 1) == 0


def canonical(data: bytes | memoryview, expected: int) -> bytes | None:
    """The stream cut after the codes the strip needs, then EOI and zero bits; None when
    ``data`` already is exactly that."""
    raw = bytes(data)
    found = scan(raw, expected)
    if found.eoi_end_bit is not None and _tail_is_canonical(raw, found.eoi_end_bit):
        return None
    keep_bits = found.done_bit
    value = int.from_bytes(raw[: (keep_bits + 7) // 8], "big") >> ((8 - keep_bits % 8) % 8)
    value = (value << found.next_width) | EOI
    total = keep_bits + found.next_width
    pad = (8 - total % 8) % 8
    return (value << pad).to_bytes((total + pad) // 8, "big")


def tail_is_blank(data: bytes | memoryview, expected: int) -> bool:
    """True when nothing but zero bits follows the codes the strip needs (and an EOI code
    right after them): what a cut drops then carries no information."""
    raw = bytes(data)
    found = scan(raw, expected)
    start = found.eoi_end_bit if found.eoi_end_bit is not None else found.done_bit
    first, spare = divmod(start, 8)
    if spare and raw[first] & ((1 << (8 - spare)) - 1):
        return False
    rest = raw[first + (1 if spare else 0) :]
    return rest.count(0) == len(rest)


def is_canonical(data: bytes | memoryview, expected: int) -> bool:
    """True when ``data`` holds exactly the codes the strip needs, EOI and zero bits."""
    raw = bytes(data)
    found = scan(raw, expected)
    return found.eoi_end_bit is not None and _tail_is_canonical(raw, found.eoi_end_bit)
