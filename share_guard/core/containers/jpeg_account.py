"""Byte accounting for a clean JPEG: every segment re-parsed and re-checked on its own.

A segment counts as *written* only when serialising its parsed fields gives back exactly
its bytes (so no trailing or reserved byte can carry anything) and, for tables, when a
scan uses it; the colour profile is proven neutral tag by tag; entropy-coded data counts
as *payload* when it holds no fill bytes. Anything else (a marker the cleaner never
writes, a gap, bytes after EOI) fails the export.
"""

from __future__ import annotations

from share_guard.core.containers.jpeg_app import (
    ICC_SIG,
    adobe_segment,
    canonical_icc_split,
    icc_profile,
    is_orientation_payload,
    jfif_segment,
)
from share_guard.core.containers.jpeg_clean import analyse, scan_builder
from share_guard.core.containers.jpeg_scan_end import decodes, only_needed
from share_guard.core.containers.jpeg_segments import Segment, parse_jpeg
from share_guard.core.containers.jpeg_tables import (
    DAC,
    DHT,
    DNL,
    DQT,
    DRI,
    LSE,
    SOF_KEPT,
    SOS,
    has_fill,
    parse_dac,
    parse_dnl,
    parse_dri,
    parse_frame,
    parse_lse,
    parse_scan,
    segment,
)
from share_guard.core.containers.ledger import Ledger, Unaccounted
from share_guard.core.errors import CorruptFile
from share_guard.core.i18n import N_
from share_guard.core.metadata.icc import IccError, account_icc, check_icc


def account_jpeg(data: bytes) -> Ledger:
    ledger = Ledger(len(data))
    try:
        layout = parse_jpeg(data)
    except CorruptFile as exc:
        ledger.refuse(0, len(data), "JPEG", str(exc))
        return ledger
    if layout.truncated or layout.problems:
        ledger.refuse(0, len(data), "JPEG", N_("a JPEG that does not walk cleanly"))
        return ledger
    analysis = analyse(data, layout)
    if analysis.problems:
        ledger.refuse(0, len(data), "JPEG", analysis.problems[0])
        return ledger
    ledger.written(0, 2, "JPEG start")
    is_ls = any(s.marker == 0xF7 for s in layout.segments)
    last_scan = max(i for i, s in enumerate(layout.segments) if s.marker == SOS)
    icc: list[Segment] = []
    for i, seg in enumerate(layout.segments):
        m, p = seg.marker, seg.payload(data)
        what = f"JPEG {seg.name} at byte {seg.start}"
        expected: bytes | None
        if m == 0xE2 and p.startswith(ICC_SIG) and i < analysis.first_scan:
            icc.append(seg)
            continue
        if m in (DQT, DHT):
            tables = analysis.parsed[i]
            assert isinstance(tables, list)
            if any((i, j) not in analysis.used for j in range(len(tables))):
                ledger.refuse(seg.start, seg.end, what, N_("a coding table no scan uses"))
                continue
            expected = segment(m, b"".join(t.encode() for t in tables))
        elif m == SOS:
            header = data[seg.start : seg.payload_end]
            if header != parse_scan(p).encode():
                ledger.refuse(seg.start, seg.payload_end, what, N_("a scan header with extra bytes"))
                continue
            ledger.written(seg.start, seg.payload_end, what)
            if has_fill(memoryview(data)[seg.payload_end : seg.end]):
                ledger.refuse(seg.payload_end, seg.end, what, N_("fill bytes inside image data"))
            elif i == last_scan:
                _account_last_scan(data, seg, ledger)
            else:
                ledger.payload(seg.payload_end, seg.end, f"JPEG scan data at byte {seg.start}")
            continue
        else:
            expected = _expected(m, p, i < analysis.first_scan, is_ls)
        if expected is None or expected != data[seg.start : seg.end]:
            ledger.refuse(seg.start, seg.end, what, N_("a segment the cleaner does not write"))
            continue
        ledger.written(seg.start, seg.end, what)
    _account_icc(data, icc, ledger)
    ledger.written(layout.eoi_end - 2, layout.eoi_end, "JPEG end")
    if layout.eoi_end < len(data):
        ledger.refuse(layout.eoi_end, len(data), "JPEG", N_("data after the end of the image"))
    return ledger


def _expected(m: int, p: bytes, before_scan: bool, is_ls: bool) -> bytes | None:
    """The bytes the cleaner would write for a segment with payload ``p`` (None: never)."""
    try:
        if m in SOF_KEPT:
            return parse_frame(m, p).encode()
        if m == DRI:
            return parse_dri(p)
        if m == DNL:
            return parse_dnl(p)
        if m == DAC:
            return parse_dac(p)
        if m == LSE and is_ls:
            return parse_lse(p)
    except CorruptFile:
        return None
    if before_scan and m == 0xE0:
        return jfif_segment(p)
    if before_scan and m == 0xEE:
        return adobe_segment(p)
    if before_scan and m == 0xE1 and is_orientation_payload(p):
        return segment(0xE1, p)
    return None


def _account_icc(data: bytes, segs: list[Segment], ledger: Ledger) -> None:
    if not segs:
        return
    where = f"JPEG colour profile at byte {segs[0].start}"
    chunks = [s.payload(data) for s in segs]
    try:
        if not canonical_icc_split(chunks):
            raise IccError(N_("colour-profile segments not split the way the cleaner writes them"))
        profile = icc_profile(chunks)
        if len(segs) > 1:
            check_icc(profile, where)
    except (IccError, Unaccounted) as exc:
        ledger.refuse(segs[0].start, segs[-1].end, where, str(exc))
        return
    for seg in segs:
        ledger.written(seg.start, seg.payload_start + len(ICC_SIG) + 2, f"{where} header")
        if len(segs) > 1:
            ledger.written(seg.payload_start + len(ICC_SIG) + 2, seg.end, where)
    if len(segs) == 1:
        account_icc(profile, ledger, segs[0].payload_start + len(ICC_SIG) + 2, where)


def _account_last_scan(data: bytes, seg: Segment, ledger: Ledger) -> None:
    """Payload up to the last non-zero byte of the last scan (proven needed by a decode),
    zeroed after it."""
    what = f"JPEG scan data at byte {seg.start}"
    scan = data[seg.payload_end : seg.end]
    build = scan_builder(data[: seg.payload_end], data[seg.end :])
    if not decodes(data):
        ledger.refuse(seg.payload_end, seg.end, what, N_("image data that does not decode"))
        return
    if not only_needed(scan, build):
        ledger.refuse(seg.payload_end, seg.end, what, N_("bytes after the end of the image data"))
        return
    last = seg.payload_end + len(scan.rstrip(b"\x00"))
    ledger.payload(seg.payload_end, last, what)
    ledger.zeroed(data, last, seg.end, f"{what} (after its end)")
