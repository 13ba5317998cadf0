"""H.264 / HEVC NAL units: metadata carried inside coded video, neutralised in place.

Encoders and cameras write text into the coded stream itself: SEI
``user_data_unregistered`` (x264/x265 print their settings and version there;
some cameras a serial or GPS), ``user_data_registered_itu_t_t35`` (captions,
vendor blobs), and unspecified NAL types nobody reads. Removing them must not move
a single offset (sample tables, item extents and cues point at these bytes), so a
NAL unit that carries any of that is turned into a *filler-data* NAL unit of
exactly the same size: a header, ``0xFF`` bytes and the RBSP stop bit. Decoders
skip filler data, so decoded frames stay identical.

Kept as they are: parameter sets, slices, access unit delimiters and end-of-sequence
units holding exactly their fields, and SEI NAL units made only of messages a player uses
to show the picture (timing, recovery points, HDR mastering and light levels, frame
packing, orientation, film grain, picture hashes), each no larger than its fields can
be (a filler-payload message holds nothing but 0xFF). Delimiters with bytes after their
fields, and H.264 extension units no common decoder reads (SVC/MVC prefix and subset
parameter sets, auxiliary and extension slices), become filler like the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message
from share_guard.core.metadata.hdr import mastering_display

if TYPE_CHECKING:
    from share_guard.core.containers.ledger import Ledger

H264, HEVC = "h264", "hevc"

#: SEI payload types kept (H.264 Annex D / HEVC Annex D): how the pictures are shown, in
#: small fields (recovery point, display orientation, HDR and 360-degree signalling). Not
#: kept, whatever they hold: the decoder timing and HRD messages (buffering period, picture
#: timing), pan-scan, reference marking repetition, film grain, frame packing, decoded-
#: picture hashes, HEVC's structure/decoding-unit/sub-layer/nesting/refresh messages and
#: time codes (a camera's time of day): a red team filled their 16-512 bytes with text
#: that decoders skip, and no decoded picture depends on them
KEEP_SEI = {
    H264: frozenset({3, 6, 47, 137, 144, 147, 148}),
    HEVC: frozenset({3, 6, 47, 129, 135, 137, 144, 147, 148, 149, 150, 151, 152, 154, 155,
                     156}),
}
#: the most bytes a kept SEI message's payload may take (its fields; more is a place to
#: hide data after them, which decoders skip by the payload size): a recovery point is a
#: count and three flags, a display orientation two flags, an angle and a period
SEI_ROOM = {3: 1 << 16, 6: 4, 47: 5, 129: 16, 135: 0, 137: 24, 144: 4, 147: 1, 148: 8,
            149: 64, 150: 64, 151: 64, 152: 64, 154: 64, 155: 64, 156: 64}
_FILLER_PAYLOAD, _MASTERING = 3, 137

#: slices and parameter sets: coded data kept without reading the unit
_H264_SEI, _H264_FILLER = 6, 12
_H264_OK = frozenset({1, 2, 3, 4, 5, 7, 8})
_HEVC_PREFIX_SEI, _HEVC_SUFFIX_SEI, _HEVC_FILLER = 39, 40, 38
_HEVC_OK = frozenset({*range(0, 10), *range(16, 22), 32, 33, 34})
#: delimiters: kept when they hold exactly their fields (NAL type -> RBSP bytes: an access
#: unit delimiter's picture type and stop bit; end of sequence or stream: nothing)
_H264_DELIMITERS = {9: 1, 10: 0, 11: 0}
_HEVC_DELIMITERS = {35: 1, 36: 0, 37: 0}
_H264_EXTENSIONS = frozenset({13, 14, 15, 19, 20, 21})


def nal_type(codec: str, first: int) -> int:
    return first & 0x1F if codec == H264 else (first >> 1) & 0x3F


def is_plain(codec: str, first: int) -> bool:
    """True for slices (and HEVC parameter sets), by the NAL header's first byte: coded data
    kept as it is without reading the unit. H.264 parameter sets are read (see tidy)."""
    kind = nal_type(codec, first)
    if codec == H264:
        return kind in _H264_OK and kind not in _H264_PARAMETER_SETS
    return kind in _HEVC_OK


_H264_PARAMETER_SETS = frozenset({7, 8})


def tidy(codec: str, nal: bytes | memoryview, chroma: dict[int, int]) -> bytes | None:
    """An H.264 SPS/PPS with zeros after its last field (see :mod:`h264_ps`), or None when
    the unit is not one or is already tidy. Raises CorruptFile when its fields cannot be
    walked (what follows them could be anything)."""
    if codec != H264 or not len(nal) or nal[0] & 0x1F not in _H264_PARAMETER_SETS:
        return None
    from share_guard.core.containers.h264_ps import PsError
    from share_guard.core.containers.h264_ps import tidy as tidy_ps

    unit = bytes(nal)
    try:
        fixed = tidy_ps(unit, chroma)
    except PsError as exc:
        raise CorruptFile(message(N_("an H.264 parameter set that cannot be read ({exc})"),
                                  exc=exc)) from None
    return fixed if fixed is not None and fixed != unit else None


def filler_type(codec: str) -> int:
    return _H264_FILLER if codec == H264 else _HEVC_FILLER


def header_size(codec: str) -> int:
    return 1 if codec == H264 else 2


def filler(codec: str, size: int) -> bytes:
    """A filler-data NAL unit of exactly ``size`` bytes (header, 0xFF..., stop bit)."""
    head = b"\x0c" if codec == H264 else bytes([_HEVC_FILLER << 1, 0x01])
    if size < len(head) + 1:
        raise ValueError("a NAL unit too small to hold filler data")
    return head + b"\xff" * (size - len(head) - 1) + b"\x80"


def is_filler(codec: str, nal: bytes | memoryview) -> bool:
    try:
        return bytes(nal) == filler(codec, len(nal))
    except ValueError:
        return False


def _unescape(nal: bytes) -> bytes:
    """The RBSP of a NAL payload (emulation-prevention 0x03 bytes removed)."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    zeros = 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def _delimiter_ok(rbsp: bytes, size: int) -> bool:
    """An access unit delimiter (``size`` 1: three bits of picture type, then the stop bit)
    or an end of sequence/stream (``size`` 0) holding exactly its fields."""
    if size == 0:
        return rbsp == b""
    return len(rbsp) == 1 and rbsp[0] & 0x1F == 0x10


