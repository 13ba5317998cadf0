"""JPEG data inside other containers, scrubbed in place without moving a byte.

Motion-JPEG video (AVI, MOV, MKV from old cameras and dashcams) stores a whole JPEG
per frame, often with an APP1 EXIF block (GPS!) and a COM comment in every frame;
JPEG-compressed TIFF strips and tiles can carry APPn segments too. Sample tables
and strip offsets point at these bytes, so nothing may move: each metadata segment
keeps its marker and length and its payload is zeroed (decoders skip APPn/COM by
their length), except the few bytes a decoder reads (JFIF version, Adobe colour
transform, the AVI1 field order), which are rewritten from their parsed values.
Bytes after the end-of-image marker are zeroed too.

Quantisation and Huffman tables no scan of the frame uses are places to hide data as well:
such a table is cut out of its segment, which is written again from the tables that stay,
and the bytes it took become an empty comment segment (decoders skip it), so nothing moves.
Where decoding a frame is affordable (JPEG strips of a TIFF page), bytes between the end of
the last scan's entropy-coded data and the end marker are found by decoding and zeroed
(:mod:`jpeg_scan_end`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from share_guard.core.containers.jpeg_scan_end import decodes, needed, only_needed
from share_guard.core.containers.jpeg_segments import COM, DECODING, EOI, SOF_MARKERS, SOI, SOS
from share_guard.core.containers.jpeg_tables import (
    DHT,
    DQT,
    IMPROPER_CODE,
    Event,
    HTable,
    QTable,
    parse_dht,
    parse_dqt,
    parse_frame,
    parse_scan,
    segment,
    table_use,
)
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

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
        raise FrameError(N_("a frame that does not start like a JPEG"))
    # bytes/bytearray search in place; a memoryview is copied once (not once per 0xFF)
    hay = buf if isinstance(buf, (bytes, bytearray)) else bytes(buf)
    out: list[tuple[int, int, int, int]] = []
    pos = start + 2
    while len(out) < MAX_MARKERS:
        if pos + 1 >= end or buf[pos] != 0xFF:
            raise FrameError(N_("a JPEG frame without a proper end"))
        seg = pos
        while pos < end and buf[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise FrameError(N_("a JPEG frame cut short"))
        marker = buf[pos]
        pos += 1
        if marker == EOI:
            out.append((marker, seg, pos, pos))
            return out
        if marker == SOI or marker in _RST or marker == 0x01:
            raise FrameError(message(N_("an unexpected marker 0x{marker} in a JPEG frame"),
                                     marker=f"{marker:02X}"))
        if pos + 2 > end:
            raise FrameError(N_("a JPEG frame cut short"))
        length = int.from_bytes(buf[pos : pos + 2], "big")
        seg_end = pos + length
        if length < 2 or seg_end > end:
            raise FrameError(N_("a JPEG segment runs past its frame"))
        if marker == SOS:
            scan = seg_end
            while True:
                ff = hay.find(b"\xff", scan, end)
                if ff < 0:
                    raise FrameError(N_("JPEG scan data without an end"))
                scan = ff
                if scan + 1 >= end:
                    raise FrameError(N_("JPEG scan data without an end"))
                nxt = buf[scan + 1]
                if nxt == 0 or nxt in _RST or nxt == 0xFF:
                    scan += 1 if nxt == 0xFF else 2
                    continue
                break
            seg_end = scan
        out.append((marker, seg, pos + 2, seg_end))
        pos = seg_end
    raise FrameError(N_("a JPEG frame with too many segments"))


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


Segment = tuple[int, int, int, int]


def _spare_tables(buf: bytes | bytearray | memoryview,
                  segments: list[Segment]) -> dict[int, bytes]:
    """Segment index -> the payload a DQT/DHT segment keeps (the tables some scan of the
    frame uses), for each segment that holds a table no scan uses."""
    events: list[Event] = []
    tables: dict[int, list[QTable | HTable]] = {}
    try:
        for i, (marker, _seg, payload_start, seg_end) in enumerate(segments):
            if marker in (DQT, DHT):
                payload = bytes(buf[payload_start:seg_end])
                tables[i] = list(parse_dqt(payload) if marker == DQT else parse_dht(payload))
                events.append(("dqt" if marker == DQT else "dht", i, tables[i]))
            elif marker in SOF_MARKERS:
                events.append(("sof", i, parse_frame(marker, bytes(buf[payload_start:seg_end]))))
            elif marker == SOS:
                length = int.from_bytes(buf[payload_start - 2 : payload_start], "big")
                events.append(("sos", i, parse_scan(bytes(buf[payload_start :
                                                              payload_start + length - 2]))))
    except CorruptFile as exc:
        raise FrameError(str(exc)) from None
    used, problems = table_use(events)  # tables defined elsewhere (JPEGTables) are fine
    if IMPROPER_CODE in problems:
        raise FrameError(IMPROPER_CODE)
    return {i: b"".join(t.encode() for j, t in enumerate(found) if (i, j) in used)
            for i, found in tables.items()
            if any((i, j) not in used for j in range(len(found)))}


def _blank_comment(size: int) -> bytes:
    """An empty comment segment of exactly ``size`` bytes (at least 4)."""
    return b"\xff\xfe" + (size - 2).to_bytes(2, "big") + bytes(size - 4)


def scrub_frame(buf: bytearray, start: int = 0, end: int | None = None) -> list[str]:
    """Zero the metadata of the JPEG in ``buf[start:end]`` in place; returns what was there.

    Raises :class:`FrameError` when the frame cannot be walked (the caller refuses)."""
    end = len(buf) if end is None else end
    found: list[str] = []
    segments = _walk(buf, start, end)
    for i, kept in _spare_tables(buf, segments).items():
        marker, seg, _payload_start, seg_end = segments[i]
        head = segment(marker, kept) if kept else b""
        buf[seg:seg_end] = head + _blank_comment(seg_end - seg - len(head))
        if "coding tables no scan uses" not in found:
            found.append("coding tables no scan uses")
    segments = _walk(buf, start, end)
    if found and _spare_tables(buf, segments):
        raise FrameError(N_("a frame whose tables cannot be cut"))
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
    try:
        spare = _spare_tables(view, segments)
    except FrameError as exc:
        ledger.refuse(base, base + len(view), what, str(exc))
        return
    if spare:
        i = min(spare)
        ledger.refuse(base + segments[i][1], base + segments[i][3], what,
                      N_("a coding table no scan uses"))
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
            ledger.refuse(base + payload_start, base + seg_end, what, N_("a kept header that is "
                          "not neutral"))
            return
        ledger.written(base + seg, base + payload_start + keep, f"{what} segment header")
        ledger.zeroed(view, base + payload_start + keep, base + seg_end, f"{what} metadata",
                      base=base)
    eoi_end = segments[-1][3]
    ledger.zeroed(view, base + eoi_end, base + len(view), f"{what} after the end", base=base)


# -- bytes after the last scan (found by decoding) -------------------------------------------

def _whole(head: bytes, tables: bytes) -> bytes:
    """``head`` (starting with SOI) with the tables of an abbreviated table stream
    (TIFF ``JPEGTables``: SOI, tables, EOI) put after its SOI: a JPEG a decoder reads alone."""
    return head[:2] + (tables[2:-2] if tables else b"") + head[2:]


def _last_scan(frame: bytes) -> tuple[int, int, int]:
    """(start, end of the last scan's entropy-coded data, end of the frame's EOI)."""
    segments = _walk(frame, 0, len(frame))
    scans = [(p, e) for m, _s, p, e in segments if m == SOS]
    if not scans:
        raise FrameError(N_("a JPEG frame without image data"))
    payload_start, data_end = scans[-1]
    length = int.from_bytes(frame[payload_start - 2 : payload_start], "big")
    return payload_start - 2 + length, data_end, segments[-1][3]


def zero_scan_tail(buf: bytearray, start: int = 0, end: int | None = None,
                   tables: bytes = b"") -> int:
    """Zero, in place, what follows the end of the last scan's entropy-coded data of the JPEG
    in ``buf[start:end]`` (found by decoding); returns how many non-zero bytes that was."""
    end = len(buf) if end is None else end
    frame = bytes(buf[start:end])
    data_start, data_end, eoi_end = _last_scan(frame)
    scan = frame[data_start:data_end]
    before, after = _whole(frame[:data_start], tables), frame[data_end:eoi_end]
    if not decodes(before + scan + after):
        raise FrameError(N_("JPEG image data that does not decode"))
    keep = needed(scan, lambda s: before + s + after)
    hidden = len(scan) - keep - scan[keep:].count(0)
    if hidden:
        buf[start + data_start + keep : start + data_end] = bytes(len(scan) - keep)
    return hidden


def scan_tail_is_blank(frame: bytes, tables: bytes = b"") -> bool:
    """True when nothing but zeros follows the entropy-coded data the picture needs."""
    try:
        data_start, data_end, eoi_end = _last_scan(frame)
    except FrameError:
        return False
    scan = frame[data_start:data_end]
    before, after = _whole(frame[:data_start], tables), frame[data_end:eoi_end]
    return decodes(before + scan + after) and only_needed(scan, lambda s: before + s + after)


# -- tables shared by several frames (TIFF JPEGTables) -----------------------------------------

def _table_events(tables: bytes) -> tuple[list[Event], list[tuple[int, bytes]]]:
    """Events of an abbreviated table stream (indices -1, -2, ...), and its segments."""
    try:
        segments = _walk(tables, 0, len(tables))
        events: list[Event] = []
        found: list[tuple[int, bytes]] = []
        for k, (marker, _seg, payload_start, seg_end) in enumerate(segments):
            payload = tables[payload_start:seg_end]
            if marker == DQT:
                events.append(("dqt", -1 - k, parse_dqt(payload)))
            elif marker == DHT:
                events.append(("dht", -1 - k, parse_dht(payload)))
            found.append((marker, payload))
    except CorruptFile as exc:
        raise FrameError(str(exc)) from None
    return events, found


def used_tables(tables: bytes, frames: list[bytes]) -> bytes:
    """``tables`` (SOI, DQT/DHT segments, EOI) with only the tables some scan of some frame
    uses (a frame's own tables take precedence, as they come later)."""
    events, segments = _table_events(tables)
    used: set[tuple[int, int]] = set()
    for frame in frames:
        own: list[Event] = []
        for i, (marker, _seg, payload_start, seg_end) in enumerate(_walk(frame, 0, len(frame))):
            payload = bytes(frame[payload_start:seg_end])
            try:
                if marker in (DQT, DHT):
                    own.append(("dqt" if marker == DQT else "dht", i,
                                parse_dqt(payload) if marker == DQT else parse_dht(payload)))
                elif marker in SOF_MARKERS:
                    own.append(("sof", i, parse_frame(marker, payload)))
                elif marker == SOS:
                    length = int.from_bytes(frame[payload_start - 2 : payload_start], "big")
                    own.append(("sos", i, parse_scan(bytes(frame[payload_start :
                                                                 payload_start + length - 2]))))
            except CorruptFile as exc:
                raise FrameError(str(exc)) from None
        found, problems = table_use(events + own)
        if IMPROPER_CODE in problems:
            raise FrameError(IMPROPER_CODE)
        used |= found
    out = bytearray(b"\xff\xd8")
    for k, (marker, _payload) in enumerate(segments):
        parsed = next((p for kind, i, p in events if i == -1 - k), None)
        if marker == EOI or not isinstance(parsed, list):
            continue
        kept = [t for j, t in enumerate(parsed) if (-1 - k, j) in used]
        if kept:
            out += segment(marker, b"".join(t.encode() for t in kept))
    return bytes(out + b"\xff\xd9")
