"""JPEG data inside other containers, scrubbed in place without moving a byte.

Motion-JPEG video (AVI, MOV, MKV from old cameras and dashcams) stores a whole JPEG
per frame, often with an APP1 EXIF block (GPS!) and a COM comment in every frame;
JPEG-compressed TIFF strips and tiles can carry APPn segments too. Sample tables
and strip offsets point at these bytes, so nothing may move: each metadata segment
keeps its marker and length and its payload is zeroed (decoders skip APPn/COM by
their length), except the few bytes a decoder reads (JFIF version, Adobe colour
transform, the AVI1 field order), which are rewritten from their parsed values.
Bytes after the end-of-image marker are zeroed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from share_guard.core.containers.jpeg_segments import COM, DECODING, EOI, SOI, SOS

if TYPE_CHECKING:
    from share_guard.core.containers.ledger import Ledger

#: APPn payload prefixes a decoder reads, and how many bytes of them are kept
_KEEP_PREFIX = ((0xE0, b"JFIF\x00", 12), (0xEE, b"Adobe", 12), (0xE0, b"AVI1", 5))
_RST = range(0xD0, 0xD8)
MAX_MARKERS = 10_000


class FrameError(ValueError):
    """The bytes are not a JPEG frame whose markers can be walked."""


def _walk(buf: bytes | bytearray | memoryview, start: int, end: int,
          ) -> list[tuple[int, int, int, int]]:
    """(marker, segment start, payload start, segment end) for each segment; SOS segments
    end after their scan data; the last entry is EOI (payload start == segment end)."""
    if bytes(buf[start : start + 2]) != b"\xff\xd8":
        raise FrameError("a frame that does not start like a JPEG")
    # bytes/bytearray search in place; a memoryview is copied once (not once per 0xFF)
    hay = buf if isinstance(buf, (bytes, bytearray)) else bytes(buf)
    out: list[tuple[int, int, int, int]] = []
    pos = start + 2
    while len(out) < MAX_MARKERS:
        if pos + 1 >= end or buf[pos] != 0xFF:
            raise FrameError("a JPEG frame without a proper end")
        seg = pos
        while pos < end and buf[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise FrameError("a JPEG frame cut short")
        marker = buf[pos]
        pos += 1
        if marker == EOI:
            out.append((marker, seg, pos, pos))
            return out
        if marker == SOI or marker in _RST or marker == 0x01:
            raise FrameError(f"an unexpected marker 0x{marker:02X} in a JPEG frame")
        if pos + 2 > end:
            raise FrameError("a JPEG frame cut short")
        length = int.from_bytes(buf[pos : pos + 2], "big")
        seg_end = pos + length
        if length < 2 or seg_end > end:
            raise FrameError("a JPEG segment runs past its frame")
        if marker == SOS:
            scan = seg_end
            while True:
                ff = hay.find(b"\xff", scan, end)
                if ff < 0:
                    raise FrameError("JPEG scan data without an end")
                scan = ff
                if scan + 1 >= end:
                    raise FrameError("JPEG scan data without an end")
                nxt = buf[scan + 1]
                if nxt == 0 or nxt in _RST or nxt == 0xFF:
                    scan += 1 if nxt == 0xFF else 2
                    continue
                break
            seg_end = scan
        out.append((marker, seg, pos + 2, seg_end))
        pos = seg_end
    raise FrameError("a JPEG frame with too many segments")


def frame_end(buf: bytes | bytearray | memoryview, start: int = 0, end: int | None = None,
              ) -> int:
    """Where the JPEG starting at ``start`` ends (just after its end-of-image marker);
    raises :class:`FrameError` when it cannot be walked. Motion-JPEG samples may hold two
    fields, one JPEG after the other."""
    return _walk(buf, start, len(buf) if end is None else end)[-1][3]


def _kept_prefix(marker: int, payload: bytes) -> int:
    for m, prefix, keep in _KEEP_PREFIX:
        if marker == m and payload.startswith(prefix):
            return min(keep, len(payload))
    return 0


def _neutral_prefix(marker: int, payload: bytes, keep: int) -> bytes:
    head = bytearray(payload[:keep])
    if marker == 0xE0 and payload.startswith(b"JFIF\x00"):
        # version, density unit and density are what a decoder reads; thumbnail size: none
        return bytes(head[:12])
    return bytes(head)


def scrub_frame(buf: bytearray, start: int = 0, end: int | None = None) -> list[str]:
    """Zero the metadata of the JPEG in ``buf[start:end]`` in place; returns what was there.

    Raises :class:`FrameError` when the frame cannot be walked (the caller refuses)."""
    end = len(buf) if end is None else end
    found: list[str] = []
    segments = _walk(buf, start, end)
    for marker, _seg, payload_start, seg_end in segments:
        if marker in DECODING or marker == EOI:
            continue
        payload = bytes(buf[payload_start:seg_end])
        keep = _kept_prefix(marker, payload)
        if any(payload[keep:]) or (keep and _neutral_prefix(marker, payload, keep)
                                   != payload[:keep]):
            what = ("comment" if marker == COM else
                    "EXIF" if payload.startswith(b"Exif\x00") else
                    "XMP" if payload.startswith(b"http://ns.adobe.com/") else
                    f"APP{marker - 0xE0} block" if 0xE0 <= marker <= 0xEF else
                    f"segment 0x{marker:02X}")
            if what not in found:
                found.append(what)
        buf[payload_start:seg_end] = (_neutral_prefix(marker, payload, keep)
                                      + bytes(seg_end - payload_start - keep))
    eoi_end = segments[-1][3]
    if any(buf[eoi_end:end]):
        found.append("data after the end of a frame")
        buf[eoi_end:end] = bytes(end - eoi_end)
    return found


def account_frame(buf: bytes | bytearray | memoryview, ledger: Ledger, base: int,
                  what: str) -> None:
    """File a scrubbed JPEG frame: markers and tables written, scan data payload, the
    payload of metadata segments and anything after the end blank."""
    view = memoryview(buf)
    try:
        segments = _walk(view, 0, len(view))
    except FrameError as exc:
        ledger.refuse(base, base + len(view), what, str(exc))
        return
    ledger.written(base, base + 2, f"{what} start")
    for marker, seg, payload_start, seg_end in segments:
        if marker == EOI:
            ledger.written(base + seg, base + seg_end, f"{what} end")
            continue
        if marker in DECODING:
            if marker == SOS:
                length = int.from_bytes(view[payload_start - 2 : payload_start], "big")
                header_end = payload_start - 2 + length
                ledger.written(base + seg, base + header_end, f"{what} scan header")
                ledger.payload(base + header_end, base + seg_end, f"{what} scan data")
            else:
                ledger.written(base + seg, base + seg_end, f"{what} tables")
            continue
        payload = bytes(view[payload_start:seg_end])
        keep = _kept_prefix(marker, payload)
        if keep and _neutral_prefix(marker, payload, keep) != payload[:keep]:
            ledger.refuse(base + payload_start, base + seg_end, what, "a kept header that is "
                          "not neutral")
            return
        ledger.written(base + seg, base + payload_start + keep, f"{what} segment header")
        ledger.zeroed(view, base + payload_start + keep, base + seg_end, f"{what} metadata",
                      base=base)
    eoi_end = segments[-1][3]
    ledger.zeroed(view, base + eoi_end, base + len(view), f"{what} after the end", base=base)