def sei_payload_types(codec: str, nal: bytes) -> list[int] | None:
    """Payload types of the SEI messages in ``nal`` (None when they cannot be parsed); a
    message larger than its fields can be reads as type -1."""
    rbsp = _unescape(nal[header_size(codec):])
    types: list[int] = []
    pos, n = 0, len(rbsp)
    while pos < n and not (rbsp[pos] == 0x80 and not any(rbsp[pos + 1:])):
        values = []
        for _ in range(2):  # payloadType, then payloadSize
            value = 0
            while pos < n and rbsp[pos] == 0xFF:
                value += 255
                pos += 1
            if pos >= n:
                return None
            value += rbsp[pos]
            pos += 1
            values.append(value)
        ptype, psize = values
        payload = rbsp[pos : pos + psize]
        pos += psize
        if pos > n or len(types) >= 64:
            return None
        if psize > SEI_ROOM.get(ptype, 1 << 30) or (ptype == _FILLER_PAYLOAD
                                                    and payload.count(0xFF) != psize) \
                or (ptype == _MASTERING and mastering_display(payload) != payload):
            ptype = -1  # (a mastering display: a standard's exact numbers, as in the boxes)
        types.append(ptype)
    return types


def verdict(codec: str, nal: bytes | memoryview) -> str:
    """"" when the NAL unit is kept as it is, else what it carried (it becomes filler)."""
    if len(nal) < header_size(codec):
        return "a broken NAL unit"
    kind = nal_type(codec, nal[0])
    if kind == filler_type(codec):
        # filler is blank by definition: anything else in it is a hiding place
        return "" if is_filler(codec, nal) else "filler data that holds something"
    delimiters = _H264_DELIMITERS if codec == H264 else _HEVC_DELIMITERS
    if kind in delimiters:
        rbsp = _unescape(bytes(nal[header_size(codec):]))
        return "" if _delimiter_ok(rbsp, delimiters[kind]) else "data in a delimiter NAL unit"
    if codec == H264:
        if kind in _H264_OK:
            return ""
        if kind in _H264_EXTENSIONS:
            return f"an extension NAL unit (type {kind}) no common decoder reads"
        if kind != _H264_SEI:
            return f"unspecified NAL unit type {kind}"
    else:
        if kind in _HEVC_OK:
            return ""
        if kind not in (_HEVC_PREFIX_SEI, _HEVC_SUFFIX_SEI):
            return f"unspecified NAL unit type {kind}"
    types = sei_payload_types(codec, bytes(nal))
    if types is None:
        return "an SEI message that cannot be read"
    odd = [t for t in types if t not in KEEP_SEI[codec]]
    if not odd:
        return ""
    if 5 in odd:
        return "encoder or camera text (SEI user data)"
    if 4 in odd:
        return "registered user data (SEI: captions or vendor data)"
    if -1 in odd:
        return "an SEI message with data after its fields"
    return f"SEI message type {odd[0]}"


