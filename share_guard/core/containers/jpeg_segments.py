"""Split a JPEG into its marker segments and entropy-coded scans (bounded, no decoding)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_, message

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
# markers that carry no length field
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# frame/table/scan markers a decoder needs
DECODING = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
            0xC4, 0xCC, 0xDB, 0xDD, 0xDC, 0xDE, 0xDF, 0xDA}
SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
MAX_SEGMENTS = 100_000


@dataclass
class Segment:
    marker: int
    start: int  # offset of the 0xFF of the marker
    end: int  # offset just after the segment (after scan data for SOS)
    payload_start: int  # offset of the payload (after the length field)
    payload_end: int

    def payload(self, data: bytes) -> bytes:
        return data[self.payload_start : self.payload_end]

    @property
    def name(self) -> str:
        if 0xE0 <= self.marker <= 0xEF:
            return f"APP{self.marker - 0xE0}"
        return {0xFE: "COM", 0xDB: "DQT", 0xC4: "DHT", 0xDA: "SOS", 0xDD: "DRI"}.get(
            self.marker, f"0x{self.marker:02X}")


@dataclass
class JpegLayout:
    segments: list[Segment]
    eoi_end: int  # offset just after EOI (== len(data) when there is no trailer)
    truncated: bool
    problems: list[str]


def parse_jpeg(data: bytes) -> JpegLayout:
    """Walk the markers of the primary JPEG image in ``data``."""
    if not data.startswith(b"\xff\xd8"):
        raise CorruptFile(N_("not a JPEG (no start-of-image marker)"))
    n = len(data)
    pos = 2
    segments: list[Segment] = []
    problems: list[str] = []
    markers = 0
    while True:
        markers += 1  # standalone markers add no segment but still cost a step
        if len(segments) > MAX_SEGMENTS or markers > MAX_SEGMENTS:
            raise CorruptFile(N_("JPEG has an absurd number of segments"))
        if pos >= n:
            return JpegLayout(segments, n, True, problems)
        if data[pos] != 0xFF:
            raise CorruptFile(message(N_("JPEG is malformed: expected a marker at byte {pos}"), pos=pos))
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return JpegLayout(segments, n, True, problems)
        marker = data[pos]
        start = pos - 1
        pos += 1
        if marker == EOI:
            return JpegLayout(segments, pos, False, problems)
        if marker in _STANDALONE or marker == SOI:
            _problem(problems, f"unexpected marker 0x{marker:02X}")
            continue
        if pos + 2 > n:
            return JpegLayout(segments, n, True, problems)
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise CorruptFile(message(N_("JPEG segment at byte {start} has an invalid length"), start=start))
        seg_end = pos + length
        if seg_end > n:
            return JpegLayout(segments, n, True, problems)
        if marker == SOS:
            scan_end = _scan_end(data, seg_end)
            if scan_end is None:
                segments.append(Segment(marker, start, n, pos + 2, seg_end))
                return JpegLayout(segments, n, True, problems)
            segments.append(Segment(marker, start, scan_end, pos + 2, seg_end))
            pos = scan_end
            continue
        segments.append(Segment(marker, start, seg_end, pos + 2, seg_end))
        pos = seg_end


def _problem(problems: list[str], text: str) -> None:
    if text not in problems and len(problems) < 32:
        problems.append(text)


#: the first real marker in entropy-coded data: 0xFF followed by neither a stuffed zero, a
#: restart marker nor another 0xFF (fill); searched in C, not byte by byte
_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _scan_end(data: bytes, pos: int) -> int | None:
    """Offset of the first real marker after entropy-coded data starting at ``pos``."""
    found = _MARKER_AFTER_SCAN.search(data, pos)
    return None if found is None else found.start()


def sof_info(data: bytes, layout: JpegLayout) -> dict[str, int]:
    for seg in layout.segments:
        if seg.marker in SOF_MARKERS:
            p = seg.payload(data)
            if len(p) >= 6:
                return {
                    "width": int.from_bytes(p[3:5], "big"),
                    "height": int.from_bytes(p[1:3], "big"),
                    "components": p[5],
                    "progressive": int(seg.marker in (0xC2, 0xC6, 0xCA, 0xCE)),
                }
    return {}