def length_prefixed(buf: bytes | bytearray | memoryview, length_size: int,
                    start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each NAL unit in a length-prefixed sample (AVCC/HVCC layout).

    Raises ValueError when the lengths do not tile the sample exactly."""
    end = len(buf) if end is None else end
    pos = start
    while pos < end:
        if pos + length_size > end:
            raise ValueError("a NAL length field runs past the sample")
        size = int.from_bytes(buf[pos : pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > end:
            raise ValueError("a NAL unit runs past the sample")
        yield pos, pos + size
        pos += size


def units_at(read: Callable[[int, int], bytes], start: int, end: int, length_size: int,
             ) -> Iterator[tuple[int, int, int]]:
    """(start, end, first header byte) of each NAL unit of a length-prefixed sample that lies
    at ``[start, end)`` of a file, one short ``read(offset, n)`` per unit (the unit itself is
    not read). Raises ValueError when the lengths do not tile the sample exactly."""
    pos = start
    while pos < end:
        if pos + length_size >= end:
            raise ValueError(N_("a NAL length field runs past its sample"))
        raw = read(pos, length_size + 1)
        size = int.from_bytes(raw[:length_size], "big")
        pos += length_size
        if size == 0 or pos + size > end:
            raise ValueError(N_("a NAL unit runs past its sample"))
        yield pos, pos + size, raw[length_size]
        pos += size


def annexb(buf: bytes | bytearray | memoryview) -> Iterator[tuple[int, int]]:
    """(start, end) of each NAL unit in an Annex B stream (start codes 00 00 01)."""
    data = bytes(buf)
    starts = []
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0:
        starts.append(pos + 3)
        pos = data.find(b"\x00\x00\x01", pos + 3)
    for i, s in enumerate(starts):
        e = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        while e > s and data[e - 1] == 0:  # trailing_zero_8bits / the next 4-byte start code
            e -= 1
        yield s, e


def scrub(buf: bytearray, codec: str, length_size: int | None,
          start: int = 0, end: int | None = None) -> list[str]:
    """Turn every NAL unit of ``buf[start:end]`` that carries metadata into filler, in place.

    ``length_size`` None: Annex B. Returns what was neutralised (one entry per kind).
    Raises ValueError when the sample's NAL structure cannot be walked."""
    found: list[str] = []
    end = len(buf) if end is None else end
    view = memoryview(buf)
    spans = (length_prefixed(view, length_size, start, end) if length_size
             else ((s + start, e + start) for s, e in annexb(view[start:end])))
    chroma: dict[int, int] = {}
    for s, e in list(spans):
        why = verdict(codec, view[s:e])
        if why:
            buf[s:e] = filler(codec, e - s) if e - s > header_size(codec) else bytes(e - s)
            if why not in found:
                found.append(why)
            continue
        fixed = tidy(codec, view[s:e], chroma)
        if fixed is not None:
            buf[s:e] = fixed
            if PS_TAIL not in found:
                found.append(PS_TAIL)
    return found


PS_TAIL = "data after a parameter set's fields"


def _untidy(codec: str, nal: bytes | memoryview, chroma: dict[int, int]) -> bool:
    """True when a parameter set holds bytes after its fields or cannot be read."""
    try:
        return tidy(codec, nal, chroma) is not None
    except CorruptFile:
        return True


def account(buf: bytes | bytearray | memoryview, codec: str, length_size: int | None,
            ledger: Ledger, base: int, what: str) -> None:
    """File a sample whose NAL units were scrubbed: structure written, slices and parameter
    sets as payload, filler as blank; anything that still carries metadata is refused."""
    view = memoryview(buf)
    try:
        units = list(length_prefixed(view, length_size) if length_size else annexb(view))
    except ValueError as exc:
        ledger.refuse(base, base + len(view), what, str(exc))
        return
    pos = 0
    chroma: dict[int, int] = {}
    for s, e in units:
        if s > pos:  # length field, or start codes and zero padding between units
            gap = bytes(view[pos:s])
            if length_size:
                ledger.written(base + pos, base + s, f"{what} NAL length")
            elif gap.strip(b"\x00") not in (b"\x01", b""):
                ledger.refuse(base + pos, base + s, what, N_("bytes between NAL units"))
                return
            else:
                ledger.written(base + pos, base + s, f"{what} start code")
        if not account_unit(view[s:e], codec, ledger, base + s, what, chroma):
            return
        pos = e
    if pos < len(view):
        ledger.zeroed(view, base + pos, base + len(view), f"{what} padding", base=base)


def account_unit(nal: bytes | memoryview, codec: str, ledger: Ledger, at: int, what: str,
                 chroma: dict[int, int]) -> bool:
    """File one scrubbed NAL unit found at file offset ``at`` (filler as blank, coded data as
    payload); False when it still carries something (refused: stop walking)."""
    hs, end = header_size(codec), at + len(nal)
    if nal_type(codec, nal[0]) == filler_type(codec) and is_filler(codec, nal):
        ledger.written(at, at + hs, f"{what} filler header")
        ledger.zeroed(nal, at + hs, end - 1, f"{what} filler", fill=0xFF, base=at)
        ledger.written(end - 1, end, f"{what} filler end")
    elif verdict(codec, nal):
        ledger.refuse(at, end, what, message(N_("still holds {verdict}"),
                                             verdict=verdict(codec, nal)))
        return False
    elif _untidy(codec, nal, chroma):
        ledger.refuse(at, end, what, message(N_("still holds {PS_TAIL}"), PS_TAIL=PS_TAIL))
        return False
    else:
        ledger.payload(at, end, what)
    return True


#: HEVC profiles whose constraint flags after the first four are defined (range extensions,
#: high throughput, screen content...): the next nine bits mean something there
_HEVC_EXTENDED = frozenset(range(4, 12))


def hevc_profile(head: bytes) -> bytes:
    """The 11 profile bytes of an HEVC decoder configuration (profile space, tier and
    profile; compatibility flags; constraint flags) with the bits no profile defines zeroed:
    compatibility flags only for profiles 0-11, constraint flags only the four source flags
    (and nine more for extended profiles). Decoders read these from the SPS; in ``hvcC`` they
    are ten bytes anything fits in."""
    idc = head[0] & 0x1F
    compat = int.from_bytes(head[1:5], "big") & 0xFFF00000
    keep = 13 if idc in _HEVC_EXTENDED else 4
    flags = int.from_bytes(head[5:11], "big") & (((1 << keep) - 1) << (48 - keep))
    return head[:1] + compat.to_bytes(4, "big") + flags.to_bytes(6, "big")
